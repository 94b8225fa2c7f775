"""A county officer opening another county's parcel file is refused, and the refusal is
written to the audit log."""

from playwright.sync_api import expect
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mujun.records.accounts import AuditEntry
from tests.browser.conftest import Browse, BrowserErrors, Site
from tests.web.conftest import PARCEL_A, PARCEL_B


def refusals(site: Site, target: str) -> int:
    with Session(site.engine) as db:
        return (
            db.scalar(
                select(func.count())
                .select_from(AuditEntry)
                .where(
                    AuditEntry.username == "officer",
                    AuditEntry.outcome == "refused",
                    AuditEntry.target == target,
                )
            )
            or 0
        )


def test_another_countys_parcel_file_is_refused_and_audited(
    browse: Browse, site: Site, browser_errors: BrowserErrors
) -> None:
    browser_errors.expect(r"status of 403")  # the refused page itself
    target = f"/parcels/{PARCEL_B}"
    before = refusals(site, target)
    page = browse("officer")

    mine = page.goto(f"/parcels/{PARCEL_A}")
    assert mine is not None and mine.status == 200
    expect(page.get_by_role("heading", level=1)).to_contain_text(PARCEL_A)

    theirs = page.goto(target)
    assert theirs is not None and theirs.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("无权访问")
    expect(page.get_by_role("alert")).to_contain_text(PARCEL_B)
    expect(page.locator("main")).not_to_contain_text("变更记录")  # nothing of the file shown
    assert refusals(site, target) == before + 1
