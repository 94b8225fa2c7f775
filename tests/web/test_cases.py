"""处置 in the browser's requests and the API: opening cases from a run, each move and step
through the service, the refusals said on the form (409) and the rights of each role (403,
audited), on SQLite and PostgreSQL."""

import datetime as dt
import io
import re
from collections.abc import Iterator

import openpyxl
import pytest
from docx import Document
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from mujun.records import (
    Account,
    AnnualMetric,
    AuditEntry,
    CaseTask,
    Enterprise,
    Finding,
    Objection,
    Parcel,
)
from mujun.web import case_api, case_pages, cases, tasks
from tests.builders import identification_run
from tests.web.conftest import COUNTY_A, COUNTY_B, PARCEL_A, PARCEL_B, sign_in

TODAY = dt.date(2026, 3, 2)
HOLDER = "91330122MA0000000X"
NASTY = "<script>alert(1)</script>闲置公司"


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Deadlines are read on 2 March 2026."""
    for module in (cases, case_api, case_pages, tasks):
        monkeypatch.setattr(module, "today", lambda: TODAY)


def keep_idle_run(engine: Engine) -> int:
    """A run as of 2025-12-31: an idle parcel in each county (idle since 1 March 2023, land
    price 1,000,000 yuan), county A's held by an enterprise with a name to escape; and an
    abnormal enterprise in county A."""
    with Session(engine) as session:
        session.add(Enterprise(credit_code=HOLDER, name=NASTY, jurisdiction_code=COUNTY_A))
        session.flush()
        session.execute(
            update(Parcel).where(Parcel.parcel_id == PARCEL_A).values(holder_credit_code=HOLDER)
        )
        kept = identification_run(finding_count=3)
        session.add(kept)
        session.flush()
        evidence = (
            '{"agreed_start_date": "2023-03-01", "idle_since": "2023-03-01", '
            '"idle_days": 1036, "land_price_yuan": 1000000.0}'
        )
        rows = [
            ("idle/not-started", "idle_land", "parcel", PARCEL_A, NASTY, COUNTY_A, evidence),
            ("idle/not-started", "idle_land", "parcel", PARCEL_B, "淳安某公司", COUNTY_B, evidence),
            (
                "ankang/abnormal/1",
                "abnormal_enterprise",
                "enterprise",
                HOLDER,
                NASTY,
                COUNTY_A,
                '{"tax_paid_yuan": 0}',
            ),
        ]
        for criterion, category, kind, subject, name, county, figures in rows:
            session.add(
                Finding(
                    run_id=kept.id,
                    criterion=criterion,
                    category=category,
                    subject_type=kind,
                    subject_id=subject,
                    subject_name=name,
                    area_m2=20_000.0,
                    county_code=county,
                    key=False,
                    evidence=figures,
                    source="003_62d23dbf9dc3e358.txt §二(一)1",
                )
            )
        session.execute(
            update(Account)
            .where(Account.username == "provider")
            .values(department="natural_resources")
        )
        session.commit()
        return kept.id


@pytest.fixture
def idle_run(city: Engine) -> int:
    return keep_idle_run(city)


def open_all(client: TestClient, run: int) -> dict[str, int]:
    """Open the run's cases as the task force; the case numbers by subject and category."""
    token = sign_in(client, "analyst")
    answer = client.post("/api/cases/open", json={"run": run}, headers={"X-CSRF-Token": token})
    assert answer.status_code == 200, answer.text
    return {f"{o['subject_id']}|{o['category']}": o["case"] for o in answer.json()["opened"]}


@pytest.fixture
def opened(app_client: TestClient, idle_run: int) -> dict[str, int]:
    found = open_all(app_client, idle_run)
    return {
        "a": found[f"{PARCEL_A}|idle_land"],
        "b": found[f"{PARCEL_B}|idle_land"],
        "firm": found[f"{HOLDER}|abnormal_enterprise"],
    }


def post(client: TestClient, token: str, url: str, data: dict[str, str]) -> Response:
    answer: Response = client.post(url, data={"csrf_token": token, **data}, follow_redirects=False)
    return answer


def refusals(engine: Engine, username: str) -> list[AuditEntry]:
    with Session(engine) as session:
        return list(
            session.scalars(
                select(AuditEntry).where(
                    AuditEntry.username == username, AuditEntry.outcome == "refused"
                )
            )
        )


# -- opening ------------------------------------------------------------------------------------


def test_the_task_force_opens_cases_from_the_run_once(
    app_client: TestClient, idle_run: int
) -> None:
    token = sign_in(app_client, "analyst")
    page = app_client.get("/cases")
    assert f"据批次 #{idle_run} 立案" in page.text
    assert "还没有处置案件" in page.text
    first = app_client.post(
        "/cases/open", data={"csrf_token": token, "run": str(idle_run)}, follow_redirects=False
    )
    assert first.status_code == 303 and first.headers["location"] == "/cases?opened=3&joined=0"
    again = app_client.post(
        "/cases/open", data={"csrf_token": token, "run": str(idle_run)}, follow_redirects=True
    )
    assert "新立案 0 件，并入已有案件 0 件。" in again.text
    missing = app_client.post("/cases/open", data={"csrf_token": token, "run": "999"})
    assert missing.status_code == 409 and "没有编号为 999 的认定批次" in missing.text


def test_an_officer_cannot_open_cases(app_client: TestClient, city: Engine, idle_run: int) -> None:
    token = sign_in(app_client, "officer")
    assert "/cases/open" not in app_client.get("/cases").text
    answer = app_client.post("/cases/open", data={"csrf_token": token, "run": str(idle_run)})
    assert answer.status_code == 403
    assert len(refusals(city, "officer")) == 1


# -- the list, the board, the file ---------------------------------------------------------------


def test_the_list_filters_names_and_escapes(app_client: TestClient, opened: dict[str, int]) -> None:
    sign_in(app_client, "analyst")
    page = app_client.get("/cases")
    assert page.status_code == 200
    assert "桐庐县" in page.text and "淳安县" in page.text
    assert "闲置土地" in page.text and "调查核实" in page.text
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;闲置公司" in page.text
    listed = app_client.get("/api/cases", params={"county": COUNTY_A}).json()
    assert listed["total"] == 2 and {c["county_code"] for c in listed["cases"]} == {COUNTY_A}
    both = app_client.get(
        "/api/cases", params={"county": COUNTY_A, "category": "idle_land", "state": "surveyed"}
    ).json()
    assert [c["case"] for c in both["cases"]] == [opened["a"]]
    assert app_client.get("/api/cases", params={"q": PARCEL_B[:6]}).json()["total"] == 1
    blank = app_client.get("/api/cases", params={"state": "", "county": "", "unit": ""}).json()
    assert blank["total"] == 3
    assert app_client.get("/api/cases", params={"state": "nonsense"}).status_code == 422
    assert set(listed["cases"][0]) >= {
        "case",
        "subject_id",
        "subject_name",
        "category",
        "county_code",
        "state",
        "next_deadline",
        "overdue",
    }
    filtered = app_client.get("/cases", params={"category": "abnormal_enterprise"})
    assert f'href="/cases/{opened["firm"]}"' in filtered.text
    assert f'href="/cases/{opened["a"]}"' not in filtered.text
    none = app_client.get("/cases", params={"q": "no-such-subject"})
    assert "没有符合条件的案件" in none.text


def test_the_whole_list_exports_as_the_ledger(
    app_client: TestClient, opened: dict[str, int]
) -> None:
    sign_in(app_client, "officer")
    answer = app_client.get("/cases", params={"export": "all"})
    assert answer.status_code == 200
    assert "filename*=UTF-8''" in answer.headers["content-disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(answer.content)).active
    assert sheet is not None
    values = [row for row in sheet.iter_rows(values_only=True)]
    assert "处置台账" in str(values[0][0])
    assert values[1][0] == "序号"
    assert {row[2] for row in values[2:]} == {"桐庐县"}
    assert len(values[2:]) == 2


def test_the_board_counts_by_state(app_client: TestClient, opened: dict[str, int]) -> None:
    sign_in(app_client, "analyst")
    board = app_client.get("/cases/board", params={"county": COUNTY_A})
    assert board.status_code == 200
    text = board.text
    assert text.index("调查核实") < text.index("审核认定") < text.index("核实不予认定")
    assert re.search(r'data-state="surveyed".*?board-count[^>]*>2<', text, re.S)
    assert f'data-case="{opened["b"]}"' not in text


def test_the_case_file(app_client: TestClient, opened: dict[str, int]) -> None:
    sign_in(app_client, "analyst")
    page = app_client.get(f"/cases/{opened['a']}")
    assert page.status_code == 200
    text = page.text
    assert "2023年3月1日" in text  # idle since
    assert "1,000,000" not in text or "20.00 万元" in text
    assert "200,000.00 元" in text and "20.00 万元" in text  # the fee: 20 % of the price
    assert "&lt;script&gt;" in text and "<script>alert" not in text
    assert "动工" in text  # the rule by its title, not its id alone
    assert 'id="form-move"' in text and "审核认定" in text
    assert 'id="form-record"' not in text  # not confirmed yet
    shown = app_client.get(f"/api/cases/{opened['a']}").json()
    assert shown["case"] == opened["a"] and shown["idle"] == {"since": "2023-03-01", "cause": None}
    assert [s["amount_yuan"] for s in shown["legal"]] == [200000.0, None]
    assert app_client.get("/cases/999999").status_code == 404
    assert app_client.get("/api/cases/999999").status_code == 404


# -- the work, from survey to exit ---------------------------------------------------------------


def test_a_case_from_survey_to_exit(
    app_client: TestClient, city: Engine, opened: dict[str, int]
) -> None:
    case, firm = opened["a"], opened["firm"]
    officer = sign_in(app_client, "officer")
    assert "审核认定" not in _move_choices(app_client.get(f"/cases/{case}").text)
    refused = post(
        app_client,
        officer,
        f"/cases/{case}/move",
        {"state": "confirmed", "date": "2026-01-05", "reason": "核实无误"},
    )
    assert refused.status_code == 403
    assert len(refusals(city, "officer")) == 1

    no_reason = post(
        app_client, officer, f"/cases/{firm}/move", {"state": "dismissed", "date": "2026-01-05"}
    )
    assert no_reason.status_code == 409 and "请写明理由" in no_reason.text
    dismissed = post(
        app_client,
        officer,
        f"/cases/{firm}/move",
        {"state": "dismissed", "date": "2026-01-05", "reason": "企业已恢复生产"},
    )
    assert dismissed.status_code == 303
    assert dismissed.headers["location"] == f"/cases/{firm}?done=moved"

    analyst = sign_in(app_client, "analyst")
    confirmed = post(
        app_client,
        analyst,
        f"/cases/{case}/move",
        {"state": "confirmed", "date": "2026-01-05", "reason": "审核认定为闲置土地"},
    )
    assert confirmed.status_code == 303
    assert "状态已变更" in app_client.get(confirmed.headers["location"]).text

    officer = sign_in(app_client, "officer")
    for step in (
        {"kind": "cause", "date": "2026-01-06", "cause": "enterprise"},
        {"kind": "hearing_notice", "date": "2026-01-08"},
    ):
        answer = post(app_client, officer, f"/cases/{case}/events", step)
        assert answer.status_code == 303, answer.text
    early = post(
        app_client, officer, f"/cases/{case}/events", {"kind": "fee_decision", "date": "2026-01-09"}
    )
    assert early.status_code == 409
    assert re.search(r"2026年1月\d+日起可办理", early.text), early.text
    api_early = app_client.post(
        f"/api/cases/{case}/events",
        json={"kind": "fee_decision", "date": "2026-01-09"},
        headers={"X-CSRF-Token": officer},
    )
    assert api_early.status_code == 409
    assert api_early.json()["possible_from"] is not None and api_early.json()["zh"]
    fee = post(
        app_client, officer, f"/cases/{case}/events", {"kind": "fee_decision", "date": "2026-01-20"}
    )
    assert fee.status_code == 303, fee.text
    text = app_client.get(f"/cases/{case}").text
    assert "企业原因" in text and "2026年1月8日" in text  # the cause, the hearing notice
    assert "缴纳土地闲置费期限" in text


def test_a_dismissal_names_the_figures_found_wrong(
    app_client: TestClient, city: Engine, opened: dict[str, int]
) -> None:
    firm = opened["firm"]
    officer = sign_in(app_client, "officer")
    page = app_client.get(f"/cases/{firm}")
    assert 'id="disputes"' in page.text and "宗地（主键：宗地号）" in page.text
    assert '<option value="parcels.area_m2">宗地 · 面积(平方米)</option>' in page.text
    form = {"csrf_token": officer, "state": "dismissed", "date": "2026-01-05"}
    half = app_client.post(
        f"/cases/{firm}/move",
        data=form
        | {"reason": "面积有误", "dispute_field": ["parcels.area_m2", ""], "dispute_key": ["", ""]},
    )
    assert half.status_code == 422 and "有误的数据须选择数据项并填写记录主键" in half.text
    assert '<option value="parcels.area_m2" selected>' in half.text  # kept for a second try
    done = app_client.post(
        f"/cases/{firm}/move",
        data=form
        | {
            "reason": "核实面积有误",
            "dispute_field": ["parcels.area_m2", ""],
            "dispute_key": [PARCEL_A, ""],
            "dispute_claimed": ["15000", ""],
        },
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    with Session(city) as session:
        (kept,) = session.scalars(select(Objection)).all()
    assert (kept.case_id, kept.table_name, kept.object_key) == (firm, "parcels", PARCEL_A)
    assert (kept.column_name, kept.claimed_value, kept.stored_value) == (
        "area_m2",
        "15000",
        "20000.0",
    )


def test_a_plan_its_tasks_a_document_and_the_exit(
    app_client: TestClient, city: Engine, opened: dict[str, int]
) -> None:
    case = opened["a"]
    analyst = sign_in(app_client, "analyst")
    post(
        app_client,
        analyst,
        f"/cases/{case}/move",
        {"state": "confirmed", "date": "2026-01-05", "reason": "认定"},
    )
    officer = sign_in(app_client, "officer")
    shown = app_client.get(f"/api/cases/{case}").json()
    path = shown["paths"][0]
    planned = post(
        app_client,
        officer,
        f"/cases/{case}/plan",
        {
            "path": path,
            "date": "2026-01-21",
            "due": "2026-06-30",
            "unit": "natural_resources",
            "measures": "督促缴纳闲置费\n限期动工",
            "milestones": "缴清闲置费@2026-03-31",
            "tax_per_mu_target": "6.5",  # 万元/亩, as officials write it
        },
    )
    assert planned.status_code == 303, planned.text
    assert app_client.get(f"/api/cases/{case}").json()["plan"]["tax_per_mu_target_yuan"] == 65000
    approve = post(
        app_client,
        officer,
        f"/cases/{case}/move",
        {"state": "planned", "date": "2026-01-22", "reason": "方案可行"},
    )
    assert approve.status_code == 403
    analyst = sign_in(app_client, "analyst")
    assert (
        post(
            app_client,
            analyst,
            f"/cases/{case}/move",
            {"state": "planned", "date": "2026-01-22", "reason": "方案可行"},
        ).status_code
        == 303
    )

    officer = sign_in(app_client, "officer")
    dispatched = post(
        app_client,
        officer,
        f"/cases/{case}/tasks",
        {
            "unit": "natural_resources",
            "what": "现场核查动工情况",
            "due": "2026-02-01",
            "date": "2026-01-23",
        },
    )
    assert dispatched.status_code == 303, dispatched.text
    text = app_client.get(f"/cases/{case}").text
    assert "自然资源和规划局" in text and "已逾期" in text
    assert "2026年6月30日" in text  # the plan's due date
    assert "缴清闲置费" in text
    agreed = re.search(r'id="plan-tax-target">(.*?)</dd>', text, re.S)
    assert agreed is not None and "6.50 万元/亩" in agreed.group(1)

    issued = post(
        app_client, officer, f"/cases/{case}/documents", {"kind": "plan", "date": "2026-01-24"}
    )
    assert issued.status_code == 200
    assert issued.headers["content-disposition"].startswith("attachment;")
    assert "filename*=UTF-8''" in issued.headers["content-disposition"]
    opened_docx = Document(io.BytesIO(issued.content))
    assert any("处置方案" in p.text for p in opened_docx.paragraphs)
    shown = app_client.get(f"/api/cases/{case}").json()
    assert [d["kind"] for d in shown["documents"]] == ["plan"]
    page = app_client.get(f"/cases/{case}").text
    link = re.search(rf'href="(/cases/{case}/files/\d+)"', page)
    assert link is not None
    downloaded = app_client.get(link.group(1))
    assert downloaded.status_code == 200 and downloaded.content == issued.content
    assert app_client.get(f"/cases/{case}/files/999999").status_code == 404

    for target, day in (("in_progress", "2026-02-01"), ("evaluating", "2026-02-15")):
        answer = post(
            app_client,
            officer,
            f"/cases/{case}/move",
            {"state": target, "date": day, "reason": "按方案推进"},
        )
        assert answer.status_code == 303, answer.text
    _holder_tax(city, 2025, 1_500_000.0)  # on 30 mu: 5.00 万元/亩
    analyst = sign_in(app_client, "analyst")
    closing = post(
        app_client,
        analyst,
        f"/cases/{case}/move",
        {"state": "closed", "date": "2026-02-20", "reason": "申请出库"},
    )
    assert closing.status_code == 409 and "出库评估未通过" in closing.text
    assert "未达到方案约定的 6.50 万元/亩" in closing.text
    page = app_client.get(f"/cases/{case}").text
    assert "评估出库" in page and 'class="list-group-item timeline-exit_failed"' in page
    failed = _failed_exit(page)
    assert "2025年亩均税收 5.00 万元/亩" in failed and "未达到方案约定的 6.50 万元/亩" in failed


def test_a_plan_s_per_mu_tax_is_taken_in_wan_by_the_form_and_in_yuan_by_the_api(
    app_client: TestClient, opened: dict[str, int]
) -> None:
    case = opened["a"]
    analyst = sign_in(app_client, "analyst")
    post(
        app_client,
        analyst,
        f"/cases/{case}/move",
        {"state": "confirmed", "date": "2026-01-05", "reason": "认定"},
    )
    path = app_client.get(f"/api/cases/{case}").json()["paths"][0]
    form = {"path": path, "date": "2026-01-21", "due": "2026-06-30"}
    page = app_client.get(f"/cases/{case}").text
    assert "约定亩均税收（万元/亩）" in page and 'name="tax_per_mu_target"' in page
    english = app_client.get(f"/cases/{case}?lang=en").text
    assert "Agreed tax per mu (10k yuan/mu)" in english

    typed = post(app_client, analyst, f"/cases/{case}/plan", form | {"tax_per_mu_target": "六万"})
    assert typed.status_code == 422, typed.text
    assert "约定亩均税收有误：六万 不是数字" in typed.text
    assert 'value="六万"' in typed.text  # kept for a second try
    negative = post(app_client, analyst, f"/cases/{case}/plan", form | {"tax_per_mu_target": "-1"})
    assert negative.status_code == 409 and "约定亩均税收须为正数" in negative.text
    assert app_client.get(f"/api/cases/{case}").json()["plan"] is None  # nothing kept

    blank = post(app_client, analyst, f"/cases/{case}/plan", form | {"tax_per_mu_target": " "})
    assert blank.status_code == 303
    assert app_client.get(f"/api/cases/{case}").json()["plan"]["tax_per_mu_target_yuan"] is None
    assert "未约定" in app_client.get(f"/cases/{case}").text

    api = f"/api/cases/{case}/plan"
    body = {"path": path, "date": "2026-01-22", "due": "2026-06-30"}
    headers = {"X-CSRF-Token": analyst}
    refused = app_client.post(api, json=body | {"tax_per_mu_target_yuan": 0}, headers=headers)
    assert refused.status_code == 409 and "约定亩均税收须为正数" in refused.json()["zh"]
    answer = app_client.post(api, json=body | {"tax_per_mu_target_yuan": 72_000}, headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["plan"]["tax_per_mu_target_yuan"] == 72_000
    target = re.search(r'id="plan-tax-target">(.*?)</dd>', app_client.get(f"/cases/{case}").text)
    assert target is not None and "7.20 万元/亩" in target.group(1)


def _holder_tax(engine: Engine, year: int, yuan: float) -> None:
    with Session(engine) as session:
        session.add(AnnualMetric(credit_code=HOLDER, year=year, tax_yuan=yuan))
        session.commit()


def _failed_exit(page: str) -> str:
    """The timeline's entry of the (last) failed exit evaluation."""
    found = re.findall(r'class="list-group-item timeline-exit_failed".*?</li>', page, re.S)
    assert found, page
    return str(found[-1])


def _move_choices(page: str) -> str:
    found = re.search(r'id="form-move".*?</select>', page, re.S)
    return "" if found is None else found.group(0)


def _working_case(client: TestClient, case: int) -> None:
    """Bring ``case`` to 整治提升 with a plan, as the task force and the officer."""
    analyst = sign_in(client, "analyst")
    post(
        client,
        analyst,
        f"/cases/{case}/move",
        {"state": "confirmed", "date": "2026-01-05", "reason": "认定"},
    )
    path = client.get(f"/api/cases/{case}").json()["paths"][0]
    assert (
        post(
            client,
            analyst,
            f"/cases/{case}/plan",
            {"path": path, "date": "2026-01-06", "due": "2026-06-30"},
        ).status_code
        == 303
    )
    post(
        client,
        analyst,
        f"/cases/{case}/move",
        {"state": "planned", "date": "2026-01-07", "reason": "批准"},
    )


def test_a_department_works_its_own_tasks(
    app_client: TestClient, city: Engine, opened: dict[str, int]
) -> None:
    case, other = opened["a"], opened["b"]
    _working_case(app_client, case)
    _working_case(app_client, other)
    analyst = sign_in(app_client, "analyst")
    for unit, where in (("natural_resources", case), ("tax", case), ("natural_resources", other)):
        answer = app_client.post(
            f"/api/cases/{where}/tasks",
            json={"unit": unit, "what": f"{unit} 核查", "due": "2026-02-01", "date": "2026-01-08"},
            headers={"X-CSRF-Token": analyst},
        )
        assert answer.status_code == 201, answer.text
    provider = sign_in(app_client, "provider")
    mine = app_client.get("/api/tasks").json()
    assert {t["unit"] for t in mine} == {"natural_resources"} and len(mine) == 2
    assert all(t["overdue"] for t in mine)
    ours = next(t["task"] for t in mine if t["case"] == case)
    taxes = app_client.get("/api/tasks", params={"done": True})
    assert taxes.status_code == 200
    page = app_client.get("/tasks")
    assert "现场" not in page.text and "natural_resources 核查" in page.text
    assert f'href="/cases/{case}"' not in page.text  # a department reads no case files
    assert app_client.get(f"/cases/{case}").status_code == 403

    accepted = post(app_client, provider, f"/tasks/{ours}/accept", {"date": "2026-01-09"})
    assert accepted.status_code == 303
    empty = app_client.post(
        f"/tasks/{ours}/complete",
        data={"csrf_token": provider, "date": "2026-01-10"},
        files={"file": ("空.pdf", b"", "application/pdf")},
    )
    assert empty.status_code == 422 and "空的" in empty.text
    bare = post(app_client, provider, f"/tasks/{ours}/complete", {"date": "2026-01-10"})
    assert bare.status_code == 409 and "办结须填写办理情况或上传佐证材料" in bare.text
    done = app_client.post(
        f"/tasks/{ours}/complete",
        data={"csrf_token": provider, "date": "2026-01-10", "note": "已核查"},
        files={"file": ("核查记录.pdf", b"%PDF-1.4 evidence", "application/pdf")},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert [t["task"] for t in app_client.get("/api/tasks").json()] != [ours]

    with Session(city) as session:
        tax = session.scalars(select(CaseTask).where(CaseTask.unit == "tax")).one()
    refused = post(app_client, provider, f"/tasks/{tax.id}/accept", {"date": "2026-01-09"})
    assert refused.status_code == 403
    assert len(refusals(city, "provider")) == 2  # the case file and the tax bureau's task

    analyst = sign_in(app_client, "analyst")
    text = app_client.get(f"/cases/{case}").text
    attachment = re.search(rf'href="(/cases/{case}/files/\d+)"', text)
    assert attachment is not None
    assert app_client.get(attachment.group(1)).content == b"%PDF-1.4 evidence"


def test_the_workbench_lists_what_the_cases_ask(
    app_client: TestClient, opened: dict[str, int]
) -> None:
    case = opened["a"]
    _working_case(app_client, case)
    analyst = sign_in(app_client, "analyst")
    app_client.post(
        f"/api/cases/{case}/tasks",
        json={
            "unit": "natural_resources",
            "what": "核查",
            "due": "2026-02-01",
            "date": "2026-01-08",
        },
        headers={"X-CSRF-Token": analyst},
    )
    app_client.post(
        f"/api/cases/{case}/events",
        json={"kind": "cause", "date": "2026-01-08", "cause": "enterprise"},
        headers={"X-CSRF-Token": analyst},
    )
    todos = app_client.get("/api/workbench").json()["todos"]
    overdue = [t for t in todos if t["level"] == "danger"]
    assert overdue and overdue[0]["href"] == f"/cases/{case}"
    assert "已逾期" in overdue[0]["zh"] and f"案件 {case}" in overdue[0]["zh"]
    assert any("现可送达听证告知书" in t["zh"] for t in todos)
    sign_in(app_client, "provider")
    mine = app_client.get("/api/workbench").json()["todos"]
    assert [t["level"] for t in mine] == ["danger"] and mine[0]["href"] == "/tasks"
    sign_in(app_client, "viewer")
    assert app_client.get("/api/workbench").json()["todos"] == []


# -- rights ------------------------------------------------------------------------------------


def test_another_county_s_case_is_refused_and_audited(
    app_client: TestClient, city: Engine, opened: dict[str, int]
) -> None:
    other = opened["b"]
    token = sign_in(app_client, "officer")
    assert app_client.get(f"/cases/{other}").status_code == 403
    assert app_client.get(f"/api/cases/{other}").status_code == 403
    moved = post(
        app_client,
        token,
        f"/cases/{other}/move",
        {"state": "dismissed", "date": "2026-01-05", "reason": "x"},
    )
    assert moved.status_code == 403
    assert app_client.get("/cases", params={"county": COUNTY_B}).status_code == 403
    assert len(refusals(city, "officer")) == 4

    _working_case(app_client, other)
    analyst = sign_in(app_client, "analyst")
    task = app_client.post(
        f"/api/cases/{other}/tasks",
        json={"unit": "tax", "what": "核查", "due": "2026-02-01", "date": "2026-01-08"},
        headers={"X-CSRF-Token": analyst},
    ).json()["task"]
    token = sign_in(app_client, "officer")
    assert app_client.get("/api/tasks").json() == []
    assert (
        post(app_client, token, f"/tasks/{task}/accept", {"date": "2026-01-09"}).status_code == 403
    )
    answer = app_client.post(
        f"/api/tasks/{task}/accept", json={"date": "2026-01-09"}, headers={"X-CSRF-Token": token}
    )
    assert answer.status_code == 403
    assert len(refusals(city, "officer")) == 6


def test_a_viewer_reads_but_does_not_post(
    app_client: TestClient, city: Engine, opened: dict[str, int]
) -> None:
    token = sign_in(app_client, "viewer")
    page = app_client.get(f"/cases/{opened['a']}")
    assert page.status_code == 200 and 'id="actions"' not in page.text
    for url, data in (
        (f"/cases/{opened['a']}/move", {"state": "dismissed", "date": "2026-01-05", "reason": "x"}),
        (f"/cases/{opened['a']}/documents", {"kind": "plan", "date": "2026-01-05"}),
    ):
        assert post(app_client, token, url, data).status_code == 403
    assert app_client.get("/tasks").status_code == 403


@pytest.mark.parametrize(
    ("url", "data"),
    [
        ("/cases/open", {"run": "1"}),
        ("/cases/{a}/move", {"state": "dismissed", "date": "2026-01-05", "reason": "x"}),
        ("/cases/{a}/plan", {"path": "x", "date": "2026-01-05", "due": "2026-02-05"}),
        (
            "/cases/{a}/tasks",
            {"unit": "tax", "what": "x", "date": "2026-01-05", "due": "2026-02-05"},
        ),
        ("/cases/{a}/events", {"kind": "cause", "date": "2026-01-05", "cause": "enterprise"}),
        ("/cases/{a}/documents", {"kind": "plan", "date": "2026-01-05"}),
        ("/tasks/1/accept", {"date": "2026-01-05"}),
        ("/tasks/1/complete", {"note": "x"}),
    ],
)
def test_every_form_needs_the_csrf_token(
    app_client: TestClient, opened: dict[str, int], url: str, data: dict[str, str]
) -> None:
    sign_in(app_client, "analyst")
    answer = app_client.post(url.format(a=opened["a"]), data=data)
    assert answer.status_code == 403 and "CSRF" in answer.text


def test_a_form_with_a_date_that_is_not_one(app_client: TestClient, opened: dict[str, int]) -> None:
    token = sign_in(app_client, "analyst")
    answer = post(
        app_client,
        token,
        f"/cases/{opened['a']}/move",
        {"state": "confirmed", "date": "not-a-day", "reason": "x"},
    )
    assert answer.status_code == 422 and "不是日期" in answer.text
    assert "not-a-day" in answer.text  # the form keeps what was typed


@pytest.fixture
def big_upload(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(tasks, "MAX_UPLOAD", 10)
    yield


@pytest.mark.usefixtures("big_upload")
def test_a_file_over_the_limit_is_refused(app_client: TestClient, opened: dict[str, int]) -> None:
    case = opened["a"]
    _working_case(app_client, case)
    analyst = sign_in(app_client, "analyst")
    task = app_client.post(
        f"/api/cases/{case}/tasks",
        json={"unit": "tax", "what": "核查", "due": "2026-02-01", "date": "2026-01-08"},
        headers={"X-CSRF-Token": analyst},
    ).json()["task"]
    app_client.post(
        f"/api/tasks/{task}/accept", json={"date": "2026-01-09"}, headers={"X-CSRF-Token": analyst}
    )
    answer = app_client.post(
        f"/api/tasks/{task}/complete",
        data={"date": "2026-01-10"},
        files={"file": ("big.bin", b"x" * 11, "application/octet-stream")},
        headers={"X-CSRF-Token": analyst},
    )
    assert answer.status_code == 413
    _ = PARCEL_A, COUNTY_A
