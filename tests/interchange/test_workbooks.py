"""The workbooks the interchange layer writes: template, export and marked copy."""

import csv
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import openpyxl
import pyarrow as pa
import pytest
from openpyxl.comments import Comment
from openpyxl.utils import get_column_letter
from python_calamine import CalamineWorkbook

from mujun.interchange.problems import Problem, Reason
from mujun.interchange.raw import RawTable
from mujun.interchange.schema import TableSpec, column_for_header, table, table_for_name, tables
from mujun.interchange.workbooks import export
from mujun.interchange.workbooks.export import write_workbook
from mujun.interchange.workbooks.marked import write_marked_copy
from mujun.interchange.workbooks.styles import ERROR_SHEET, GUIDE_SHEET, SHEET_ROWS
from mujun.interchange.workbooks.template import write_template
from mujun.records.fields import ValueKind

NEGATIVE = Reason("negative", "must not be negative: {value}", "不得为负数：{value}")
NOT_A_NUMBER = Reason("not_a_number", "not a number", "不是数值")
DUPLICATE = Reason("duplicate", "same key as row {other}", "与第 {other} 行重复")
MISSING = Reason("missing_column", "required column missing", "缺少必填列")
UNKNOWN_CODE = Reason("unknown_code", "unknown code", "不是可选值之一")
UNREADABLE = Reason("unreadable", "cannot be read", "无法读取")


def _rows(path: Path, sheet: str) -> list[list[Any]]:
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python()


def _marked(cell: Any) -> bool:
    fill = cell.fill
    return bool(fill.fill_type == "solid" and str(fill.fgColor.rgb).endswith("FFC7CE"))


def _marked_cells(sheet: Any) -> dict[str, str]:
    """Coordinates of filled cells with the text of their comment."""
    found = {}
    for row in sheet.iter_rows():
        for cell in row:
            if _marked(cell):
                found[cell.coordinate] = cell.comment.text if cell.comment else ""
    return found


def _commented(sheet: Any) -> set[str]:
    return {cell.coordinate for row in sheet.iter_rows() for cell in row if cell.comment}


def _values(sheet: Any) -> list[list[Any]]:
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


# --- template -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "模板.xlsx"
    write_template(path)
    return path


def test_template_has_the_guide_then_a_sheet_per_table(template: Path) -> None:
    book = openpyxl.load_workbook(template)
    assert book.sheetnames == [GUIDE_SHEET, *(spec.label_zh for spec in tables())]


def test_template_headers_are_the_chinese_labels(template: Path) -> None:
    book = openpyxl.load_workbook(template)
    for spec in tables():
        sheet = book[spec.label_zh]
        assert [cell.value for cell in sheet[1]] == [c.label_zh for c in spec.columns]
        assert sheet.max_row == 1  # no example rows that would be imported as data
        assert sheet.freeze_panes == "A2"


def test_a_filled_template_maps_back_to_the_interchange_names(template: Path) -> None:
    book = openpyxl.load_workbook(template)
    for name in book.sheetnames[1:]:
        spec = table_for_name(name)
        assert spec is not None
        headers = [str(cell.value) for cell in book[name][1]]
        assert [column_for_header(spec, h) for h in headers] == list(spec.columns)


def test_guide_lists_every_table_and_column(template: Path) -> None:
    sheet = openpyxl.load_workbook(template)[GUIDE_SHEET]
    rows = [tuple(row) for row in sheet.iter_rows(values_only=True)]
    text = "\n".join(str(v) for row in rows for v in row if v is not None)
    for rule in ("平方米", "元", "YYYY-MM-DD", "YYYY-MM", "空白表示未知", "必填", "是", "否"):
        assert rule in text
    described = {(row[0], row[1]): row for row in rows}
    for spec in tables():
        assert f"工作表「{spec.label_zh}」" in text
        for column in spec.columns:
            row = described[column.label_zh, column.name]
            assert (row[3] == "必填") == column.required
            if column.field.choices is not None:
                assert row[4] == " / ".join(m.label_zh for m in column.field.choices)
            if column.field.references is not None:
                assert str(row[5]).startswith("须为已有的")
    kinds = {row[2] for row in described.values()}
    assert {"日期", "月份", "是否", "代码", "统一社会信用代码", "0–1比例", "WKT"} <= kinds


def test_code_and_boolean_columns_have_drop_downs(template: Path) -> None:
    book = openpyxl.load_workbook(template)
    for spec in tables():
        lists = {
            str(v.sqref): v.formula1
            for v in book[spec.label_zh].data_validations.dataValidation
            if v.type == "list"
        }
        expected = {}
        for n, column in enumerate(spec.columns, start=1):
            letter = get_column_letter(n)
            if column.field.choices is not None:
                labels = ",".join(m.label_zh for m in column.field.choices)
                expected[f"{letter}2:{letter}1048576"] = f'"{labels}"'
            elif column.kind is ValueKind.BOOLEAN:
                expected[f"{letter}2:{letter}1048576"] = '"是,否"'
        assert lists == expected


def test_required_headers_are_red_bold_and_commented(template: Path) -> None:
    book = openpyxl.load_workbook(template)
    for spec in tables():
        for cell, column in zip(book[spec.label_zh][1], spec.columns, strict=True):
            assert cell.comment is not None
            lines = cell.comment.text.split("\n")
            if column.required:
                assert lines[:2] == ["必填", column.name]
                assert cell.font.b
                assert str(cell.font.color.rgb).endswith("C00000")
            else:
                assert lines[0] == column.name
                assert "必填" not in cell.comment.text
                assert cell.font.color is None or not str(cell.font.color.rgb).endswith("C00000")


def test_template_columns_are_pre_formatted(template: Path) -> None:
    book = openpyxl.load_workbook(template)
    sheet = book["宗地"]
    spec = table("parcels")
    formats = {
        c.name: sheet.column_dimensions[get_column_letter(n)].number_format
        for n, c in enumerate(spec.columns, start=1)
    }
    assert formats["supply_date"] == "yyyy-mm-dd"
    assert formats["parcel_id"] == "@"  # codes keep their leading zeros
    assert formats["holder_credit_code"] == "@"
    assert book["月度指标"].column_dimensions["B"].number_format == "@"  # a month is not a date


# --- export ---------------------------------------------------------------------------------


def _batch(spec: TableSpec, columns: dict[str, tuple[pa.DataType, list[Any]]]) -> pa.RecordBatch:
    schema = pa.schema([(name, kind) for name, (kind, _) in columns.items()])
    return pa.RecordBatch.from_pydict({n: v for n, (_, v) in columns.items()}, schema=schema)


def _parcel_batches() -> list[pa.RecordBatch]:
    spec = table("parcels")
    first = _batch(
        spec,
        {
            "parcel_id": (pa.string(), ["001", "=P2"]),
            "area_m2": (pa.float64(), [1234.5, None]),
            "land_use": (pa.string(), ["industrial", None]),
            "supply_date": (pa.date32(), [date(2021, 2, 28), None]),
            "planning_adjustment": (pa.bool_(), [False, None]),
            "dynamic_reserve": (pa.bool_(), [True, None]),
        },
    )
    second = _batch(
        spec,
        {
            "parcel_id": (pa.string(), ["P3"]),
            "area_m2": (pa.float64(), [0.0]),
            "land_use": (pa.string(), ["warehouse"]),
            "supply_date": (pa.date32(), [date(1999, 12, 31)]),
            "planning_adjustment": (pa.bool_(), [True]),
            "dynamic_reserve": (pa.bool_(), [None]),
        },
    )
    return [first, second]


def _metric_batches() -> Iterator[pa.RecordBatch]:
    yield _batch(
        table("annual_metrics"),
        {
            "credit_code": (pa.string(), ["91330122MA2XXXXXX1"]),
            "year": (pa.int64(), [2023]),
            "employees": (pa.int64(), [250]),
            "capacity_use": (pa.float64(), [0.85]),
            "halted": (pa.bool_(), [False]),
        },
    )


def test_export_round_trips_values(tmp_path: Path) -> None:
    path = tmp_path / "export.xlsx"
    empty = table("compliance")
    write_workbook(
        path,
        [
            (table("parcels"), _parcel_batches()),
            (table("annual_metrics"), _metric_batches()),
            (empty, []),
        ],
    )
    book = CalamineWorkbook.from_path(str(path))
    assert book.sheet_names == ["parcels", "annual_metrics", "compliance"]

    parcels = _rows(path, "parcels")
    spec = table("parcels")
    assert parcels[0] == list(spec.column_names)
    got = [dict(zip(spec.column_names, row, strict=True)) for row in parcels[1:]]
    assert len(got) == 3
    assert got[0]["parcel_id"] == "001"
    assert got[0]["area_m2"] == 1234.5
    assert got[0]["land_use"] == "industrial"
    assert got[0]["supply_date"] == date(2021, 2, 28)
    assert got[0]["planning_adjustment"] is False
    assert got[0]["dynamic_reserve"] is True
    assert got[0]["jurisdiction_code"] == ""  # a column no batch carries is empty
    assert got[1]["parcel_id"] == "=P2"  # text, never a formula
    assert [got[1][c] for c in ("area_m2", "supply_date", "planning_adjustment")] == ["", "", ""]
    assert got[2]["area_m2"] == 0.0  # zero is not unknown
    assert got[2]["supply_date"] == date(1999, 12, 31)

    metrics = _rows(path, "annual_metrics")
    row = dict(zip(metrics[0], metrics[1], strict=True))
    assert row["year"] == 2023
    assert row["employees"] == 250
    assert row["capacity_use"] == 0.85
    assert row["halted"] is False
    assert row["tax_yuan"] == ""

    assert _rows(path, "compliance") == [list(empty.column_names)]


def test_export_dates_are_real_dates_shown_as_iso(tmp_path: Path) -> None:
    path = tmp_path / "export.xlsx"
    write_workbook(path, [(table("parcels"), _parcel_batches())])
    sheet = openpyxl.load_workbook(path)["parcels"]
    cell = sheet["J2"]  # supply_date
    assert cell.is_date
    assert cell.number_format == "yyyy-mm-dd"
    assert sheet["L2"].data_type == "b"
    assert sheet.freeze_panes == "A2"


def test_chinese_export_uses_chinese_names_and_labels(tmp_path: Path) -> None:
    path = tmp_path / "导出.xlsx"
    write_workbook(
        path,
        [(table("parcels"), _parcel_batches()), (table("annual_metrics"), _metric_batches())],
        chinese=True,
    )
    assert CalamineWorkbook.from_path(str(path)).sheet_names == ["宗地", "年度指标"]
    rows = _rows(path, "宗地")
    assert rows[0] == [c.label_zh for c in table("parcels").columns]
    assert rows[1][0] == "001"
    assert rows[1][4] == "工业"
    assert rows[3][4] == "仓储"
    assert rows[1][9] == date(2021, 2, 28)


def test_too_many_rows_refused_before_writing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(export, "MAX_DATA_ROWS", 2)
    path = tmp_path / "export.xlsx"
    # known up front: a list of batches
    with pytest.raises(ValueError, match="folder of CSV files"):
        write_workbook(
            path,
            [
                (table("annual_metrics"), list(_metric_batches())),
                (table("parcels"), _parcel_batches()),
            ],
        )
    assert not path.exists()
    # found while streaming: a generator
    with pytest.raises(ValueError, match="folder of CSV files"):
        write_workbook(path, [(table("parcels"), iter(_parcel_batches()))])
    assert not path.exists()
    write_workbook(path, [(table("parcels"), _parcel_batches()[:1])])  # two rows fit
    assert len(_rows(path, "parcels")) == 3


def test_a_batch_reporting_more_rows_than_a_sheet_holds_is_refused(tmp_path: Path) -> None:
    class Huge:
        num_rows = SHEET_ROWS

    path = tmp_path / "export.xlsx"
    with pytest.raises(ValueError, match="CSV"):
        write_workbook(path, [(table("parcels"), [Huge()])])
    assert not path.exists()


def test_a_value_longer_than_a_cell_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "export.xlsx"
    wkt = "POLYGON((" + ",".join(["120.1 30.2"] * 4000) + "))"
    batch = _batch(
        table("parcels"),
        {"parcel_id": (pa.string(), ["P1"]), "geometry_wkt": (pa.string(), [wkt])},
    )
    with pytest.raises(ValueError, match=r"geometry_wkt.*CSV"):
        write_workbook(path, [(table("parcels"), [batch])])
    assert not path.exists()


# --- marked copy: a workbook ----------------------------------------------------------------


@pytest.fixture
def source_workbook(tmp_path: Path) -> Path:
    """宗地 with a title row and a two-row header; 企业 plain; 说明 not a table."""
    book = openpyxl.Workbook()
    parcels = book.active
    parcels.title = "宗地"
    parcels.append(["宗地台账", None, "用途"])
    parcels.merge_cells("A1:B1")
    parcels.merge_cells("C1:C2")
    parcels["A2"], parcels["B2"] = "宗地号", "面积（平方米）"
    parcels.append(["P001", 1000, "工业"])
    parcels.append(["P002", -5, "工业"])
    parcels.append(["P001", 30, "商业"])
    parcels["B4"].comment = Comment("原有批注", "科员")
    enterprises = book.create_sheet("企业")
    enterprises.append(["统一社会信用代码", "行业代码"])
    enterprises.append(["91330122MA2XXXXXX1", "C3489"])
    notes = book.create_sheet("说明")
    notes["A1"] = "由自然资源局提供"
    path = tmp_path / "报送.xlsx"
    book.save(path)
    return path


def _raw(
    spec: str,
    label: str,
    path: Path,
    *,
    sheet: str | None,
    header_row: int,
    headers: dict[str, str],
    encoding: str | None = None,
) -> RawTable:
    columns = list(headers)
    return RawTable(
        spec=table(spec),
        label=label,
        path=path,
        sheet=sheet,
        header_row=header_row,
        column_index={name: n for n, name in enumerate(columns)},
        headers=headers,
        relation=f"raw_{spec}",
        rows=0,
        encoding=encoding,
    )


def _workbook_tables(path: Path) -> list[RawTable]:
    return [
        _raw(
            "parcels",
            "报送.xlsx » 宗地",
            path,
            sheet="宗地",
            header_row=2,
            headers={"parcel_id": "宗地号", "area_m2": "面积（平方米）", "land_use": "用途"},
        ),
        _raw(
            "enterprises",
            "报送.xlsx » 企业",
            path,
            sheet="企业",
            header_row=1,
            headers={"credit_code": "统一社会信用代码", "industry_code": "行业代码"},
        ),
    ]


def _workbook_problems() -> list[Problem]:
    return [
        Problem("报送.xlsx » 宗地", 5, None, None, DUPLICATE, {"other": 3}),
        Problem(
            "报送.xlsx » 宗地",
            4,
            "area_m2",
            "-5",
            NEGATIVE,
            {"value": "-5"},
            record={"parcel_id": "P4"},
        ),
        Problem("报送.xlsx » 宗地", 4, "area_m2", "-5", NOT_A_NUMBER),
        Problem("报送.xlsx » 宗地", None, "land_use", None, UNKNOWN_CODE),
        Problem("报送.xlsx » 企业", None, "name", None, MISSING),
        Problem("报送.xlsx » 图斑", None, None, None, UNREADABLE),
    ]


def test_marked_workbook_marks_exactly_the_bad_cells(source_workbook: Path, tmp_path: Path) -> None:
    out = tmp_path / "标注.xlsx"
    write_marked_copy(out, _workbook_tables(source_workbook), _workbook_problems())
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == [ERROR_SHEET, "宗地", "企业", "说明"]
    assert book.active.title == ERROR_SHEET

    parcels = _marked_cells(book["宗地"])
    assert set(parcels) == {"B4", "A5", "C1"}  # C2 lies in the merged C1:C2
    assert parcels["B4"].split("\n")[:2] == ["• 不得为负数：-5", "• 不是数值"]
    assert "原有批注" in parcels["B4"]  # the department's own comment is kept
    assert parcels["A5"] == "【整行】与第 3 行重复"
    assert parcels["C1"] == "不是可选值之一"
    assert book["宗地"]["B4"].comment.author == "mujun"
    assert _commented(book["宗地"]) == {"B4", "A5", "C1"}

    enterprises = _marked_cells(book["企业"])
    assert enterprises == {"A1": "【企业名称】缺少必填列"}
    assert _marked_cells(book["说明"]) == {}


def test_marked_workbook_keeps_everything_else(source_workbook: Path, tmp_path: Path) -> None:
    out = tmp_path / "标注.xlsx"
    write_marked_copy(out, _workbook_tables(source_workbook), _workbook_problems())
    before, after = openpyxl.load_workbook(source_workbook), openpyxl.load_workbook(out)
    for name in before.sheetnames:
        assert _values(after[name]) == _values(before[name])
    assert {str(r) for r in after["宗地"].merged_cells.ranges} == {"A1:B1", "C1:C2"}
    assert not _marked(after["宗地"]["B3"])
    assert after["宗地"]["B3"].comment is None


def test_marked_workbook_lists_every_problem(source_workbook: Path, tmp_path: Path) -> None:
    out = tmp_path / "标注.xlsx"
    write_marked_copy(out, _workbook_tables(source_workbook), _workbook_problems())
    sheet = openpyxl.load_workbook(out)[ERROR_SHEET]
    rows = [row[:7] for row in sheet.iter_rows(values_only=True)]
    assert rows == [
        ("序号", "文件/工作表", "行", "记录", "列", "值", "问题"),
        (1, "报送.xlsx » 宗地", None, None, "用途", None, "不是可选值之一"),
        (2, "报送.xlsx » 宗地", 4, "P4", "面积（平方米）", "-5", "不得为负数：-5"),
        (3, "报送.xlsx » 宗地", 4, None, "面积（平方米）", "-5", "不是数值"),
        (4, "报送.xlsx » 宗地", 5, None, None, None, "与第 3 行重复"),
        (5, "报送.xlsx » 企业", None, None, "企业名称", None, "缺少必填列"),
        (6, "报送.xlsx » 图斑", None, None, None, None, "无法读取"),
    ]
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:H7"
    link = sheet["H3"].hyperlink
    assert link is not None and link.location == "'宗地'!B4"
    assert sheet["H7"].hyperlink is None  # a file that was not read has no cell


def test_marked_copy_never_overwrites_the_data_set(source_workbook: Path) -> None:
    with pytest.raises(ValueError, match="overwrite"):
        write_marked_copy(source_workbook, _workbook_tables(source_workbook), _workbook_problems())


# --- marked copy: CSV files -----------------------------------------------------------------


@pytest.fixture
def csv_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "报送"
    folder.mkdir()
    with (folder / "parcels.csv").open("w", encoding="gb18030", newline="") as file:
        csv.writer(file).writerows(
            [
                ["宗地号", "面积(平方米)", "规划用途"],
                ["001", "1000", "工业"],
                ["=P2", "-5", "工厂"],
                ["001", "", "商业,仓储"],
            ]
        )
    with (folder / "enterprises.csv").open("w", encoding="utf-8-sig", newline="") as file:
        csv.writer(file).writerows([["credit_code", "name"], ["91330122MA2XXXXXX1", "某某公司"]])
    return folder


def _csv_tables(folder: Path) -> list[RawTable]:
    return [
        _raw(
            "parcels",
            "parcels.csv",
            folder / "parcels.csv",
            sheet=None,
            header_row=1,
            headers={"parcel_id": "宗地号", "area_m2": "面积(平方米)", "land_use": "规划用途"},
            encoding="gb18030",
        ),
        _raw(
            "enterprises",
            "enterprises.csv",
            folder / "enterprises.csv",
            sheet=None,
            header_row=1,
            headers={"credit_code": "credit_code", "name": "name"},
        ),
    ]


def _csv_problems() -> list[Problem]:
    return [
        Problem("parcels.csv", 3, "area_m2", "-5", NEGATIVE, {"value": "-5"}),
        Problem("parcels.csv", 3, "land_use", "工厂", UNKNOWN_CODE),
        Problem("parcels.csv", 4, None, None, DUPLICATE, {"other": 2}),
        Problem("parcels.csv", 7, "land_use", None, UNKNOWN_CODE),  # below the last row
        Problem("broken.csv", None, None, None, UNREADABLE),
    ]


def test_marked_csv_copy_shows_each_file_with_its_bad_cells(
    csv_folder: Path, tmp_path: Path
) -> None:
    out = tmp_path / "标注.xlsx"
    write_marked_copy(out, _csv_tables(csv_folder), _csv_problems())
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == [ERROR_SHEET, "parcels.csv"]  # enterprises.csv had no problem
    sheet = book["parcels.csv"]
    assert _values(sheet)[:4] == [
        ["宗地号", "面积(平方米)", "规划用途"],
        ["001", "1000", "工业"],
        ["=P2", "-5", "工厂"],
        ["001", None, "商业,仓储"],
    ]
    assert sheet["A3"].data_type == "s"  # text, not a formula
    marked = _marked_cells(sheet)
    assert marked == {
        "B3": "不得为负数：-5",
        "C3": "不是可选值之一",
        "A4": "【整行】与第 2 行重复",
        "C7": "不是可选值之一",
    }
    assert _commented(sheet) == set(marked)
    assert sheet["C3"].comment.author == "mujun"
    assert sheet.freeze_panes == "A2"


def test_marked_csv_copy_lists_every_problem(csv_folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "标注.xlsx"
    write_marked_copy(out, _csv_tables(csv_folder), _csv_problems())
    sheet = openpyxl.load_workbook(out)[ERROR_SHEET]
    rows = [row[:3] + row[4:7] for row in sheet.iter_rows(values_only=True)]
    assert rows == [
        ("序号", "文件/工作表", "行", "列", "值", "问题"),
        (1, "parcels.csv", 3, "面积(平方米)", "-5", "不得为负数：-5"),
        (2, "parcels.csv", 3, "规划用途", "工厂", "不是可选值之一"),
        (3, "parcels.csv", 4, None, None, "与第 2 行重复"),
        (4, "parcels.csv", 7, "规划用途", None, "不是可选值之一"),
        (5, "broken.csv", None, None, None, "无法读取"),
    ]
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:H6"
    assert sheet["H2"].hyperlink.location == "'parcels.csv'!B3"


def test_problems_of_unread_files_alone_give_just_the_list(tmp_path: Path) -> None:
    out = tmp_path / "标注.xlsx"
    problem = Problem("parcels.csv", None, None, None, UNREADABLE)
    write_marked_copy(out, [], [problem])
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == [ERROR_SHEET]
    assert book[ERROR_SHEET]["B2"].value == "parcels.csv"


def _prints_as_a_list(sheet: Any, header_rows: int = 1) -> bool:
    """Landscape, one page wide (an absent fitToWidth means 1), the header on every page."""
    setup = sheet.page_setup
    return bool(
        setup.orientation == "landscape"
        and sheet.sheet_properties.pageSetUpPr.fitToPage
        and setup.fitToWidth in (None, 1)
        and setup.fitToHeight == 0
        and (sheet.print_title_rows or "").replace("$", "") == f"1:{header_rows}"
    )


def test_lists_print_one_page_wide_with_their_header_on_every_page(
    template: Path, source_workbook: Path, csv_folder: Path, tmp_path: Path
) -> None:
    book = openpyxl.load_workbook(template)
    assert all(_prints_as_a_list(book[spec.label_zh]) for spec in tables())

    for tables_, problems, out in (
        (_workbook_tables(source_workbook), _workbook_problems(), tmp_path / "from-book.xlsx"),
        (_csv_tables(csv_folder), _csv_problems(), tmp_path / "from-csv.xlsx"),
    ):
        write_marked_copy(out, tables_, problems)
        assert _prints_as_a_list(openpyxl.load_workbook(out)[ERROR_SHEET])
    assert _prints_as_a_list(openpyxl.load_workbook(tmp_path / "from-csv.xlsx")["parcels.csv"])
