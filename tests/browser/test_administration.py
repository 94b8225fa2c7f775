"""管理 in a browser: an administrator adds an account through the form and disables it, and
the account then cannot sign in."""

from playwright.sync_api import expect

from mujun.web.accounts import SignInError
from tests.browser.conftest import Browse, BrowserErrors, Site, sign_in

NEW_USER = "zhao.browser"
NEW_PASSWORD = "zhao's first password"


def test_an_account_added_and_disabled_cannot_sign_in(
    browse: Browse, site: Site, browser_errors: BrowserErrors
) -> None:
    page = browse("admin")
    page.goto("/admin/accounts")
    expect(page.get_by_role("heading", level=1)).to_have_text("账号管理")
    form = page.locator("#add-account")
    form.get_by_label("用户名").fill(NEW_USER)
    form.get_by_label("姓名").fill("桐庐县 赵工")
    form.get_by_label("角色").select_option("county_officer")
    form.get_by_label("所属区县").select_option(label="桐庐县")
    form.get_by_label("初始密码").fill(NEW_PASSWORD)
    form.get_by_label("原因").fill("新增工作人员")
    form.get_by_role("button", name="新增账号").click()
    expect(page.get_by_role("status")).to_contain_text("账号已新增")
    row = page.locator(f'tr[data-account="{NEW_USER}"]')
    expect(row).to_contain_text("县区工作人员")
    expect(row).to_contain_text("桐庐县")
    expect(row.locator(".state")).to_contain_text("正常")

    row.locator("summary").click()
    disabling = row.locator("form", has=page.get_by_role("button", name="停用"))
    disabling.get_by_label("原因").fill("调离岗位")
    disabling.get_by_role("button", name="停用").click()
    expect(page.get_by_role("status")).to_contain_text("账号已停用")
    expect(page.locator(f'tr[data-account="{NEW_USER}"] .state')).to_contain_text("已停用")

    browser_errors.expect(r"status of 401")  # the refused sign-in page itself
    stranger = browse()
    sign_in(stranger, NEW_USER, NEW_PASSWORD)
    expect(stranger).to_have_url(f"{site.url}/login")
    expect(stranger.get_by_role("alert")).to_have_text(SignInError.zh)
