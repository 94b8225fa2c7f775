"""The cockpit and the findings of a kept run: scoped, filtered, charted."""

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from tests.builders import identification_run
from tests.web.conftest import COUNTY_A, COUNTY_B, PARCEL_A, PARCEL_B, sign_in


def test_the_cockpit_counts_land_and_findings_of_ones_area(
    app_client: TestClient, run: int
) -> None:
    sign_in(app_client, "analyst")
    figures = app_client.get("/api/cockpit").json()
    assert (figures["run"], figures["parcels"]) == (run, 6)
    assert figures["industrial_mu"] == pytest.approx(360.0)  # 2 × (20,000 + 40,000 + 60,000) m²
    by_category = {t["code"]: t for t in figures["categories"]}
    assert by_category["idle_land"]["findings"] == 2
    assert by_category["idle_land"]["mu"] == pytest.approx(90.0)  # 60,000 m²
    assert by_category["abnormal_enterprise"]["mu"] == 0  # enterprises count no land
    assert {t["code"] for t in figures["counties"]} == {COUNTY_A, COUNTY_B}

    sign_in(app_client, "officer")
    mine = app_client.get("/api/cockpit").json()
    assert mine["parcels"] == 3
    assert {t["code"] for t in mine["counties"]} == {COUNTY_A}
    assert app_client.get("/api/cockpit", params={"county": COUNTY_B}).status_code == 403


def test_findings_are_filtered_and_scoped(app_client: TestClient, run: int) -> None:
    sign_in(app_client, "analyst")
    idle = app_client.get("/api/findings", params={"category": "idle_land"}).json()
    assert idle["total"] == 2 and idle["run"] == run
    assert app_client.get("/api/findings", params={"run": 999}).status_code == 404
    assert app_client.get("/api/findings", params={"category": "nonsense"}).status_code == 422
    sign_in(app_client, "officer")
    mine = app_client.get("/api/findings").json()
    assert {f["county_code"] for f in mine["items"]} == {COUNTY_A} and mine["total"] == 2


def test_the_cockpit_page_charts_with_local_echarts(app_client: TestClient, run: int) -> None:
    sign_in(app_client, "analyst")
    page = app_client.get("/cockpit")
    assert page.status_code == 200 and "驾驶舱" in page.text
    assert '<script src="/assets/echarts/echarts.min.js">' in page.text
    assert f"/findings?run={run}&category=idle_land" in page.text
    script = app_client.get("/assets/echarts/echarts.min.js")
    assert script.status_code == 200 and len(script.content) > 100_000
    listed = app_client.get("/findings", params={"category": "idle_land"})
    assert listed.status_code == 200 and PARCEL_A in listed.text and "闲置天数" in listed.text


def test_without_runs_the_cockpit_says_what_to_do(app_client: TestClient) -> None:
    sign_in(app_client, "viewer")
    page = app_client.get("/cockpit")
    assert page.status_code == 200 and "还没有认定批次" in page.text
    assert app_client.get("/api/findings").json()["total"] == 0


def test_the_parcel_file_shows_everything_known(
    app_client: TestClient, city: Engine, run: int
) -> None:
    sign_in(app_client, "officer")
    file = app_client.get(f"/api/parcels/{PARCEL_A}/file").json()
    titles = [s["title"] for s in file["sections"]]
    assert titles[0] == "宗地" and file["county_code"] == COUNTY_A
    parcel = file["sections"][0]
    row = dict(zip(parcel["headers"], parcel["rows"][0], strict=True))
    assert row["规划用途"] == "工业" and row["面积(平方米)"] == "20,000.00"
    names = dict(zip(parcel["headers"], parcel["names"][0], strict=True))
    town = next(h for h in parcel["headers"] if "区划" in h)
    assert (row[town], names[town]) == (f"{COUNTY_A}001", "桐庐县城关镇")
    assert not any("WKT" in h or "geometry" in h or "空间" in h for h in parcel["headers"])
    assert [f["criterion"] for f in file["findings"]] == ["idle/not-started"]
    assert file["history"] and file["history"][0]["table_zh"] == "宗地"
    page = app_client.get(f"/parcels/{PARCEL_A}")
    assert page.status_code == 200 and "一地一档" in page.text and "闲置天数" in page.text
    assert app_client.get(f"/parcels/{PARCEL_B}").status_code == 403
    assert app_client.get(f"/api/parcels/{PARCEL_B}/file").status_code == 403
    assert app_client.get("/api/parcels/NOPE/file").status_code == 404


def test_a_what_if_run_is_never_the_run_of_record(
    app_client: TestClient, city: Engine, run: int
) -> None:
    """Issue 10 (8): the findings shown without a run asked for are of the latest run of a
    profile as published, never of a what-if kept after it."""
    with Session(city) as session:
        what_if = identification_run(overrides={"ankang.low5.share": "100%"})
        session.add(what_if)
        session.commit()
        what_if_id = what_if.id
    sign_in(app_client, "analyst")
    assert app_client.get("/api/findings").json()["run"] == run
    assert app_client.get("/api/cockpit").json()["run"] == run
    assert app_client.get("/api/findings", params={"run": what_if_id}).json()["run"] == what_if_id
