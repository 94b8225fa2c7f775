"""驾驶舱: the ECharts charts are drawn from the run's figures, and a bar leads to its findings."""

import os
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import Browse, Site
from tests.web.conftest import PARCEL_A, PARCEL_B

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


def test_clicking_a_bar_shows_the_findings_behind_it(browse: Browse, site: Site) -> None:
    page = browse("analyst")
    page.goto("/cockpit")
    categories: list[str] = page.evaluate(
        """() => echarts.getInstanceByDom(document.getElementById("by-category"))
            .getOption().xAxis[0].data"""
    )
    idle = categories.index("闲置土地")
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
    height = page.evaluate("() => document.documentElement.scrollHeight")
    assert height <= 1080, height
    screens = os.environ.get("MUJUN_SCREENS")
    if screens:
        page.wait_for_function(BAR_DRAWN, arg=["by-category", 0])  # bars grow when drawn
        page.screenshot(path=str(Path(screens) / "cockpit-wall.png"))
