"""预警通报 of June 2025 in the warnings' small world (tests/monitoring/conftest.py), judged
for May and June once for the module (SQLite): 甲公司's electricity below half since March
(an orange warning begun in May, continuing), 乙公司's below half March to May and back in June
(lifted), and 乙公司's loan overdue in June (red, new). The workbook's totals and rows equal the
warnings; the Word notice has the title, the counts and the red list; the command writes both
and refuses a month with no run."""

import datetime as dt
import io
import shutil
from collections.abc import Iterator
from pathlib import Path

import docx
import openpyxl
import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from mujun.disposal.documents import TEMPLATES_ENV
from mujun.monitoring.bulletin import (
    BulletinError,
    News,
    bulletin,
    bulletin_document,
    bulletin_download,
    write_bulletin_workbook,
)
from mujun.monitoring.signals import Level
from mujun.records import EarlyWarning, WarningMonth
from mujun.records.database import open_engine
from tests.cli.test_cases import Cli
from tests.monitoring.conftest import COUNTY, DROP, E1, E2, build_records, run

TENTH = 10.0
LOAN = "monitor/loan-overdue"
JULY_FIRST = dt.date(2025, 7, 1)


@pytest.fixture(scope="module")
def world(migrated_sqlite: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    path = tmp_path_factory.mktemp("bulletin") / "records.db"
    shutil.copyfile(migrated_sqlite, path)
    engine = open_engine(f"sqlite:///{path}")
    build_records(
        engine,
        {
            E1: {"electricity_kwh": {f"2025-{m:02d}": TENTH for m in range(3, 7)}},
            E2: {
                "electricity_kwh": {
                    "2025-03": TENTH,
                    "2025-04": TENTH,
                    "2025-05": TENTH,
                    "2025-06": 100.0,
                },
                "loan_overdue": {"2025-05": False, "2025-06": True},
            },
        },
    )
    run(engine, "2025-05", dt.date(2025, 6, 3))
    run(engine, "2025-06", JULY_FIRST)
    yield engine
    engine.dispose()


def test_the_months_warnings_counted(world: Engine) -> None:
    with Session(world) as db:
        data = bulletin(db, month="2025-06", today=JULY_FIRST)
        fired = db.scalars(
            select(WarningMonth.warning_id).where(WarningMonth.run_id == data.run_id)
        ).all()
        lifted = db.scalars(select(EarlyWarning.id).where(EarlyWarning.state == "lifted")).all()
    assert sorted(r.warning for r in data.warnings) == sorted(fired)
    assert [r.warning for r in data.lifted] == list(lifted)
    described = [(r.subject_id, r.signal, r.level, r.news, r.since, r.months) for r in data.rows]
    assert described == [
        (E2, LOAN, Level.RED, News.NEW, "2025-06", 1),
        (E1, DROP, Level.ORANGE, News.CONTINUING, "2025-05", 2),
        (E2, DROP, Level.ORANGE, News.LIFTED, "2025-05", 1),
    ]
    assert [r.subject_id for r in data.red] == [E2]
    assert [r.subject_id for r in data.escalated] == [E1]  # issued 2025-06-03, not received
    assert data.by_level() == {Level.RED: 1, Level.ORANGE: 1, Level.YELLOW: 0}
    assert data.by_signal()[DROP] == 1
    assert data.city == "示范市"
    assert data.as_json()["by_county"][0] == {
        "county_code": COUNTY,
        "county_name": "示范县",
        "levels": {"red": 1, "orange": 1, "yellow": 0},
        "total": 2,
        "new": 1,
        "continuing": 1,
        "lifted": 1,
        "escalated": 1,
    }


def test_the_workbook_lists_every_warning_by_name(world: Engine, tmp_path: Path) -> None:
    with Session(world) as db:
        data = bulletin(db, month="2025-06", today=JULY_FIRST)
    path = tmp_path / "bulletin.xlsx"
    write_bulletin_workbook(data, path)
    book = openpyxl.load_workbook(path, read_only=True)
    totals, listed = (list(sheet.iter_rows(values_only=True)) for sheet in book.worksheets)
    assert book.sheetnames == ["分区县汇总", "预警明细"]
    assert totals[0][0] == "2025年6月企业运行监测预警通报：分区县汇总"
    assert totals[1][:6] == ("序号", "县（市、区）", "红色", "橙色", "黄色", "预警合计")
    assert totals[2:] == [
        (1, "示范县", 1, 1, 0, 2, 1, 1, 1, 1),
        (None, "合计", 1, 1, 0, 2, 1, 1, 1, 1),
    ]
    header, *rows = listed[1:]
    assert len(rows) == len(data.rows) == 3
    row = dict(zip(header, rows[1], strict=True))
    assert row == {
        "序号": 2,
        "预警编号": data.rows[1].warning,
        "县（市、区）": "示范县",
        "预警对象": "甲公司",
        "对象类别": "企业",
        "统一社会信用代码": E1,
        "土地使用权人": None,
        "预警信号": "用电量连续骤降",
        "等级": "橙",
        "起始月份": "2025年5月",
        "持续月数": 2,
        "本月情况": "持续",
        "办理状态": "待签收",
        "推送部门": "供电公司",
        "逾期未签收": "是",
        "处置案件": None,
    }
    assert [r[11] for r in rows] == ["新发", "持续", "解除"]
    assert rows[0][13] == "地方金融监督管理局"


def test_the_notice_has_its_title_counts_and_red_list(
    world: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Session(world) as db:
        data = bulletin(db, month="2025-06", today=JULY_FIRST)
        download = bulletin_download(db, month="2025-06", kind="docx", today=JULY_FIRST)
    document = docx.Document(io.BytesIO(bulletin_document(data)))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "2025年6月企业运行监测预警通报" in text
    assert "示范市企业运行监测预警联席会议办公室" in text
    assert "2025年第6期" in text
    assert "共发出预警2条，其中红色预警1条、橙色预警1条、黄色预警0条；新发1条，持续1条" in text
    assert "解除预警1条" in text and "报市督办的预警1条" in text
    assert "本月红色预警名单（1条）" in text
    red_table = document.tables[0]
    assert [c.text for c in red_table.rows[1].cells] == [
        "1",
        "示范县",
        "乙公司",
        "贷款逾期",
        "2025年6月",
        "1",
        "地方金融监督管理局",
        "待签收",
    ]
    assert len(red_table.rows) == 2
    assert "2025年7月1日" in document.tables[1].rows[0].cells[0].text
    assert download.filename == "2025年6月企业运行监测预警通报.docx"

    custom = docx.Document()
    custom.add_paragraph("{{ issuer }}：{{ title }}，红色{{ red_count }}条")
    custom.save(str(tmp_path / "bulletin.docx"))
    monkeypatch.setenv(TEMPLATES_ENV, str(tmp_path))
    mine = docx.Document(io.BytesIO(bulletin_document(data, issuer="联席办")))
    assert mine.paragraphs[0].text == "联席办：2025年6月企业运行监测预警通报，红色1条"


def test_the_command_writes_either_file_and_refuses_a_month_without_run(
    world: Engine, tmp_path: Path
) -> None:
    cli = Cli(world.url.render_as_string(hide_password=False))
    said = cli.ok(
        "warnings", "bulletin", "--month", "2025-06", "--out", str(tmp_path / "b.xlsx"),
        "--on", "2025-07-01",
    )  # fmt: skip
    assert "预警 2 条（红 1，橙 1，黄 0；新发 1，持续 1），解除 1 条，逾期未签收 1 条" in said
    assert (tmp_path / "b.xlsx").stat().st_size > 0
    cli.ok("warnings", "bulletin", "--month", "2025-06", "--out", str(tmp_path / "b.docx"))
    assert docx.Document(str(tmp_path / "b.docx")).paragraphs[3].text == (
        "2025年6月企业运行监测预警通报"
    )
    assert "还没有监测批次" in cli.refused(
        "warnings", "bulletin", "--month", "2025-07", "--out", str(tmp_path / "c.docx")
    )
    assert ".xlsx" in cli.refused(
        "warnings", "bulletin", "--month", "2025-06", "--out", str(tmp_path / "c.pdf")
    )
    with Session(world) as db, pytest.raises(BulletinError):
        bulletin(db, month="2025-06", profile="tonglu-2022")
