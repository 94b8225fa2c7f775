"""公示与异议 in the browser's requests and the API: publishing a run's list, lodging an objection
to a figure (named, with the value stored and the department answering), answering it by a
correcting import or a reason, repeating the run; the refusals of the service (409), the rights
of each role and area (403, audited) and data escaped, on SQLite and PostgreSQL.

The world is the disposal tests' (:mod:`tests.disposal.test_objections`): P2 in 桐庐县 (K1),
imported by the administrator, P3 in 淳安县 (K2), whose construction record the housing
bureau's account imported; both idle, on a run kept as identification finds it.
"""

import datetime as dt
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from mujun.records import Account, AuditEntry, Objection
from mujun.web import cases
from mujun.web.app import create_app
from mujun.web.permissions import Role
from tests.disposal.test_objections import (
    HOUSING,
    K1,
    K2,
    P2_RECORD,
    P3_RECORD,
    World,
    build_world,
    construction,
)
from tests.web.conftest import HASHED, add_accounts, sign_in

TODAY = dt.date(2024, 7, 2)
NASTY = "<script>alert(1)</script>乙公司"
NATURAL = "ziran"
"""The natural resources bureau's account: the administrator's construction figures go to it."""


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pages read the day as 2 July 2024, within the publications' period."""
    monkeypatch.setattr(cases, "today", lambda: TODAY)


@pytest.fixture
def world(engine: Engine, tmp_path: Path) -> World:
    """The disposal tests' world, with an account of each role to sign in with."""
    found = build_world(engine, tmp_path)
    with Session(engine) as db:
        db.info.update(actor="setup", reason="web accounts")
        db.execute(update(Account).values(password_hash=HASHED))
        add_accounts(
            db,
            [
                ("analyst", Role.CITY_ANALYST, None, None),
                ("officer", Role.COUNTY_OFFICER, K1, None),
                ("viewer", Role.VIEWER, None, None),
                (NATURAL, Role.DATA_PROVIDER, None, "natural_resources"),
            ],
        )
        db.commit()
    return found


@pytest.fixture
def client(world: World) -> TestClient:
    return TestClient(create_app(world.engine))


def form(client: TestClient, token: str, url: str, data: dict[str, str]) -> Response:
    answer: Response = client.post(url, data={"csrf_token": token, **data}, follow_redirects=False)
    return answer


def refusals(engine: Engine, username: str) -> list[AuditEntry]:
    with Session(engine) as db:
        return list(
            db.scalars(
                select(AuditEntry).where(
                    AuditEntry.username == username, AuditEntry.outcome == "refused"
                )
            )
        )


def objections(engine: Engine) -> list[Objection]:
    with Session(engine) as db:
        return list(db.scalars(select(Objection).order_by(Objection.id)))


def published(client: TestClient, world: World) -> int:
    token = sign_in(client, "analyst")
    answer = form(client, token, "/publications", {"run": str(world.run), "date": "2024-07-01"})
    assert answer.status_code == 303, answer.text
    location = answer.headers["location"]
    assert location.endswith("?done=published")
    return int(location.split("/")[2].split("?")[0])


def lodged(client: TestClient, publication: int, **changes: str) -> Response:
    """Lodge, as the county officer, an objection to P2's start date."""
    token = sign_in(client, "officer")
    data = {
        "field": "construction.started_date",
        "key": P2_RECORD,
        "subject": "P2",
        "claimed": "2023-05-01",
        "reason": "已于2023年5月开工，有施工许可为证",
        "lodged_by": NASTY,
        "date": "2024-07-02",
    } | changes
    return form(client, token, f"/publications/{publication}/objections", data)


# -- publishing ------------------------------------------------------------------------------------


def test_the_task_force_publishes_a_run_once_and_an_officer_may_not(
    client: TestClient, world: World
) -> None:
    sign_in(client, "analyst")
    empty = client.get("/publications")
    assert empty.status_code == 200 and "还没有公示" in empty.text
    assert f'<option value="{world.run}"' in empty.text
    publication = published(client, world)
    token = sign_in(client, "analyst")
    page = client.get(f"/publications/{publication}?done=published")
    assert "已公示。" in page.text and "公示中" in page.text
    assert "2024年7月1日" in page.text and "2024年7月8日" in page.text  # five working days
    assert "本次公示还没有异议" in page.text
    assert client.get("/publications/999").status_code == 404
    for big in ("/publications/{}", "/api/publications/{}", "/api/objections/{}"):
        assert client.get(big.format(2**63)).status_code == 422
    listed = client.get("/publications")
    assert f'href="/publications/{publication}"' in listed.text and "5 个工作日" in listed.text
    again = form(client, token, "/publications", {"run": str(world.run), "date": "2024-07-03"})
    assert again.status_code == 409 and "不能重复公示" in again.text
    blank = form(client, token, "/publications", {"run": str(world.run), "date": ""})
    assert blank.status_code == 422 and "请填写公示日期" in blank.text

    officer = sign_in(client, "officer")
    assert "form-publish" not in client.get("/publications").text
    refused = form(client, officer, "/publications", {"run": str(world.run), "date": "2024-07-08"})
    assert refused.status_code == 403
    assert len(refusals(world.engine, "officer")) == 1


# -- lodging ---------------------------------------------------------------------------------------


def test_an_officer_lodges_an_objection_by_names_and_sees_where_it_goes(
    client: TestClient, world: World
) -> None:
    publication = published(client, world)
    sign_in(client, "officer")
    lodge = client.get(
        f"/publications/{publication}/lodge",
        params={"field": "construction.started_date", "key": P2_RECORD},
    )
    assert lodge.status_code == 200
    assert "开发建设（主键：宗地号|统计日期）" in lodge.text and "实际开工日期" in lodge.text
    assert 'value="construction.started_date" selected' in lodge.text
    assert "（空）" in lodge.text and "自然资源" in lodge.text  # stored now, who answers
    assert f"第 {world.admin_import} 次导入" in lodge.text
    missing = client.get(
        f"/publications/{publication}/lodge",
        params={"field": "construction.started_date", "key": "P9|2024-06-01"},
    )
    assert "没有主键为 P9|2024-06-01 的记录" in missing.text

    answer = lodged(client, publication)
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/publications/{publication}?done=lodged"
    page = client.get(f"/publications/{publication}")
    assert "异议已登记" not in page.text  # no done= in this request
    assert "&lt;script&gt;alert(1)&lt;/script&gt;乙公司" in page.text
    assert "<script>alert(1)</script>" not in page.text
    assert "桐庐县" in page.text and "自然资源" in page.text and "待答复" in page.text
    assert "construction.started_date" not in page.text  # names, not codes
    filtered = client.get(f"/publications/{publication}", params={"state": "upheld"})
    assert "没有符合条件的异议" in filtered.text
    assert client.get(f"/publications/{publication}", params={"county": K2}).status_code == 403
    assert len(refusals(world.engine, "officer")) == 1


def test_a_late_or_unknown_objection_is_refused_and_another_county_is_forbidden(
    client: TestClient, world: World
) -> None:
    publication = published(client, world)
    late = lodged(client, publication, date="2024-07-09")
    assert late.status_code == 409 and "不予受理" in late.text
    assert NASTY.replace("<", "&lt;").replace(">", "&gt;") in late.text  # kept, escaped
    nowhere = lodged(client, publication, subject="P9")
    assert nowhere.status_code == 409 and "没有对象 P9" in nowhere.text
    other = lodged(client, publication, key=P3_RECORD, subject="P3")
    assert other.status_code == 403
    assert objections(world.engine) == []
    assert len(refusals(world.engine, "officer")) == 1
    viewer = sign_in(client, "viewer")
    assert client.get(f"/publications/{publication}/lodge").status_code == 403
    assert form(client, viewer, f"/publications/{publication}/objections", {}).status_code == 403


# -- answering -------------------------------------------------------------------------------------


def test_the_department_answers_by_a_correction_or_a_reason(
    client: TestClient, world: World
) -> None:
    publication = published(client, world)
    assert lodged(client, publication).status_code == 303
    assert lodged(client, publication, reason="第二项", claimed="").status_code == 303
    first, second = (o.id for o in objections(world.engine))

    housing = sign_in(client, HOUSING)  # routed to natural resources, not housing
    assert client.get("/objections").status_code == 200
    assert f'id="objection-{first}"' not in client.get("/objections").text
    refused = form(
        client, housing, f"/objections/{first}/upheld", {"reason": "x", "date": "2024-07-03"}
    )
    assert refused.status_code == 403 and len(refusals(world.engine, HOUSING)) == 1

    token = sign_in(client, NATURAL)
    bench = client.get("/api/workbench").json()
    assert [t["href"] for t in bench["todos"]] == [
        f"/objections#objection-{first}",
        f"/objections#objection-{second}",
    ]
    assert "开发建设「实际开工日期」" in bench["todos"][0]["zh"]
    inbox = client.get("/objections")
    assert f'id="objection-{first}"' in inbox.text and "（尚未更正）" in inbox.text
    assert "&lt;script&gt;" in inbox.text and "<script>alert" not in inbox.text
    no_reason = form(
        client, token, f"/objections/{first}/upheld", {"reason": " ", "date": "2024-07-03"}
    )
    assert no_reason.status_code == 409 and "维持原值须写明理由" in no_reason.text
    not_yet = form(
        client,
        token,
        f"/objections/{first}/corrected",
        {"import_id": str(world.admin_import), "date": "2024-07-03"},
    )
    assert not_yet.status_code == 409 and "未更正该值" in not_yet.text

    correcting = world.imported("start", construction("P2", "2023-05-01"))
    inbox = client.get("/objections")
    assert "已变更" in inbox.text and f'value="{correcting}"' in inbox.text
    done = form(
        client,
        token,
        f"/objections/{first}/corrected",
        {"import_id": str(correcting), "date": "2024-07-04"},
    )
    assert done.status_code == 303 and "done=corrected" in done.headers["location"]
    upheld = form(
        client, token, f"/objections/{second}/upheld", {"reason": "复核无误", "date": "2024-07-04"}
    )
    assert upheld.status_code == 303
    answered = client.get("/objections", params={"state": ""})
    assert f"已由第 {correcting} 次导入更正为" in answered.text and "2023-05-01" in answered.text
    assert "维持原值：复核无误" in answered.text
    assert client.get("/api/workbench").json()["todos"] == []
    sign_in(client, "analyst")
    page = client.get(f"/publications/{publication}")
    assert "已更正" in page.text and "维持原值" in page.text


# -- the API ---------------------------------------------------------------------------------------


def test_the_api_publishes_lodges_answers_and_refuses(client: TestClient, world: World) -> None:
    token = {"X-CSRF-Token": sign_in(client, "analyst")}
    body = {"run": world.run, "date": "2024-07-01", "note": "初步名单"}
    made = client.post("/api/publications", json=body, headers=token)
    assert made.status_code == 201 and made.json()["ends_on"] == "2024-07-08"
    publication = made.json()["id"]
    again = client.post("/api/publications", json=body, headers=token)
    assert again.status_code == 409 and again.json()["possible_from"] == "2024-07-09"
    assert client.get("/api/publications").json()["publications"][0]["id"] == publication

    token = {"X-CSRF-Token": sign_in(client, "officer")}
    objection = {
        "table": "construction",
        "key": P2_RECORD,
        "column": "started_date",
        "reason": "已开工",
        "lodged_by": "乙公司",
        "date": "2024-07-02",
        "subject": "P2",
    }
    url = f"/api/publications/{publication}/objections"
    lodged_one = client.post(url, json=objection, headers=token)
    assert lodged_one.status_code == 201, lodged_one.text
    assert lodged_one.json()["routed_to"] == "natural_resources"
    wrong = client.post(url, json=objection | {"column": "nothing"}, headers=token)
    assert wrong.status_code == 409 and "没有字段 nothing" in wrong.json()["zh"]
    other = client.post(url, json=objection | {"key": P3_RECORD, "subject": "P3"}, headers=token)
    assert other.status_code == 403 and len(refusals(world.engine, "officer")) == 1
    listed = client.get("/api/objections", params={"publication": publication}).json()
    assert listed["total"] == 1 and listed["objections"][0]["county_code"] == K1

    objection_id = lodged_one.json()["id"]
    token = {"X-CSRF-Token": sign_in(client, NATURAL)}
    answer_url = f"/api/objections/{objection_id}/answer"
    both = {"date": "2024-07-03", "corrected_by": 1, "upheld": "x"}
    assert client.post(answer_url, json=both, headers=token).status_code == 422
    early = client.post(answer_url, json={"date": "2024-07-01", "upheld": "x"}, headers=token)
    assert early.status_code == 409 and early.json()["possible_from"] == "2024-07-02"
    fine = client.post(answer_url, json={"date": "2024-07-03", "upheld": "复核无误"}, headers=token)
    assert fine.status_code == 200 and fine.json()["state"] == "upheld"
    assert client.get(f"/api/objections/{objection_id}").status_code == 403  # no READ


def test_the_run_is_repeated_and_the_difference_shown(client: TestClient, world: World) -> None:
    publication = published(client, world)
    officer = sign_in(client, "officer")
    assert form(client, officer, f"/publications/{publication}/repeat", {}).status_code == 403
    assert len(refusals(world.engine, "officer")) == 1
    token = sign_in(client, "analyst")
    repeated = form(client, token, f"/publications/{publication}/repeat", {})
    assert repeated.status_code == 303
    assert repeated.headers["location"].startswith(f"/runs/diff?a={world.run}&b=")
    difference = client.get(repeated.headers["location"])
    assert difference.status_code == 200
    page = client.get(f"/publications/{publication}")
    assert "查看与公示名单的差异" in page.text
    api = client.post(f"/api/publications/{publication}/repeat", headers={"X-CSRF-Token": token})
    assert api.status_code == 200 and api.json()["published_run"] == world.run
    assert set(api.json()["counts"]) == {"added", "dropped", "changed"}


def test_the_pages_read_in_english(client: TestClient, world: World) -> None:
    publication = published(client, world)
    client.cookies.set("mujun_lang", "en")
    late = lodged(client, publication, date="2024-07-09")
    assert late.status_code == 409 and "is too late" in late.text and "不予受理" not in late.text
    assert lodged(client, publication).status_code == 303
    page = client.get(f"/publications/{publication}").text
    assert "1 Jul 2024 to 8 Jul 2024 (5 working days)" in page
    assert "construction · started_date" in page and "natural resources" in page
    lodge = client.get(
        f"/publications/{publication}/lodge",
        params={"field": "construction.started_date", "key": P2_RECORD},
    ).text
    assert "(record P2|2024-06-01), now" in lodge and "公示期" not in lodge
    sign_in(client, NATURAL)
    inbox = client.get("/objections").text
    assert "Objection 1: construction · started_date" in inbox and "(not corrected yet)" in inbox
