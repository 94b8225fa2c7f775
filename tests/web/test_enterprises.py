"""企业画像 and the enterprise list: everything known about an enterprise, where it is (the
county it is registered in and the counties of its land), and the list's filters, sorting,
pagination and export."""

import datetime as dt
import io
import json

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from mujun.cli.app import app
from mujun.records import (
    AnnualMetric,
    AuditEntry,
    Building,
    Compliance,
    Enterprise,
    Grade,
    Jurisdiction,
    LandContract,
    LandOccupancy,
    LegalEvent,
    MonthlyMetric,
    Parcel,
)
from tests.builders import evaluation_run
from tests.web.conftest import COUNTY_A, COUNTY_B, PARCEL_A, PARCEL_B, sign_in

ENTERPRISE_A = "91330122MA0000000X"  # the run fixture finds it abnormal
ENTERPRISE_B = "91330127MA0000000Y"
ENTERPRISE_C = "91330127MA0000000Z"
"""Registered in county B, it leases in land in county A."""
PARCEL_A2, PARCEL_A3 = f"{PARCEL_A[:-1]}2", f"{PARCEL_A[:-1]}3"
PARK = f"{COUNTY_A}801"
POINTS = {
    "tax_per_mu": {
        "value": 150_000.0,
        "benchmark": 100_000.0,
        "weight": 40.0,
        "points": 60.0,
        "imputed": False,
    },
    "gone_indicator": {
        "value": None,
        "benchmark": 1.0,
        "weight": 5.0,
        "points": 2.5,
        "imputed": True,
    },
}


def _enterprise(code: str, name: str, town: str, industry: str, park: str | None) -> Enterprise:
    return Enterprise(
        credit_code=code,
        name=name,
        industry_code=industry,
        above_scale=True,
        status="operating",
        jurisdiction_code=town,
        park_code=park,
        registered_date=dt.date(2015, 3, 1),
    )


def _run(session: Session, year: int, overrides: dict[str, str]) -> int:
    kept = evaluation_run(profile="yancheng-2024", year=year, overrides=overrides, graded_count=1)
    session.add(kept)
    session.flush()
    return kept.id


def _grade(run_id: int, grade: str, score: float) -> Grade:
    return Grade(
        run_id=run_id,
        credit_code=ENTERPRISE_A,
        name="甲公司",
        cohort="above_scale",
        rank=2,
        cohort_size=7,
        score=score,
        grade=grade,
        land_mu=45.0,
        deduction_points=0.0,
        county_code=COUNTY_A,
        park_code=None,
        industry_code="C3489",
        indicators=json.dumps({"tax_per_mu_yuan": 150_000.0}),
        points=json.dumps(POINTS),
    )


@pytest.fixture
def enterprises(city: Engine) -> None:
    """A in county A: holds parcel A (with a building and a contract) and leases in A2; figures
    for 2022-2024 and electricity for 2024; legal trouble; grades in 2023, 2024 and a what-if.
    B in county B holds parcel B. C, registered in county B, leases in A3 in county A."""
    with Session(city) as session:
        session.add(
            Jurisdiction(code=PARK, name="桐庐经济开发区", level="park", parent_code=COUNTY_A)
        )
        session.add_all(
            [
                _enterprise(ENTERPRISE_A, "甲精密机械有限公司", f"{COUNTY_A}001", "C3489", PARK),
                _enterprise(ENTERPRISE_B, "乙纺织有限公司", f"{COUNTY_B}001", "C1711", None),
                _enterprise(ENTERPRISE_C, "丙物流有限公司", f"{COUNTY_B}001", "G5990", None),
            ]
        )
        session.flush()
        session.get_one(Parcel, PARCEL_A).holder_credit_code = ENTERPRISE_A
        session.get_one(Parcel, PARCEL_B).holder_credit_code = ENTERPRISE_B
        session.add_all(
            [
                LandOccupancy(
                    credit_code=ENTERPRISE_A, parcel_id=PARCEL_A, kind="owned", area_m2=20_000.0
                ),
                LandOccupancy(
                    credit_code=ENTERPRISE_A,
                    parcel_id=PARCEL_A2,
                    kind="leased_in",
                    area_m2=10_000.0,
                ),
                LandOccupancy(
                    credit_code=ENTERPRISE_C,
                    parcel_id=PARCEL_A3,
                    kind="leased_in",
                    area_m2=5_000.0,
                ),
                LandContract(
                    contract_id="HT-2015-001",
                    parcel_id=PARCEL_A,
                    credit_code=ENTERPRISE_A,
                    signed_date=dt.date(2015, 5, 1),
                ),
                Building(
                    building_id="B-001",
                    parcel_id=PARCEL_A,
                    kind="factory",
                    floor_area_m2=8_000.0,
                    owner_credit_code=ENTERPRISE_A,
                ),
                LegalEvent(
                    credit_code=ENTERPRISE_A,
                    kind="debt_dispute",
                    date=dt.date(2024, 6, 1),
                    case_no="(2024)浙0122民初1号",
                ),
                Compliance(credit_code=ENTERPRISE_A, kind="safety", since=dt.date(2024, 2, 1)),
            ]
        )
        for year, tax in ((2022, 5e6), (2023, 6e6), (2024, 6.75e6)):
            session.add(
                AnnualMetric(
                    credit_code=ENTERPRISE_A, year=year, tax_yuan=tax, revenue_yuan=tax * 20
                )
            )
        for month in range(1, 13):
            session.add(
                MonthlyMetric(
                    credit_code=ENTERPRISE_A,
                    month=f"2024-{month:02d}",
                    electricity_kwh=100_000.0 + month,
                )
            )
        session.add(_grade(_run(session, 2023, {}), "B", 70.0))
        session.add(_grade(_run(session, 2024, {}), "A", 91.5))
        session.add(_grade(_run(session, 2024, {"weight.tax_per_mu": "10"}), "D", 30.0))
        session.commit()
    with Session(city) as session:
        session.info["reason"] = "更名"
        session.get_one(Enterprise, ENTERPRISE_A).name = "甲精密机械股份有限公司"
        session.commit()


def test_the_enterprise_file_shows_everything_known(
    app_client: TestClient, enterprises: None, run: int
) -> None:
    sign_in(app_client, "officer")
    file = app_client.get(f"/api/enterprises/{ENTERPRISE_A}/file").json()
    assert (file["name"], file["county_code"], file["counties"]) == (
        "甲精密机械股份有限公司",
        COUNTY_A,
        [COUNTY_A],
    )
    assert file["land_mu"] == pytest.approx(45.0)  # 20,000 owned + 10,000 leased in
    assert (file["grade"], file["grade_year"]) == ("A", 2024)  # not the what-if's D
    land = {p["parcel_id"]: p["relations"] for p in file["land"]}
    assert land == {PARCEL_A: ["holder", "owned", "building_owner"], PARCEL_A2: ["leased_in"]}
    sections = {s["title"]: s for s in file["sections"]}
    assert list(sections) == [
        "企业",
        "用地情况",
        "供地合同",
        "开发建设",
        "厂房楼宇",
        "年度指标",
        "涉诉涉债",
        "合规问题",
    ]
    registration = dict(zip(sections["企业"]["headers"], sections["企业"]["rows"][0], strict=True))
    assert (
        registration["行业代码"] == "C34 通用设备制造业"
        and registration["成立日期"] == "2015-03-01"
    )
    assert registration["经营状态"] == "在营" and registration["规上"] == "是"
    assert [row[1] for row in sections["年度指标"]["rows"]] == ["2022", "2023", "2024"]
    assert sections["涉诉涉债"]["rows"][0][1] == "债务纠纷"
    assert sections["开发建设"]["rows"] == []
    assert file["years"] == [2022, 2023, 2024] and file["figures"]["tax_yuan"][-1] == 6.75e6
    assert len(file["months"]) == 24 and file["months"][-1] == "2024-12"
    assert file["electricity_kwh"][0] is None and file["electricity_kwh"][-1] == 100_012.0
    found = {(f["subject_type"], f["criterion"]): f for f in file["findings"]}
    assert set(found) == {("enterprise", "ankang/abnormal/1"), ("parcel", "idle/not-started")}
    assert found["parcel", "idle/not-started"]["evidence"] == {"idle_days": 400}
    assert found["parcel", "idle/not-started"]["source"].endswith("§二(一)1")
    grades = [(g["year"], g["grade"], g["what_if"]) for g in file["grades"]]
    assert grades == [(2024, "D", True), (2024, "A", False), (2023, "B", False)]
    assert file["grades"][1]["rank"] == 2 and file["grades"][1]["cohort_size"] == 7
    points = {p["key"]: p for p in file["points"]}
    assert points["tax_per_mu"]["label_zh"] == "亩均税收" and points["tax_per_mu"]["points"] == 60
    assert points["gone_indicator"]["label_en"] == "gone_indicator"
    assert points["gone_indicator"]["imputed"]
    history = file["history"]
    assert history[0]["action"] == "update" and history[0]["reason"] == "更名"
    assert {h["table_zh"] for h in history} >= {"企业", "年度指标", "用地情况", "月度指标"}


@pytest.mark.parametrize(
    ("code", "land"),
    [
        (ENTERPRISE_A, {PARCEL_A: ["holder", "owned", "building_owner"], PARCEL_A2: ["leased_in"]}),
        (ENTERPRISE_B, {PARCEL_B: ["holder"]}),
        (ENTERPRISE_C, {PARCEL_A3: ["leased_in"]}),
    ],
)
def test_the_land_of_a_file_is_where_the_enterprise_is_placed(
    app_client: TestClient, enterprises: None, code: str, land: dict[str, list[str]]
) -> None:
    """Issue 11: the parcels a file lists, and how the enterprise is on each, come from the rule
    that places it (mujun.analytics.land.on_parcels): its counties are its registered county and
    those of the parcels listed, no more and no fewer (C, registered in B, leases in A3 in A)."""
    sign_in(app_client, "analyst")
    file = app_client.get(f"/api/enterprises/{code}/file").json()
    assert {p["parcel_id"]: p["relations"] for p in file["land"]} == land
    listed = {p["county_code"] for p in file["land"]} | {file["county_code"]}
    assert sorted(listed) == file["counties"]


def test_the_command_line_and_the_file_show_one_portrait(
    app_client: TestClient, enterprises: None, city: Engine
) -> None:
    """Issue 11: mujun enterprise and the web's enterprise file show the same portrait, read
    from the kept runs of record (the grade of 2024 is the kept 91.5, which no evaluation of
    these records would give): land, the year's result and points, the grades over the years
    and where it stands."""
    sign_in(app_client, "officer")
    file = app_client.get(f"/api/enterprises/{ENTERPRISE_A}/file").json()
    db = city.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(app, ["--db", db, "enterprise", ENTERPRISE_A, "--format", "json"])
    assert result.exit_code == 0, result.stderr
    portrait = json.loads(result.stdout)
    assert {p["parcel_id"]: p["relations"] for p in portrait["land"]} == {
        p["parcel_id"]: p["relations"] for p in file["land"]
    }
    shown = file["evaluation"]
    assert (portrait["year"], portrait["run"]) == (shown["year"], shown["run"]) == (2024, 2)
    assert portrait["result"]["score"] == shown["score"] == 91.5
    assert portrait["result"]["grade"] == shown["grade"] == file["grade"] == "A"
    assert portrait["percentile"] == shown["percentile"]
    assert {k: v["points"] for k, v in portrait["result"]["points"].items()} == {
        p["key"]: p["points"] for p in file["points"]
    }
    assert [(h["year"], h["run"], h["grade"]) for h in portrait["history"]] == [
        (g["year"], g["run"], g["grade"]) for g in reversed(file["grades"]) if g["of_record"]
    ]
    assert portrait["grades"] == file["grades"]  # the what-if D too, never the year's result
    assert portrait["park"] is None and shown["park"] is None
    assert portrait["industry"] == shown["industry"]
    assert shown["industry"] == {"group": "C34", "enterprises": 1, "tax_per_mu_yuan": 150_000.0}
    assert (portrait["policy"] or {}).get("zh") == shown["policy_zh"]
    page = app_client.get(f"/enterprises/{ENTERPRISE_A}")
    assert page.status_code == 200 and "同行业亩均税收" in page.text and "15.00" in page.text


def test_the_enterprise_page_in_chinese_and_english(
    app_client: TestClient, enterprises: None, run: int
) -> None:
    sign_in(app_client, "officer")
    page = app_client.get(f"/enterprises/{ENTERPRISE_A}")
    assert page.status_code == 200
    assert "企业画像" in page.text and "闲置天数" in page.text and "亩均税收" in page.text
    assert f'href="/parcels/{PARCEL_A}"' in page.text
    assert '<script src="/assets/echarts/echarts.min.js">' in page.text
    assert "（模拟）" in page.text and "债务纠纷" in page.text
    assert "C34 通用设备制造业" in page.text and ">C3489<" not in page.text  # names, not codes
    english = app_client.get(f"/enterprises/{ENTERPRISE_A}", params={"lang": "en"})
    assert english.status_code == 200 and '<html lang="en">' in english.text
    assert "Idle for" in english.text and "Tax per mu (yuan/mu)" in english.text
    assert "Change history" in english.text and "holder, owned, owns a building" in english.text
    assert "企业画像" not in english.text and "变更记录" not in english.text


def test_an_enterprise_without_records_shows_empty_sections(
    app_client: TestClient, enterprises: None
) -> None:
    sign_in(app_client, "analyst")
    file = app_client.get(f"/api/enterprises/{ENTERPRISE_B}/file").json()
    assert (file["grades"], file["points"], file["findings"], file["months"]) == ([], [], [], [])
    assert file["grade"] is None and file["land_mu"] == pytest.approx(30.0)  # parcel B
    page = app_client.get(f"/enterprises/{ENTERPRISE_B}")
    assert page.status_code == 200
    assert "还没有评价此企业的综合评价批次" in page.text and "无记录。" in page.text
    assert "没有此企业的年度或月度指标" in page.text


def test_the_parcel_file_links_to_its_holder_and_occupants(
    app_client: TestClient, enterprises: None
) -> None:
    sign_in(app_client, "officer")
    page = app_client.get(f"/parcels/{PARCEL_A}")
    assert f'href="/enterprises/{ENTERPRISE_A}"' in page.text
    assert f'href="/enterprises/{ENTERPRISE_C}"' in app_client.get(f"/parcels/{PARCEL_A3}").text


def test_an_enterprise_outside_ones_area_is_refused(
    app_client: TestClient, city: Engine, enterprises: None
) -> None:
    sign_in(app_client, "officer")
    assert app_client.get(f"/api/enterprises/{ENTERPRISE_B}/file").status_code == 403
    assert app_client.get(f"/enterprises/{ENTERPRISE_B}").status_code == 403
    with Session(city) as session:
        refused = session.scalars(
            select(AuditEntry.target).where(AuditEntry.outcome == "refused")
        ).all()
    assert sorted(refused) == [
        f"/api/enterprises/{ENTERPRISE_B}/file",
        f"/enterprises/{ENTERPRISE_B}",
    ]
    # registered in county B, on land in county A: the business of both
    other = app_client.get(f"/api/enterprises/{ENTERPRISE_C}/file").json()
    assert other["county_code"] == COUNTY_B and other["counties"] == [COUNTY_A, COUNTY_B]
    missing = app_client.get("/api/enterprises/NO-SUCH-CODE/file")
    assert missing.status_code == 404 and missing.json()["detail"] == (
        "没有企业 NO-SUCH-CODE / no enterprise NO-SUCH-CODE"
    )


def _codes(client: TestClient, **params: str | int) -> list[str]:
    response = client.get("/api/enterprises", params=params)
    assert response.status_code == 200, response.text
    return [e["credit_code"] for e in response.json()["items"]]


def test_the_list_is_scoped_and_filtered(app_client: TestClient, enterprises: None) -> None:
    sign_in(app_client, "officer")
    assert _codes(app_client) == [ENTERPRISE_A, ENTERPRISE_C]
    assert app_client.get("/api/enterprises", params={"county": COUNTY_B}).status_code == 403
    sign_in(app_client, "analyst")
    assert _codes(app_client) == [ENTERPRISE_A, ENTERPRISE_B, ENTERPRISE_C]
    assert _codes(app_client, county=COUNTY_B) == [ENTERPRISE_B, ENTERPRISE_C]
    assert _codes(app_client, park=PARK) == [ENTERPRISE_A]
    assert _codes(app_client, industry="C") == [ENTERPRISE_A, ENTERPRISE_B]
    assert _codes(app_client, industry="C17") == [ENTERPRISE_B]
    assert _codes(app_client, q="纺织") == [ENTERPRISE_B]
    assert _codes(app_client, q="91330127ma") == [ENTERPRISE_B, ENTERPRISE_C]
    first = app_client.get("/api/enterprises", params={"sort": "credit_code"}).json()["items"][0]
    assert (first["land_mu"], first["grade"], first["grade_year"]) == (45.0, "A", 2024)
    assert first["county_code"] == COUNTY_A


def test_the_list_sorts_and_pages(app_client: TestClient, enterprises: None) -> None:
    sign_in(app_client, "analyst")
    assert _codes(app_client, sort="-land_mu") == [ENTERPRISE_A, ENTERPRISE_B, ENTERPRISE_C]
    assert _codes(app_client, sort="land_mu") == [ENTERPRISE_C, ENTERPRISE_B, ENTERPRISE_A]
    assert _codes(app_client, sort="grade")[0] == ENTERPRISE_A  # the others ungraded, last
    assert _codes(app_client, sort="-credit_code") == [ENTERPRISE_C, ENTERPRISE_B, ENTERPRISE_A]
    second = app_client.get("/api/enterprises", params={"page": 2, "page_size": 2}).json()
    assert (second["total"], [e["credit_code"] for e in second["items"]]) == (3, [ENTERPRISE_C])
    assert app_client.get("/api/enterprises", params={"sort": "password"}).status_code == 422
    assert app_client.get("/api/enterprises", params={"page_size": 500}).status_code == 422


def test_sorting_by_land_follows_a_change_of_the_records(
    app_client: TestClient, city: Engine, enterprises: None
) -> None:
    sign_in(app_client, "officer")  # county A: A and C (which leases land in A)
    assert _codes(app_client, sort="-land_mu") == [ENTERPRISE_A, ENTERPRISE_C]
    with Session(city) as session:
        leased = session.get_one(LandOccupancy, (ENTERPRISE_C, PARCEL_A3, "leased_in"))
        leased.area_m2 = 90_000.0  # now more than A's 30,000
        session.commit()
    assert _codes(app_client, sort="-land_mu") == [ENTERPRISE_C, ENTERPRISE_A]
    assert _codes(app_client, sort="land_mu") == [ENTERPRISE_A, ENTERPRISE_C]


def test_the_export_is_the_page_on_screen(app_client: TestClient, enterprises: None) -> None:
    sign_in(app_client, "analyst")
    query = {"sort": "-land_mu", "industry": "C"}
    page = app_client.get("/enterprises", params=query)
    assert page.status_code == 200 and 'aria-sort="descending"' in page.text
    assert f'href="/enterprises/{ENTERPRISE_A}"' in page.text
    exported = app_client.get("/enterprises", params={**query, "export": "xlsx"})
    assert exported.status_code == 200
    sheet = load_workbook(io.BytesIO(exported.content), read_only=True).worksheets[0]
    title, headers, *rows = list(sheet.iter_rows(values_only=True))
    assert title[0] == "企业清单（第 1 页）"
    assert headers == (
        "统一社会信用代码",
        "企业名称",
        "区县",
        "园区",
        "行业",
        "规上",
        "经营状态",
        "用地(亩)",
        "最新等级",
        "评价年度",
    )
    assert [row[0] for row in rows] == [ENTERPRISE_A, ENTERPRISE_B]
    assert rows[0][5:] == ("是", "在营", 45.0, "A", 2024)
    assert rows[0][4] == "C34 通用设备制造业"  # a class code by its division's name
    assert all(str(cell) in page.text for row in rows for cell in row[:3] if cell)


def test_the_list_page_in_english(app_client: TestClient, enterprises: None) -> None:
    sign_in(app_client, "viewer")
    english = app_client.get("/enterprises", params={"lang": "en"})
    assert english.status_code == 200 and "Enterprises" in english.text
    assert "Operating" in english.text and "企业清单" not in english.text
    empty = app_client.get("/enterprises", params={"q": "没有这家"})
    assert "没有符合条件的企业" in empty.text
