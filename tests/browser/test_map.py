"""挂图作战: find a parcel by its id, open its popup, follow it to the parcel's file and back."""

from playwright.sync_api import expect

from tests.browser.conftest import Browse, Site
from tests.web.conftest import PARCEL_A, WEST

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
    expect(popup).to_contain_text("30 亩 · 闲置土地")  # 20,000 m², found idle in the run
    popup.get_by_role("link", name="一地一档").click()
    expect(page).to_have_url(f"{site.url}/parcels/{PARCEL_A}")
    expect(page.get_by_role("heading", level=1)).to_contain_text(PARCEL_A)
    expect(page.locator("#shape canvas")).to_be_visible()  # the parcel's own map
    expect(page.get_by_role("cell", name="闲置土地")).to_be_visible()  # its finding, in words

    page.go_back()
    expect(page).to_have_url(f"{site.url}/map")
    expect(page.locator("body")).to_have_attribute("data-map-ready", "true")
    expect(page.get_by_role("heading", level=1)).to_have_text("挂图作战")
