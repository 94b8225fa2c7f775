"""Every page, in both languages, as a county official sees it at 1440×900: a screenshot of each
(full page) into ``MUJUN_SCREENS`` (or the test's temporary folder), and no console error on any.
Look at them: ``MUJUN_SCREENS=screens .venv/bin/pytest -n 0 tests/browser/test_screens.py``; with
``MUJUN_SCREENS`` set, each page is taken at 1920×1080 (a wall screen) too, named ``…-1920``."""

import os
from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.sync_api import Browser, ViewportSize, expect
from sqlalchemy.orm import Session

from mujun.records.accounts import Account
from mujun.web.permissions import Role
from tests.browser.conftest import WAIT_MS, Browse, BrowserErrors, Site, watched
from tests.web.conftest import HASHED, PARCEL_A, PARCEL_B, PASSWORD

SIZES: dict[str, ViewportSize] = {"": {"width": 1440, "height": 900}}
if os.environ.get("MUJUN_SCREENS"):
    SIZES["-1920"] = {"width": 1920, "height": 1080}
TAX = "tax-bureau"
"""A data provider of the tax bureau, added for its workbench (its duties)."""
SCREENS: list[tuple[str, str, str, int]] = [
    # name, account (empty: signed out), path, status
    ("login", "", "/login", 200),
    ("workbench", "admin", "/workbench", 200),
    ("workbench-officer", "officer", "/workbench", 200),
    ("workbench-provider", "provider", "/workbench", 200),  # of no department: it says so
    ("workbench-tax", TAX, "/workbench", 200),
    ("cockpit", "analyst", "/cockpit", 200),
    ("cockpit-wall", "analyst", "/cockpit/wall", 200),
    ("findings", "analyst", "/findings", 200),
    ("grades", "analyst", "/grades", 200),
    ("parcels", "analyst", "/", 200),
    ("enterprises", "analyst", "/enterprises", 200),
    ("parcel-file", "analyst", f"/parcels/{quote(PARCEL_A)}", 200),
    ("map", "analyst", "/map", 200),
    ("runs-diff", "analyst", "/runs/diff?a=1&b=1", 200),
    ("publications", "analyst", "/publications", 200),
    ("objections", "officer", "/objections", 200),
    ("warnings", "officer", "/warnings", 200),
    ("cases", "analyst", "/cases", 200),
    ("cases-board", "officer", "/cases/board", 200),
    ("tasks", "officer", "/tasks", 200),
    ("runs", "admin", "/runs", 200),
    ("imports", "admin", "/imports", 200),
    ("admin-accounts", "admin", "/admin/accounts", 200),
    ("admin-audit", "admin", "/admin/audit", 200),
    ("admin-imports", "admin", "/admin/imports", 200),
    ("admin-password", "officer", "/account/password", 200),
    ("refused", "officer", f"/parcels/{quote(PARCEL_B)}", 403),
    ("missing", "analyst", "/parcels/NO-SUCH-PARCEL", 404),
    ("invalid", "analyst", "/findings?category=bogus", 422),
]


@pytest.fixture(scope="module")
def tax_provider(site: Site) -> None:
    with Session(site.engine) as session:
        if session.query(Account).filter_by(username=TAX).one_or_none() is None:
            session.add(
                Account(
                    username=TAX,
                    display_name="税务局 王科员",
                    password_hash=HASHED,
                    role=Role.DATA_PROVIDER.value,
                    department="tax",
                    failed_logins=0,
                )
            )
            session.commit()


@pytest.fixture(scope="module")
def screens(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = Path(os.environ.get("MUJUN_SCREENS") or tmp_path_factory.mktemp("screens"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


EVERY = [(*screen, lang, size) for screen in SCREENS for lang in ("zh", "en") for size in SIZES]


@pytest.mark.usefixtures("tax_provider")
@pytest.mark.parametrize("screen", EVERY, ids=[f"{s[0]}-{s[4]}{s[5]}" for s in EVERY])
def test_every_page_in_both_languages(
    browser: Browser,
    site: Site,
    screens: Path,
    browser_errors: BrowserErrors,
    screen: tuple[str, str, str, int, str, str],
) -> None:
    name, username, path, status, lang, size = screen
    if status != 200:
        browser_errors.expect(f"status of {status}")  # the error page itself
    context = browser.new_context(
        base_url=site.url,
        viewport=SIZES[size],
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        reduced_motion="reduce",  # the charts drawn at once, not grown
    )
    context.set_default_timeout(WAIT_MS)
    context.add_cookies([{"name": "mujun_lang", "value": lang, "url": site.url}])
    if username:
        signed = context.request.post(
            "/api/session", data={"username": username, "password": PASSWORD}
        )
        assert signed.ok, signed.text()
    page = watched(context.new_page(), browser_errors)
    response = page.goto(path)
    assert response is not None and response.status == status
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN" if lang == "zh" else "en")
    if name == "map":
        expect(page.locator("body")).to_have_attribute("data-map-ready", "true")
    if name.startswith("cockpit"):  # its map, drawn
        expect(page.locator("#cockpit-map")).to_have_attribute("data-ready", "true")
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(screens / f"{name}-{lang}{size}.png"), full_page=True)
    context.close()
    unexpected = browser_errors.unexpected()
    assert not unexpected, "the browser reported errors:\n" + "\n".join(unexpected)


@pytest.mark.parametrize("path", ["/admin/audit", "/account/password"])
def test_the_current_page_is_in_view_in_the_navigation(browse: Browse, path: str) -> None:
    """An administrator's navigation is taller than a 1440×900 window: the current page's
    entry, the last ones among them, is scrolled into view, so the page shows where one is."""
    page = browse("admin")
    page.set_viewport_size(SIZES[""])
    page.goto(path)
    active = page.locator(".navbar-vertical .nav-item.active")
    expect(active).to_have_count(1)
    expect(active).to_be_in_viewport(ratio=1)
