"""Markup a data provider imports is shown as text on every page, never run: a data set with
markup in every text column the interchange format accepts (ids, names, reasons, …), a run's
findings and an evaluation's grades naming it, and an account whose name is markup; each page
is opened, and no dialog may open, nothing may fail in the console (a script the
Content-Security-Policy blocked included), and no image ``x`` may be asked for."""

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.sync_api import Browser, Dialog, Page, expect
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from mujun.interchange.credit_code import check_character
from mujun.interchange.importer import import_data_set
from mujun.interchange.schema import TableSpec, tables
from mujun.records import Account, Finding, Grade, Job
from mujun.records.database import open_engine, upgrade
from mujun.records.fields import ValueKind
from mujun.web.permissions import Role
from tests.browser.conftest import WAIT_MS, BrowserErrors, serving, watched
from tests.builders import NOW, evaluation_run
from tests.web.conftest import COUNTY_A, HASHED, PASSWORD, build_city, keep_run, square

MARKUP = "</script><script>alert(1)</script><img src=x onerror=alert(2)>"
CREDIT_CODE = "91330122MA0000001" + check_character("91330122MA0000001")
REFERRED = {c.field.references for t in tables() for c in t.columns} - {None}
PLAIN = {
    ValueKind.INTEGER: "1",
    ValueKind.YEAR: "2024",
    ValueKind.NUMBER: "1000",
    ValueKind.SHARE: "0.5",
    ValueKind.DATE: "2024-01-01",
    ValueKind.MONTH: "2024-01",
    ValueKind.BOOLEAN: "是",
    ValueKind.CREDIT_CODE: CREDIT_CODE,
    ValueKind.WKT: square(119.65, 29.8),
}
"""What a column that is not text holds (each table has one row)."""
IN_COUNTY_A = {("jurisdictions", "parent_code"): COUNTY_A, ("jurisdictions", "level"): "park"}


def record_id(table: str) -> str:
    """The key of a table's row: markup, without a slash where another table names it (a page's
    path holds it: ``/parcels/{id}``)."""
    return f"<img src=x onerror=alert('{table}')>" if table in REFERRED else MARKUP + table


def cell(spec: TableSpec, name: str) -> str:
    column = spec.column(name)
    if (spec.name, name) in IN_COUNTY_A:
        return IN_COUNTY_A[spec.name, name]
    if column.field.choices is not None:
        return next(iter(column.field.choices)).value
    if column.kind is not ValueKind.TEXT:
        return PLAIN[column.kind]
    if column.field.references is not None:
        return record_id(column.field.references)
    return record_id(spec.name) if spec.key == (name,) else MARKUP


def marked_data_set(folder: Path) -> Path:
    """One row in every table of the interchange format, markup in every text column."""
    folder.mkdir()
    for spec in tables():
        with (folder / spec.file_name).open("w", newline="", encoding="utf-8") as out:
            rows = csv.writer(out)
            rows.writerow(spec.column_names)
            rows.writerow([cell(spec, name) for name in spec.column_names])
    return folder


def keep_marked_runs(engine: Engine) -> None:
    """A finding and a grade about the marked parcel and enterprise, a failed job, and the
    administrator ``marked`` whose shown name is markup."""
    run = keep_run(engine)
    with Session(engine) as session:
        session.add(
            Finding(
                run_id=run,
                criterion="idle/not-started",
                category="idle_land",
                subject_type="parcel",
                subject_id=record_id("parcels"),
                subject_name=MARKUP,
                area_m2=1000.0,
                county_code=COUNTY_A,
                key=False,
                evidence=json.dumps({"idle_days": 400, MARKUP: MARKUP}),
                source=MARKUP,
            )
        )
        # Not a what-if: a what-if run is never the run of record the pages show.
        evaluation = evaluation_run(actor=MARKUP, graded_count=1)
        session.add(evaluation)
        session.flush()
        session.add(
            Grade(
                run_id=evaluation.id,
                credit_code=CREDIT_CODE,
                name=MARKUP,
                cohort="above_scale",
                rank=1,
                cohort_size=1,
                score=90.0,
                grade="A",
                land_mu=1.5,
                deduction_points=0.0,
                county_code=COUNTY_A,
                park_code=record_id("jurisdictions"),
                industry_code=MARKUP,
                indicators=json.dumps({"tax_per_mu_yuan": 1000.0}),
                points="{}",
            )
        )
        session.add(
            Job(
                kind="identification",
                request={"profile": MARKUP, "as_of": "2025-12-31", "what_if": {MARKUP: MARKUP}},
                actor=MARKUP,
                state="failed",
                progress=1.0,
                stage=MARKUP,
                created_at=NOW,
                finished_at=NOW,
                error=MARKUP,
            )
        )
        session.add(
            Account(
                username="marked",
                display_name=MARKUP,
                password_hash=HASHED,
                role=Role.ADMINISTRATOR.value,
                failed_logins=0,
            )
        )
        session.commit()


@pytest.fixture(scope="module")
def marked_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The city of ``tests/web`` with the marked data set imported (by a marked actor, for a
    marked reason), served for this module."""
    folder = tmp_path_factory.mktemp("marked")
    engine = open_engine(f"sqlite:///{folder / 'records.db'}")
    upgrade(engine)
    build_city(engine)
    imported = import_data_set(
        engine=engine, path=marked_data_set(folder / "data"), actor=MARKUP, reason=MARKUP
    )
    assert imported.committed, imported.problems
    keep_marked_runs(engine)
    with serving(engine) as url:
        yield url
    engine.dispose()


@pytest.fixture
def marked_page(
    browser: Browser, marked_site: str, browser_errors: BrowserErrors
) -> Iterator[Page]:
    """A page signed in as ``marked``; no dialog may open in it, nothing may fail."""
    context = browser.new_context(base_url=marked_site, locale="zh-CN")
    context.set_default_timeout(WAIT_MS)
    assert context.request.post(
        "/api/session", data={"username": "marked", "password": PASSWORD}
    ).ok
    dialogs: list[str] = []

    def dismissed(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page = watched(context.new_page(), browser_errors)
    page.on("dialog", dismissed)
    images = []
    page.on(
        "request",
        lambda request: images.append(request.url) if request.url.endswith("/x") else None,
    )
    yield page
    context.close()
    assert not dialogs, f"markup ran: {dialogs}"
    assert not [url for url in images if url.endswith("/x")], "markup made an image"


PAGES = [
    "/cockpit",
    "/",
    f"/?q={quote('<img')}",
    "/findings",
    "/grades",
    "/enterprises",
    f"/enterprises/{CREDIT_CODE}",
    f"/parcels/{quote(record_id('parcels'), safe='')}",
    "/runs",
    "/imports",  # its own data is the upload's: test_markup_in_a_checked_upload_is_shown_as_text
]


@pytest.mark.parametrize("path", PAGES)
def test_markup_is_shown_as_text(marked_page: Page, path: str) -> None:
    marked_page.goto(path)
    expect(marked_page.locator("header")).to_contain_text(MARKUP)
    if path != "/imports":
        expect(marked_page.locator("main")).to_contain_text("<img src=x onerror=alert(")


def test_markup_on_the_map_is_shown_as_text(marked_page: Page) -> None:
    marked_page.goto("/map")
    expect(marked_page.locator("body")).to_have_attribute("data-map-ready", "true")
    marked_page.locator("#parcel").fill("<img")
    marked_page.get_by_role("button", name="查找").click()
    expect(marked_page.locator("#hits")).to_contain_text(record_id("parcels"))


def test_markup_in_a_checked_upload_is_shown_as_text(
    marked_page: Page, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The import page lists a bad value as it was sent."""
    monkeypatch.setenv("MUJUN_UPLOADS", str(tmp_path / "uploads"))
    upload = tmp_path / "parcels.csv"
    upload.write_text(f"parcel_id,area_m2\n{MARKUP},{MARKUP}\n", encoding="utf-8")
    marked_page.goto("/imports")
    form = marked_page.locator("form#import-form")
    form.locator("input[name=file]").set_input_files(upload)
    form.locator("input[name=reason]").fill(MARKUP)
    form.get_by_role("button", name="检查").click()
    expect(marked_page.locator("table#import-problems")).to_contain_text(MARKUP)
