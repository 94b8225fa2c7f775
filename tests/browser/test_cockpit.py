"""驾驶舱: the ECharts charts are drawn from the run's figures, and a bar leads to its findings;
the map draws the area's parcels in the colours of 挂图作战 and leads to it, for the county
asked for; the wall screen shows it all on one 1920×1080 screen, on the test city and on a demo
city with its counties' and parks' outlines."""

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy.orm import Session

from mujun.demo import generate
from mujun.identification.service import identify_and_keep
from mujun.interchange.exporter import write_csv_folder
from mujun.interchange.importer import import_data_set
from mujun.policy.profiles import load_profile
from mujun.records.database import open_engine, upgrade
from mujun.web.permissions import Role
from tests.browser.conftest import (
    WAIT_MS,
    Browse,
    BrowserErrors,
    Motion,
    Site,
    serving,
    watched,
)
from tests.web.conftest import COUNTY_A, PARCEL_A, PARCEL_B, PASSWORD, add_accounts

CHARTS = {"by-category": "categories", "by-county": "counties"}
"""Each chart's container and the figures of ``/api/cockpit`` it draws."""

SERIES_DATA = """id => echarts.getInstanceByDom(document.getElementById(id))
    .getOption().series.map(s => s.data)"""

BAR_DRAWN = """([id, index]) => {
    const chart = echarts.getInstanceByDom(document.getElementById(id));
    const data = chart.getModel().getSeriesByIndex(0).getData();
    const bar = data.getItemGraphicEl(index), layout = data.getItemLayout(index);
    return !!bar && !!layout && layout.height !== 0 && bar.shape.height === layout.height;
}"""
"""Whether the first series' bar ``index`` has grown to its full height (bars are animated)."""

BAR_MIDDLE = """([id, index]) => {
    const chart = echarts.getInstanceByDom(document.getElementById(id));
    const value = chart.getOption().series[0].data[index];
    const [, y] = chart.convertToPixel({seriesIndex: 0}, [index, value / 2]);
    // Two series share each category, side by side: the first one's bar lies left of the
    // category's middle, where its own layout puts it.
    const bar = chart.getModel().getSeriesByIndex(0).getData().getItemLayout(index);
    return {x: bar.x + bar.width / 2, y};
}"""
"""Where in its chart the middle of the first series' bar ``index`` is drawn, in pixels."""


def test_the_cockpit_draws_the_runs_figures(browse: Browse, site: Site) -> None:
    page = browse("analyst")
    page.goto("/")
    page.get_by_role("link", name="驾驶舱").click()
    expect(page).to_have_url(f"{site.url}/cockpit")
    figures: dict[str, Any] = page.request.get("/api/cockpit").json()
    for chart, figure in CHARTS.items():
        drawn = page.locator(f"#{chart} canvas, #{chart} svg").first
        expect(drawn).to_be_visible()
        box = drawn.bounding_box()
        assert box is not None and box["width"] > 0 and box["height"] > 0, chart
        tallies = figures[figure]
        assert tallies, figure
        assert page.evaluate(SERIES_DATA, chart) == [
            [t["findings"] for t in tallies],
            [t["mu"] for t in tallies],
        ]


COUNT_TICKS = """id => echarts.getInstanceByDom(document.getElementById(id))
    .getModel().getComponent("yAxis", 0).axis.scale.getTicks().map(t => t.value)"""
"""The values a chart's count axis (its first) is marked at."""


@pytest.mark.parametrize("motion", ["reduce", "no-preference"])
def test_the_charts_stand_still_for_a_reader_who_asks_for_less_motion(
    browse: Browse, motion: Motion
) -> None:
    """Where the reader's system asks for reduced motion, the charts are drawn at once rather
    than grown (WCAG 2.3.3)."""
    page = browse("analyst", motion=motion)
    page.goto("/cockpit")
    for chart in CHARTS:
        expect(page.locator(f"#{chart} canvas").first).to_be_visible()
        animated = page.evaluate(
            "id => echarts.getInstanceByDom(document.getElementById(id)).getOption().animation",
            chart,
        )
        assert animated == (False if motion == "reduce" else "auto")  # "auto": ECharts' own


def test_counts_are_marked_in_whole_numbers(browse: Browse) -> None:
    """Two findings are not marked 0, 0.5, 1, 1.5, 2: a count axis has whole ticks only."""
    page = browse("analyst")
    page.goto("/cockpit")
    for chart in CHARTS:
        expect(page.locator(f"#{chart} canvas").first).to_be_visible()
        ticks: list[float] = page.evaluate(COUNT_TICKS, chart)
        assert len(ticks) > 1 and all(t == int(t) for t in ticks), (chart, ticks)


def test_clicking_a_bar_shows_the_findings_behind_it(browse: Browse, site: Site) -> None:
    page = browse("analyst")
    page.goto("/cockpit")
    categories: list[str] = page.evaluate(
        """() => echarts.getInstanceByDom(document.getElementById("by-category"))
            .getOption().xAxis[0].data"""
    )
    idle = categories.index("闲置土地")
    page.locator("#by-category").scroll_into_view_if_needed()  # under the map
    page.wait_for_function(BAR_DRAWN, arg=["by-category", idle])
    at: dict[str, float] = page.evaluate(BAR_MIDDLE, ["by-category", idle])
    chart = page.locator("#by-category").bounding_box()
    assert chart is not None
    page.mouse.click(chart["x"] + at["x"], chart["y"] + at["y"])
    expect(page).to_have_url(f"{site.url}/findings?run={site.run}&category=idle_land")
    expect(page.locator("select[name=category]")).to_have_value("idle_land")
    found = page.locator("main table")
    expect(found.get_by_role("link", name=PARCEL_A)).to_be_visible()
    expect(found.get_by_role("link", name=PARCEL_B)).to_be_visible()
    expect(found).not_to_contain_text("91330122MA0000000X")  # an enterprise, not idle land


def test_the_wall_screen_fills_1920_by_1080_with_the_cockpits_figures(
    browse: Browse, site: Site
) -> None:
    """大屏: from the cockpit to the wall screen; every chart drawn in its panel, the headline
    figures the cockpit's, nothing scrolled out of a 1920×1080 screen."""
    page = browse("analyst")
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.goto("/cockpit")
    with page.expect_navigation():
        page.locator("#to-wall").click()
    expect(page).to_have_url(f"{site.url}/cockpit/wall")
    expect(page.locator("body")).to_have_attribute("data-bs-theme", "dark")
    figures: dict[str, Any] = page.request.get("/api/cockpit").json()
    for chart, figure in CHARTS.items():
        expect(page.locator(f"#{chart} canvas").first).to_be_visible()
        assert page.evaluate(SERIES_DATA, chart)[0] == [t["findings"] for t in figures[figure]]
    idle = next(t for t in figures["categories"] if t["code"] == "idle_land")
    expect(page.locator(".wall-kpis")).to_contain_text(f"闲置土地{idle['findings']}宗")
    drawn(page, 6)  # the map, in its panel
    box = page.locator("#cockpit-map").bounding_box()
    assert box is not None and box["width"] > 500 and box["height"] > 600, box
    assert box["y"] + box["height"] <= 1080, box
    height = page.evaluate("() => document.documentElement.scrollHeight")
    assert height <= 1080, height
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 1920, width
    screens = os.environ.get("MUJUN_SCREENS")
    if screens:
        page.wait_for_function(BAR_DRAWN, arg=["by-category", 0])  # bars grow when drawn
        page.screenshot(path=str(Path(screens) / "cockpit-wall.png"))


# -- the map --------------------------------------------------------------------------------

PARCELS = """() => window.mujunMap.querySourceFeatures("parcels")
    .map(f => [f.properties.parcel_id, f.properties.category, f.properties.county_code])"""
"""The parcels MapLibre holds: id, category and county of each (a parcel cut by tiles more than
once)."""
RENDERED = """(layer) => window.mujunMap.queryRenderedFeatures({layers: [layer]})
    .map(f => f.properties.name || f.properties.parcel_id)"""


def drawn(page: Page, parcels: int) -> dict[str, tuple[str, str]]:
    """Once the cockpit's map has drawn its ``parcels``: each one's category and county."""
    shown = page.locator("#cockpit-map")
    expect(shown).to_have_attribute("data-ready", "true")
    expect(shown).to_have_attribute("data-parcels", str(parcels))
    page.wait_for_function("() => window.mujunMap.loaded() && !window.mujunMap.isMoving()")
    held = {i: (c, county) for i, c, county in page.evaluate(PARCELS)}
    assert len(held) == parcels, held
    return held


def test_the_cockpits_map_draws_the_areas_parcels_and_leads_to_the_map(
    browse: Browse, site: Site
) -> None:
    """The city's parcels in their categories, the legend in Chinese, a dot on each parcel at
    the city's scale; for one county, its parcels only, and 打开地图 opens 挂图作战 on it."""
    page = browse("analyst")
    page.goto("/cockpit")
    held = drawn(page, 6)
    assert held[PARCEL_A][0] == "idle_land" and held[PARCEL_B][0] == "idle_land"
    assert {c for c, _ in held.values()} == {"idle_land", "none"}
    legend = page.locator("#cockpit-map-legend")
    expect(legend).to_have_text("闲置土地低效用地占工非工其他宗地")
    assert len(page.evaluate(RENDERED, "parcel-dots")) >= 6  # each one seen at this scale
    expect(page.locator("#to-map")).to_have_attribute("href", "/map")

    page.goto(f"/cockpit?county={COUNTY_A}")
    held = drawn(page, 3)
    assert {county for _, county in held.values()} == {COUNTY_A}
    with page.expect_navigation():
        page.locator("#to-map").click()
    assert page.url.endswith(f"/map?county={COUNTY_A}")
    expect(page.locator("body")).to_have_attribute("data-map-ready", "true")
    expect(page.locator("#message")).to_have_text("显示 3 宗")  # county A's parcels only
    expect(page.locator("#map-county")).to_contain_text("桐庐县")


# -- a demo city: outlines, names, the wall screen as a county and a city see it -------------

TONGLU = "330122"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A small demo city (three counties, their parks, their outlines) imported as any data
    set and identified (ankang-2024 as of 2025-12-31), with Tonglu's officer and a city
    analyst; served."""
    folder = tmp_path_factory.mktemp("cockpit-demo")
    engine = open_engine(f"sqlite:///{folder / 'records.db'}")
    upgrade(engine)
    write_csv_folder(folder / "data", generate(enterprises=400, seed=2))
    outcome = import_data_set(engine=engine, path=folder / "data", actor="test")
    assert not outcome.problems
    identify_and_keep(
        engine=engine,
        profile=load_profile("ankang-2024"),
        as_of=dt.date(2025, 12, 31),
        actor="test",
    )
    with Session(engine) as session:
        add_accounts(
            session,
            [("officer", Role.COUNTY_OFFICER, TONGLU), ("analyst", Role.CITY_ANALYST, None)],
        )
        session.commit()
    with serving(engine) as url:
        yield url
    engine.dispose()


def signed_in(
    browser: Browser, url: str, errors: BrowserErrors, *, username: str, lang: str, width: int
) -> Page:
    height = 1080 if width == 1920 else 900
    context = browser.new_context(
        base_url=url,
        viewport={"width": width, "height": height},
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
    )
    context.set_default_timeout(WAIT_MS)
    context.add_cookies([{"name": "mujun_lang", "value": lang, "url": url}])
    signed = context.request.post("/api/session", data={"username": username, "password": PASSWORD})
    assert signed.ok, signed.text()
    return watched(context.new_page(), errors)


def ready(page: Page) -> None:
    expect(page.locator("#cockpit-map")).to_have_attribute("data-ready", "true")
    page.wait_for_function(
        "() => window.mujunMap.loaded() && !window.mujunMap.isMoving()"
        " && window.mujunMap.areTilesLoaded()"
    )


def screenshot(page: Page, name: str, full: bool = False) -> None:
    """Keep what the page looks like in ``MUJUN_SCREENS``, when set, to look at."""
    folder = os.environ.get("MUJUN_SCREENS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.wait_for_timeout(600)  # the charts' animations
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=full)


LEGEND = {
    "zh": "闲置土地低效用地占工非工其他宗地",
    "en": "Idle landLow-efficiency landNon-industrial useOther parcels",
}


@pytest.mark.parametrize(
    "case",
    [
        ("officer", "/cockpit/wall", {"桐庐县"}, "zh"),
        ("analyst", "/cockpit/wall", None, "zh"),
        ("analyst", f"/cockpit/wall?county={TONGLU}", {"桐庐县"}, "zh"),
        ("analyst", "/cockpit/wall", None, "en"),
    ],
    ids=["county", "city", "city-for-a-county", "city-en"],
)
def test_the_wall_screen_maps_the_area_with_its_names(
    browser: Browser,
    demo: str,
    browser_errors: BrowserErrors,
    case: tuple[str, str, set[str] | None, str],
) -> None:
    """The counties' outlines and names (a county's own only), parcels in their categories,
    all on one dark screen."""
    username, path, counties, lang = case
    page = signed_in(browser, demo, browser_errors, username=username, lang=lang, width=1920)
    page.goto(path)
    ready(page)
    page.wait_for_function(f"() => ({RENDERED})('county-name').length > 0")
    names = set(page.evaluate(RENDERED, "county-name"))
    if counties is None:
        assert len(names) >= 3, names
    else:
        assert names == counties
    categories = {c for _, c, county in page.evaluate(PARCELS)}
    assert {"idle_land", "none"} <= categories, categories
    if counties:
        assert {county for *_, county in page.evaluate(PARCELS)} == {TONGLU}
    expect(page.locator("#cockpit-map-legend")).to_have_text(LEGEND[lang])
    assert page.evaluate("() => document.documentElement.scrollHeight") <= 1080
    name = f"cockpit-wall-demo-{username}{'-county' if '?' in path else ''}-{lang}"
    screenshot(page, name)
    page.context.close()
    assert not browser_errors.unexpected(), browser_errors.unexpected()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_cockpits_map_of_a_demo_county(
    browser: Browser, demo: str, browser_errors: BrowserErrors, lang: str
) -> None:
    page = signed_in(browser, demo, browser_errors, username="officer", lang=lang, width=1440)
    page.goto("/cockpit")
    ready(page)
    page.wait_for_function(f"() => ({RENDERED})('county-name').length > 0")
    assert page.evaluate(RENDERED, "county-name") == ["桐庐县"]  # a name, never translated
    expect(page.locator("#cockpit-map-legend")).to_have_text(LEGEND[lang])
    screenshot(page, f"cockpit-demo-officer-{lang}", full=True)
    page.context.close()
    assert not browser_errors.unexpected(), browser_errors.unexpected()
