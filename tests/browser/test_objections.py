"""公示与异议 in a real browser: the task force publishes a run's list, the county officer looks
up a figure by its names and lodges an objection to it, the natural resources bureau finds it
on its workbench and answers it; no console error on any page. Screenshots of each page at
1440 px go to ``MUJUN_SCREENS`` (or the test's temporary folder):
``MUJUN_SCREENS=screens .venv/bin/pytest -n 0 tests/browser/test_objections.py``.
"""

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from mujun.disposal.opening import open_cases
from mujun.records import Account, Case
from mujun.records.database import open_engine, upgrade
from mujun.web import cases
from mujun.web.permissions import Role
from tests.browser.conftest import Site, serving
from tests.browser.test_cases import AsUser, as_user, screens  # noqa: F401 (fixtures)
from tests.disposal.test_objections import K1, P2_RECORD, build_world
from tests.web.conftest import HASHED, add_accounts

TODAY = dt.date(2024, 7, 2)
NATURAL = "ziran"


@pytest.fixture(scope="module")
def case_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The disposal tests' world of publication and objections (P2 in 桐庐县, P3 in 淳安县, both
    idle on a kept run), with an account of each role, served on 2 July 2024."""
    patch = pytest.MonkeyPatch()
    patch.setattr(cases, "today", lambda: TODAY)
    folder = tmp_path_factory.mktemp("objections")
    engine = open_engine(f"sqlite:///{folder / 'records.db'}")
    upgrade(engine)
    world = build_world(engine, folder)
    with Session(engine) as db:
        open_cases(db, run_id=world.run, actor="专班")
        db.commit()
    with Session(engine) as db:
        db.info.update(actor="setup", reason="web accounts")
        db.execute(update(Account).values(password_hash=HASHED))
        add_accounts(
            db,
            [
                ("analyst", Role.CITY_ANALYST, None, None),
                ("officer", Role.COUNTY_OFFICER, K1, None),
                (NATURAL, Role.DATA_PROVIDER, None, "natural_resources"),
            ],
        )
        db.commit()
    with serving(engine) as url:
        yield Site(url=url, engine=engine, run=world.run)
    engine.dispose()
    patch.undo()


def _flash(page: Page, text: str) -> None:
    expect(page.get_by_role("status").filter(has_text=text)).to_be_visible()


def test_publish_lodge_and_answer(
    as_user: AsUser,  # noqa: F811
    case_site: Site,
    screens: Path,  # noqa: F811
) -> None:
    page = as_user("analyst")
    page.goto("/publications")
    expect(page.get_by_text("还没有公示")).to_be_visible()
    page.get_by_label("公示日期").fill("2024-07-01")
    page.get_by_label("说明（可选）").fill("2024年第二季度闲置土地初步名单")
    page.screenshot(path=str(screens / "publications-empty.png"), full_page=True)
    with page.expect_navigation():
        page.get_by_role("button", name="公示", exact=True).click()
    _flash(page, "已公示")
    expect(page.locator("#publication")).to_contain_text("2024年7月1日 至 2024年7月8日")
    publication_url = page.url.split("?")[0]
    page.goto("/publications")
    expect(page.locator("#publications tbody tr")).to_have_count(1)
    expect(page.locator("#publications tbody tr").first).to_contain_text("公示中")
    page.screenshot(path=str(screens / "publications.png"), full_page=True)
    _lodge(as_user("officer"), publication_url, screens)
    _answer(as_user(NATURAL), screens)


def _lodge(page: Page, publication_url: str, folder: Path) -> None:
    """The county officer looks the figure up by its names and lodges the objection."""
    page.goto(publication_url)
    with page.expect_navigation():
        page.get_by_role("link", name="登记异议").click()
    look_up = page.locator("#form-look-up")
    look_up.get_by_label("数据项（数据表 · 字段）").select_option("construction.started_date")
    look_up.get_by_label("记录主键（多项以 | 分隔）").fill(P2_RECORD)
    with page.expect_navigation():
        look_up.get_by_role("button", name="查看现值").click()
    stored = page.locator("#stored")
    expect(stored).to_contain_text("（空）")
    expect(stored).to_contain_text("自然资源和规划局")
    lodge = page.locator("#form-lodge")
    expect(lodge.locator("#figure")).to_contain_text("开发建设 · 实际开工日期")
    expect(lodge.get_by_label("涉及对象（名单中的宗地号或统一社会信用代码）")).to_have_value("P2")
    lodge.get_by_label("主张的值（可选）").fill("2023-05-01")
    lodge.get_by_label("提出异议的企业或属地").fill("乙公司")
    lodge.get_by_label("异议理由（必填）").fill("已于2023年5月开工，有施工许可为证")
    page.screenshot(path=str(folder / "objection-lodge.png"), full_page=True)
    with page.expect_navigation():
        lodge.get_by_role("button", name="登记异议").click()
    _flash(page, "异议已登记")
    row = page.locator("#objections tbody tr").first
    expect(row).to_contain_text("开发建设 · 实际开工日期")
    expect(row).to_contain_text("自然资源和规划局")
    expect(row).to_contain_text("待答复")
    page.screenshot(path=str(folder / "publication.png"), full_page=True)


def _answer(page: Page, folder: Path) -> None:
    """The natural resources bureau finds the objection on its workbench and upholds the
    value."""
    page.goto("/workbench")
    todo = page.get_by_role("link", name="异议 1：乙公司对开发建设「实际开工日期」", exact=False)
    expect(todo).to_be_visible()
    page.screenshot(path=str(folder / "objection-workbench.png"), full_page=True)
    with page.expect_navigation():
        todo.click()
    card = page.locator("#objection-1")
    expect(card).to_contain_text("（尚未更正）")
    page.screenshot(path=str(folder / "objections.png"), full_page=True)
    card.get_by_label("理由（必填）").fill("施工许可系2024年补办，现场核实未开工")
    with page.expect_navigation():
        card.get_by_role("button", name="答复：维持原值").click()
    _flash(page, "已答复：维持原值")
    page.goto("/objections?state=")
    expect(page.locator("#objection-1")).to_contain_text("维持原值：施工许可系2024年补办")
    page.screenshot(path=str(folder / "objections-answered.png"), full_page=True)


def test_a_dismissal_names_the_figure_found_wrong(
    as_user: AsUser,  # noqa: F811
    case_site: Site,
    screens: Path,  # noqa: F811
) -> None:
    with Session(case_site.engine) as db:
        case = db.scalars(select(Case).where(Case.subject_id == "P2")).one().id
    page = as_user("officer")
    page.goto(f"/cases/{case}")
    move = page.locator("#form-move")
    move.get_by_label("转为").select_option("dismissed")
    move.get_by_label("理由（必填）").fill("现场核实已开工，实际开工日期漏报")
    move.get_by_label("有误数据项 1").select_option("construction.started_date")
    move.get_by_label("记录主键 1").fill(P2_RECORD)
    move.get_by_label("核实后的值 1").fill("2023-05-01")
    move.screenshot(path=str(screens / "case-dismiss-disputes.png"))
    with page.expect_navigation():
        move.get_by_role("button", name="提交").click()
    _flash(page, "状态已变更")
    page = as_user(NATURAL)
    page.goto("/objections")
    card = page.locator(".objection").filter(has_text="案件")
    expect(card).to_contain_text("现场核实已开工")
    expect(card).to_contain_text("开发建设 · 实际开工日期")
