"""Lists as an official sees them at 1440×900: they fit the page, with no sideways scrolling."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Browse, Site

LONGEST_NAME = "杭州市桐庐县某某精密机械制造股份有限公司（分公司）"
"""An enterprise's name as long as a registered one gets."""
WIDTHS = """table => {
  const frame = table.closest('.table-responsive');
  return [frame.scrollWidth, frame.clientWidth];
}"""
"""How wide the table's scrolling frame's content is, and how wide the frame."""


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_findings_list_fits_the_page(browse: Browse, site: Site, lang: str) -> None:
    """Issue 11: the rule's document and clause under the rule, an enterprise's name under its
    credit code; the table fits its card at 1440 px in both languages, even with the longest
    name."""
    page = browse("analyst")
    page.context.add_cookies([{"name": "mujun_lang", "value": lang, "url": site.url}])
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto("/findings")
    table = page.locator("table#findings")
    expect(table.locator("tbody tr")).to_have_count(3)
    basis = table.locator("tbody tr").first.locator("td").nth(1).locator(".under")
    expect(basis).to_contain_text("§二(一)1")
    assert table.locator("thead th").count() == 8  # 序号 and seven columns: no 名称, no 依据
    wide, frame = table.evaluate(WIDTHS)
    assert wide <= frame
    subject = table.locator("tbody tr").first.locator("td").nth(3)
    subject.evaluate(
        "(cell, name) => { const d = document.createElement('div'); d.className = 'under';"
        " d.textContent = name; cell.append(d); }",
        LONGEST_NAME,
    )
    wide, frame = table.evaluate(WIDTHS)
    assert wide <= frame
