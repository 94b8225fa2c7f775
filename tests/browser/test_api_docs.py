"""/api/docs: Swagger UI, served by the application from the npm registry's package, runs under
the Content-Security-Policy (no inline script, no CDN) and shows the API's operations."""

from playwright.sync_api import expect

from tests.browser.conftest import Browse


def test_swagger_ui_shows_the_api(browse: Browse) -> None:
    page = browse()
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto("/api/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("mujun")
    expect(page.locator(".opblock-summary-path", has_text="/api/parcels").first).to_be_visible()
    base = page.url.removesuffix("/api/docs")
    assert all(url.startswith(base) or url.startswith("data:") for url in requested), requested
