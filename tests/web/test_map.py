"""The map: parcels of one's area within the view, coloured, found by id (its base map:
test_basemap)."""

import time
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from mujun.records import Enterprise, Grade, Jurisdiction, Parcel
from mujun.web import parcel_map
from mujun.web.app import create_app
from tests.builders import evaluation_run
from tests.web.conftest import COUNTY_A, COUNTY_B, PARCEL_A, PARCEL_B, sign_in

EVERYWHERE = "118.9,29.7,119.7,29.9"
Feature = dict[str, Any]


def features(client: TestClient, bbox: str = EVERYWHERE, zoom: float = 14) -> list[Feature]:
    response = client.get("/api/map/parcels", params={"bbox": bbox, "zoom": zoom})
    assert response.status_code == 200, response.text
    found: list[Feature] = response.json()["features"]
    return found


def test_the_view_holds_the_parcels_of_ones_area(app_client: TestClient) -> None:
    sign_in(app_client, "analyst")
    assert len(features(app_client)) == 6
    assert len(features(app_client, bbox="119.55,29.7,119.7,29.9")) == 3  # county A only
    assert features(app_client, bbox="100,20,100.1,20.1") == []
    sign_in(app_client, "officer")
    mine = features(app_client)
    assert {f["properties"]["county_code"] for f in mine} == {"330122"} and len(mine) == 3
    bbox = app_client.get("/api/map/extent").json()["bbox"]
    assert bbox[0] >= 119.6


def test_a_parcel_is_found_by_id_within_ones_area(app_client: TestClient) -> None:
    sign_in(app_client, "officer")
    found = app_client.get(f"/api/map/parcels/{PARCEL_A}").json()
    assert found["bbox"][0] == pytest.approx(119.61)
    assert app_client.get(f"/api/map/parcels/{PARCEL_B}").status_code == 403
    assert app_client.get("/api/map/parcels/NOPE").status_code == 404


@pytest.mark.parametrize("bbox", ["1,2,3", "a,b,c,d", "10,10,5,20", "0,0,200,10"])
def test_a_bad_box_is_a_clear_error(app_client: TestClient, bbox: str) -> None:
    sign_in(app_client, "analyst")
    response = app_client.get("/api/map/parcels", params={"bbox": bbox})
    assert response.status_code == 422 and "bbox" in response.json()["detail"]


def test_parcels_are_coloured_by_the_latest_run(app_client: TestClient, run: int) -> None:
    sign_in(app_client, "analyst")
    colours = {
        f["properties"]["parcel_id"]: f["properties"]["category"] for f in features(app_client)
    }
    assert colours[PARCEL_A] == "idle_land" and colours[PARCEL_B] == "idle_land"
    assert sorted(colours.values()).count("none") == 4


def test_the_map_page_uses_local_maplibre(app_client: TestClient) -> None:
    sign_in(app_client, "viewer")
    page = app_client.get("/map")
    assert page.status_code == 200 and "挂图作战" in page.text
    assert '<script src="/assets/maplibre/maplibre-gl.js">' in page.text
    assert app_client.get("/assets/maplibre/maplibre-gl.js").status_code == 200
    assert app_client.get("/assets/maplibre/maplibre-gl.css").status_code == 200


def test_parcels_are_found_by_id_or_holder_name_within_ones_area(
    app_client: TestClient, city: Engine
) -> None:
    with Session(city) as session:
        for parcel_id, code, name in (
            (PARCEL_A, "91330122MA0000000X", "桐庐精密机械有限公司"),
            (PARCEL_B, "91330127MA0000000X", "淳安精密机械有限公司"),
        ):
            session.add(Enterprise(credit_code=code, name=name))
            session.flush()
            session.get_one(Parcel, parcel_id).holder_credit_code = code
        session.commit()
    sign_in(app_client, "analyst")
    by_name = app_client.get("/api/map/search", params={"q": "精密机械"}).json()
    assert [hit["parcel_id"] for hit in by_name] == [PARCEL_A, PARCEL_B]
    assert by_name[0]["holder_name"] == "桐庐精密机械有限公司"
    assert by_name[0]["bbox"][0] == pytest.approx(119.61)
    by_id = app_client.get("/api/map/search", params={"q": PARCEL_B[:12]}).json()
    assert {hit["parcel_id"] for hit in by_id} == {PARCEL_B[:-1] + str(i) for i in (1, 2, 3)}
    sign_in(app_client, "officer")
    mine = app_client.get("/api/map/search", params={"q": "精密机械"}).json()
    assert [hit["parcel_id"] for hit in mine] == [PARCEL_A]
    assert app_client.get("/api/map/search", params={"q": ""}).status_code == 422


def test_parcels_are_coloured_by_their_holders_latest_grade(
    app_client: TestClient, city: Engine
) -> None:
    code = "91330122MA0000000X"
    with Session(city) as session:
        session.add(Enterprise(credit_code=code, name="桐庐精密机械有限公司"))
        session.flush()
        session.get_one(Parcel, PARCEL_A).holder_credit_code = code
        for year, grade in ((2024, "A"), (2025, "D")):
            kept = evaluation_run(year=year, graded_count=1)
            session.add(kept)
            session.flush()
            session.add(
                Grade(
                    run_id=kept.id,
                    credit_code=code,
                    cohort="above_scale",
                    rank=1,
                    cohort_size=1,
                    score=50.0,
                    grade=grade,
                    deduction_points=0.0,
                    indicators="{}",
                    points="{}",
                )
            )
        session.commit()
    sign_in(app_client, "analyst")
    grades = {f["properties"]["parcel_id"]: f["properties"]["grade"] for f in features(app_client)}
    assert grades[PARCEL_A] == "D" and grades[PARCEL_B] == "none"


def test_the_index_is_built_when_the_application_starts(city: Engine) -> None:
    parcel_map._INDEX.clear()
    with TestClient(create_app(city)):
        deadline = time.monotonic() + 30
        while "parcels" not in parcel_map._INDEX and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(parcel_map._INDEX["parcels"].parcel_ids) == 6


# -- boundaries -----------------------------------------------------------------------------

PARK_A = "33012271"


def outline(west: float, south: float, east: float, north: float) -> str:
    ring = [(west, south), (east, south), (east, north), (west, north), (west, south)]
    return "POLYGON ((" + ", ".join(f"{x} {y}" for x, y in ring) + "))"


@pytest.fixture
def outlined(city: Engine) -> Engine:
    """The two counties with outlines, and a park in county A around its parcels."""
    with Session(city) as session:
        session.get_one(Jurisdiction, COUNTY_A).geometry_wkt = outline(119.5, 29.6, 119.9, 30.0)
        session.get_one(Jurisdiction, COUNTY_B).geometry_wkt = outline(118.9, 29.6, 119.3, 30.0)
        session.add(
            Jurisdiction(
                code=PARK_A,
                name="桐庐经济开发区",
                level="park",
                parent_code=COUNTY_A,
                geometry_wkt=outline(119.605, 29.79, 119.65, 29.81),
            )
        )
        session.flush()
        session.get_one(Parcel, PARCEL_A).park_code = PARK_A
        session.commit()
    return city


def boundaries(client: TestClient, **params: str) -> list[Feature]:
    response = client.get("/api/map/boundaries", params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/geo+json"
    found: list[Feature] = response.json()["features"]
    return found


def test_boundaries_are_those_of_ones_area_with_names(
    outlined: Engine, app_client: TestClient
) -> None:
    sign_in(app_client, "analyst")
    every = boundaries(app_client)
    polygons = [f for f in every if f["geometry"]["type"] == "Polygon"]
    labels = [f for f in every if f["geometry"]["type"] == "Point"]
    assert {(f["properties"]["name"], f["properties"]["level"]) for f in polygons} == {
        ("桐庐县", "county"),
        ("淳安县", "county"),
        ("桐庐经济开发区", "park"),
    }
    assert len(labels) == 3  # a point inside each outline to write its name at
    park = next(f for f in labels if f["properties"]["level"] == "park")
    assert 119.605 < park["geometry"]["coordinates"][0] < 119.65
    assert {f["properties"]["code"] for f in boundaries(app_client, county=COUNTY_B)} == {COUNTY_B}
    sign_in(app_client, "officer")
    mine = boundaries(app_client)
    assert {f["properties"]["name"] for f in mine} == {"桐庐县", "桐庐经济开发区"}
    assert {f["properties"]["county"] for f in mine} == {COUNTY_A}
    refused = app_client.get("/api/map/boundaries", params={"county": COUNTY_B})
    assert refused.status_code == 403


def test_boundaries_follow_the_records(outlined: Engine, app_client: TestClient) -> None:
    sign_in(app_client, "analyst")
    assert len(boundaries(app_client)) == 6
    with Session(outlined) as session:
        session.get_one(Jurisdiction, COUNTY_B).geometry_wkt = None
        session.commit()
    assert len(boundaries(app_client)) == 4


def test_a_parcel_is_shown_with_the_names_of_its_holder_county_and_park(
    outlined: Engine, app_client: TestClient
) -> None:
    with Session(outlined) as session:
        session.add(Enterprise(credit_code="91330122MA0000000X", name="桐庐精密机械有限公司"))
        session.flush()
        session.get_one(Parcel, PARCEL_A).holder_credit_code = "91330122MA0000000X"
        session.commit()
    sign_in(app_client, "officer")
    shown = {f["properties"]["parcel_id"]: f["properties"] for f in features(app_client)}
    assert shown[PARCEL_A]["holder_name"] == "桐庐精密机械有限公司"
    assert shown[PARCEL_A]["county"] == "桐庐县" and shown[PARCEL_A]["park"] == "桐庐经济开发区"
    other = shown[PARCEL_A[:-1] + "2"]
    assert other["park"] is None and other["holder_name"] is None


def test_a_crowded_view_shows_parcels_spread_over_it(
    app_client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(parcel_map, "MOST_FEATURES", 2)
    sign_in(app_client, "analyst")
    response = app_client.get("/api/map/parcels", params={"bbox": EVERYWHERE, "zoom": 9})
    shown = response.json()
    assert shown["truncated"] is True
    counties = {f["properties"]["county_code"] for f in shown["features"]}
    assert counties == {COUNTY_A, COUNTY_B}  # not only the first county's
