"""处置 in a real browser: the case list with its filters, the board, an idle parcel's file and
each of its forms (move, record a legal step and its refusal, plan, dispatch, issue a
document, the exit refused and then passed), and a department's task inbox; no console error
on any page. Screenshots of the list, the board, the case file (worked and closed) and the
inbox at 1440 px go to ``MUJUN_SCREENS`` (or the test's temporary folder):
``MUJUN_SCREENS=screens .venv/bin/pytest -n 0 tests/browser/test_cases.py``.
"""

import datetime as dt
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import pytest
from playwright.sync_api import Browser, Page, ViewportSize, expect
from sqlalchemy.orm import Session

from mujun.disposal.moves import move_case
from mujun.disposal.opening import open_cases
from mujun.disposal.plans import dispatch_task, paths_of, plan_case
from mujun.disposal.states import CaseState
from mujun.records import AnnualMetric, Case, Construction
from mujun.records.database import open_engine, upgrade
from mujun.web import case_api, case_pages, cases, tasks
from tests.browser.conftest import WAIT_MS, BrowserErrors, Site, serving, watched
from tests.web.conftest import COUNTY_A, PARCEL_A, PARCEL_B, PASSWORD, build_city
from tests.web.test_cases import HOLDER, keep_idle_run

SIZE: ViewportSize = {"width": 1440, "height": 900}
TODAY = dt.date(2026, 3, 2)


@pytest.fixture(scope="module")
def case_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The two-county city with an idle-parcel run, its cases opened, served on a day of
    its own (2 March 2026), apart from the other browser tests' site."""
    patch = pytest.MonkeyPatch()
    for module in (cases, case_api, case_pages, tasks):
        patch.setattr(module, "today", lambda: TODAY)
    engine = open_engine(f"sqlite:///{tmp_path_factory.mktemp('cases') / 'records.db'}")
    upgrade(engine)
    run = keep_idle_run(build_city(engine))
    with Session(engine) as session:
        open_cases(session, run_id=run, actor="专班")
        session.commit()
    with serving(engine) as url:
        yield Site(url=url, engine=engine, run=run)
    engine.dispose()
    patch.undo()


@pytest.fixture(scope="module")
def screens(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = Path(os.environ.get("MUJUN_SCREENS") or tmp_path_factory.mktemp("screens"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def as_user(browser: Browser, case_site: Site, browser_errors: BrowserErrors) -> Iterator["AsUser"]:
    contexts = []

    def open_page(username: str) -> Page:
        context = browser.new_context(
            base_url=case_site.url,
            locale="zh-CN",
            timezone_id="Asia/Shanghai",
            viewport=SIZE,
            accept_downloads=True,
        )
        context.set_default_timeout(WAIT_MS)
        signed = context.request.post(
            "/api/session", data={"username": username, "password": PASSWORD}
        )
        assert signed.ok, signed.text()
        contexts.append(context)
        return watched(context.new_page(), browser_errors)

    yield open_page
    for context in contexts:
        context.close()
    unexpected = browser_errors.unexpected()
    assert not unexpected, "the browser reported errors:\n" + "\n".join(unexpected)


class AsUser(Protocol):
    def __call__(self, username: str) -> Page: ...


def _case_of(site: Site, subject: str, category: str) -> int:
    with Session(site.engine) as session:
        found = session.query(Case).filter_by(subject_id=subject, category=category).one_or_none()
        assert found is not None
        return found.id


def _flash(page: Page, text: str) -> None:
    expect(page.get_by_role("status").filter(has_text=text)).to_be_visible()


def test_the_task_force_opens_the_cases_and_filters_the_list(
    as_user: AsUser, case_site: Site, screens: Path
) -> None:
    page = as_user("analyst")
    page.goto("/cases")
    expect(page.locator("#cases tbody tr")).to_have_count(3)
    page.screenshot(path=str(screens / "cases-list.png"), full_page=True)
    with page.expect_navigation():
        page.get_by_role("button", name=f"据批次 #{case_site.run} 立案").click()
    _flash(page, "新立案 0 件，并入已有案件 0 件")  # opened when the site was set up
    page.get_by_label("类别").select_option("idle_land")
    page.get_by_label("区县").select_option(COUNTY_A)
    with page.expect_navigation():
        page.get_by_role("button", name="查询").click()
    assert "category=idle_land" in page.url and f"county={COUNTY_A}" in page.url
    rows = page.locator("#cases tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("桐庐县")
    expect(rows.first).to_contain_text("闲置土地")
    expect(rows.first).to_contain_text("调查核实")
    expect(page.get_by_label("类别")).to_have_value("idle_land")


def _move(page: Page, state: str, reason: str, day: str | None = None) -> None:
    move = page.locator("#form-move")
    move.get_by_label("转为").select_option(state)
    if day:
        move.get_by_label("日期").fill(day)
    move.get_by_label("理由（必填）").fill(reason)
    with page.expect_navigation():
        move.get_by_role("button", name="提交").click()


def _record(page: Page, kind: str, day: str, cause: str = "") -> None:
    record = page.locator("#form-record")
    record.get_by_label("程序").select_option(kind)
    record.get_by_label("日期（文书为送达日期）").fill(day)
    if cause:
        record.get_by_label("闲置原因（认定原因时）").select_option(cause)
    with page.expect_navigation():
        record.get_by_role("button", name="记录").click()


def _plan(page: Page) -> None:
    plan = page.locator("#form-plan")
    plan.get_by_label("处置路径").select_option(index=0)
    plan.get_by_label("责任单位").select_option("natural_resources")
    plan.get_by_label("完成时限").fill("2026-06-30")
    plan.get_by_label("措施（每行一条）").fill("督促缴纳土地闲置费\n限期动工开发")
    plan.get_by_label("节点（每行一条：内容@YYYY-MM-DD）").fill("完成土地估价@2026-03-31")
    plan.get_by_label("约定亩均税收（万元/亩）").fill("6.5")
    with page.expect_navigation():
        plan.get_by_role("button", name="保存方案").click()


def _dispatch(page: Page) -> None:
    dispatch = page.locator("#form-dispatch")
    dispatch.get_by_label("承办单位").select_option("natural_resources")
    dispatch.get_by_label("任务内容").fill("现场核查动工情况并拍照取证")
    dispatch.get_by_label("派单日期").fill("2026-01-23")
    dispatch.get_by_label("完成时限").fill("2026-02-01")
    with page.expect_navigation():
        dispatch.get_by_role("button", name="派单").click()


def test_an_idle_parcel_worked_through_the_forms(
    as_user: AsUser, case_site: Site, screens: Path, browser_errors: BrowserErrors
) -> None:
    browser_errors.expect(r"status of 409 \(Conflict\).*/events")  # the refused step, shown
    browser_errors.expect(r"status of 409 \(Conflict\).*/move")  # the refused exit, shown
    case = _case_of(case_site, PARCEL_A, "idle_land")
    page = as_user("analyst")
    page.goto(f"/cases/{case}")
    _move(page, "confirmed", "经核实，宗地自约定动工日起未动工", "2026-01-05")
    _flash(page, "状态已变更")
    expect(page.locator("#case-header")).to_contain_text("审核认定")

    record = page.locator("#form-record")
    record.get_by_label("程序").select_option("extension")
    expect(record.get_by_label("延至（延长动工期限时）")).to_be_visible()
    expect(record.get_by_label("闲置原因（认定原因时）")).to_be_hidden()
    _record(page, "cause", "2026-01-06", "enterprise")
    _flash(page, "处置程序已记录")
    _record(page, "hearing_notice", "2026-01-08")
    _flash(page, "处置程序已记录")
    _record(page, "fee_decision", "2026-01-09")
    refusal = page.locator("#form-record").get_by_role("alert")
    expect(refusal).to_contain_text(re.compile(r"2026年1月\d+日起可办理"))
    expect(page.locator("#form-record").get_by_label("程序")).to_have_value("fee_decision")

    _plan(page)
    _flash(page, "处置方案已记录")
    expect(page.locator("#plan")).to_contain_text("自然资源和规划局")
    expect(page.locator("#plan")).to_contain_text("2026年6月30日")
    expect(page.locator("#plan-tax-target")).to_contain_text("6.50 万元/亩")
    _move(page, "planned", "方案审批通过")
    _flash(page, "状态已变更")
    _dispatch(page)
    _flash(page, "已派单")
    expect(page.locator("#tasks")).to_contain_text("已逾期")

    document = page.locator("#form-document")
    document.get_by_label("文书").select_option("plan")
    document.get_by_label("成文日期").fill("2026-01-24")
    with page.expect_download() as downloading:
        document.get_by_role("button", name="制发并下载").click()
    assert downloading.value.suggested_filename.endswith("一地一策处置方案.docx")
    page.reload()
    expect(page.locator("#documents")).to_contain_text("一地一策处置方案")
    expect(page.locator("#legal")).to_contain_text("2023年3月1日")
    expect(page.locator("#legal")).to_contain_text("企业原因")
    page.screenshot(path=str(screens / "case-file.png"), full_page=True)

    page.goto("/cases/board")
    expect(page.locator('[data-state="planned"] .board-count')).to_have_text("1")
    page.screenshot(path=str(screens / "cases-board.png"), full_page=True)
    _exit(page, case_site, case, screens)


def _exit(page: Page, site: Site, case: int, screens: Path) -> None:
    """整治提升, 评估出库: the exit evaluation refuses while the parcel has not started and its
    holder's 2025 tax per mu is below the plan's, and passes once the natural resources
    bureau's record shows it started and the tax bureau's the tax agreed."""
    page.goto(f"/cases/{case}")
    _move(page, "in_progress", "按方案督促开工")
    _flash(page, "状态已变更")
    _move(page, "evaluating", "申请出库评估")
    _flash(page, "状态已变更")
    _record_tax(site, 2025, 1_500_000.0)  # on 30 mu: 5.00 万元/亩
    _move(page, "closed", "出库评估")
    refusal = page.locator("#form-move").get_by_role("alert")
    expect(refusal).to_contain_text("超过约定动工开发日期满一年未动工开发")
    expect(refusal).to_contain_text("2025年亩均税收 5.00 万元/亩")
    expect(refusal).to_contain_text("未达到方案约定的 6.50 万元/亩")
    _record_started(site, PARCEL_A, TODAY - dt.timedelta(days=1))
    _record_tax(site, 2025, 2_100_000.0)  # 7.00 万元/亩
    _move(page, "closed", "出库评估通过：已动工")
    _flash(page, "状态已变更")
    expect(page.locator("#case-header")).to_contain_text("出库销号")
    expect(page.locator("#form-move")).to_have_count(0)  # a closed case has no move left
    page.screenshot(path=str(screens / "case-closed.png"), full_page=True)


def _record_started(site: Site, parcel: str, on: dt.date) -> None:
    """The start of works on ``parcel`` recorded on ``on``, as the bureau's import writes it."""
    with Session(site.engine) as session:
        session.add(Construction(parcel_id=parcel, as_of=on, started_date=on))
        session.commit()


def _record_tax(site: Site, year: int, yuan: float) -> None:
    """The parcel's holder's tax of ``year``, as the tax bureau's import writes it."""
    with Session(site.engine) as session:
        session.merge(AnnualMetric(credit_code=HOLDER, year=year, tax_yuan=yuan))
        session.commit()


WHAT = "核实淳安县宗地的土地估价报告"
SENT = dt.date(2026, 2, 20)


@pytest.fixture(scope="module")
def dispatched(case_site: Site) -> None:
    """County B's idle parcel planned, and a task of it sent to the natural resources bureau."""
    case = _case_of(case_site, PARCEL_B, "idle_land")
    with Session(case_site.engine) as session:
        move_case(session, case, CaseState.CONFIRMED, on=SENT, reason="认定", actor="专班")
        kept = session.get(Case, case)
        assert kept is not None
        path = paths_of(session, kept)[0].id
        plan_case(session, case, path=path, due=dt.date(2026, 6, 30), on=SENT, actor="专班")
        move_case(session, case, CaseState.PLANNED, on=SENT, reason="批准", actor="专班")
        dispatch_task(
            session,
            case,
            unit="natural_resources",
            what=WHAT,
            due=dt.date(2026, 3, 1),
            on=SENT,
            actor="专班",
        )
        session.commit()


@pytest.mark.usefixtures("dispatched")
def test_a_department_signs_for_and_completes_its_task(as_user: AsUser, screens: Path) -> None:
    page = as_user("provider")
    page.goto("/tasks")
    row = page.locator("#tasks tbody tr").filter(has_text=WHAT)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("已逾期")
    expect(row).to_contain_text("淳安县")
    page.screenshot(path=str(screens / "tasks.png"), full_page=True)
    with page.expect_navigation():
        row.get_by_role("button", name="签收").click()
    _flash(page, "任务已签收")
    row = page.locator("#tasks tbody tr").filter(has_text=WHAT)
    row.get_by_label("办理情况").fill("已核实，估价报告在有效期内")
    with page.expect_navigation():
        row.get_by_role("button", name="办结").click()
    _flash(page, "任务已办结")
    expect(page.locator("#tasks tbody tr").filter(has_text=WHAT)).to_have_count(0)
