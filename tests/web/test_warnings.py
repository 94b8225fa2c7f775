"""监测预警 in the browser's requests and the API: the inbox filtered, paged and exported, a
warning's page with its evidence and timeline, receiving (签收), reporting on (处置反馈) and
closing (办结) it; the refusals of the service (409), the reach of each role, county and
department (403, audited), data escaped, the 工作台's warnings and each department's latest
monthly figures, the cockpit's counts; on SQLite and PostgreSQL.

The world is the two-county city of ``tests/web`` with three enterprises whose electricity fell
in the first quarter of 2025 (甲 in 桐庐县 to a tenth, 丙 in 桐庐县 to nothing, 乙 in 淳安县 to a
tenth) and a tax bureau whose figures stopped after February; one monitoring run judges March
2025 (issued on Tuesday 1 April: to be received by Monday 7 April, after Qingming).
"""

import datetime as dt
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass

import docx
import pytest
from fastapi.testclient import TestClient
from httpx import Response
from openpyxl import load_workbook
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from mujun.disposal.moves import move_case
from mujun.disposal.opening import open_cases
from mujun.disposal.plans import plan_case
from mujun.disposal.states import CaseState
from mujun.monitoring.service import monitor_and_keep
from mujun.policy.profiles import load_profile
from mujun.records import Account, AuditEntry, EarlyWarning, Enterprise, MonthlyMetric
from mujun.web import cases
from mujun.web.app import create_app
from mujun.web.permissions import Role
from tests.web.conftest import COUNTY_A, COUNTY_B, HASHED, build_city, keep_run, sign_in

NASTY = "<script>alert(1)</script>甲公司"
E_A = "91330122MA0000000X"
"""甲 in 桐庐县: the enterprise of the identification run's abnormal finding (its case)."""
E_C = "91330122MA0000003C"
E_B = "91330127MA0000002B"
ISSUED = dt.date(2025, 4, 1)
TODAY = dt.date(2025, 4, 3)
AFTER_DUE = dt.date(2025, 4, 8)
DROP, STOPPED, FEED = (
    "monitor/electricity-drop",
    "monitor/electricity-stopped",
    "monitor/feed-missing",
)


@dataclass(frozen=True)
class World:
    engine: Engine
    case: int
    """The case of 甲 (county A), opened from the identification run."""
    drop_a: int
    drop_b: int
    drop_c: int
    stopped_c: int
    feed_tax: int


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pages read the day as 3 April 2025, before the receipt deadline."""
    monkeypatch.setattr(cases, "today", lambda: TODAY)


def build_world(engine: Engine) -> World:
    build_city(engine)
    run = keep_run(engine)
    with Session(engine) as db:
        db.info.update(actor="setup", reason="monitoring world")
        opening = open_cases(db, run_id=run, actor="专班")
        for username, department in (("power", "power"), ("tax", "tax")):
            db.add(
                Account(
                    username=username,
                    display_name=username,
                    password_hash=HASHED,
                    role=Role.DATA_PROVIDER.value,
                    department=department,
                    failed_logins=0,
                )
            )
        db.add_all(
            [
                Enterprise(credit_code=E_A, name=NASTY, jurisdiction_code=COUNTY_A),
                Enterprise(credit_code=E_C, name="丙公司", jurisdiction_code=COUNTY_A),
                Enterprise(credit_code=E_B, name="乙公司", jurisdiction_code=COUNTY_B),
            ]
        )
        db.flush()
        figures: dict[tuple[str, str], dict[str, float]] = {}
        for code in (E_A, E_B, E_C):
            for number in range(1, 13):
                figures[(code, f"2024-{number:02d}")] = {"electricity_kwh": 100.0}
            for month, value in (("2025-01", 10.0), ("2025-02", 10.0), ("2025-03", 10.0)):
                figures[(code, month)] = {"electricity_kwh": 0.0 if code == E_C else value}
        for month in ("2024-12", "2025-01", "2025-02"):
            figures[(E_A, month)]["tax_yuan"] = 1_000.0
        db.add_all(
            MonthlyMetric(credit_code=code, month=month, **values)
            for (code, month), values in figures.items()
        )
        db.commit()
    case = next(o.case for o in opening.opened if o.subject_id == E_A)
    monitor_and_keep(
        engine=engine,
        profile=load_profile("yancheng-2021"),
        month="2025-03",
        issued_on=ISSUED,
        actor="monitor",
    )
    with Session(engine) as db:
        ids = {
            (w.signal, w.subject_id): w.id
            for w in db.scalars(select(EarlyWarning).order_by(EarlyWarning.id))
        }
    return World(
        engine=engine,
        case=case,
        drop_a=ids[(DROP, E_A)],
        drop_b=ids[(DROP, E_B)],
        drop_c=ids[(DROP, E_C)],
        stopped_c=ids[(STOPPED, E_C)],
        feed_tax=ids[(FEED, "tax")],
    )


@pytest.fixture
def world(engine: Engine) -> World:
    return build_world(engine)


@pytest.fixture
def client(world: World) -> Iterator[TestClient]:
    with TestClient(create_app(world.engine)) as served:
        yield served


def form(client: TestClient, token: str, url: str, data: dict[str, str]) -> Response:
    answer: Response = client.post(url, data={"csrf_token": token, **data}, follow_redirects=False)
    return answer


def refusals(engine: Engine, username: str) -> int:
    with Session(engine) as db:
        return len(
            db.scalars(
                select(AuditEntry).where(
                    AuditEntry.username == username, AuditEntry.outcome == "refused"
                )
            ).all()
        )


def rows_of(page: str) -> list[str]:
    """The warnings of an inbox page, by their ids, in order."""
    return [part.split('"', 1)[0] for part in page.split('data-warning="')[1:]]


def newest(*warnings: int) -> list[int]:
    return sorted(warnings, reverse=True)


def ids(*warnings: int) -> list[str]:
    """Warnings as an inbox lists them: newest first."""
    return [str(i) for i in newest(*warnings)]


def exported(answer: Response) -> list[list[object]]:
    assert answer.status_code == 200, answer.text
    sheet = load_workbook(io.BytesIO(answer.content), read_only=True).active
    assert sheet is not None
    return [list(row) for row in sheet.iter_rows(min_row=3, values_only=True)]


# -- reading ---------------------------------------------------------------------------------------


def listed(client: TestClient, **query: str) -> list[str]:
    answer = client.get("/warnings", params=query)
    assert answer.status_code == 200, answer.text
    return rows_of(answer.text)


def test_the_inbox_as_each_account_reads_it(
    client: TestClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    _the_city_filters_and_exports(client, world)
    monkeypatch.setattr(cases, "today", lambda: AFTER_DUE)
    _the_city_after_the_receipt_deadline(client, world)
    monkeypatch.setattr(cases, "today", lambda: TODAY)
    _a_county_and_the_departments(client, world)
    _in_english(client, world)
    _the_bulletin(client, world)


def _the_bulletin(client: TestClient, w: World) -> None:
    """The month's bulletin: the city downloads it (Word and Excel); a county may not (403,
    audited); a month not monitored is a 404."""
    sign_in(client, "analyst")
    assert 'action="/warnings/bulletin"' in client.get("/warnings").text
    notice = client.get("/warnings/bulletin", params={"month": "2025-03", "kind": "docx"})
    assert notice.status_code == 200, notice.text
    assert "2025%E5%B9%B43%E6%9C%88" in notice.headers["content-disposition"]  # 2025年3月
    assert docx.Document(io.BytesIO(notice.content)).paragraphs
    tables = client.get("/warnings/bulletin", params={"month": "2025-03", "kind": "xlsx"})
    assert tables.status_code == 200 and tables.content.startswith(b"PK")
    none = client.get("/warnings/bulletin", params={"month": "2025-04"})
    assert none.status_code == 404
    sign_in(client, "officer")
    assert 'action="/warnings/bulletin"' not in client.get("/warnings").text
    before = refusals(w.engine, "officer")
    refused = client.get("/warnings/bulletin", params={"month": "2025-03"})
    assert refused.status_code == 403
    assert refusals(w.engine, "officer") == before + 1


def _the_city_filters_and_exports(client: TestClient, w: World) -> None:
    sign_in(client, "analyst")
    inbox = client.get("/warnings")
    assert inbox.status_code == 200
    every = [w.feed_tax, w.stopped_c, w.drop_c, w.drop_b, w.drop_a]
    assert rows_of(inbox.text) == [str(i) for i in sorted(every, reverse=True)]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;甲公司" in inbox.text
    assert "<script>alert(1)</script>" not in inbox.text
    for words in (
        "桐庐县",
        "淳安县",
        "税务局",
        "用电量连续骤降",
        "连续零用电",
        "2025年3月",
        "月度数据断供",
    ):
        assert words in inbox.text, words
    assert f'href="/enterprises/{E_B}">乙公司</a>' in inbox.text  # named, linked by its code
    assert f'href="/cases/{w.case}"' in inbox.text
    assert "2025年4月7日" in inbox.text  # received by, after Qingming

    assert listed(client, level="red") == [str(w.stopped_c)]
    assert listed(client, signal=DROP, county=COUNTY_A) == ids(w.drop_c, w.drop_a)
    assert listed(client, month="2025-03", state="issued") == rows_of(inbox.text)
    assert listed(client, escalated="true") == []
    empty = client.get("/warnings", params={"month": "2025-02"})
    assert "没有符合条件的预警" in empty.text
    assert client.get("/warnings", params={"signal": "monitor/nothing"}).status_code == 422
    assert client.get("/warnings", params={"month": "2025-13"}).status_code == 422
    workbook = exported(client.get("/warnings", params={"signal": DROP, "export": "all"}))
    assert [row[1] for row in workbook] == newest(w.drop_a, w.drop_b, w.drop_c)
    assert workbook[2][2:5] == ["橙色", "用电量连续骤降", NASTY]
    assert workbook[2][6] == "桐庐县" and workbook[2][7] == "桐庐县、供电公司"
    assert workbook[2][13] == w.case


def _the_city_after_the_receipt_deadline(client: TestClient, w: World) -> None:
    every = [w.feed_tax, w.stopped_c, w.drop_c, w.drop_b, w.drop_a]
    assert len(listed(client, escalated="true")) == 5
    bench = client.get("/api/workbench").json()
    assert bench["warnings"][0] == {
        "level": "danger",
        "zh": "在办红色预警：",
        "en": "Red warnings live:",
        "href": "/warnings?level=red",
        "count": 1,
    }
    assert [i["href"] for i in bench["warnings"][1:]] == [
        f"/warnings/{i}" for i in sorted(every, reverse=True)
    ]
    assert "已逾期未签收" in bench["warnings"][1]["zh"]
    months = {f["department"]: f["last_month"] for f in bench["freshness"]}
    assert months["power"] == "2025-03" and months["tax"] == "2025-02"
    assert months["finance_regulator"] is None and months["court"] is None
    page = client.get("/workbench").text
    assert "2025年3月" in page and "尚无月度数据" in page
    cockpit = client.get("/api/cockpit").json()["warnings"]
    assert cockpit["month"] == "2025-03"
    assert cockpit["counts"] == {"red": 1, "orange": 3, "yellow": 1}
    assert [r["id"] for r in cockpit["red"]] == [w.stopped_c]
    assert cockpit["red"][0]["subject"] == "丙公司"
    assert f'href="/warnings/{w.stopped_c}"' in client.get("/cockpit").text


def _a_county_and_the_departments(client: TestClient, w: World) -> None:
    sign_in(client, "officer")  # county A: its three, not 乙's nor the tax bureau's
    assert listed(client) == ids(w.stopped_c, w.drop_c, w.drop_a)
    assert client.get("/warnings", params={"county": COUNTY_B}).status_code == 403
    assert client.get(f"/warnings/{w.drop_b}").status_code == 403
    assert client.get(f"/api/warnings/{w.feed_tax}").status_code == 403
    assert refusals(w.engine, "officer") == 3
    bench = client.get("/api/workbench").json()
    assert [i["href"] for i in bench["warnings"][1:]] == [
        f"/warnings/{i}" for i in newest(w.stopped_c, w.drop_c, w.drop_a)
    ]
    assert "请于2025年4月7日前签收" in bench["warnings"][1]["zh"]
    assert client.get("/api/cockpit").json()["warnings"]["counts"]["yellow"] == 0

    sign_in(client, "power")  # the power company: the electricity warnings of both counties
    assert listed(client) == ids(w.stopped_c, w.drop_c, w.drop_b, w.drop_a)
    assert client.get(f"/warnings/{w.feed_tax}").status_code == 403
    assert refusals(w.engine, "power") == 1
    sign_in(client, "tax")  # the tax bureau: its own feed stopped
    assert listed(client) == [str(w.feed_tax)]
    page = client.get(f"/warnings/{w.feed_tax}")
    assert page.status_code == 200 and "报送企业数" in page.text and "税务局" in page.text
    sign_in(client, "provider")  # a department's account naming no department
    assert client.get("/warnings").status_code == 403


def _in_english(client: TestClient, w: World) -> None:
    sign_in(client, "viewer")
    client.cookies.set("mujun_lang", "en")
    english = client.get("/warnings")
    assert "Warning inbox" in english.text and "Electricity below half" in english.text
    assert "Mar 2025" in english.text and "预警收件箱" not in english.text
    detail = client.get(f"/warnings/{w.drop_a}").text
    assert "This year" in detail and "A year earlier" in detail
    assert 'id="form-receive"' not in detail  # a viewer reads


# -- acting in the browser -------------------------------------------------------------------------


def test_receive_report_and_close_in_pages_and_the_api(client: TestClient, world: World) -> None:
    w = world
    url = f"/warnings/{w.drop_a}"
    token = sign_in(client, "officer")
    page = client.get(url)
    assert page.status_code == 200
    chart = json.loads(page.text.split('id="page-data" type="application/json">')[1].split("<")[0])
    assert chart["chart"]["series"] == [  # the months compared
        {"name": "本期", "data": [10.0, 10.0, 10.0]},
        {"name": "上年同期", "data": [100.0, 100.0, 100.0]},
    ]
    figures = page.text.split('id="evidence-figures"')[1].split("</table>")[0]
    assert "用电量(千瓦时)" in figures and "2025年3月" in figures and "10.0%" in figures
    assert "桐庐县、供电公司" in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;甲公司" in page.text
    assert "<script>alert(1)</script>" not in page.text
    assert f'href="/cases/{w.case}"' in page.text
    assert 'id="form-receive"' in page.text and 'id="form-close"' not in page.text

    early = form(client, token, f"{url}/close", {"date": "2025-04-03", "reason": "已核实"})
    assert early.status_code == 409 and "处于「待签收」，不能办结" in early.text
    before = form(client, token, f"{url}/receive", {"date": "2025-03-31"})
    assert before.status_code == 409 and "日期不能早于此日" in before.text
    bad = form(client, token, f"{url}/receive", {"date": "三号"})
    assert bad.status_code == 422 and "日期有误" in bad.text
    assert form(client, "wrong", f"{url}/receive", {"date": "2025-04-02"}).status_code == 403
    received = form(client, token, f"{url}/receive", {"date": "2025-04-02"})
    assert received.status_code == 303 and received.headers["location"] == f"{url}?done=received"
    assert "已签收。" in client.get(received.headers["location"]).text

    empty = form(client, token, f"{url}/feedback", {"date": "2025-04-03", "text": " "})
    assert empty.status_code == 409 and "请写明处置情况" in empty.text
    for text in ("已约谈企业负责人", "<b>企业称设备检修</b>"):
        done = form(client, token, f"{url}/feedback", {"date": "2025-04-03", "text": text})
        assert done.status_code == 303, done.text
    closed = form(
        client, token, f"{url}/close", {"date": "2025-04-03", "reason": "检修完毕恢复生产"}
    )
    assert closed.status_code == 303
    page = client.get(url).text
    assert "已办结" in page and 'id="actions"' not in page
    timeline = page.split('id="timeline"')[1]
    assert timeline.count("timeline-feedback") == 2  # each feedback once
    for words in (
        "发出预警（第",
        "签收",
        "已约谈企业负责人",
        "&lt;b&gt;企业称设备检修&lt;/b&gt;",
        "检修完毕恢复生产",
    ):
        assert words in timeline, words
    again = form(client, token, f"{url}/receive", {"date": "2025-04-03"})
    assert again.status_code == 409

    other = form(client, token, f"/warnings/{w.drop_b}/receive", {"date": "2025-04-02"})
    assert other.status_code == 403 and refusals(w.engine, "officer") == 1
    viewer = sign_in(client, "viewer")
    assert (
        form(client, viewer, f"/warnings/{w.drop_c}/receive", {"date": "2025-04-02"}).status_code
        == 403
    )
    with Session(w.engine) as db:
        assert db.get(EarlyWarning, w.drop_b).state == "issued"  # type: ignore[union-attr]
        assert db.get(EarlyWarning, w.drop_c).state == "issued"  # type: ignore[union-attr]
    _the_api(client, w)
    _a_deadline_beyond_the_holiday_calendar(client, w)


def _the_api(client: TestClient, w: World) -> None:
    """The power company acts on 乙's warning through the API, not on the tax bureau's."""
    token = {"X-CSRF-Token": sign_in(client, "power")}
    red = client.get("/api/warnings", params={"level": "red"}).json()
    assert red["total"] == 1 and red["warnings"][0]["warning"] == w.stopped_c
    assert red["warnings"][0]["routed_to"] == [COUNTY_A, "power"]
    one = client.get(f"/api/warnings/{w.drop_b}").json()
    assert one["evidence"]["electricity_kwh_2025-03"] == 10.0
    assert [m["month"] for m in one["months"]] == ["2025-03"]
    assert one["timeline"][0]["date"] == "2025-04-01"
    url = f"/api/warnings/{w.drop_b}"
    early = client.post(f"{url}/feedback", json={"date": "2025-04-02", "text": "x"}, headers=token)
    assert early.status_code == 409 and "不能反馈处置情况" in early.json()["zh"]
    assert (
        client.post(f"{url}/receive", json={"date": "2025-04-02"}, headers=token).status_code == 200
    )
    reported = client.post(
        f"{url}/feedback", json={"date": "2025-04-03", "text": "已核实"}, headers=token
    )
    assert reported.status_code == 200 and reported.json()["state"] == "handled"
    closed = client.post(
        f"{url}/close", json={"date": "2025-04-03", "reason": "恢复"}, headers=token
    )
    assert closed.status_code == 200 and closed.json()["state"] == "closed"
    assert (
        client.post(
            f"/api/warnings/{w.feed_tax}/receive", json={"date": "2025-04-02"}, headers=token
        ).status_code
        == 403
    )
    assert refusals(w.engine, "power") == 1
    closed_ones = client.get("/api/warnings", params={"state": "closed"}).json()["warnings"]
    assert [one["warning"] for one in closed_ones] == newest(w.drop_a, w.drop_b)


def _a_deadline_beyond_the_holiday_calendar(client: TestClient, world: World) -> None:
    """A warning issued at the end of the last year whose holidays are published: its receipt
    deadline falls in a year not published yet, so it is shown as not known, never a failure."""
    with Session(world.engine) as db:
        db.info.update(actor="test", reason="issued at the year's end")
        warning = db.get(EarlyWarning, world.drop_c)
        assert warning is not None
        warning.issued_on = dt.date(2026, 12, 30)
        db.commit()
    sign_in(client, "officer")
    inbox = client.get("/warnings")
    assert inbox.status_code == 200 and "待定" in inbox.text
    assert client.get(f"/warnings/{world.drop_c}").status_code == 200
    assert client.get("/warnings", params={"escalated": "true"}).status_code == 200
    one = client.get(f"/api/warnings/{world.drop_c}").json()
    assert one["receive_by"] is None and one["escalated"] is False
    assert "节假日安排" in client.get("/api/workbench").json()["warnings"][2]["zh"]


def test_the_task_force_opens_a_case_from_a_warning(client: TestClient, world: World) -> None:
    """立案处置 on a warning's page and in the API: the task force's alone (403, audited, for a
    county officer), refused with the reason (409), answered with the case's file, which names
    the warning it was opened from; a warning of a subject whose case it belongs to links it."""
    w = world
    officer = sign_in(client, "officer")
    assert 'id="form-case"' not in client.get(f"/warnings/{w.drop_c}").text
    url = f"/warnings/{w.drop_c}/case"
    assert form(client, officer, url, {"date": "2025-04-03"}).status_code == 403
    assert refusals(w.engine, "officer") == 1

    token = sign_in(client, "analyst")
    page = client.get(f"/warnings/{w.drop_c}").text
    assert 'id="form-case"' in page and "立「非正常规上企业」处置案件" in page
    assert 'id="form-case"' not in client.get(f"/warnings/{w.feed_tax}").text
    already = client.get(f"/warnings/{w.drop_a}").text  # 甲 is in its run's case already
    assert 'id="form-case"' not in already and f"处置案件 第{w.case}号" in already

    early = form(client, token, url, {"date": "2025-03-31"})
    assert early.status_code == 409
    assert "立案日期不能早于此日" in early.text and 'id="form-case"' in early.text
    opened = form(client, token, url, {"date": "2025-04-03"})
    assert opened.status_code == 303, opened.text
    location = opened.headers["location"]
    case = int(location.split("/cases/")[1].split("?")[0])
    assert location == f"/cases/{case}?done=from_warning" and case != w.case
    file = client.get(location).text
    assert "已据预警立案。" in file
    opened_from = file.split('id="opened-from"')[1].split("</dd>")[0]
    assert f'href="/warnings/{w.drop_c}"' in opened_from and "用电量连续骤降" in opened_from
    assert "立案预警与依据数据" in file and "用电量(千瓦时)（2025年3月）" in file
    assert 'id="disputes"' not in file  # no run whose figures a dismissal could object to
    opening = client.get(f"/warnings/{w.drop_c}").text.split('id="timeline"')[1]
    assert f"立案处置（处置案件 第{case}号）" in opening
    stopped = client.get(f"/warnings/{w.stopped_c}").text  # 丙's other warning: the same case
    assert 'id="form-case"' not in stopped and f'href="/cases/{case}"' in stopped
    assert "立案处置（" not in stopped.split('id="timeline"')[1]  # it did not open it
    _the_exit_judges_the_signal_again(client, w, token, case)

    api = {"X-CSRF-Token": token}
    joined = client.post(f"/api/warnings/{w.drop_a}/case", json={}, headers=api)
    assert joined.status_code == 200 and [j["case"] for j in joined.json()["joined"]] == [w.case]
    other = client.post(f"/api/warnings/{w.drop_b}/case", headers=api).json()
    assert other["warning"] == w.drop_b and other["opened"][0]["subject_id"] == E_B
    feed = client.post(f"/api/warnings/{w.feed_tax}/case", json={}, headers=api)
    assert feed.status_code == 409 and "报送数据的部门" in feed.json()["zh"]
    officer = sign_in(client, "officer")
    refused = client.post(
        f"/api/warnings/{w.drop_c}/case", json={}, headers={"X-CSRF-Token": officer}
    )
    assert refused.status_code == 403 and refusals(w.engine, "officer") == 2


def _the_exit_judges_the_signal_again(client: TestClient, w: World, token: str, case: int) -> None:
    """丙's case, planned on a path Yancheng offers an enterprise, cannot close on 3 April
    (March, the last whole month, still fires) nor on 30 April (April's electricity is not
    known: the signal cannot judge it, and the page names the figure missing)."""
    with Session(w.engine) as db:
        move_case(db, case, CaseState.CONFIRMED, on=TODAY, reason="核实无误", actor="analyst")
        plan_case(db, case, path="self_improvement", due=dt.date(2025, 12, 31), on=TODAY, actor="a")
        for state in (CaseState.PLANNED, CaseState.IN_PROGRESS, CaseState.EVALUATING):
            move_case(db, case, state, on=TODAY, reason="推进", actor="analyst")
        db.commit()
    refused = form(
        client,
        token,
        f"/cases/{case}/move",
        {"state": "closed", "date": "2025-04-03", "reason": "已恢复用电"},
    )
    assert refused.status_code == 409
    assert "仍符合「用电量连续骤降」" in refused.text  # March, the last whole month, still fires
    later = form(
        client,
        token,
        f"/cases/{case}/move",
        {"state": "closed", "date": "2025-04-30", "reason": "已恢复用电"},
    )
    assert later.status_code == 409  # April's electricity is not known: not judged, by name
    timeline = later.text.split('id="timeline"')[1]
    assert "用电量连续骤降（缺少用电量(千瓦时)（2025年4月）" in timeline
