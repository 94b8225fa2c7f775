"""监测预警 in a real browser: the county officer finds the warnings on the workbench and in the
inbox, filters it, opens 甲's warning with its chart of the months compared, receives it, reports
what was done and closes it; the city sees the counts on the cockpit; no console error on any
page. Screenshots of each page at 1440 px go to ``MUJUN_SCREENS`` (or the test's temporary
folder): ``MUJUN_SCREENS=screens .venv/bin/pytest -n 0 tests/browser/test_warnings.py``.
"""

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from mujun.records.database import open_engine, upgrade
from mujun.web import cases
from tests.browser.conftest import Site, serving
from tests.browser.test_cases import AsUser, as_user, screens  # noqa: F401 (fixtures)
from tests.web.test_warnings import TODAY, build_world


@pytest.fixture(scope="module")
def case_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The web tests' monitoring world (甲 and 丙 in 桐庐县, 乙 in 淳安县, March 2025 judged),
    served on 3 April 2025."""
    patch = pytest.MonkeyPatch()
    patch.setattr(cases, "today", lambda: TODAY)
    folder = tmp_path_factory.mktemp("warnings")
    engine = open_engine(f"sqlite:///{folder / 'records.db'}")
    upgrade(engine)
    world = build_world(engine)
    with serving(engine) as url:
        yield Site(url=url, engine=engine, run=world.case)
    engine.dispose()
    patch.undo()


def _flash(page: Page, text: str) -> None:
    expect(page.get_by_role("status").filter(has_text=text)).to_be_visible()


def test_receive_report_and_close_a_warning(
    as_user: AsUser,  # noqa: F811
    case_site: Site,
    screens: Path,  # noqa: F811
) -> None:
    page = as_user("officer")
    page.goto("/workbench")
    todo = page.get_by_role("link", name="红色预警", exact=False).first
    expect(todo).to_be_visible()
    page.screenshot(path=str(screens / "warnings-workbench.png"), full_page=True)

    page.goto("/warnings")
    rows = page.locator("#warnings tbody tr")
    expect(rows).to_have_count(3)
    expect(page.locator("#warnings")).to_contain_text("<script>alert(1)</script>甲公司")
    page.screenshot(path=str(screens / "warnings-inbox.png"), full_page=True)
    page.get_by_label("等级").select_option("orange")
    with page.expect_navigation():
        page.get_by_role("button", name="查询").click()
    expect(rows).to_have_count(2)
    with page.expect_navigation():
        rows.filter(has_text="甲公司").get_by_role("link", name="用电量连续骤降").click()

    expect(page.locator("#evidence-chart canvas")).to_be_visible()
    expect(page.locator("#routed-to")).to_have_text("桐庐县、供电公司")
    page.screenshot(path=str(screens / "warning.png"), full_page=True)
    receive = page.locator("#form-receive")
    receive.get_by_label("签收日期").fill("2025-04-02")
    with page.expect_navigation():
        receive.get_by_role("button", name="签收").click()
    _flash(page, "已签收")
    report = page.locator("#form-report")
    report.get_by_label("处置情况（必填）").fill(
        "已约谈企业负责人，企业称设备检修，预计4月底恢复生产"
    )
    with page.expect_navigation():
        report.get_by_role("button", name="提交反馈").click()
    _flash(page, "处置情况已反馈")
    close = page.locator("#form-close")
    close.get_by_label("办结理由（必填）").fill("现场核实已恢复生产")
    with page.expect_navigation():
        close.get_by_role("button", name="办结").click()
    _flash(page, "已办结")
    timeline = page.locator("#timeline")
    for words in ("发出预警", "签收", "企业称设备检修", "现场核实已恢复生产"):
        expect(timeline).to_contain_text(words)
    page.screenshot(path=str(screens / "warning-closed.png"), full_page=True)
    page.goto("/warnings?lang=en")
    expect(page.locator("#warnings tbody tr")).to_have_count(3)
    page.screenshot(path=str(screens / "warnings-inbox-en.png"), full_page=True)

    _the_department_and_the_city(as_user, screens)


def _the_department_and_the_city(as_user: AsUser, screens: Path) -> None:  # noqa: F811
    """The tax bureau opens its own warning; the city sees the counts on the cockpit."""
    tax = as_user("tax")  # the tax bureau: its own figures stopped after February
    tax.goto("/warnings")
    with tax.expect_navigation():
        tax.get_by_role("link", name="月度数据断供").click()
    expect(tax.locator("#evidence-chart canvas")).to_be_visible()
    expect(tax.locator("#warning-header")).to_contain_text("税务局")
    tax.screenshot(path=str(screens / "warning-feed.png"), full_page=True)

    city = as_user("analyst")
    city.goto("/warnings")
    expect(city.locator("#bulletin")).to_contain_text("预警通报")
    city.screenshot(path=str(screens / "warnings-inbox-city.png"), full_page=True)
    city.goto("/cockpit")
    expect(city.locator("#cockpit-warnings")).to_contain_text("丙公司")
    city.locator("#cockpit-warnings").screenshot(path=str(screens / "warnings-cockpit.png"))


def test_the_task_force_opens_a_case_from_a_warning(
    as_user: AsUser,  # noqa: F811
    case_site: Site,
    screens: Path,  # noqa: F811
) -> None:
    """The city's task force opens 丙's red warning (连续零用电), opens a case from it with 立案处置
    and lands on the case's file, which names the warning; the warning then links its case."""
    page = as_user("analyst")
    page.goto("/warnings?level=red")
    with page.expect_navigation():
        page.get_by_role("link", name="连续零用电").click()
    card = page.locator("#open-case")
    expect(card).to_contain_text("立「非正常规上企业」处置案件")
    expect(card).to_contain_text("丙公司")
    page.screenshot(path=str(screens / "warning-open-case.png"), full_page=True)
    card.get_by_label("立案日期").fill("2025-04-03")
    with page.expect_navigation():
        card.get_by_role("button", name="立案处置").click()
    _flash(page, "已据预警立案")
    expect(page).to_have_url(re.compile(r"/cases/\d+\?done=from_warning$"))
    expect(page.locator("#opened-from")).to_contain_text("由预警 第")
    expect(page.locator("#opened-from")).to_contain_text("（连续零用电）立案")
    expect(page.locator("#opening-warning")).to_contain_text("用电量(千瓦时)（2025年3月）")
    page.screenshot(path=str(screens / "case-from-warning.png"), full_page=True)
    with page.expect_navigation():
        page.locator("#opened-from").get_by_role("link").click()
    expect(page.locator("#warning-case")).to_contain_text("处置案件 第")
    expect(page.locator("#open-case")).to_have_count(0)
    expect(page.locator("#timeline")).to_contain_text("立案处置（处置案件 第")
    page.screenshot(path=str(screens / "warning-with-case.png"), full_page=True)
