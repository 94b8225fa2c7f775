"""The grades of kept evaluation runs: the list (filters, sort, pagination, the export of the
rows on screen, scope) and the cockpit's grade figures, checked by hand on a small city."""

import html
import io
import json
import re

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from mujun.records import Grade, Jurisdiction
from mujun.web.grades import GRADE_COLUMNS
from tests.builders import evaluation_run
from tests.web.conftest import COUNTY_A, COUNTY_B, sign_in

PARKS = {
    "A1": (COUNTY_A, "33012271", "桐庐经济开发区"),
    "A2": (COUNTY_A, "33012272", "桐庐高新园"),
    **{f"B{i}": (COUNTY_B, f"3301277{i}", f"淳安{i}号园") for i in range(1, 6)},
}
"""Seven parks: two in county A, five in county B (park label → county, code, name)."""
GRADED_2025 = [
    # enterprise, park, cohort, rank, score, grade, land (mu), tax per mu (yuan)
    ("E01", "A1", "above_scale", 1, 95.0, "A", 10.0, 300_000.0),
    ("E02", "A1", "above_scale", 2, 80.0, "B", 20.0, 100_000.0),
    ("E03", "A2", "below_scale", 4, 50.0, "C", 5.0, 40_000.0),
    ("E04", "A2", "below_scale", 1, 90.0, "A", 4.0, None),
    ("E05", "B1", "above_scale", 5, 30.0, "D", 50.0, 20_000.0),
    ("E06", None, "below_scale", 2, 70.0, "B", 10.0, 60_000.0),
    ("E07", "B2", "below_scale", 5, 20.0, "D", 10.0, 50_000.0),
    ("E08", "B3", "above_scale", 4, 40.0, "C", 10.0, 70_000.0),
    ("E09", "B4", "above_scale", 3, 60.0, "B", 10.0, 10_000.0),
    ("E10", "B5", "below_scale", 3, 55.0, "B", 10.0, 90_000.0),
]
"""The grades of record: E01–E04 in county A, E05–E10 in county B."""
GradedRow = tuple[str, str | None, str, int, float, str, float, float | None]


def credit_code(enterprise: str) -> str:
    """E01 → 91330100MA000E01X (18 characters)."""
    return f"91330100MA000{enterprise}X"


def _kept_evaluation(
    session: Session, year: int, rows: list[GradedRow], overrides: dict[str, str] | None = None
) -> int:
    kept = evaluation_run(year=year, overrides=overrides or {}, graded_count=len(rows))
    session.add(kept)
    session.flush()
    for enterprise, park, cohort, rank, score, grade, land, tax_per_mu in rows:
        county = COUNTY_A if int(enterprise[1:]) <= 4 else COUNTY_B
        session.add(
            Grade(
                run_id=kept.id,
                credit_code=credit_code(enterprise),
                name=f"企业{enterprise}",
                cohort=cohort,
                rank=rank,
                cohort_size=5,
                score=score,
                grade=grade,
                land_mu=land,
                deduction_points=0.0,
                county_code=county,
                park_code=None if park is None else PARKS[park][1],
                industry_code="C34",
                indicators=json.dumps({"tax_per_mu_yuan": tax_per_mu}),
                points="{}",
            )
        )
    session.flush()
    return kept.id


@pytest.fixture
def graded(city: Engine) -> dict[str, int]:
    """Evaluation runs of 2019–2025 (run ids by label), kept out of order: the run of record is
    ``2025`` (:data:`GRADED_2025`), not the older 2025 run, the 2025 what-if kept after it or
    the 2019 run kept last. The other years grade E05 (county B, 50 mu) alone at 4,000 (2019),
    5,000, 6,000, 7,000 and 8,000 yuan per mu (2020–2023); 2024 grades E01 (county A, 10 mu,
    250,000) and E05 (10,000)."""
    other = ("E01", "A1", "above_scale", 1, 99.0, "A", 10.0, 999_999.0)
    alone = ("E05", "B1", "above_scale", 1, 50.0, "A", 50.0)
    with Session(city) as session:
        for park_county, park_code, park_name in PARKS.values():
            session.add(
                Jurisdiction(code=park_code, name=park_name, level="park", parent_code=park_county)
            )
        session.flush()
        runs = {
            str(year): _kept_evaluation(session, year, [(*alone, tax_per_mu)])
            for year, tax_per_mu in (
                (2020, 5_000.0),
                (2021, 6_000.0),
                (2022, 7_000.0),
                (2023, 8_000.0),
            )
        }
        runs["2024"] = _kept_evaluation(
            session,
            2024,
            [
                ("E01", "A1", "above_scale", 1, 90.0, "A", 10.0, 250_000.0),
                ("E05", "B1", "above_scale", 2, 40.0, "D", 50.0, 10_000.0),
            ],
        )
        runs["2025 older"] = _kept_evaluation(session, 2025, [other])
        runs["2025"] = _kept_evaluation(session, 2025, GRADED_2025)
        runs["2025 what-if"] = _kept_evaluation(
            session, 2025, [other], overrides={"above_scale.share.D": "20%"}
        )
        runs["2019"] = _kept_evaluation(session, 2019, [(*alone, 4_000.0)])
        session.commit()
    return runs


def _codes(client: TestClient, **params: str | int) -> list[str]:
    """The enterprises listed, by their label (E01 …), in order."""
    listed = client.get("/api/grades", params=params)
    assert listed.status_code == 200, listed.text
    return [item["credit_code"][13:16] for item in listed.json()["items"]]


ABOVE = ["E01", "E02", "E09", "E08", "E05"]
BELOW = ["E04", "E06", "E10", "E03", "E07"]


def test_the_grades_of_record_are_listed_by_cohort_and_rank(
    app_client: TestClient, graded: dict[str, int]
) -> None:
    sign_in(app_client, "analyst")
    listed = app_client.get("/api/grades").json()
    assert (listed["run"], listed["profile"], listed["year"]) == (
        graded["2025"],
        "huangyan-2022",
        2025,
    )
    assert listed["overrides"] == {} and listed["total"] == 10
    assert [item["credit_code"][13:16] for item in listed["items"]] == ABOVE + BELOW
    first = listed["items"][0]
    assert (first["grade"], first["score"], first["land_mu"]) == ("A", 95.0, 10.0)
    assert first["tax_per_mu_yuan"] == 300_000.0
    assert listed["items"][5]["tax_per_mu_yuan"] is None  # E04 has no tax figure
    what_if = app_client.get("/api/grades", params={"run": graded["2025 what-if"]}).json()
    assert what_if["overrides"] == {"above_scale.share.D": "20%"}
    assert [item["score"] for item in what_if["items"]] == [99.0]
    assert app_client.get("/api/grades", params={"run": 999}).status_code == 404


def test_the_list_is_filtered(app_client: TestClient, graded: dict[str, int]) -> None:
    sign_in(app_client, "analyst")
    assert _codes(app_client, grade="B") == ["E02", "E09", "E06", "E10"]
    assert _codes(app_client, grade="B", cohort="below_scale") == ["E06", "E10"]
    assert _codes(app_client, park=PARKS["A1"][1]) == ["E01", "E02"]
    assert _codes(app_client, county=COUNTY_B) == ["E09", "E08", "E05", "E06", "E10", "E07"]
    assert _codes(app_client, q="企业E1") == ["E10"]  # a name's characters
    assert _codes(app_client, q=credit_code("E03").lower()[:16]) == ["E03"]  # a code's start
    assert _codes(app_client, q="%") == []
    assert app_client.get("/api/grades", params={"grade": "E"}).status_code == 422


def test_the_list_sorts_and_pages(app_client: TestClient, graded: dict[str, int]) -> None:
    sign_in(app_client, "analyst")
    by_score = ["E01", "E04", "E02", "E06", "E09", "E10", "E03", "E08", "E05", "E07"]
    assert _codes(app_client, sort="-score") == by_score
    assert _codes(app_client, sort="score") == by_score[::-1]
    # equal land: cohort, rank and credit code decide
    by_land = ["E04", "E03", "E01", "E09", "E08", "E06", "E10", "E07", "E02", "E05"]
    assert _codes(app_client, sort="land_mu") == by_land
    assert _codes(app_client, sort="-score", page=2, page_size=4) == by_score[4:8]
    last = app_client.get("/api/grades", params={"page": 4, "page_size": 3}).json()
    assert (last["total"], last["page"], len(last["items"])) == (10, 4, 1)
    for refused in ({"sort": "tax_per_mu"}, {"sort": "password"}, {"page_size": 201}):
        assert app_client.get("/api/grades", params=refused).status_code == 422


def test_an_officer_sees_only_their_county_and_is_refused_beyond_it(
    app_client: TestClient, graded: dict[str, int]
) -> None:
    sign_in(app_client, "officer")
    assert _codes(app_client) == ["E01", "E02", "E04", "E03"]
    assert _codes(app_client, county=COUNTY_A, grade="A") == ["E01", "E04"]
    assert _codes(app_client, park=PARKS["A2"][1]) == ["E04", "E03"]
    for beyond in ({"county": COUNTY_B}, {"park": PARKS["B1"][1]}, {"park": "NO-SUCH-PARK"}):
        assert app_client.get("/api/grades", params=beyond).status_code == 403
        assert app_client.get("/grades", params=beyond).status_code == 403
    sign_in(app_client, "viewer")
    assert len(_codes(app_client)) == 10


def _screen(page: str) -> list[list[str]]:
    """The cells of the grade table on a page, as text."""
    body = re.search(r'<table id="grades"[^>]*>.*?<tbody>(.*?)</tbody>', page, re.S)
    assert body is not None
    return [
        [
            html.unescape(re.sub(r"<[^>]+>", "", cell)).strip()
            for cell in re.findall(r'<td(?! class="serial")[^>]*>(.*?)</td>', row, re.S)
        ]
        for row in re.findall(r"<tr>(.*?)</tr>", body.group(1), re.S)
    ]


def test_the_export_is_exactly_the_rows_on_screen(
    app_client: TestClient, graded: dict[str, int]
) -> None:
    sign_in(app_client, "analyst")
    query = {"cohort": "above_scale", "sort": "-land_mu"}
    page = app_client.get("/grades", params=query)
    assert page.status_code == 200 and 'aria-sort="descending"' in page.text
    exported = app_client.get("/grades", params={**query, "export": "xlsx"})
    assert exported.status_code == 200 and "attachment" in exported.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(exported.content), read_only=True).worksheets[0]
    title, headers, *rows = list(sheet.iter_rows(values_only=True))
    assert title[0] == f"综合评价结果（huangyan-2022，2025年度，批次 {graded['2025']}）（第 1 页）"
    assert headers == (
        "企业类别",
        "名次",
        "统一社会信用代码",
        "企业名称",
        "综合得分",
        "等级",
        "亩均税收(万元/亩)",
        "用地(亩)",
        "区县",
        "园区",
        "行业",
    )
    shown = [
        [
            column.shown({column.key: value})
            for column, value in zip(GRADE_COLUMNS, row, strict=True)
        ]
        for row in rows
    ]
    assert shown == _screen(page.text)
    assert [row[2] for row in rows] == [credit_code(e) for e in ("E05", "E02", "E01", "E09", "E08")]
    assert rows[2][0] == "规上工业企业" and rows[2][4] == 95.0 and rows[2][6] == 30.0  # 万元/亩


def test_the_page_links_each_enterprise_and_speaks_english(
    app_client: TestClient, graded: dict[str, int]
) -> None:
    sign_in(app_client, "analyst")
    page = app_client.get("/grades", params={"grade": "A"})
    assert page.status_code == 200 and "综合评价结果" in page.text
    assert f'href="/enterprises/{credit_code("E01")}"' in page.text
    assert "sort=score" in page.text and "export=xlsx" in page.text
    english = app_client.get("/grades", params={"lang": "en", "run": graded["2025 what-if"]})
    assert "Grades (huangyan-2022, 2025, run" in english.text
    assert "Above-scale industrial enterprises" in english.text
    assert "above_scale.share.D=20%" in english.text
    assert "综合评价结果" not in english.text
    none = app_client.get("/grades", params={"grade": "D", "cohort": "nonsense"})
    assert "本批次没有符合条件的企业" in none.text


def test_without_an_evaluation_the_pages_say_what_to_do(app_client: TestClient) -> None:
    sign_in(app_client, "viewer")
    listed = app_client.get("/api/grades").json()
    assert (listed["run"], listed["total"], listed["items"]) == (None, 0, [])
    page = app_client.get("/grades")
    assert "还没有综合评价批次" in page.text
    assert "在“批次”页面发起评价" in page.text and "mujun evaluate" not in page.text  # no command
    cockpit = app_client.get("/cockpit")
    assert cockpit.status_code == 200 and "还没有综合评价批次" in cockpit.text
    assert app_client.get("/api/cockpit").json()["grades"] is None


# The cockpit. Per-mu tax, by hand (land in mu, tax = per-mu tax × land, in yuan):
# 2025, the city: E04 has no tax figure, so neither it nor its land counts:
#   land 10 + 20 + 5 + 50 + 10 × 5 = 135; tax 3.0M + 2.0M + 0.2M + 1.0M + 0.6M + 0.5M + 0.7M
#   + 0.1M + 0.9M = 9.0M; 9.0M / 135 = 66,666.67 (the mean of the ratios would be 82,222.22).
# 2025, county A: land 10 + 20 + 5 = 35, tax 5.2M: 148,571.43. 2024: 3.0M / 60 = 50,000 (the
#   city), 2.5M / 10 = 250,000 (county A). 2020–2023: E05 alone, its own per-mu tax.
# Parks in 2025: A1 5.0M / 30 = 166,666.67; A2 0.2M / 5 = 40,000 (E04's 4 mu left out);
#   B1 20,000; B2 50,000; B3 70,000; B4 10,000; B5 90,000.


def _parks(figures: list[dict[str, object]]) -> list[tuple[object, object]]:
    return [(park["code"], park["tax_per_mu_yuan"]) for park in figures]


def test_the_cockpit_grades_the_city(app_client: TestClient, graded: dict[str, int]) -> None:
    sign_in(app_client, "analyst")
    grades = app_client.get("/api/cockpit").json()["grades"]
    assert (grades["run"], grades["profile"], grades["year"]) == (
        graded["2025"],
        "huangyan-2022",
        2025,
    )
    assert grades["cohorts"] == [
        {
            "cohort": "above_scale",
            "label": "规上工业企业",
            "counts": {"A": 1, "B": 2, "C": 1, "D": 1},
        },
        {
            "cohort": "below_scale",
            "label": "规下工业企业",
            "counts": {"A": 1, "B": 2, "C": 1, "D": 1},
        },
    ]
    trend = grades["trend"]
    assert [(y["year"], y["run"]) for y in trend] == [
        (year, graded[str(year)]) for year in range(2021, 2026)
    ]  # the last five years; the 2019 run, kept last, is older
    assert [y["tax_per_mu_yuan"] for y in trend] == [6_000.0, 7_000.0, 8_000.0, 50_000.0, 66_666.67]
    assert [(y["enterprises"], y["land_mu"]) for y in trend][-2:] == [(2, 60.0), (9, 135.0)]
    code = {label: park[1] for label, park in PARKS.items()}
    assert _parks(grades["top_parks"]) == [
        (code["A1"], 166_666.67),
        (code["B5"], 90_000.0),
        (code["B3"], 70_000.0),
        (code["B2"], 50_000.0),
        (code["A2"], 40_000.0),
    ]
    assert _parks(grades["bottom_parks"]) == [(code["B4"], 10_000.0), (code["B1"], 20_000.0)]
    assert grades["top_parks"][0]["name"] == "桐庐经济开发区"
    assert grades["top_parks"][4]["land_mu"] == 5.0 and grades["top_parks"][4]["enterprises"] == 1


@pytest.mark.parametrize(("username", "county"), [("officer", None), ("analyst", COUNTY_A)])
def test_the_cockpit_grades_ones_county(
    app_client: TestClient, graded: dict[str, int], username: str, county: str | None
) -> None:
    sign_in(app_client, username)
    params = {} if county is None else {"county": county}
    grades = app_client.get("/api/cockpit", params=params).json()["grades"]
    assert [c["counts"] for c in grades["cohorts"]] == [
        {"A": 1, "B": 1, "C": 0, "D": 0},
        {"A": 1, "B": 0, "C": 1, "D": 0},
    ]
    assert [(y["year"], y["tax_per_mu_yuan"]) for y in grades["trend"]] == [
        (2024, 250_000.0),
        (2025, 148_571.43),
    ]  # 2020–2023 graded no enterprise of county A
    assert _parks(grades["top_parks"]) == [(PARKS["A1"][1], 166_666.67), (PARKS["A2"][1], 40_000.0)]
    assert grades["bottom_parks"] == []


def test_the_cockpit_refuses_a_county_beyond_ones_own(
    app_client: TestClient, graded: dict[str, int]
) -> None:
    sign_in(app_client, "officer")
    assert app_client.get("/api/cockpit", params={"county": COUNTY_B}).status_code == 403
    assert app_client.get("/cockpit", params={"county": COUNTY_B}).status_code == 403


def test_the_cockpit_page_charts_the_grades_and_links_to_them(
    app_client: TestClient, graded: dict[str, int]
) -> None:
    sign_in(app_client, "analyst")
    run = graded["2025"]
    page = app_client.get("/cockpit")
    assert page.status_code == 200
    for chart in ("grade-distribution", "tax-trend"):
        assert f'id="{chart}"' in page.text
    assert f"/grades?run={run}&cohort=above_scale&grade=B" in page.text
    assert f"/grades?run={run}&park={PARKS['B5'][1]}" in page.text
    assert f"/grades?run={graded['2021']}" in page.text
    assert "亩均税收最低的园区" in page.text and "6.67" in page.text  # 66,666.67 yuan: 6.67 万元
    english = app_client.get("/cockpit", params={"lang": "en", "county": COUNTY_A})
    assert "Per-mu comprehensive evaluation" in english.text
    assert "Above-scale industrial enterprises" in english.text
    assert "Parks with the highest tax per mu" in english.text
    assert "亩均税收" not in english.text and "驾驶舱" not in english.text
    assert f"&amp;county={COUNTY_A}" in english.text


def test_the_wall_screen_shows_the_grade_shares_of_ones_area(
    app_client: TestClient, graded: dict[str, int]
) -> None:
    """大屏: the area's name, the grade shares of the cohorts together, the charts' panels;
    another county refused as on the cockpit."""
    sign_in(app_client, "analyst")
    wall = app_client.get("/cockpit/wall")
    assert wall.status_code == 200 and 'data-bs-theme="dark"' in wall.text
    assert "杭州市" in wall.text and "（10家参评）" in wall.text
    assert "A 20.0%" in wall.text and "B 40.0%" in wall.text and "D 20.0%" in wall.text
    assert 'id="grade-distribution"' in wall.text and 'id="tax-trend"' in wall.text
    sign_in(app_client, "officer")
    county = app_client.get("/cockpit/wall")
    assert "桐庐县" in county.text and "（4家参评）" in county.text and "A 50.0%" in county.text
    assert app_client.get("/cockpit/wall", params={"county": COUNTY_B}).status_code == 403


def test_a_what_if_is_never_the_run_of_record(
    app_client: TestClient, city: Engine, graded: dict[str, int]
) -> None:
    """Issue 10 (8): a what-if evaluation of year 2200, kept last, became what every cockpit
    and grade list showed; it is seen only when asked for by its id."""
    with Session(city) as session:
        what_if = _kept_evaluation(
            session,
            2200,
            [("E01", "A1", "above_scale", 1, 1.0, "D", 10.0, 1.0)],
            overrides={"above_scale.share.D": "100%"},
        )
        session.commit()
    sign_in(app_client, "analyst")
    assert app_client.get("/api/grades").json()["run"] == graded["2025"]
    grades = app_client.get("/api/cockpit").json()["grades"]
    assert (grades["run"], grades["year"]) == (graded["2025"], 2025)
    assert [y["year"] for y in grades["trend"]] == list(range(2021, 2026))
    assert app_client.get("/api/grades", params={"run": what_if}).json()["year"] == 2200


def test_a_year_evaluated_only_as_a_what_if_has_no_run_of_record(
    app_client: TestClient, city: Engine
) -> None:
    with Session(city) as session:
        _kept_evaluation(session, 2025, GRADED_2025, overrides={"above_scale.share.D": "20%"})
        session.commit()
    sign_in(app_client, "analyst")
    assert app_client.get("/api/grades").json()["run"] is None
    assert app_client.get("/api/cockpit").json()["grades"] is None


def test_the_whole_grade_list_is_exported_as_the_published_notice(
    app_client: TestClient, graded: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """导出全部 writes what ``mujun evaluate --out`` writes: a sheet per cohort, its score
    details, 等级分布 and 未参评; as the CLI's CSV when a sheet would be too long."""
    sign_in(app_client, "officer")
    exported = app_client.get("/grades", params={"export": "all"})
    assert exported.status_code == 200
    book = load_workbook(io.BytesIO(exported.content), read_only=True)
    names = [sheet.title for sheet in book.worksheets]
    assert names[:2] == ["规上工业企业", "规下工业企业"] and "等级分布" in names
    codes = {
        str(row[2])
        for title in names[:2]
        for row in book[title].iter_rows(min_row=3, values_only=True)
        if row[0] is not None
    }
    assert len(codes) == 4  # the officer's county: 2 above scale, 2 below
    monkeypatch.setattr("mujun.evaluation.listing.MAX_LISTED", 1)
    as_csv = app_client.get("/grades", params={"export": "all"})
    assert as_csv.status_code == 200 and ".csv" in as_csv.headers["content-disposition"]
    assert as_csv.content.decode("utf-8-sig").count("\n") == 5  # the header and 4 enterprises
