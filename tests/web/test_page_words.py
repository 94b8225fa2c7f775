"""What the screenshots of every page (tests/browser/test_screens.py) showed wrong, held: an
English page names tables, not their codes, and writes English punctuation; an empty page
points a county official to a page, not to a command; land is not counted where a category
counts none; one of a thing is not "1 enterprises"."""

import re

from fastapi.testclient import TestClient

from tests.web.conftest import PARCEL_A, sign_in

CODES = ("land_occupancy", "monthly_metrics", "annual_metrics", "legal_events")


def test_the_workbench_in_english_names_each_departments_tables(
    app_client: TestClient,
) -> None:
    sign_in(app_client, "admin")
    page = app_client.get("/workbench?lang=en").text
    supplies = re.search(r'id="freshness".*?</table>', page, re.S)
    shown = supplies.group(0) if supplies else page
    assert "land occupancy" in shown and "monthly figures" in shown
    assert not [code for code in CODES if code in shown]
    assert "宗地、用地情况" in app_client.get("/workbench?lang=zh").text


def test_a_parcels_file_in_english_names_its_tables_and_changes(
    app_client: TestClient,
) -> None:
    sign_in(app_client, "analyst")
    page = app_client.get(f"/parcels/{PARCEL_A}?lang=en").text
    assert '<h2 class="card-title">Land occupancy</h2>' in page
    assert '<h2 class="card-title">Parcels</h2>' in page and "1 row<" in page
    assert ">added<" in page and ">insert<" not in page
    chinese = app_client.get(f"/parcels/{PARCEL_A}?lang=zh").text
    assert '<h2 class="card-title">用地情况</h2>' in chinese and ">新增<" in chinese


def test_the_cockpit_counts_no_land_for_enterprises(app_client: TestClient, run: int) -> None:
    sign_in(app_client, "analyst")
    page = app_client.get("/cockpit").text
    row = re.search(r"非正常规上企业</a></td>.*?</tr>", page, re.S)
    assert row is not None and "0.00" not in row.group(0) and "—" in row.group(0)
    idle = re.search(r"闲置土地</a></td>.*?</tr>", page, re.S)
    assert idle is not None and "90.00" in idle.group(0)


def test_the_wall_writes_one_enterprise(app_client: TestClient, run: int) -> None:
    sign_in(app_client, "analyst")
    page = app_client.get("/cockpit/wall?lang=en").text
    assert "1<small>enterprise</small>" in page and "2<small>parcels</small>" in page


def test_the_cases_page_in_english_writes_english_punctuation(
    app_client: TestClient, run: int
) -> None:
    sign_in(app_client, "analyst")
    page = app_client.get("/cases?lang=en").text
    line = re.search(r'id="open-cases".*?<span', page, re.S)
    assert line is not None
    assert not re.search("[（），：]", line.group(0)), line.group(0)
    assert "as of 31 Dec 2025): " in line.group(0)


def test_empty_pages_point_to_a_page_not_a_command(app_client: TestClient) -> None:
    """A county official does not run mujun on the server: an empty list says which page
    fills it."""
    sign_in(app_client, "analyst")
    for path in ("/enterprises", "/grades", "/cases", "/publications", "/warnings", "/cockpit"):
        for lang in ("zh", "en"):
            page = app_client.get(f"{path}?lang={lang}").text
            assert not re.search(r"mujun (import|evaluate|identify|cases|publish|monitor)", page), (
                path,
                lang,
            )


def test_a_run_difference_names_the_profile_in_english_punctuation(
    app_client: TestClient, run: int
) -> None:
    sign_in(app_client, "analyst")
    page = app_client.get(f"/runs/diff?a={run}&b={run}&lang=en").text
    main = page[page.index("<main") :]
    assert "Ankang guidance" in main and "Earlier (or as published): " in main
    assert "Added (0)" in main and not re.search("[（），：]", main)
    chinese = app_client.get(f"/runs/diff?a={run}&b={run}&lang=zh").text
    assert "安康市" in chinese and "新增（0）" in chinese


def test_the_workbench_names_a_profile_by_its_title_not_its_id(
    app_client: TestClient, run: int
) -> None:
    sign_in(app_client, "officer")
    page = app_client.get("/workbench").text
    runs = re.search(r'id="runs-of-record".*?</table>', page, re.S)
    assert runs is not None and "安康市" in runs.group(0)
    assert 'title="ankang-2024"' in runs.group(0) and ">ankang-2024<" not in runs.group(0)


def test_the_objection_states_are_buttons_with_capitals_in_english(
    app_client: TestClient,
) -> None:
    sign_in(app_client, "officer")
    page = app_client.get("/objections?lang=en").text
    assert ">Open</a>" in page and ">Corrected</a>" in page and ">Upheld</a>" in page
    assert ">待答复</a>" in app_client.get("/objections?lang=zh").text
