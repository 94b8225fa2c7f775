"""The lists' filter bars: county, park, industry, category, grade and search, each alone and in
every combination, kept in the pages' links; an invalid value is a 422 page (JSON in the API);
another county's park is refused; the industry by its GB/T 4754 name."""

import datetime as dt
import html
import io
import itertools
import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from mujun.identification.listing import SHEETS, findings_headers
from mujun.records import Enterprise, Finding, Grade, Jurisdiction, Parcel
from mujun.records.industries import DIVISIONS, SECTIONS, division_of, industry_name
from mujun.web.enterprises import ENTERPRISE_COLUMNS
from mujun.web.parcels import PARCEL_COLUMNS
from tests.builders import evaluation_run, identification_run
from tests.web.conftest import COUNTY_A, COUNTY_B, sign_in

PARK_A, PARK_A2, PARK_B = f"{COUNTY_A}801", f"{COUNTY_A}802", f"{COUNTY_B}801"
PARKS = {PARK_A: (COUNTY_A, "桐庐经济开发区"), PARK_A2: (COUNTY_A, "桐庐高新园"),
         PARK_B: (COUNTY_B, "千岛湖园区")}  # fmt: skip


@dataclass(frozen=True)
class Firm:
    code: str
    name: str
    county: str
    park: str | None
    industry: str
    parcel: str
    """The parcel it holds."""
    grade: str


FIRMS = (
    Firm("91330122MA00000A1X", "甲精密机械有限公司", COUNTY_A, PARK_A, "C3489", "A1", "A"),
    Firm("91330122MA00000A2X", "乙纺织有限公司", COUNTY_A, PARK_A2, "C1711", "A2", "B"),
    Firm("91330122MA00000A3X", "丙机械有限公司", COUNTY_A, None, "C3411", "A3", "C"),
    Firm("91330127MA00000B1X", "丁机械有限公司", COUNTY_B, PARK_B, "C3443", "B1", "D"),
    Firm("91330127MA00000B2X", "戊纺织有限公司", COUNTY_B, None, "C1752", "B2", "A"),
)


def parcel_id(label: str) -> str:
    county = COUNTY_A if label[0] == "A" else COUNTY_B
    return f"{county}001001GB{int(label[1:]):05d}"


CATEGORIES = {"A1": "idle_land", "A2": "low_efficiency_land", "B1": "idle_land"}
"""The parcels found, and how; every firm in county B is also an abnormal enterprise."""


@pytest.fixture
def filtered(city: Engine) -> None:
    """Three parks (two in county A), five firms each holding one parcel, the parcels in their
    holder's park; a run of findings and one of grades."""
    with Session(city) as session:
        for code, (park_county, park_name) in PARKS.items():
            session.add(
                Jurisdiction(code=code, name=park_name, level="park", parent_code=park_county)
            )
        session.flush()
        for firm in FIRMS:
            session.add(
                Enterprise(
                    credit_code=firm.code,
                    name=firm.name,
                    industry_code=firm.industry,
                    above_scale=True,
                    status="operating",
                    jurisdiction_code=f"{firm.county}001",
                    park_code=firm.park,
                    registered_date=dt.date(2015, 3, 1),
                )
            )
        session.flush()
        for firm in FIRMS:
            parcel = session.get_one(Parcel, parcel_id(firm.parcel))
            parcel.holder_credit_code = firm.code
            parcel.park_code = firm.park
        kept = identification_run(finding_count=len(finding_rows()))
        session.add(kept)
        evaluated = evaluation_run(graded_count=len(FIRMS))
        session.add(evaluated)
        session.flush()
        for key, kind, category, name, county in finding_rows():
            session.add(
                Finding(
                    run_id=kept.id,
                    criterion="idle/not-started",
                    category=category,
                    subject_type=kind,
                    subject_id=key,
                    subject_name=name,
                    area_m2=20_000.0,
                    county_code=county,
                    key=False,
                    evidence=json.dumps({"idle_days": 400}),
                    source="003_62d23dbf9dc3e358.txt §二(一)1",
                )
            )
        for rank, firm in enumerate(FIRMS, 1):
            session.add(
                Grade(
                    run_id=evaluated.id,
                    credit_code=firm.code,
                    name=firm.name,
                    cohort="above_scale",
                    rank=rank,
                    cohort_size=len(FIRMS),
                    score=100.0 - rank,
                    grade=firm.grade,
                    land_mu=30.0,
                    deduction_points=0.0,
                    county_code=firm.county,
                    park_code=firm.park,
                    industry_code=firm.industry,
                    indicators="{}",
                    points="{}",
                )
            )
        session.commit()


def finding_rows() -> list[tuple[str, str, str, str | None, str]]:
    """Each finding: subject, its type, category, name and county."""
    holders = {firm.parcel: firm for firm in FIRMS}
    rows: list[tuple[str, str, str, str | None, str]] = [
        (parcel_id(label), "parcel", category, None, holders[label].county)
        for label, category in CATEGORIES.items()
    ]
    rows += [
        (firm.code, "enterprise", "abnormal_enterprise", firm.name, firm.county)
        for firm in FIRMS
        if firm.county == COUNTY_B
    ]
    return rows


# What each list should show, worked out here from the records above.


def _firm_of_finding(key: str) -> Firm:
    return next(f for f in FIRMS if key in (f.code, parcel_id(f.parcel)))


def _parcels(f: Mapping[str, str | None]) -> set[str]:
    return {
        parcel_id(firm.parcel)
        for firm in FIRMS
        if f["county"] in (None, firm.county)
        and f["park"] in (None, firm.park)
        and (f["q"] is None or f["q"] in firm.name or parcel_id(firm.parcel).startswith(f["q"]))
    } | {
        parcel_id(label)  # the parcels nobody holds, in no park
        for label in ("B3",)
        if f["county"] in (None, COUNTY_B) and f["park"] is None and f["q"] is None
    }


def _findings(f: Mapping[str, str | None]) -> set[str]:
    found = set()
    for key, _, category, name, county in finding_rows():
        firm = _firm_of_finding(key)
        if (
            f["county"] in (None, county)
            and f["park"] in (None, firm.park)
            and f["category"] in (None, category)
            and (f["q"] is None or key.startswith(f["q"]) or f["q"] in (name or ""))
        ):
            found.add(key)
    return found


def _firms(f: Mapping[str, str | None]) -> set[str]:
    return {
        firm.code
        for firm in FIRMS
        if f["county"] in (None, firm.county)
        and f["park"] in (None, firm.park)
        and (f.get("industry") is None or firm.industry.startswith(str(f["industry"])))
        and f.get("grade") in (None, firm.grade)
        and (f["q"] is None or f["q"] in firm.name or firm.code.startswith(f["q"]))
    }


@dataclass(frozen=True)
class Listing:
    page: str
    api: str
    key: str
    values: Mapping[str, tuple[str | None, ...]]
    expected: Callable[[Mapping[str, str | None]], set[str]]


LISTS = {
    "parcels": Listing(
        "/",
        "/api/parcels",
        "parcel_id",
        {"county": (None, COUNTY_A, COUNTY_B), "park": (None, PARK_A, PARK_B), "q": (None, "机械")},
        _parcels,
    ),
    "findings": Listing(
        "/findings",
        "/api/findings",
        "subject_id",
        {
            "county": (None, COUNTY_A, COUNTY_B),
            "park": (None, PARK_A, PARK_B),
            "category": (None, "idle_land", "abnormal_enterprise"),
            "q": (None, "机械", COUNTY_A),
        },
        _findings,
    ),
    "grades": Listing(
        "/grades",
        "/api/grades",
        "credit_code",
        {
            "county": (None, COUNTY_A, COUNTY_B),
            "park": (None, PARK_A, PARK_B),
            "industry": (None, "C34", "C17"),
            "grade": (None, "A", "D"),
            "q": (None, "机械"),
        },
        _firms,
    ),
    "enterprises": Listing(
        "/enterprises",
        "/api/enterprises",
        "credit_code",
        {
            "county": (None, COUNTY_A, COUNTY_B),
            "park": (None, PARK_A2, PARK_B),
            "industry": (None, "C34", "C17", "C"),
            "q": (None, "机械", "91330127"),
        },
        _firms,
    ),
}


def combinations(listing: Listing) -> Iterator[dict[str, str | None]]:
    names = list(listing.values)
    for chosen in itertools.product(*listing.values.values()):
        yield dict(zip(names, chosen, strict=True))


def _given(filters: Mapping[str, str | None]) -> dict[str, str]:
    return {name: value for name, value in filters.items() if value is not None}


@pytest.mark.parametrize("name", sorted(LISTS))
def test_every_filter_alone_and_in_every_combination(
    app_client: TestClient, filtered: None, name: str
) -> None:
    listing = LISTS[name]
    sign_in(app_client, "analyst")
    for filters in combinations(listing):
        given = _given(filters)
        answer = app_client.get(listing.api, params={**given, "page_size": 200})
        assert answer.status_code == 200, (given, answer.text)
        keys = {item[listing.key] for item in answer.json()["items"]}
        assert keys == listing.expected(filters), given
        assert answer.json()["total"] == len(keys), given


@pytest.mark.parametrize("name", sorted(LISTS))
def test_the_filters_are_kept_in_the_page_and_its_links(
    app_client: TestClient, filtered: None, name: str
) -> None:
    listing = LISTS[name]
    sign_in(app_client, "analyst")
    given = CHOSEN[name]
    assert listing.expected({**dict.fromkeys(listing.values), **given})
    page = app_client.get(listing.page, params={**given, "sort": listing.key})
    assert page.status_code == 200, page.text
    links = [
        parse_qs(urlsplit(href).query)
        for href in _hrefs(page.text)
        if "sort=" in href or "export=" in href
    ]
    assert links, "a sort or export link"
    for query in links:
        for field, value in given.items():
            assert query.get(field) == [value], (field, query)
    # the drop-downs show what was chosen
    for field, value in given.items():
        if field != "q":
            assert f'<option value="{value}" selected>' in page.text, field
    assert f'value="{given["q"]}"' in page.text


CHOSEN = {
    "parcels": {"county": COUNTY_A, "park": PARK_A, "q": "机械"},
    "findings": {"county": COUNTY_B, "park": PARK_B, "category": "idle_land", "q": COUNTY_B},
    "grades": {"county": COUNTY_A, "park": PARK_A, "industry": "C34", "grade": "A", "q": "机械"},
    "enterprises": {"county": COUNTY_B, "park": PARK_B, "industry": "C34", "q": "机械"},
}
"""Every filter of a list at once, with a row to show."""


def _hrefs(text: str) -> list[str]:
    return [html.unescape(h) for h in re.findall(r'href="([^"]+)"', text)]


INVALID = [
    ("/", {"sort": "nonsense"}),
    ("/", {"park": "P" * 40}),
    ("/findings", {"category": "nonsense"}),
    ("/findings", {"q": "x" * 65}),
    ("/grades", {"grade": "E"}),
    ("/grades", {"industry": "C3"}),
    ("/enterprises", {"industry": "34"}),
    ("/enterprises", {"industry": "Z99"}),
]


@pytest.mark.parametrize(("path", "query"), INVALID)
def test_an_invalid_value_is_a_page_and_in_the_api_json(
    app_client: TestClient, filtered: None, path: str, query: dict[str, str]
) -> None:
    sign_in(app_client, "analyst")
    page = app_client.get(path, params=query)
    assert page.status_code == 422
    assert page.headers["content-type"].startswith("text/html")
    assert "查询条件无效" in page.text
    api = "/api/parcels" if path == "/" else f"/api{path}"
    answer = app_client.get(api, params=query)
    assert answer.status_code == 422 and answer.headers["content-type"] == "application/json"


@pytest.mark.parametrize("name", sorted(LISTS))
def test_another_countys_park_is_refused(app_client: TestClient, filtered: None, name: str) -> None:
    sign_in(app_client, "officer")  # county A's
    listing = LISTS[name]
    refused = app_client.get(listing.page, params={"park": PARK_B})
    assert refused.status_code == 403 and "330127801" in refused.text
    assert app_client.get(listing.api, params={"park": PARK_B}).status_code == 403
    assert app_client.get(listing.api, params={"county": COUNTY_B}).status_code == 403
    own = app_client.get(listing.api, params={"park": PARK_A, "page_size": 200})
    assert own.status_code == 200
    assert {i[listing.key] for i in own.json()["items"]} <= listing.expected(
        {**dict.fromkeys(listing.values), "park": PARK_A}
    )


def test_the_officers_park_choices_are_its_countys(app_client: TestClient, filtered: None) -> None:
    sign_in(app_client, "officer")
    page = app_client.get("/enterprises").text
    assert "桐庐经济开发区" in page and "千岛湖园区" not in page


@pytest.mark.parametrize("path", ["/enterprises", "/grades"])
def test_industries_are_shown_and_chosen_by_their_names(
    app_client: TestClient, filtered: None, path: str
) -> None:
    sign_in(app_client, "analyst")
    page = app_client.get(path).text
    assert '<option value="C34">C34 通用设备制造业</option>' in page
    assert '<option value="C17">C17 纺织业</option>' in page
    assert "C3489" not in page.replace(FIRMS[0].code, "")  # no class code on screen
    english = app_client.get(path, params={"lang": "en"}).text
    assert "C34 Manufacture of general-purpose machinery" in english


def test_the_industry_table_is_the_standards() -> None:
    assert len(SECTIONS) == 20 and len(DIVISIONS) == 97
    assert sorted(DIVISIONS) == [f"{i:02d}" for i in range(1, 98)]
    assert {section for section, _, _ in DIVISIONS.values()} == set(SECTIONS)
    assert DIVISIONS["13"][1] == "农副食品加工业"
    assert DIVISIONS["26"][1] == "化学原料和化学制品制造业"
    assert DIVISIONS["34"][1] == "通用设备制造业"
    assert DIVISIONS["35"][1] == "专用设备制造业"
    assert DIVISIONS["38"][1] == "电气机械和器材制造业"
    assert DIVISIONS["39"][1] == "计算机、通信和其他电子设备制造业"
    assert industry_name("C3489") == "C34 通用设备制造业"
    assert industry_name("3489") == "C34 通用设备制造业"
    assert industry_name("G5990", "en") == "G59 Loading, unloading, handling and storage"
    assert industry_name("C") == "C 制造业"
    assert industry_name("X123") == "X123" and industry_name(None) is None
    assert division_of("A3489") is None  # 34 is not of section A


# The whole filtered list as a workbook.


def _sheets(content: bytes) -> dict[str, list[tuple[object, ...]]]:
    book = load_workbook(io.BytesIO(content), read_only=True)
    return {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in book.worksheets}


@pytest.mark.parametrize("name", sorted(LISTS))
def test_the_whole_list_export_has_exactly_the_filtered_rows(
    app_client: TestClient, filtered: None, name: str
) -> None:
    listing = LISTS[name]
    sign_in(app_client, "analyst")
    page = app_client.get(listing.page, params={"county": COUNTY_A})
    assert "export=all" in page.text and "导出全部（" in page.text
    for filters in [
        dict.fromkeys(listing.values),
        {**dict.fromkeys(listing.values), **CHOSEN[name]},
    ]:
        given = _given(filters)
        exported = app_client.get(listing.page, params={**given, "export": "all", "page": 2})
        assert exported.status_code == 200, exported.text
        assert "attachment" in exported.headers["content-disposition"]
        rows = next(iter(_sheets(exported.content).values()))
        expected = listing.expected(filters)
        if name == "grades":  # the notice: a sheet per cohort, its enterprises by credit code
            notices = [r for r in _sheets(exported.content).values() if r[1][:3] == NOTICE]
            listed = {str(row[2]) for sheet in notices for row in sheet[2:] if row[0] is not None}
            assert sum(len(s) - 2 for s in notices) >= len(listed)
            assert listed == expected, given
            continue
        if name == "findings":
            # 宗地号/企业名称: an enterprise's name over its credit code, a parcel's id first
            listed = {str(row[1]).split("\n")[-1 if "MA" in str(row[1]) else 0] for row in rows[2:]}
            assert rows[1][:4] == ("序号", "宗地号/企业名称", "面积(亩)", "类别")
        else:
            key = next(i for i, c in enumerate(LIST_COLUMNS[name]) if c == listing.key)
            listed = {str(row[key]) for row in rows[2:]}
        assert len(rows) - 2 == len(expected), given
        assert listed == expected, given


LIST_COLUMNS = {
    "parcels": [c.key for c in PARCEL_COLUMNS],
    "enterprises": [c.key for c in ENTERPRISE_COLUMNS],
}
NOTICE = ("序号", "企业名称", "统一社会信用代码")
"""The first headers of a cohort's sheet of the evaluation notice (``mujun evaluate --out``)."""


def test_the_findings_export_is_the_clis_layout(app_client: TestClient, filtered: None) -> None:
    sign_in(app_client, "analyst")
    exported = app_client.get("/findings", params={"export": "all", "county": COUNTY_B})
    sheets = _sheets(exported.content)
    assert list(sheets) == list(SHEETS["zh"])
    assert list(sheets["认定清单"][1]) == findings_headers("zh")
    assert [row[0] for row in sheets["认定清单"][2:]] == [1, 2, 3]


BLANK_FORMS = {
    "/": "county=&park=&q=&sort=",
    "/findings": "run=&sort=&county=&park=&category=&q=",
    "/grades": "run=&county=&park=&industry=&grade=&cohort=&q=&sort=",
    "/enterprises": "county=&park=&industry=&q=&sort=",
}
"""Each filter bar submitted as 全部 everywhere: every field there, every field blank."""


@pytest.mark.parametrize("path", sorted(BLANK_FORMS))
def test_a_blank_field_is_no_filter(app_client: TestClient, filtered: None, path: str) -> None:
    sign_in(app_client, "analyst")
    page = app_client.get(f"{path}?{BLANK_FORMS[path]}")
    assert page.status_code == 200, page.text
    api = "/api/parcels" if path == "/" else f"/api{path}"
    assert app_client.get(f"{api}?{BLANK_FORMS[path]}").status_code == 200
