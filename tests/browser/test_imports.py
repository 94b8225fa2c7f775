"""导入数据: a workbook with a bad row is checked, and the page says which row and why; a
confirmed one is kept, downloaded again, and named in the history of the records it inserted;
the same one sent again is known as already imported."""

import os
from pathlib import Path

import openpyxl
import pytest
from playwright.sync_api import Page, expect

from mujun.interchange.schema import table
from tests.browser.conftest import Browse

COLUMNS = ("parcel_id", "area_m2", "jurisdiction_code", "land_use")


def workbook(path: Path) -> Path:
    """宗地 with Chinese headers, a good row, and a row (the sheet's row 3) with a negative area."""
    parcels = table("parcels")
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = parcels.label_zh
    sheet.append([parcels.column(name).label_zh for name in COLUMNS])
    sheet.append(["330122001001GB00009", 1000, "330122001", "工业"])
    sheet.append(["330122001001GB00010", -5, "330122001", "工业"])
    book.save(path)
    return path


def checked(page: Page, upload: Path | list[Path], reason: str) -> None:
    """Send ``upload`` to be checked from the 导入数据 page, with ``reason``."""
    page.goto("/imports")
    form = page.locator("form#import-form")
    form.locator("input[name=file]").set_input_files(upload)
    form.locator("input[name=reason]").fill(reason)
    form.get_by_role("button", name="检查").click()


def test_a_workbook_with_a_bad_row_shows_the_row_and_the_reason(
    browse: Browse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MUJUN_UPLOADS", str(tmp_path / "uploads"))  # the served app's staging
    upload = workbook(tmp_path / "宗地台账.xlsx")
    page = browse("admin")
    checked(page, upload, "浏览器测试：检查一个有错的工作簿")

    problems = page.locator("table#import-problems tbody tr")
    expect(problems).to_have_count(1)
    expect(problems.first.get_by_role("cell", name="3", exact=True)).to_have_count(1)
    expect(problems.first).to_contain_text("面积(平方米)不能为负数")


def test_a_confirmed_workbook_is_kept_and_downloaded_from_the_import_history(
    browse: Browse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MUJUN_UPLOADS", str(tmp_path / "uploads"))
    upload = workbook(tmp_path / "宗地台账.xlsx")
    book = openpyxl.load_workbook(upload)
    book.active.delete_rows(3)
    book.save(upload)
    page = browse("admin")
    checked(page, upload, "浏览器测试：导入并留存原始文件")
    screens = os.environ.get("MUJUN_SCREENS")
    if screens:
        page.screenshot(path=str(Path(screens) / "import-checked.png"), full_page=True)
    with page.expect_navigation():
        page.locator("#import-confirm").click()

    page.goto("/admin/imports")
    link = page.locator("#import-history").get_by_role("link", name="宗地台账.xlsx")
    expect(link).to_be_visible()
    if screens:
        page.screenshot(path=str(Path(screens) / "import-history-files.png"), full_page=True)
    with page.expect_download() as downloading:
        link.click()
    kept = tmp_path / "downloaded.xlsx"
    downloading.value.save_as(kept)
    assert kept.read_bytes() == upload.read_bytes()

    # The parcel's file tells who inserted it, from which import and sheet, and why.
    page.goto("/parcels/330122001001GB00009")
    inserted = page.locator("table", has_text="来源").locator("tbody tr").first
    expect(inserted).to_contain_text("新增")
    expect(inserted).to_contain_text("导入 第")
    expect(inserted).to_contain_text("宗地台账.xlsx » 宗地")
    expect(inserted).to_contain_text("浏览器测试：导入并留存原始文件")
    if screens:
        page.screenshot(path=str(Path(screens) / "parcel-file-imported.png"), full_page=True)

    # The very same workbook again: known by its digest, not read, nothing to confirm.
    checked(page, upload, "浏览器测试：同一工作簿再次上传")
    expect(page.locator("ul.notices")).to_contain_text("次导入读取的文件完全相同")
    expect(page.locator("#import-confirm")).to_have_count(0)
    if screens:
        page.screenshot(path=str(Path(screens) / "import-same-files.png"), full_page=True)


def test_a_file_sent_again_unchanged_beside_a_changed_one_is_named_and_not_read(
    browse: Browse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two CSV files imported, then sent again with one of them changed: the check names the
    unchanged file as known already, and offers the change to confirm."""
    monkeypatch.setenv("MUJUN_UPLOADS", str(tmp_path / "uploads"))
    parcels, approvals = tmp_path / "parcels.csv", tmp_path / "land_approvals.csv"
    parcels.write_text(
        "parcel_id,area_m2,jurisdiction_code,land_use\n"
        "330122001001GB00019,1000,330122001,industrial\n",
        encoding="utf-8",
    )
    approvals.write_text(
        "approval_id,jurisdiction_code,approved_date,approved_area_m2\n"
        "PZ-2025-901,330122001,2025-03-01,20000\n",
        encoding="utf-8",
    )
    page = browse("admin")
    checked(page, [parcels, approvals], "浏览器测试：两个文件")
    with page.expect_navigation():
        page.locator("#import-confirm").click()

    approvals.write_text(approvals.read_text(encoding="utf-8").replace("20000", "25000"))
    checked(page, [parcels, approvals], "浏览器测试：批复面积更正")
    expect(page.locator("ul.notices")).to_contain_text("parcels.csv：与第")
    expect(page.locator("ul.notices")).to_contain_text("完全相同，且此后数据未变，未再读取")
    expect(page.locator("#import-confirm")).to_have_count(1)
    screens = os.environ.get("MUJUN_SCREENS")
    if screens:
        page.screenshot(path=str(Path(screens) / "import-known-file.png"), full_page=True)
