"""Lists share sorting by a column, pagination that keeps the filters, the .xlsx export of
exactly the rows on screen, and the interface language."""

import io

from fastapi.testclient import TestClient
from openpyxl import load_workbook

from tests.web.conftest import COUNTY_A, PARCEL_A, PARCEL_B, sign_in


def _sheet_rows(content: bytes) -> list[tuple[object, ...]]:
    sheet = load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
    return list(sheet.iter_rows(values_only=True))


def test_parcels_sort_by_a_column_either_way(app_client: TestClient) -> None:
    sign_in(app_client, "analyst")

    def areas(sort: str) -> list[float]:
        listed = app_client.get("/api/parcels", params={"sort": sort}).json()
        return [p["area_m2"] for p in listed["items"]]

    assert areas("area_mu") == sorted(areas("area_mu"))
    assert areas("-area_mu") == sorted(areas("area_mu"), reverse=True)
    assert areas("-area_mu")[0] == 60_000.0
    refused = app_client.get("/api/parcels", params={"sort": "password_hash"})
    assert refused.status_code == 422 and "area_mu" in refused.text


def test_the_export_is_exactly_the_page_on_screen(app_client: TestClient) -> None:
    sign_in(app_client, "analyst")
    query = {"sort": "-area_mu", "county": COUNTY_A}
    page = app_client.get("/", params=query)
    assert page.status_code == 200 and 'aria-sort="descending"' in page.text
    exported = app_client.get("/", params={**query, "export": "xlsx"})
    assert exported.status_code == 200
    assert "attachment" in exported.headers["content-disposition"]
    title, headers, *rows = _sheet_rows(exported.content)
    assert title[0] == "宗地清单（第 1 页）"
    assert headers == ("宗地号", "面积(亩)", "区县", "园区", "规划用途", "实际用途", "使用权人")
    assert [row[0] for row in rows] == [f"{PARCEL_A[:-1]}{i}" for i in (3, 2, 1)]
    assert rows[0][1] == 90.0  # 60,000 m² in mu, a number
    assert all(row[0] in page.text for row in rows)


def test_findings_export_in_english(app_client: TestClient, run: int) -> None:
    sign_in(app_client, "analyst")
    exported = app_client.get("/findings", params={"export": "xlsx", "lang": "en"})
    title, headers, *rows = _sheet_rows(exported.content)
    assert title[0] == f"Findings (run {run}) (page 1)"
    assert headers[:3] == ("Rule", "Category", "Subject")
    assert {row[2] for row in rows} >= {PARCEL_A, PARCEL_B}
    assert "Idle land" in {row[1] for row in rows}


def test_pages_keep_filters_and_sort_when_paging(app_client: TestClient) -> None:
    sign_in(app_client, "analyst")
    page = app_client.get("/", params={"sort": "parcel_id", "county": COUNTY_A})
    assert "export=xlsx" in page.text and f"county={COUNTY_A}" in page.text
    assert "sort=-parcel_id" in page.text  # clicking the sorted header again reverses it


def test_the_language_switch_is_remembered_and_goes_back_only_within_the_site(
    app_client: TestClient,
) -> None:
    sign_in(app_client, "analyst")
    assert "宗地清单" in app_client.get("/").text
    switched = app_client.get(
        "/language/en",
        headers={"Referer": "http://testserver/findings?category=idle_land"},
        follow_redirects=False,
    )
    assert switched.status_code == 303
    assert switched.headers["location"] == "/findings?category=idle_land"
    english = app_client.get("/")
    assert '<html lang="en">' in english.text and "Parcels" in english.text
    assert "宗地清单" not in english.text
    outside = app_client.get(
        "/language/zh", headers={"Referer": "https://evil.example//x"}, follow_redirects=False
    )
    assert outside.headers["location"] == "/"
    assert "宗地清单" in app_client.get("/").text
    assert app_client.get("/language/fr").status_code == 422


def test_cells_link_to_the_pages_of_the_records_they_name(app_client: TestClient, run: int) -> None:
    sign_in(app_client, "analyst")
    findings = app_client.get("/findings").text
    assert f'<a href="/parcels/{PARCEL_A}">{PARCEL_A}</a>' in findings
    assert '<a href="/enterprises/91330122MA0000000X">' in findings  # an enterprise subject
    parcels = app_client.get("/").text
    assert f'<a href="/parcels/{PARCEL_A}">' in parcels
    assert '<a href="/enterprises/' not in parcels  # no parcel of the city has a holder
