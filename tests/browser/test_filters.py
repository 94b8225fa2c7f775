"""A list's filter bar in a real browser: two drop-downs chosen by name and a search, kept in
the address, then the whole filtered list exported (a download)."""

import io
import os
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.browser.conftest import Browse
from tests.web.conftest import COUNTY_A, PARCEL_A


def test_choose_two_drop_downs_search_and_export_the_whole_list(browse: Browse) -> None:
    page = browse("analyst")
    page.goto("/findings")
    page.get_by_label("区县").select_option(label="桐庐县")
    page.get_by_label("类别").select_option(label="闲置土地")
    page.get_by_label("对象或名称").fill(COUNTY_A)
    with page.expect_navigation():
        page.get_by_role("button", name="查询").click()
    query = parse_qs(urlsplit(page.url).query)
    assert query["county"] == [COUNTY_A] and query["category"] == ["idle_land"]
    assert query["q"] == [COUNTY_A]
    rows = page.locator("table#findings tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(PARCEL_A)
    expect(page.get_by_label("区县")).to_have_value(COUNTY_A)
    expect(page.get_by_label("类别")).to_have_value("idle_land")
    if screens := os.environ.get("MUJUN_SCREENS"):  # look at it: the filters as chosen
        page.screenshot(path=str(Path(screens) / "findings-filtered-zh.png"), full_page=True)

    with page.expect_download() as downloading:
        page.get_by_role("link", name="导出全部（1 条）").click()
    download = downloading.value
    assert download.suggested_filename.endswith(".xlsx")
    path = download.path()
    book = load_workbook(io.BytesIO(path.read_bytes()), read_only=True)
    listed = list(book.worksheets[0].iter_rows(values_only=True))
    assert listed[1][:2] == ("序号", "宗地号/企业名称")
    assert [row[1] for row in listed[2:]] == [PARCEL_A]
