"""The import page and API: check, then confirm; every problem shown; each department only its
own tables and columns; only the uploader (or an administrator) sees an upload."""

import csv
import dataclasses
import datetime as dt
import io
import json
import os
import re
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import openpyxl
import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from mujun.interchange import importer, schema
from mujun.interchange.limits import UPLOAD
from mujun.interchange.workbooks.styles import ERROR_SHEET
from mujun.policy.duties import ADMINISTRATOR_ONLY, DEPARTMENTS, EVERY_TABLE
from mujun.records import Account, AnnualMetric, AuditEntry, Change, DataImport, Enterprise
from mujun.web import imports
from mujun.web.permissions import Role
from tests.interchange.test_importer import CODE_A, CODE_B
from tests.web.conftest import HASHED, sign_in

ENTERPRISES = [
    {"credit_code": CODE_A, "name": "甲机械有限公司", "status": "operating"},
    {"credit_code": CODE_B, "name": "乙纺织有限公司", "status": "halted"},
]
TAX = [{"credit_code": CODE_A, "year": "2025", "tax_yuan": "120000"}]
ELECTRICITY = [{"credit_code": CODE_A, "month": "2025-06", "electricity_kwh": "5000"}]
CONFIRM = re.compile(r'action="/imports/([A-Za-z0-9_-]{22})/confirm"')
File = tuple[str, tuple[str, bytes, str]]


@pytest.fixture(autouse=True)
def uploads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "uploads"
    monkeypatch.setenv(imports.UPLOADS, str(folder))
    return folder


@pytest.fixture
def departments(city: Engine) -> Engine:
    """Two more data providers: the tax bureau's and the power company's."""
    with Session(city) as session:
        for username, department in (("taxman", "tax"), ("power", "power")):
            session.add(
                Account(
                    username=username,
                    display_name=username,
                    password_hash=HASHED,
                    role=Role.DATA_PROVIDER.value,
                    department=department,
                    failed_logins=0,
                )
            )
        session.commit()
    return city


@pytest.fixture
def registered(app_client: TestClient, city: Engine) -> None:
    """The two enterprises, imported by the administrator (metrics refer to them)."""
    csrf = sign_in(app_client, "admin")
    checked = check(app_client, csrf, [csv_file("enterprises", ENTERPRISES)]).json()
    confirmed = app_client.post(
        f"/api/imports/{checked['token']}/confirm", headers={"X-CSRF-Token": csrf}
    )
    assert confirmed.json()["import_id"] is not None


def csv_file(table: str, rows: Sequence[Mapping[str, str]]) -> File:
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return ("file", (f"{table}.csv", text.getvalue().encode(), "text/csv"))


def workbook_file(sheet: str, rows: Sequence[Mapping[str, str]]) -> File:
    book = openpyxl.Workbook()
    page = book.active
    assert page is not None
    page.title = sheet
    page.append(list(rows[0]))
    for row in rows:
        page.append(list(row.values()))
    data = io.BytesIO()
    book.save(data)
    return ("file", ("报送.xlsx", data.getvalue(), imports.XLSX))


def check(
    client: TestClient, csrf: str, files: Sequence[File], reason: str = "2025 年度报送"
) -> Response:
    """Upload through the API."""
    response: Response = client.post(
        "/api/imports", headers={"X-CSRF-Token": csrf}, data={"reason": reason}, files=files
    )
    return response


def check_page(client: TestClient, csrf: str, files: Sequence[File]) -> Response:
    """Upload through the page's form."""
    data = {"reason": "2025 年度报送", "csrf_token": csrf}
    response: Response = client.post("/imports", data=data, files=files)
    return response


def problem_rows(page: str) -> list[str]:
    """The rows of the page's problems table, below its header."""
    table = page.split('id="import-problems"')[1].split("</table>", maxsplit=1)[0]
    return re.findall(r"<tr>(.*?)</tr>", table, re.S)[1:]


def count(engine: Engine, model: type[Enterprise | AnnualMetric | Change | DataImport]) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def refusals(engine: Engine, username: str) -> list[AuditEntry]:
    with Session(engine) as session:
        return list(
            session.scalars(
                select(AuditEntry).where(
                    AuditEntry.username == username, AuditEntry.outcome == "refused"
                )
            )
        )


# -- checking and confirming ---------------------------------------------------------------


def test_a_clean_upload_is_checked_then_confirmed_with_who_and_why(
    app_client: TestClient, city: Engine
) -> None:
    csrf = sign_in(app_client, "admin")
    page = check_page(app_client, csrf, [csv_file("enterprises", ENTERPRISES)])
    assert page.status_code == 200, page.text
    assert 'id="import-confirm"' in page.text and "新增" in page.text
    assert count(city, Enterprise) == 0

    match = CONFIRM.search(page.text)
    assert match is not None
    done = app_client.post(f"/imports/{match[1]}/confirm", data={"csrf_token": csrf})
    assert done.status_code == 200 and "已导入，导入编号" in done.text
    assert count(city, Enterprise) == 2
    with Session(city) as session:
        (done,) = session.scalars(select(DataImport)).all()
        inserted = session.scalars(select(Enterprise.imported_by)).all()
    assert (done.actor, done.reason) == ("admin", "2025 年度报送")
    assert inserted == [done.id, done.id]

    again = app_client.post(f"/imports/{match[1]}/confirm", data={"csrf_token": csrf})
    assert again.status_code == 200 and "没有任何改动" in again.text
    assert count(city, DataImport) == 1


def test_the_api_reports_changes_and_a_second_confirmation_changes_nothing(
    app_client: TestClient, city: Engine
) -> None:
    csrf = sign_in(app_client, "admin")
    checked = check(app_client, csrf, [csv_file("enterprises", ENTERPRISES)]).json()
    assert checked["problems"] == [] and checked["confirmable"]
    assert checked["changes"]["enterprises"] == {
        "label_zh": "企业",
        "received": 2,
        "inserted": 2,
        "updated": 0,
        "unchanged": 0,
    }
    confirm = f"/api/imports/{checked['token']}/confirm"
    first = app_client.post(confirm, headers={"X-CSRF-Token": csrf}).json()
    second = app_client.post(confirm, headers={"X-CSRF-Token": csrf}).json()
    assert first["import_id"] is not None and second["import_id"] is None
    assert second["changes"]["enterprises"]["unchanged"] == 2
    assert count(city, DataImport) == 1

    recheck = check(app_client, csrf, [csv_file("enterprises", ENTERPRISES)]).json()
    assert not recheck["confirmable"] and recheck["changes"]["enterprises"]["unchanged"] == 2
    said = f"与第 {first['import_id']} 次导入读取的文件完全相同"  # not read again: the same bytes
    assert said in second["notices"][0] and said in recheck["notices"][0]


def test_a_confirmation_while_another_import_runs_too_long_is_refused_clearly(
    app_client: TestClient, city: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    csrf = sign_in(app_client, "admin")
    checked = check(app_client, csrf, [csv_file("enterprises", ENTERPRISES)]).json()
    monkeypatch.setattr(importer, "LOCK_WAIT", dt.timedelta(seconds=0.2))
    with city.connect() as other, other.begin():
        importer._take_import_lock(other)  # another import, writing
        confirm = f"/api/imports/{checked['token']}/confirm"
        refused = app_client.post(confirm, headers={"X-CSRF-Token": csrf})
        page = app_client.post(f"/imports/{checked['token']}/confirm", data={"csrf_token": csrf})
    assert refused.status_code == 409 and "另一次导入正在进行" in refused.json()["detail"]
    assert page.status_code == 409 and "另一次导入正在进行" in page.text
    assert count(city, Enterprise) == 0
    done = app_client.post(confirm, headers={"X-CSRF-Token": csrf})
    assert done.status_code == 200 and done.json()["import_id"] is not None


def test_every_bad_row_is_listed_nothing_is_written_and_the_workbook_is_marked(
    app_client: TestClient, city: Engine
) -> None:
    bad = [
        {**ENTERPRISES[0], "credit_code": CODE_A[:-1] + "0"},
        {**ENTERPRISES[1], "status": "closed"},
    ]
    csrf = sign_in(app_client, "admin")
    checked = check(app_client, csrf, [workbook_file("企业", bad)]).json()
    assert not checked["confirmable"]
    assert [(p["file"], p["row"], p["column"], p["value"]) for p in checked["problems"]] == [
        ("报送.xlsx » 企业", 2, "credit_code", CODE_A[:-1] + "0"),
        ("报送.xlsx » 企业", 3, "status", "closed"),
    ]
    assert checked["problems"][1]["record"] == {"credit_code": CODE_B}
    assert all(p["reason"] and p["code"] for p in checked["problems"])
    assert count(city, Enterprise) == 0

    marked = app_client.get(checked["marked_workbook"])
    assert marked.status_code == 200 and marked.headers["content-type"] == imports.XLSX
    book = openpyxl.load_workbook(io.BytesIO(marked.content))
    assert ERROR_SHEET in book.sheetnames
    assert book["企业"]["A2"].comment is not None

    page = check_page(app_client, csrf, [workbook_file("企业", bad)])
    rows = problem_rows(page.text)
    assert len(rows) == 2 and '<td class="number">3</td>' in rows[1]
    assert checked["problems"][1]["reason"] in rows[1]
    assert f"<td>{CODE_B}</td><td>status</td>" in rows[1]
    assert 'id="import-confirm"' not in page.text and "下载标注工作簿" in page.text


def test_a_problem_names_its_record_and_the_column_as_the_file_named_it(
    app_client: TestClient, city: Engine
) -> None:
    bad = [{"统一社会信用代码": CODE_A, "企业名称": "甲机械有限公司", "经营状态": "关门"}]
    csrf = sign_in(app_client, "admin")
    (problem,) = check(app_client, csrf, [workbook_file("企业", bad)]).json()["problems"]
    assert (problem["record"], problem["column"]) == ({"credit_code": CODE_A}, "status")
    assert problem["header"] == "经营状态"
    (row,) = problem_rows(check_page(app_client, csrf, [workbook_file("企业", bad)]).text)
    assert f"<td>{CODE_A}</td><td>经营状态</td><td>关门</td>" in row


def test_the_page_lists_only_the_first_problems(
    app_client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(imports, "PAGE_PROBLEMS", 1)
    bad = [{**e, "status": "closed"} for e in ENTERPRISES]
    page = check_page(app_client, sign_in(app_client, "admin"), [csv_file("enterprises", bad)])
    assert "发现 2 个问题" in page.text and "只列出前 1 个问题" in page.text
    assert len(problem_rows(page.text)) == 1


# -- duties --------------------------------------------------------------------------------


@pytest.mark.usefixtures("registered")
def test_the_tax_bureau_imports_tax_but_not_electricity_or_parcels(
    app_client: TestClient, departments: Engine, uploads: Path
) -> None:
    csrf = sign_in(app_client, "taxman")
    page = app_client.get("/imports")
    assert page.status_code == 200 and "税务局" in page.text and "税收实缴" in page.text
    assert "用电量" not in page.text

    checked = check(app_client, csrf, [csv_file("annual_metrics", TAX)])
    assert checked.status_code == 200 and checked.json()["confirmable"], checked.text

    staged = set(uploads.iterdir())
    for files, refused in (
        ([csv_file("monthly_metrics", ELECTRICITY)], "月度指标·用电量(千瓦时)"),
        ([csv_file("parcels", [{"parcel_id": "P1", "area_m2": "1"}])], "宗地（整表）"),
    ):
        response = check(app_client, csrf, files)
        assert response.status_code == 403 and refused in response.json()["detail"]
    assert set(uploads.iterdir()) == staged  # refused uploads are not kept
    assert len(refusals(departments, "taxman")) == 2
    assert count(departments, AnnualMetric) == 0


@pytest.mark.usefixtures("registered")
def test_a_provider_that_may_not_read_is_not_told_whether_a_stored_value_is_right(
    app_client: TestClient, departments: Engine
) -> None:
    csrf = sign_in(app_client, "taxman")
    first = check(app_client, csrf, [csv_file("annual_metrics", TAX)]).json()
    app_client.post(f"/api/imports/{first['token']}/confirm", headers={"X-CSRF-Token": csrf})
    assert count(departments, AnnualMetric) == 1

    def answers(tax: str) -> tuple[dict[str, object], dict[str, object], str]:
        files = [csv_file("annual_metrics", [{**TAX[0], "tax_yuan": tax}])]
        checked = check(app_client, csrf, files).json()
        page = check_page(app_client, csrf, files).text
        confirm = f"/api/imports/{checked.pop('token')}/confirm"
        done = app_client.post(confirm, headers={"X-CSRF-Token": csrf}).json()
        done.pop("token")
        section = page.split('id="import-check"')[1].split("</section>")[0]
        return checked, done, CONFIRM.sub("", section)

    right, wrong = answers(TAX[0]["tax_yuan"]), answers("99999")
    assert right[0] == wrong[0] and right[1] == wrong[1]  # stored value guessed or not
    assert right[2] == wrong[2]
    counts = right[0]["changes"]["annual_metrics"]  # type: ignore[index]
    assert counts == {
        "label_zh": "年度指标",
        "received": 1,
        "inserted": None,
        "updated": None,
        "unchanged": None,
    }
    assert right[0]["confirmable"] and right[1]["import_id"] is None
    assert "不变" not in right[2] and "收到的行" in right[2]
    with Session(departments) as session:  # the second one did change the record
        assert session.scalars(select(AnnualMetric.tax_yuan)).all() == [99999.0]


@pytest.mark.usefixtures("registered")
def test_a_providers_duties_are_asked_of_the_headers_before_any_row_is_read(
    app_client: TestClient, departments: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_reading(**_: object) -> None:
        raise AssertionError("the rows were read before the duties were asked")

    monkeypatch.setattr(imports, "import_data_set", no_reading)
    csrf = sign_in(app_client, "taxman")
    for files, refused in (
        ([workbook_file("宗地", [{"宗地号": "P1", "面积(平方米)": "1"}])], "宗地（整表）"),
        ([csv_file("monthly_metrics", ELECTRICITY)], "月度指标·用电量(千瓦时)"),
    ):
        response = check(app_client, csrf, files)
        assert response.status_code == 403 and refused in response.json()["detail"]


def test_an_upload_beyond_the_limits_is_refused_before_it_is_parsed(
    app_client: TestClient, city: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(imports, "UPLOAD", dataclasses.replace(UPLOAD, rows=1))
    csrf = sign_in(app_client, "admin")
    checked = check(app_client, csrf, [csv_file("enterprises", ENTERPRISES)]).json()
    assert [(p["file"], p["code"]) for p in checked["problems"]] == [
        ("enterprises.csv", "too_large")
    ]
    assert not checked["confirmable"] and count(city, Enterprise) == 0


def test_a_provider_without_a_known_department_is_refused(
    app_client: TestClient, city: Engine
) -> None:
    sign_in(app_client, "provider")
    response = app_client.get("/imports")
    assert response.status_code == 403 and "报送部门" in response.text
    assert len(refusals(city, "provider")) == 1


@pytest.mark.parametrize("username", ["officer", "viewer", "analyst"])
def test_other_roles_may_not_import(app_client: TestClient, city: Engine, username: str) -> None:
    csrf = sign_in(app_client, username)
    assert app_client.get("/imports").status_code == 403
    upload = check(app_client, csrf, [csv_file("enterprises", ENTERPRISES)])
    assert upload.status_code == 403
    assert len(refusals(city, username)) == 2
    assert 'href="/imports"' not in app_client.get("/").text


@pytest.mark.usefixtures("departments")
def test_only_the_uploader_or_an_administrator_sees_an_upload(
    app_client: TestClient, city: Engine
) -> None:
    csrf = sign_in(app_client, "taxman")
    bad = check(app_client, csrf, [csv_file("annual_metrics", TAX)]).json()  # no enterprise yet
    assert bad["marked_workbook"] and app_client.get(bad["marked_workbook"]).status_code == 200

    csrf = sign_in(app_client, "power")
    assert app_client.get(bad["marked_workbook"]).status_code == 403
    confirm = f"/imports/{bad['token']}/confirm"
    assert app_client.post(confirm, data={"csrf_token": csrf}).status_code == 403
    assert len(refusals(city, "power")) == 2

    sign_in(app_client, "admin")
    assert app_client.get(bad["marked_workbook"]).status_code == 200
    assert app_client.get("/api/imports/AAAAAAAAAAAAAAAAAAAAAA/marked").status_code == 404


def test_an_upload_whose_check_did_not_finish_cannot_be_confirmed(
    app_client: TestClient, uploads: Path
) -> None:
    csrf = sign_in(app_client, "admin")
    checked = check(app_client, csrf, [csv_file("enterprises", ENTERPRISES)]).json()
    meta = uploads / checked["token"] / "upload.json"
    meta.write_text(json.dumps({**json.loads(meta.read_text()), "supplied": None}))
    confirm = f"/api/imports/{checked['token']}/confirm"
    assert app_client.post(confirm, headers={"X-CSRF-Token": csrf}).status_code == 404


# -- what an upload may be -----------------------------------------------------------------


def test_an_upload_too_large_or_of_the_wrong_kind_is_refused_clearly(
    app_client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    csrf = sign_in(app_client, "admin")
    enterprises = csv_file("enterprises", ENTERPRISES)
    wrong = ("file", ("enterprises.txt", b"credit_code\n", "text/plain"))
    for files, reason, message in (
        ([wrong], "why", "只能导入 CSV 或 .xlsx 文件"),
        ([enterprises, workbook_file("企业", ENTERPRISES)], "why", "一个工作簿"),
        ([enterprises, enterprises], "why", "重名"),
        ([enterprises], " ", "请填写导入原因"),
        ([], "why", "请选择"),
    ):
        response = check(app_client, csrf, files, reason)
        assert response.status_code == 422 and message in response.json()["detail"]
    page = check_page(app_client, csrf, [wrong])
    assert page.status_code == 422 and "只能导入 CSV 或 .xlsx 文件" in page.text

    monkeypatch.setattr(imports, "MAX_UPLOAD_BYTES", 100)
    too_large = check(app_client, csrf, [enterprises])
    assert too_large.status_code == 413 and "上限" in too_large.json()["detail"]


# -- the duty table ------------------------------------------------------------------------


def test_every_table_has_a_department_or_is_the_administrators() -> None:
    names = {spec.name for spec in schema.tables()}
    covered = {table for d in DEPARTMENTS for table in d.duties}
    assert covered | ADMINISTRATOR_ONLY == names and not covered & ADMINISTRATOR_ONLY
    assert set(EVERY_TABLE.duties) == names


def test_the_duties_name_real_columns_and_leave_none_required_out() -> None:
    """A department limited to some columns of a table still supplies every required one, or
    it could never send a file that passes the check."""
    codes = [d.code for d in DEPARTMENTS]
    assert len(set(codes)) == len(codes) and all(len(c) <= 32 for c in codes)
    for department in DEPARTMENTS:
        for table, columns in department.duties.items():
            spec = schema.table(table)
            assert columns is None or columns <= set(spec.column_names), department.code
            required = {c.name for c in spec.columns if c.required}
            assert all(department.may_supply(table, c) for c in required), department.code


def test_the_nav_links_the_import_page_for_an_administrator(app_client: TestClient) -> None:
    sign_in(app_client, "admin")
    assert 'href="/imports"' in app_client.get("/").text


def test_uploads_older_than_a_day_are_dropped_when_the_next_is_staged(
    app_client: TestClient, uploads: Path
) -> None:
    stale, fresh = uploads / "an-old-upload", uploads / "a-recent-upload"
    stale.mkdir(parents=True)
    fresh.mkdir()
    two_days_ago = time.time() - 2 * 24 * 3600
    os.utime(stale, (two_days_ago, two_days_ago))
    csrf = sign_in(app_client, "admin")
    assert check(app_client, csrf, [csv_file("enterprises", ENTERPRISES)]).status_code == 200
    assert not stale.exists() and fresh.exists()
