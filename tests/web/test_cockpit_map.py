"""驾驶舱's map (and the wall screen's): drawn by the scripts 挂图作战 shares, in its colours and
names, for the county asked for, with 打开地图 to the same county; an empty state without
shapes. The map itself, drawn, is tested in a browser (tests/browser/test_cockpit.py)."""

import html
import json
import re
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.web.conftest import COUNTY_A, COUNTY_B, keep_run, sign_in


def _page_json(text: str, block: str) -> Any:
    """The JSON of the page's ``<script id="{block}" type="application/json">``."""
    found = re.search(rf'<script id="{block}" type="application/json">(.*?)</script>', text, re.S)
    assert found is not None, block
    return json.loads(html.unescape(found.group(1)))


def test_the_cockpit_maps_its_area_with_the_maps_colours_and_a_link_to_it(
    app_client: TestClient, run: int
) -> None:
    """The map card: drawn from /api/map by the shared scripts, its legend the categories of
    挂图作战 in words and colours, 打开地图 keeping the county; refused beyond one's area."""
    sign_in(app_client, "analyst")
    page = app_client.get("/cockpit")
    assert 'id="cockpit-map"' in page.text and "用地分布图" in page.text
    scripts = ("/assets/maplibre/maplibre-gl.js", "/static/mapview.js", "/static/cockpit_map.js")
    for script in scripts:
        assert f'<script src="{script}"></script>' in page.text
    assert app_client.get("/static/cockpit_map.js").status_code == 200
    shown = _page_json(page.text, "map-data")
    assert (shown["county"], shown["theme"]) == (None, "light")
    legend = {code: label for code, label, _ in shown["category"]}
    assert legend == {
        "idle_land": "闲置土地",
        "low_efficiency_land": "低效用地",
        "non_industrial_use": "占工非工",
        "none": "其他宗地",
    }
    the_map = _page_json(app_client.get("/map").text, "page-data")
    assert shown["category"] == the_map["category"]  # the same colours and names as the map
    assert 'href="/map"' in page.text

    county = app_client.get("/cockpit", params={"county": COUNTY_A})
    assert _page_json(county.text, "map-data")["county"] == COUNTY_A
    assert f'id="to-map" class="btn btn-sm" href="/map?county={COUNTY_A}"' in county.text
    mapped = app_client.get("/map", params={"county": COUNTY_A})
    assert mapped.status_code == 200 and "只显示" in mapped.text and "桐庐县" in mapped.text
    assert _page_json(mapped.text, "page-data")["only_county"] == COUNTY_A

    wall = app_client.get("/cockpit/wall", params={"county": COUNTY_A})
    assert 'class="wall-panel wall-map"' in wall.text
    assert _page_json(wall.text, "map-data")["theme"] == "dark"
    assert f'href="/map?county={COUNTY_A}"' in wall.text

    english = app_client.get("/cockpit", params={"lang": "en"})
    assert "Land on the map" in english.text and "Open the map" in english.text
    assert _page_json(english.text, "map-data")["category"][0][1] == "Idle land"

    sign_in(app_client, "officer")
    assert app_client.get("/map", params={"county": COUNTY_B}).status_code == 403
    assert app_client.get("/map").status_code == 200


def test_an_area_without_shapes_has_an_empty_map(app_client: TestClient, run: int) -> None:
    """No parcel of the area has a shape: a sentence says so, and no map is drawn."""
    sign_in(app_client, "analyst")
    for path in ("/cockpit", "/cockpit/wall"):
        page = app_client.get(path, params={"county": "330199"})  # a county with no parcels
        assert page.status_code == 200
        assert "本辖区还没有带空间范围的宗地" in page.text, path
        assert 'id="cockpit-map"' not in page.text and "cockpit_map.js" not in page.text


def test_the_map_says_whose_colours_it_shows_for_an_older_run(
    app_client: TestClient, city: Engine, run: int
) -> None:
    """The map colours by the run of record (as 挂图作战 does): a cockpit showing an older run
    says so."""
    later = keep_run(city)
    sign_in(app_client, "analyst")
    assert "着色" not in app_client.get("/cockpit").text
    older = app_client.get("/cockpit", params={"run": run})
    assert f"按现行认定批次 #{later} 着色" in older.text
