"""The findings list: the workbook a bureau files, the CSV, the display rows, and the labels of
every evidence figure."""

import csv
import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pyarrow as pa
import pytest
import xlsxwriter

from mujun.analytics.facts import facts_from_arrow
from mujun.identification.engine import FINDINGS_SCHEMA, Identification, identify
from mujun.identification.evidence import evidence_label, evidence_value, format_evidence
from mujun.identification.listing import (
    CSV_HEADERS,
    LIST_HEADERS,
    findings_headers,
    findings_rows,
    write_findings_csv,
    write_findings_workbook,
)
from mujun.interchange.workbooks.lists import (
    ListStyles,
    list_columns,
    write_merged,
    write_titled_table,
)
from mujun.interchange.workbooks.styles import Formats
from mujun.policy.profiles import Profile, all_profiles, load_profile
from tests.planted import planted_city

ELECTRICITY = ("electricity_kwh",)


AS_OF = dt.date(2025, 12, 31)
CREDIT_CODE = "91330191MA077YLN62"


def _finding(**values: Any) -> dict[str, Any]:
    evidence = values.pop("evidence")
    return {
        "subject_name": None,
        "area_m2": None,
        "county_code": "330191",
        "key": False,
        "evidence": json.dumps(evidence),
        "source": "003_62d23dbf9dc3e358.txt §二",
        **values,
    }


@pytest.fixture
def profile() -> Profile:
    return load_profile("ankang-2024")


@pytest.fixture
def findings() -> pa.Table:
    """Four findings, in the engine's order (by rule): abnormal enterprise, idle building, low
    efficiency (重点) and idle land."""
    rows = [
        _finding(
            criterion="ankang/abnormal/1",
            category="abnormal_enterprise",
            subject_type="enterprise",
            subject_id=CREDIT_CODE,
            subject_name="安康样例机械有限公司",
            area_m2=20000.0,
            evidence={"above_scale": True, "annual_report_filed_2024": False},
        ),
        _finding(
            criterion="ankang/building/1",
            category="idle_building",
            subject_type="building",
            subject_id="B-001",
            subject_name="安康样例机械有限公司",
            area_m2=2500.0,
            key=True,
            evidence={"kind": "factory", "idle_kind": "built_not_producing"},
        ),
        _finding(
            criterion="ankang/low/5",
            category="low_efficiency_land",
            subject_type="parcel",
            subject_id="610902001001GB00001",
            subject_name="安康样例机械有限公司",
            area_m2=20000.0,
            key=True,
            evidence={"tax_per_mu_yuan": 12000.0, "park_industry_avg_yuan": 41000.0},
        ),
        _finding(
            criterion="idle/not-started",
            category="idle_land",
            subject_type="parcel",
            subject_id="610902001001GB00002",
            subject_name="汉滨样例食品有限公司",
            area_m2=6666.67,
            evidence={"idle_days": 400, "consequence": "idle_fee", "idle_fee_yuan": 1234567.891},
        ),
    ]
    return pa.Table.from_pylist(rows, schema=FINDINGS_SCHEMA)


UNJUDGED = [
    {"criterion": "ankang/low/5", "missing": "tax_yuan,land_m2", "subjects": 3},
    {"criterion": "idle/not-started", "missing": "agreed_start_date", "subjects": 22},
]


def test_rows_run_by_category_and_are_numbered(findings: pa.Table, profile: Profile) -> None:
    rows = findings_rows(findings, profile)
    assert [row[0] for row in rows] == ["1", "2", "3", "4"]
    assert [row[3] for row in rows] == [
        "闲置土地",
        "低效用地（重点）",
        "闲置厂房（楼宇）（重点）",
        "非正常规上企业",
    ]
    idle, low, building, enterprise = rows
    assert idle[1] == "610902001001GB00002\n汉滨样例食品有限公司"
    assert idle[2] == "10.00"
    assert idle[4].startswith(profile.rules["idle/not-started"].title_zh + "（")
    assert idle[5] == (
        "闲置天数（天）: 400；处置方式: 征缴土地闲置费；土地闲置费（元）: 1,234,567.89"
    )
    assert low[2] == "30.00"
    assert low[4] == f"{profile.rules['ankang/low/5'].title_zh}（《{profile.title_zh}》 §二）"
    assert low[5] == (
        "亩均税收（元/亩）: 12,000.00；园区同行业规上企业亩均税收平均（元/亩）: 41,000.00"
    )
    assert building[2] == ""  # a building's floor area is not land
    assert building[5] == "建筑面积（平方米）: 2,500.00；房屋类型: 厂房；闲置情形: 建而未投"
    assert enterprise[1] == f"安康样例机械有限公司\n{CREDIT_CODE}"
    assert enterprise[5] == "规上企业: 是；2024年已报送年报: 否"


def test_rows_in_english(findings: pa.Table, profile: Profile) -> None:
    rows = findings_rows(findings, profile, "en")
    assert findings_headers("en") == list(LIST_HEADERS["en"])
    assert rows[1][3] == "Low-efficiency land (key)"
    assert rows[1][4].startswith(profile.rules["ankang/low/5"].title_en + " (")
    assert rows[0][5] == (
        "Idle for (days): 400; Consequence: idle-land fee levied; Idle-land fee (yuan): "
        "1,234,567.89"
    )
    assert rows[3][5] == "Above scale: yes; Annual report filed in 2024: no"


def test_workbook(tmp_path: Path, findings: pa.Table, profile: Profile) -> None:
    path = tmp_path / "findings.xlsx"
    write_findings_workbook(
        path,
        profile=profile,
        as_of=AS_OF,
        findings=findings,
        unjudged_summary=UNJUDGED,
        lang="zh",
    )
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["认定清单", "汇总", "无法判定"]
    sheet = book["认定清单"]
    assert sheet["A1"].value == f"《{profile.title_zh}》认定清单（截至2025年12月31日）"
    assert [str(r) for r in sheet.merged_cells.ranges] == ["A1:F1"]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert rows[0] == LIST_HEADERS["zh"]
    assert [row[0] for row in rows[1:]] == [1, 2, 3, 4]
    assert rows[2][2] == pytest.approx(30.0)
    assert sheet["C4"].number_format == "#,##0.00"
    assert rows[2][3] == "低效用地（重点）"
    assert rows[3][2] is None  # the building
    assert rows[1][5] == findings_rows(findings, profile)[0][5]
    assert sheet["F3"].alignment.wrap_text
    assert sheet.auto_filter.ref == "A2:F6"
    assert sheet.column_dimensions["F"].width > sheet.column_dimensions["A"].width
    for printed in book:
        _assert_print_layout(printed)


def _assert_print_layout(sheet: Any) -> None:
    """Landscape A4, one page wide, title and header frozen and repeated on every page."""
    setup = sheet.page_setup
    assert setup.orientation == "landscape"
    assert int(setup.paperSize) == 9
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert setup.fitToWidth in (None, 1)  # 1 is Excel's default, left out of the file
    assert setup.fitToHeight == 0
    assert sheet.freeze_panes == "A3"
    assert sheet.print_title_rows == "$1:$2"
    assert sheet.oddFooter.center.text


def test_summary_and_unjudged_sheets(tmp_path: Path, findings: pa.Table, profile: Profile) -> None:
    path = tmp_path / "findings.xlsx"
    write_findings_workbook(
        path, profile=profile, as_of=AS_OF, findings=findings, unjudged_summary=UNJUDGED
    )
    book = openpyxl.load_workbook(path)
    summary = {row[0]: row for row in book["汇总"].iter_rows(min_row=3, values_only=True) if row[0]}
    assert set(profile.rules) < set(summary)  # every rule, found or not, with totals and note
    assert summary["ankang/low/5"][4:] == (1, 1, 30.0, None)
    assert summary["ankang/building/1"][4:] == (1, 1, None, 2500.0)
    assert summary["ankang/low/1"][4:6] == (0, 0)
    assert summary["合计"][4:6] == (4, 2)
    unjudged = list(book["无法判定"].iter_rows(min_row=3, values_only=True))
    assert unjudged == [
        (
            "ankang/low/5",
            "低效用地",
            profile.rules["ankang/low/5"].title_zh,
            "税收实缴（元）、企业用地面积（平方米）",
            3,
        ),
        (
            "idle/not-started",
            "闲置土地",
            profile.rules["idle/not-started"].title_zh,
            "约定开工日期",
            22,
        ),
    ]


def test_workbook_in_english_and_empty(tmp_path: Path, profile: Profile) -> None:
    path = tmp_path / "findings.xlsx"
    write_findings_workbook(
        path,
        profile=profile,
        as_of=AS_OF,
        findings=FINDINGS_SCHEMA.empty_table(),
        unjudged_summary=[],
        lang="en",
    )
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Findings", "Summary", "Unjudged"]
    sheet = book["Findings"]
    assert sheet["A1"].value == f"Findings under {profile.title_en} (as of 2025-12-31)"
    assert [cell.value for cell in sheet[2]] == list(LIST_HEADERS["en"])
    assert sheet.max_row == 2


def test_csv(tmp_path: Path, findings: pa.Table) -> None:
    path = tmp_path / "findings.csv"
    write_findings_csv(path, findings, "zh")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert tuple(rows[0]) == CSV_HEADERS["zh"]
    assert [row[0] for row in rows[1:]] == ["1", "2", "3", "4"]
    low = rows[2]
    assert low[1:5] == ["ankang/low/5", "low_efficiency_land", "parcel", "610902001001GB00001"]
    assert low[6:8] == ["30.00", "是"]
    assert json.loads(low[8]) == {"tax_per_mu_yuan": 12000.0, "park_industry_avg_yuan": 41000.0}
    assert rows[3][6] == ""  # the building

    write_findings_csv(path, findings, "en")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        english = list(csv.reader(handle))
    assert tuple(english[0]) == CSV_HEADERS["en"]
    assert english[2][7] == "yes"


def test_evidence_labels_and_values() -> None:
    assert evidence_label("tax_per_mu_yuan") == "亩均税收（元/亩）"
    assert evidence_label("tax_per_mu_yuan_2023") == "2023年亩均税收（元/亩）"
    assert evidence_label("tax_per_mu_yuan_2023", "en") == "Tax per mu in 2023 (yuan/mu)"
    assert evidence_value("capacity_use_2024", 0.25) == "25.00"
    assert evidence_value("compliance_kinds", ["energy", "safety"]) == "能耗不达标、安全不达标"
    assert evidence_value("legal_kinds", ["seizure"], "en") == "assets seized by a court"
    assert evidence_value("consequence", "revocation") == "无偿收回"
    assert evidence_value("idle_kind", "partly_used") == "投而未尽"
    assert evidence_value("idle_kind", "vacant") == "停产搬迁闲置"
    assert evidence_value("idle_days", 1095.0) == "1,095"
    assert evidence_value("area_mu", 30.0015) == "30.00"
    assert evidence_value("year", 2025) == "2025"
    assert evidence_value("agreed_start_date", dt.date(2020, 1, 2)) == "2020-01-02"
    assert evidence_value("started_date", None) == "无"
    assert format_evidence({"halted_2024": True, "deadline": "2024-05-19"}, "en") == (
        "Halted all year in 2024: yes; Rectification deadline: 2024-05-19"
    )


@pytest.mark.parametrize("key", ["no_such_figure", "no_such_figure_2023", "2023"])
def test_unknown_key_is_its_own_label(key: str) -> None:
    assert evidence_label(key) == key
    assert evidence_label(key, "en") == key
    assert format_evidence({key: 1.5}) == f"{key}: 1.50"


@pytest.fixture(scope="module")
def demo_runs() -> Iterator[list[Identification]]:
    facts = facts_from_arrow(planted_city(enterprises=300, seed=1), monthly=ELECTRICITY)
    yield [identify(facts=facts, profile=p, as_of=AS_OF) for p in all_profiles() if p.rules]
    facts.close()


def test_every_figure_the_formulas_give_has_a_label(demo_runs: list[Identification]) -> None:
    """Every evidence key of every finding, and every missing figure of every unjudged subject,
    of every shipped profile on the demo city."""
    keys: set[str] = set()
    for run in demo_runs:
        assert run.findings.num_rows > 0
        for evidence in run.findings["evidence"].to_pylist():
            keys |= set(json.loads(evidence))
        for entry in run.unjudged_summary():
            keys |= set(entry["missing"].split(",")) - {"?"}
    unlabelled = sorted(
        key for key in keys if evidence_label(key, "zh") == key or evidence_label(key, "en") == key
    )
    assert unlabelled == []
    assert "tax_per_mu_yuan_2024" in keys  # year-suffixed figures are among them


def test_every_demo_finding_is_listed(tmp_path: Path, demo_runs: list[Identification]) -> None:
    for run in demo_runs:
        rows = findings_rows(run.findings, run.profile)
        assert len(rows) == run.findings.num_rows
        assert all(row[5] for row in rows)
        path = tmp_path / f"{run.profile.id}.xlsx"
        write_findings_workbook(
            path,
            profile=run.profile,
            as_of=run.as_of,
            findings=run.findings,
            unjudged_summary=run.unjudged_summary(),
        )
        sheet = openpyxl.load_workbook(path, read_only=True)["认定清单"]
        assert sheet.max_row == run.findings.num_rows + 2


FORMULA = '=HYPERLINK("http://example.com/x","点此")'


def test_csv_cells_are_never_formulas(tmp_path: Path, findings: pa.Table) -> None:
    """Issue 10 (9): a name a supplier wrote as a formula reaches the CSV list as text."""
    names = [FORMULA, "+1+cmd", "@SUM(A1)", "-2+3"]
    path = tmp_path / "findings.csv"
    write_findings_csv(path, findings.set_column(4, "subject_name", pa.array(names)), "zh")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert sorted(row[5] for row in rows[1:]) == sorted(f"'{name}" for name in names)
    assert rows[1][0] == "1"  # numbers stay numbers


def test_workbook_text_is_never_a_formula(tmp_path: Path, findings: pa.Table) -> None:
    names = pa.array([FORMULA] * findings.num_rows)
    path = tmp_path / "findings.xlsx"
    write_findings_workbook(
        path,
        profile=load_profile("ankang-2024"),
        as_of=AS_OF,
        findings=findings.set_column(4, "subject_name", names),
        unjudged_summary=UNJUDGED,
    )
    sheet = openpyxl.load_workbook(path).worksheets[0]
    cells = [cell for row in sheet.iter_rows() for cell in row if cell.value is not None]
    assert all(cell.data_type != "f" for cell in cells)
    assert any(FORMULA in str(cell.value) for cell in cells)


def test_a_titled_tables_title_and_notes_are_text(tmp_path: Path) -> None:
    """xlsxwriter's ``write`` (and so ``merge_range``) takes text starting with ``=`` for a
    formula: a list's title and notes are written as text."""
    path = tmp_path / "titled.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    styles = ListStyles(book, Formats(book))
    columns = list_columns(["a", "b"], [("text", 10), ("whole", 10)])
    last = write_titled_table(
        sheet, styles, title=FORMULA, columns=columns, rows=[["x", -1]], lang="zh"
    )
    write_merged(sheet, last + 2, 2, "=1+1", styles.note)
    book.close()
    written = openpyxl.load_workbook(path).worksheets[0]
    cells = {c.coordinate: c for row in written.iter_rows() for c in row}
    assert (cells["A1"].value, cells["A1"].data_type) == (FORMULA, "s")
    assert (cells["A5"].value, cells["A5"].data_type) == ("=1+1", "s")
    assert (cells["B3"].value, cells["B3"].data_type) == (-1, "n")
