"""挂图作战: find a parcel by its id, open its popup, follow it to the parcel's file and back;
on a demo city, the boundaries of counties and parks with their names, a scale bar, a popup
of names, and a county's own base map from an MBTiles or a PMTiles file; in the monitoring
world, the 预警 layer switched on, a warned parcel clicked, its warnings read and one
followed."""

import os
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import shapely
from playwright.sync_api import Browser, Page, ViewportSize, expect
from sqlalchemy.orm import Session

from mujun.demo import generate
from mujun.interchange.exporter import write_csv_folder
from mujun.interchange.importer import import_data_set
from mujun.records.database import open_engine, upgrade
from mujun.web.permissions import Role
from tests.basemaps import KINDS, Kind, write_basemap
from tests.browser.conftest import WAIT_MS, Browse, BrowserErrors, Site, serving, watched
from tests.web.conftest import PARCEL_A, PASSWORD, WEST, add_accounts
from tests.web.test_map_warnings import A2, build_warned_world

CENTRE_A = (WEST["330122"] + 0.01 + 0.0005, 29.8 + 0.0005)
"""The middle of parcel A's square (see ``tests.web.conftest.square``)."""

SHOWN_AT = """([lng, lat]) => {
    const map = window.mujunMap;
    if (!window.movesSinceSearch || map.isMoving()) return null;
    const point = map.project([lng, lat]);
    const hit = map.queryRenderedFeatures(point, {layers: ["parcels"]});
    return hit.length ? {id: hit[0].properties.parcel_id, x: point.x, y: point.y} : null;
}"""
"""Once the map has moved for a search and stopped: the parcel drawn at a place, and where
that place is on the map, in pixels."""


def test_a_parcel_found_on_the_map_leads_to_its_file_and_back(browse: Browse, site: Site) -> None:
    page = browse("officer")
    page.goto("/")
    page.get_by_role("link", name="挂图作战").click()
    expect(page).to_have_url(f"{site.url}/map")
    expect(page.locator("body")).to_have_attribute("data-map-ready", "true")
    expect(page.locator("#message")).to_have_text("显示 3 宗")  # county A's parcels only

    page.evaluate(
        "() => { window.movesSinceSearch = 0; "
        "window.mujunMap.on('moveend', () => window.movesSinceSearch++); }"
    )
    search = page.locator("form#search input#parcel")
    search.fill(PARCEL_A)
    search.press("Enter")
    shown = page.wait_for_function(SHOWN_AT, arg=list(CENTRE_A)).json_value()
    assert shown["id"] == PARCEL_A
    canvas = page.locator("#map canvas").bounding_box()
    assert canvas is not None
    page.mouse.click(canvas["x"] + shown["x"], canvas["y"] + shown["y"])

    popup = page.locator(".maplibregl-popup")
    expect(popup.locator("strong")).to_have_text(PARCEL_A)
    expect(popup).to_contain_text("30 亩")  # 20,000 m²
    expect(popup).to_contain_text("闲置土地")  # found idle in the run
    expect(popup).to_contain_text("桐庐县")
    popup.get_by_role("link", name="一地一档").click()
    expect(page).to_have_url(f"{site.url}/parcels/{PARCEL_A}")
    expect(page.get_by_role("heading", level=1)).to_contain_text(PARCEL_A)
    expect(page.locator("#shape canvas")).to_be_visible()  # the parcel's own map
    expect(page.get_by_role("cell", name="闲置土地")).to_be_visible()  # its finding, in words

    page.go_back()
    expect(page).to_have_url(f"{site.url}/map")
    expect(page.locator("body")).to_have_attribute("data-map-ready", "true")
    expect(page.get_by_role("heading", level=1)).to_have_text("挂图作战")


# -- a demo city: boundaries, names, scale bar, base map --------------------------------------

TONGLU = "330122"
WALL: ViewportSize = {"width": 1920, "height": 1080}


class Demo:
    def __init__(self, url: str, parcel: str, centre: tuple[float, float], park: str) -> None:
        self.url, self.parcel, self.centre, self.park = url, parcel, centre, park


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """A small demo city (three counties, their parks), imported as any data set, with Tonglu's
    officer and a city analyst; and one of Tonglu's parcels in a park, with a holder."""
    folder = tmp_path_factory.mktemp("map-demo")
    engine = open_engine(f"sqlite:///{folder / 'records.db'}")
    upgrade(engine)
    tables = generate(enterprises=400, seed=2)
    write_csv_folder(folder / "data", tables)
    outcome = import_data_set(engine=engine, path=folder / "data", actor="test")
    assert not outcome.problems
    with Session(engine) as session:
        add_accounts(
            session,
            [("officer", Role.COUNTY_OFFICER, TONGLU), ("analyst", Role.CITY_ANALYST, None)],
        )
        session.commit()
    parcels = tables["parcels"].to_pylist()
    chosen = next(
        p
        for p in parcels
        if p["jurisdiction_code"].startswith(TONGLU) and p["park_code"] and p["holder_credit_code"]
    )
    park = next(
        j["name"] for j in tables["jurisdictions"].to_pylist() if j["code"] == chosen["park_code"]
    )
    centre = shapely.centroid(shapely.from_wkt(chosen["geometry_wkt"]))
    with serving(engine) as url:
        yield Demo(url, chosen["parcel_id"], (centre.x, centre.y), park)
    engine.dispose()


def wall_page(
    browser: Browser, url: str, errors: BrowserErrors, username: str, lang: str = "zh"
) -> Page:
    context = browser.new_context(
        base_url=url, viewport=WALL, locale="zh-CN", timezone_id="Asia/Shanghai"
    )
    context.set_default_timeout(WAIT_MS)
    context.add_cookies([{"name": "mujun_lang", "value": lang, "url": url}])
    signed = context.request.post("/api/session", data={"username": username, "password": PASSWORD})
    assert signed.ok, signed.text()
    return watched(context.new_page(), errors)


def screenshot(page: Page, name: str) -> None:
    """Keep what the page looks like in ``MUJUN_SCREENS``, when set, to look at."""
    folder = os.environ.get("MUJUN_SCREENS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"))


RENDERED = """(layer) => window.mujunMap.queryRenderedFeatures({layers: [layer]})
    .map(f => f.properties.name || f.properties.parcel_id)"""


def ready(page: Page) -> None:
    expect(page.locator("body")).to_have_attribute("data-map-ready", "true")
    page.wait_for_function("() => window.mujunMap.loaded() && !window.mujunMap.isMoving()")


def test_the_wall_map_draws_boundaries_names_and_a_scale(
    browser: Browser, demo: Demo, browser_errors: BrowserErrors
) -> None:
    page = wall_page(browser, demo.url, browser_errors, "officer")
    page.goto("/map")
    ready(page)
    page.wait_for_function(f"() => ({RENDERED})('county-line').length > 0")
    assert set(page.evaluate(RENDERED, "county-name")) == {"桐庐县"}  # its own county only
    assert page.evaluate(RENDERED, "county-fill")  # the land under the parcels
    scale = page.locator(".maplibregl-ctrl-scale")
    expect(scale).to_be_visible()
    expect(scale).to_have_text(re.compile(r"^\d+\s*(k?m)$"))
    screenshot(page, "map-wall-officer")

    # Closer in, the parks and their names; a click on a parcel shows its names.
    page.evaluate(
        "() => { window.movesSinceSearch = 0; "
        "window.mujunMap.on('moveend', () => window.movesSinceSearch++); }"
    )
    search = page.locator("form#search input#parcel")
    search.fill(demo.parcel)
    search.press("Enter")
    shown = page.wait_for_function(SHOWN_AT, arg=list(demo.centre)).json_value()
    page.evaluate("() => window.mujunMap.zoomTo(13, {animate: false})")
    ready(page)
    page.wait_for_function(f"() => ({RENDERED})('park-name').length > 0")
    assert demo.park in page.evaluate(RENDERED, "park-name")
    shown = page.wait_for_function(SHOWN_AT, arg=list(demo.centre)).json_value()
    canvas = page.locator("#map canvas").bounding_box()
    assert canvas is not None
    page.mouse.click(canvas["x"] + shown["x"], canvas["y"] + shown["y"])
    popup = page.locator(".maplibregl-popup")
    expect(popup.locator("strong")).to_have_text(demo.parcel)
    expect(popup).to_contain_text("桐庐县")
    expect(popup).to_contain_text(demo.park)
    expect(popup).to_contain_text("有限公司")  # the holder, by name
    words = popup.inner_text().replace(demo.parcel, "")
    assert not re.search(r"\d{6}", words), words  # no codes: names only
    expect(popup.get_by_role("link", name="一地一档")).to_be_visible()
    screenshot(page, "map-wall-popup")

    # The switches hide the boundaries.
    page.get_by_label("区县界与名称").uncheck()
    assert (
        page.evaluate("() => window.mujunMap.getLayoutProperty('county-line', 'visibility')")
        == "none"
    )
    page.context.close()
    assert not browser_errors.unexpected(), browser_errors.unexpected()


def test_the_city_sees_every_county_and_in_english(
    browser: Browser, demo: Demo, browser_errors: BrowserErrors
) -> None:
    page = wall_page(browser, demo.url, browser_errors, "analyst", "en")
    page.goto("/map")
    ready(page)
    page.wait_for_function(f"() => ({RENDERED})('county-name').length >= 3")
    screenshot(page, "map-wall-city-en")
    page.context.close()
    assert not browser_errors.unexpected(), browser_errors.unexpected()


@pytest.fixture(params=KINDS)
def county_basemap(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Kind:
    """``MUJUN_BASEMAP_FILE`` naming an MBTiles or a PMTiles file (the one and then the other)
    of plain tiles over Tonglu, zoom 6 to 10 (overzoomed beyond)."""
    kind: Kind = request.param
    tiles = {}
    for z in range(6, 11):
        west, east = ((lon + 180) / 360 * 2**z for lon in (119.2, 120.2))
        north, south = (
            (1 - np.arcsinh(np.tan(np.radians(lat))) / np.pi) / 2 * 2**z for lat in (30.2, 29.4)
        )
        for x in range(int(west), int(east) + 1):
            for y in range(int(north), int(south) + 1):
                tiles[(z, x, y)] = (190, 214, 180) if (x + y) % 2 else (205, 225, 195)
    monkeypatch.setenv("MUJUN_BASEMAP_FILE", str(write_basemap(kind, tmp_path, tiles)))
    return kind


def test_a_countys_own_base_map_is_drawn_under_the_boundaries(
    browser: Browser, demo: Demo, browser_errors: BrowserErrors, county_basemap: Kind
) -> None:
    page = wall_page(browser, demo.url, browser_errors, "officer")
    served: list[tuple[int, str | None]] = []
    page.on(
        "response",
        lambda r: (
            served.append((r.status, r.headers.get("content-type")))
            if "/api/map/basemap/" in r.url
            else None
        ),
    )
    page.goto("/map")
    ready(page)
    page.wait_for_function("() => window.mujunMap.areTilesLoaded()")
    assert served and set(served) == {(200, "image/png")}
    expect(page.get_by_label("底图")).to_be_checked()
    assert page.evaluate("() => window.mujunMap.getLayer('basemap').type") == "raster"
    screenshot(page, f"map-wall-basemap-{county_basemap}")
    page.context.close()
    assert not browser_errors.unexpected(), browser_errors.unexpected()


# -- the monitoring world: the 预警 layer ------------------------------------------------------

CENTRE_A2 = (WEST["330122"] + 0.02 + 0.0005, 29.8 + 0.0005)
"""The middle of parcel A2's square, which 丙 owns: its two warnings, red and orange."""
DOT_AT = """([lng, lat]) => {
    const map = window.mujunMap;
    if (map.isMoving() || !map.loaded()) return null;
    const point = map.project([lng, lat]);
    const hit = map.queryRenderedFeatures(point, {layers: ["warnings-dot"]});
    return hit.length ? {id: hit[0].properties.parcel_id, x: point.x, y: point.y} : null;
}"""
"""The warned parcel whose dot is drawn at a place, and where that place is, in pixels."""


@pytest.fixture(scope="module")
def warned_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The web tests' monitoring world with warnings on parcels (``tests.web.test_map_warnings``),
    served."""
    engine = open_engine(f"sqlite:///{tmp_path_factory.mktemp('map-warnings') / 'records.db'}")
    upgrade(engine)
    build_warned_world(engine)
    with serving(engine) as url:
        yield url
    engine.dispose()


def test_a_warned_parcel_shows_its_warnings_and_leads_to_them(
    browser: Browser, warned_url: str, browser_errors: BrowserErrors
) -> None:
    page = wall_page(browser, warned_url, browser_errors, "officer")
    page.goto("/map")
    ready(page)
    expect(page.locator("#warning-legend")).to_have_text("红色预警橙色预警黄色预警")
    page.get_by_label("显示在办预警").check()
    expect(page.locator("#warning-count")).to_have_text("视图内有在办预警的宗地 3 宗")  # 桐庐县's
    shown = page.wait_for_function(DOT_AT, arg=list(CENTRE_A2)).json_value()
    assert shown["id"] == A2
    canvas = page.locator("#map canvas").bounding_box()
    assert canvas is not None
    page.mouse.click(canvas["x"] + shown["x"], canvas["y"] + shown["y"])

    popup = page.locator(".maplibregl-popup")
    expect(popup.locator("strong")).to_have_text(A2)
    expect(popup).to_contain_text("在办预警（2）")
    warnings = popup.locator(".map-popup-warning")
    expect(warnings).to_have_count(2)
    expect(warnings.first).to_contain_text("红色")  # the highest level first
    expect(warnings.first).to_contain_text("连续零用电")
    expect(warnings.first).to_contain_text("丙公司")
    expect(warnings.first).to_contain_text("2025年3月起")
    expect(warnings.nth(1)).to_contain_text("用电量连续骤降")
    expect(popup).to_contain_text("一地一档")  # the parcel's own facts still below
    screenshot(page, "map-warnings-popup")

    warnings.first.get_by_role("link", name="查看预警").click()
    expect(page).to_have_url(re.compile(r"/warnings/\d+$"))
    expect(page.locator("body")).to_contain_text("连续零用电")
    page.context.close()
    assert not browser_errors.unexpected(), browser_errors.unexpected()
