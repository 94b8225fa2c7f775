"""Signing in through the sign-in page, and the language switch in every page's header."""

import re

from playwright.sync_api import expect

from mujun.web.accounts import SignInError
from tests.browser.conftest import Browse, BrowserErrors, Site, sign_in
from tests.web.conftest import PARCEL_A


def test_signing_in_through_the_form_lands_on_a_signed_in_page(browse: Browse, site: Site) -> None:
    page = browse()
    sign_in(page, "analyst")
    expect(page).to_have_url(f"{site.url}/workbench")  # every role lands on its workbench
    expect(page.get_by_role("heading", level=1)).to_have_text("工作台")
    expect(page.locator("header")).to_contain_text("analyst")
    expect(page.get_by_role("button", name="退出登录")).to_be_visible()
    page.locator("aside nav").get_by_role("link", name="宗地清单").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("宗地清单")
    expect(page.get_by_role("link", name=PARCEL_A)).to_be_visible()


def test_a_wrong_password_shows_the_error(
    browse: Browse, site: Site, browser_errors: BrowserErrors
) -> None:
    page = browse()
    browser_errors.expect(r"status of 401")  # the refused sign-in page itself
    sign_in(page, "viewer", password="not the password")
    expect(page).to_have_url(f"{site.url}/login")
    expect(page.get_by_role("alert")).to_have_text(SignInError.zh)
    expect(page.get_by_role("button", name="退出")).to_have_count(0)


def test_the_language_switch_turns_the_page_english_and_back(browse: Browse, site: Site) -> None:
    page = browse("viewer")
    page.goto("/cockpit")
    header, nav = page.locator("header"), page.locator("aside nav")
    expect(nav.get_by_role("link", name="驾驶舱")).to_be_visible()
    expect(nav.get_by_role("link", name="驾驶舱")).to_have_attribute("aria-current", "page")
    page.get_by_role("link", name="English").click()
    expect(page).to_have_url(f"{site.url}/cockpit")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(nav.get_by_role("link", name="Cockpit")).to_be_visible()
    expect(header.get_by_role("heading", level=1)).to_have_text("Cockpit")
    expect(header.get_by_role("button", name="Sign out")).to_be_visible()
    expect(header).not_to_contain_text(re.compile("驾驶舱|退出"))
    expect(nav).not_to_contain_text(re.compile("驾驶舱|退出"))
    page.get_by_role("link", name="中文").click()
    expect(page).to_have_url(f"{site.url}/cockpit")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(nav.get_by_role("link", name="驾驶舱")).to_be_visible()
    expect(header.get_by_role("button", name="退出登录")).to_be_visible()
