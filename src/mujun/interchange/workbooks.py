"""Excel workbooks the interchange layer writes: the template, exports and marked copies.

Three writers share one set of formats and helpers:

- :func:`write_template` — the empty workbook a department fills in: a 填表说明 sheet, then one
  sheet per table with Chinese headers, required headers in red, drop-downs and formats.
- :func:`write_workbook` — the database in the interchange format, one sheet per table,
  streamed (xlsxwriter ``constant_memory``).
- :func:`write_marked_copy` — the data set sent back to the department that supplied it, with
  every bad cell filled light red and commented, and an 错误清单 sheet listing every problem.
"""

import codecs
import csv
import math
import re
import tempfile
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pyarrow as pa
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, MergedCell
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.hyperlink import Hyperlink
from python_calamine import CalamineWorkbook
from xlsxwriter import Workbook
from xlsxwriter.utility import xl_rowcol_to_cell

from mujun.interchange.problems import Problem
from mujun.interchange.raw import RawTable
from mujun.interchange.schema import ColumnSpec, TableSpec, table, table_for_name, tables
from mujun.records.fields import ValueKind

SHEET_ROWS = 1_048_576  # rows of an Excel sheet
MAX_DATA_ROWS = SHEET_ROWS - 1  # below one header row
MAX_CELL_CHARS = 32_767  # characters an Excel cell holds
MAX_SHEET_NAME = 31
MAX_LINKS = 65_530  # hyperlinks an Excel sheet holds

GUIDE_SHEET = "填表说明"
ERROR_SHEET = "错误清单"
COMMENT_AUTHOR = "mujun"
TRUE_ZH, FALSE_ZH = "是", "否"

DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
BAD_FILL = "FFC7CE"  # Excel's "light red fill"
HEADER_FILL = "DDEBF7"
REQUIRED_COLOR = "C00000"
LINK_COLOR = "0563C1"

# xlsxwriter format properties by name; a cell's format combines names (see _Formats).
_STYLES: dict[str, dict[str, object]] = {
    "header": {"bold": True, "bg_color": f"#{HEADER_FILL}", "border": 1, "valign": "top"},
    "required": {"font_color": f"#{REQUIRED_COLOR}"},
    "title": {"bold": True, "font_size": 14},
    "section": {"bold": True, "font_size": 12},
    "table": {"bold": True, "font_color": f"#{LINK_COLOR}", "underline": 1},
    "wrap": {"text_wrap": True, "valign": "top"},
    "link": {"font_color": f"#{LINK_COLOR}", "underline": 1},
    "date": {"num_format": DATE_FORMAT},
    "datetime": {"num_format": DATETIME_FORMAT},
    "text": {"num_format": "@"},
    "whole": {"num_format": "0"},
    "bad": {"bg_color": f"#{BAD_FILL}", "pattern": 1},
}

_KIND_ZH: dict[ValueKind, str] = {
    ValueKind.TEXT: "文本",
    ValueKind.INTEGER: "整数",
    ValueKind.YEAR: "年份",
    ValueKind.NUMBER: "数值",
    ValueKind.SHARE: "0–1比例",
    ValueKind.DATE: "日期",
    ValueKind.MONTH: "月份",
    ValueKind.BOOLEAN: "是否",
    ValueKind.CODE: "代码",
    ValueKind.CREDIT_CODE: "统一社会信用代码",
    ValueKind.WKT: "WKT",
}

_KIND_HINT: dict[ValueKind, str] = {
    ValueKind.YEAR: "四位年份，如 2024",
    ValueKind.SHARE: "0 到 1 之间的小数，如 85% 填 0.85",
    ValueKind.DATE: "格式 YYYY-MM-DD，如 2024-03-15",
    ValueKind.MONTH: "格式 YYYY-MM，如 2024-03",
    ValueKind.BOOLEAN: "填 是 或 否",
    ValueKind.CODE: "从下拉列表中选择",
    ValueKind.CREDIT_CODE: "18 位，末位为校验位（GB 32100）",
}

# The format a template column carries before anything is typed into it: text where Excel
# would otherwise turn a code into a number (leading zeros, 18-digit credit codes) or a month
# into a date.
_KIND_FORMAT: dict[ValueKind, str] = {
    ValueKind.TEXT: "text",
    ValueKind.CODE: "text",
    ValueKind.BOOLEAN: "text",
    ValueKind.CREDIT_CODE: "text",
    ValueKind.MONTH: "text",
    ValueKind.WKT: "text",
    ValueKind.INTEGER: "whole",
    ValueKind.YEAR: "whole",
    ValueKind.DATE: "date",
}

_KIND_WIDTH: dict[ValueKind, int] = {
    ValueKind.TEXT: 16,
    ValueKind.INTEGER: 10,
    ValueKind.YEAR: 8,
    ValueKind.NUMBER: 14,
    ValueKind.SHARE: 10,
    ValueKind.DATE: 12,
    ValueKind.MONTH: 10,
    ValueKind.BOOLEAN: 8,
    ValueKind.CODE: 12,
    ValueKind.CREDIT_CODE: 22,
    ValueKind.WKT: 40,
}

_GUIDE_COLUMNS = (
    ("表头", 24),
    ("英文列名", 30),
    ("类型", 16),
    ("必填", 6),
    ("可选值", 36),
    ("引用", 40),
    ("说明", 50),
)

_LIST_COLUMNS = (
    ("序号", 7),
    ("文件/工作表", 28),
    ("行", 8),
    ("列", 20),
    ("值", 24),
    ("问题", 60),
    ("定位", 7),
)

_RULES = (
    "本工作簿用于向亩均平台报送数据：一个工作表对应一类数据（如「宗地」「企业」），"
    "工作表名称和表头请勿修改。",
    "可只填部分工作表；不涉及的工作表保持空白即可。",
    "每个工作表第一行是表头，从第二行起每行填写一条记录；请勿合并单元格。",
    "红色加粗的表头是必填列：每一行都必须填写。其余列不知道时可留空。",
    "空白表示未知（不是零）：数值为零时请填 0。",
    "面积单位为平方米，金额单位为元（不是万元）。",
    "日期格式 YYYY-MM-DD（如 2024-03-15）；月份格式 YYYY-MM（如 2024-03）；年份填四位数字。",
    "是否类的列填「是」或「否」；代码类的列从下拉列表中选择。",
    "统一社会信用代码为 18 位，须通过校验位校验（GB 32100-2015）。",
    "引用其他表的列（如所在区划代码、宗地号）须为已有记录，或在本工作簿相应工作表中一并填报。",
    "宗地图形用 WKT 文本，坐标为 CGCS2000（EPSG:4490）经纬度。",
    "导入时整份数据要么全部导入，要么全部不导入；如有错误，系统给出带标注的副本，逐格说明问题。",
)

_SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")

# --- shared helpers -------------------------------------------------------------------------


class _Formats:
    """The xlsxwriter formats of one workbook, each combination of :data:`_STYLES` made once."""

    def __init__(self, book: Any) -> None:
        self._book = book
        self._made: dict[tuple[str, ...], Any] = {(): None}

    def get(self, *names: str) -> Any:
        """The format combining ``names``; None for no names (the default format)."""
        if names in self._made:  # the usual case, without normalising the names
            return self._made[names]
        key = tuple(sorted(set(names)))
        if key not in self._made:
            properties: dict[str, object] = {}
            for name in key:
                properties.update(_STYLES[name])
            self._made[key] = self._book.add_format(properties)
        self._made[names] = self._made[key]
        return self._made[key]


@contextmanager
def _streaming_workbook(path: Path) -> Iterator[tuple[Any, _Formats]]:
    """An xlsxwriter workbook in ``constant_memory`` mode, written to ``path`` on success only.

    xlsxwriter writes the file when it is closed; if the body raises, the workbook is never
    closed, nothing appears at ``path`` and its scratch files go with the temporary folder.
    """
    with tempfile.TemporaryDirectory(prefix="mujun-xlsx-", ignore_cleanup_errors=True) as tmp:
        book = Workbook(str(path), {"constant_memory": True, "tmpdir": tmp})
        yield book, _Formats(book)
        book.close()


def _display_width(text: str) -> int:
    """Columns ``text`` takes on screen: two for each wide (CJK) character."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _column_width(column: ColumnSpec, header: str) -> int:
    return min(50, max(_KIND_WIDTH[column.kind], _display_width(header) + 3))


def _comment_size(text: str) -> dict[str, int]:
    """The width and height in pixels of a comment box that shows ``text`` whole."""
    widths = [_display_width(line) for line in text.split("\n")]
    width = min(420, max(200, 7 * max(widths) + 16))
    lines = sum(max(1, math.ceil(7 * w / (width - 16))) for w in widths)
    return {"width": width, "height": 18 * lines + 24}


def _sheet_name(name: str, taken: set[str]) -> str:
    """A valid, unused sheet name close to ``name``; adds it to ``taken`` (case-insensitive)."""
    base = _SHEET_NAME_FORBIDDEN.sub("_", name).strip("'")[:MAX_SHEET_NAME] or "Sheet"
    candidate, n = base, 1
    while candidate.lower() in taken:
        n += 1
        suffix = f"({n})"
        candidate = base[: MAX_SHEET_NAME - len(suffix)] + suffix
    taken.add(candidate.lower())
    return candidate


def _location(sheet: str, row: int, col: int) -> str:
    """An in-workbook reference to a cell (1-based row, 0-based column): ``'宗地'!C5``."""
    quoted = sheet.replace("'", "''")
    return f"'{quoted}'!{xl_rowcol_to_cell(row - 1, col)}"


def _write_value(
    sheet: Any, row: int, col: int, value: object, formats: _Formats, *, bad: bool = False
) -> None:
    """Write one value as its own Excel type; an empty value only when the cell is marked."""
    extra = ("bad",) if bad else ()
    if value is None or value == "" or (isinstance(value, float) and not math.isfinite(value)):
        if bad:
            sheet.write_blank(row, col, None, formats.get(*extra))
    elif isinstance(value, bool):
        sheet.write_boolean(row, col, value, formats.get(*extra))
    elif isinstance(value, int | float):
        sheet.write_number(row, col, value, formats.get(*extra))
    elif isinstance(value, datetime):
        sheet.write_datetime(row, col, value, formats.get("datetime", *extra))
    elif isinstance(value, date):
        sheet.write_datetime(row, col, value, formats.get("date", *extra))
    else:
        sheet.write_string(row, col, str(value), formats.get(*extra))


def _choices_zh(column: ColumnSpec) -> list[str]:
    """The Chinese values a column's drop-down offers."""
    if column.field.choices is not None:
        return [member.label_zh for member in column.field.choices]
    if column.kind is ValueKind.BOOLEAN:
        return [TRUE_ZH, FALSE_ZH]
    return []


def _reference_zh(column: ColumnSpec) -> str:
    if column.field.references is None:
        return ""
    target = table(column.field.references)
    key = target.column(target.key[0])
    return (
        f"须为已有的{target.label_zh}的{key.label_zh}"
        f"（已导入，或在「{target.label_zh}」工作表中一并填报）"
    )


def _help_zh(column: ColumnSpec) -> str:
    parts = [column.field.help_zh or _KIND_HINT.get(column.kind, "")]
    if column.field.non_negative:
        parts.append("不得为负")
    return "；".join(part for part in parts if part)


# --- the template ---------------------------------------------------------------------------


def write_template(path: Path) -> None:
    """Write the empty workbook a department fills in: 填表说明, then one sheet per table."""
    book = Workbook(str(path))
    formats = _Formats(book)
    guide = book.add_worksheet(GUIDE_SHEET)
    sheets = [(spec, book.add_worksheet(spec.label_zh)) for spec in tables()]
    _write_guide(guide, formats)
    for spec, sheet in sheets:
        _write_header(sheet, spec.columns, [c.label_zh for c in spec.columns], formats, form=True)
        for col, column in enumerate(spec.columns):
            validation = _validation(column)
            if validation is not None:
                sheet.data_validation(1, col, MAX_DATA_ROWS, col, validation)
    book.close()


def _write_header(
    sheet: Any,
    columns: Sequence[ColumnSpec],
    headers: Sequence[str],
    formats: _Formats,
    *,
    form: bool = False,
) -> None:
    """Header row, widths and frozen pane; a form (template) also marks and explains headers
    and pre-formats its columns."""
    for col, (column, header) in enumerate(zip(columns, headers, strict=True)):
        kind_format = _KIND_FORMAT.get(column.kind)
        column_format = formats.get(kind_format) if form and kind_format else None
        sheet.set_column(col, col, _column_width(column, header), column_format)
        header_format = formats.get("header", "required") if form and column.required else None
        sheet.write_string(0, col, header, header_format or formats.get("header"))
        if form:
            note = _header_note(column)
            sheet.write_comment(0, col, note, {"author": COMMENT_AUTHOR, **_comment_size(note)})
    sheet.freeze_panes(1, 0)


def _header_note(column: ColumnSpec) -> str:
    lines = ["必填"] if column.required else []
    lines += [column.name, f"类型：{_KIND_ZH[column.kind]}"]
    if choices := _choices_zh(column):
        lines.append("可选：" + " / ".join(choices))
    lines += [text for text in (_reference_zh(column), _help_zh(column)) if text]
    return "\n".join(lines)


def _validation(column: ColumnSpec) -> dict[str, object] | None:
    """The data validation of a template column, if its kind has one."""
    kind = column.kind
    rule: dict[str, object]
    if choices := _choices_zh(column):
        rule = {"validate": "list", "source": choices}
        message = "请从下拉列表中选择：" + " / ".join(choices)
    elif kind is ValueKind.SHARE:
        rule = {"validate": "decimal", "criteria": "between", "minimum": 0, "maximum": 1}
        message = "请填写 0 到 1 之间的小数，如 85% 填 0.85"
    elif kind is ValueKind.YEAR:
        rule = {"validate": "integer", "criteria": "between", "minimum": 1900, "maximum": 2199}
        message = "请填写四位年份，如 2024"
    elif kind is ValueKind.DATE:
        rule = {
            "validate": "date",
            "criteria": "between",
            "minimum": date(1900, 1, 1),
            "maximum": date(2199, 12, 31),
        }
        message = "请填写日期，格式 YYYY-MM-DD，如 2024-03-15"
    elif kind in (ValueKind.NUMBER, ValueKind.INTEGER) and column.field.non_negative:
        validate = "integer" if kind is ValueKind.INTEGER else "decimal"
        rule = {"validate": validate, "criteria": ">=", "value": 0}
        message = "请填写不小于 0 的" + ("整数" if kind is ValueKind.INTEGER else "数值")
    else:
        return None
    return {**rule, "error_title": column.label_zh, "error_message": message}


def _write_guide(sheet: Any, formats: _Formats) -> None:
    for col, (_, width) in enumerate(_GUIDE_COLUMNS):
        sheet.set_column(col, col, width, formats.get("wrap") if col >= 4 else None)
    sheet.write_string(0, 0, "亩均用地数据填报模板 · 填表说明", formats.get("title"))
    sheet.write_string(
        1,
        0,
        "本模板用于各部门向亩均平台报送企业、宗地、厂房、指标等数据，"
        "平台据此认定闲置和低效工业用地、开展亩均效益评价。",
    )
    row = 3
    sheet.write_string(row, 0, "一、通用规则", formats.get("section"))
    for number, rule in enumerate(_RULES, start=1):
        row += 1
        sheet.write_string(row, 0, f"{number}. {rule}")
    row += 2
    sheet.write_string(row, 0, "二、各工作表及其列", formats.get("section"))
    for spec in tables():
        row = _write_guide_table(sheet, row + 2, spec, formats)


def _write_guide_table(sheet: Any, row: int, spec: TableSpec, formats: _Formats) -> int:
    """One table's part of 填表说明 from ``row`` on; returns the last row written."""
    sheet.write_url(
        row,
        0,
        f"internal:{_location(spec.label_zh, 1, 0)}",
        formats.get("table"),
        string=f"工作表「{spec.label_zh}」（英文名 {spec.name}，CSV 文件 {spec.file_name}）",
    )
    keys = "、".join(f"「{spec.column(name).label_zh}」" for name in spec.key)
    notes = [f"每行由{keys}唯一确定；再次报送同一{keys}的行，更新原记录。"]
    notes += [
        f"「{spec.column(a).label_zh}」不得晚于「{spec.column(b).label_zh}」。"
        for a, b in spec.in_order
    ]
    notes += [
        f"「{spec.column(a).label_zh}」不得大于「{spec.column(b).label_zh}」。"
        for a, b in spec.not_above
    ]
    for note in notes:
        row += 1
        sheet.write_string(row, 0, note)
    row += 1
    for col, (title, _) in enumerate(_GUIDE_COLUMNS):
        sheet.write_string(row, col, title, formats.get("header"))
    for column in spec.columns:
        row += 1
        cells = (
            column.label_zh,
            column.name,
            _KIND_ZH[column.kind],
            "必填" if column.required else "",
            " / ".join(_choices_zh(column)),
            _reference_zh(column),
            _help_zh(column),
        )
        for col, text in enumerate(cells):
            cell_format = formats.get("required") if col == 0 and column.required else None
            if text:
                sheet.write_string(row, col, text, cell_format)
    return row


# --- the export -----------------------------------------------------------------------------


def write_workbook(
    path: Path,
    tables: Iterable[tuple[TableSpec, Iterable[pa.RecordBatch]]],
    *,
    chinese: bool = False,
) -> None:
    """Write tables in the interchange format as one workbook, a sheet per table, streaming.

    By default sheets and headers carry the interchange names (``parcels``, ``parcel_id``);
    ``chinese`` uses the Chinese sheet names and headers and writes codes as their Chinese
    labels, which an import accepts as well. A table longer than a sheet raises ValueError
    before anything is written.
    """
    items = list(tables)
    for spec, batches in items:
        if isinstance(batches, Sequence):
            _check_rows(spec, sum(batch.num_rows for batch in batches))
    with _streaming_workbook(path) as (book, formats):
        for spec, batches in items:
            _write_table(book, spec, batches, formats, chinese=chinese)


def _check_rows(spec: TableSpec, rows: int) -> None:
    if rows > MAX_DATA_ROWS:
        raise ValueError(
            f"table {spec.name} has more rows than the {MAX_DATA_ROWS:,} an Excel sheet "
            "holds; export to a folder of CSV files instead"
        )


def _write_table(
    book: Any,
    spec: TableSpec,
    batches: Iterable[pa.RecordBatch],
    formats: _Formats,
    *,
    chinese: bool,
) -> None:
    sheet = book.add_worksheet(spec.label_zh if chinese else spec.name)
    headers = [c.label_zh if chinese else c.name for c in spec.columns]
    _write_header(sheet, spec.columns, headers, formats)
    convert = [_export_value(spec, column, chinese=chinese) for column in spec.columns]
    written = 0
    for batch in batches:
        _check_rows(spec, written + batch.num_rows)
        unknown = set(batch.schema.names) - set(spec.column_names)
        if unknown:
            raise ValueError(f"table {spec.name} has no column {', '.join(sorted(unknown))}")
        present = [
            (col, batch.column(column.name).to_pylist(), convert[col])
            for col, column in enumerate(spec.columns)
            if column.name in batch.schema.names
        ]
        for offset in range(batch.num_rows):
            row = written + offset + 1
            for col, values, converted in present:
                _write_value(sheet, row, col, converted(values[offset]), formats)
        written += batch.num_rows
    sheet.autofilter(0, 0, written, len(spec.columns) - 1)


def _export_value(
    spec: TableSpec, column: ColumnSpec, *, chinese: bool
) -> Callable[[object], object]:
    """How a column's values are written: codes as Chinese labels in a Chinese export, text
    checked against the cell size (a longer value would be cut short, so it is refused)."""
    labels: Mapping[object, str] = (
        {member.value: member.label_zh for member in column.field.choices}
        if chinese and column.field.choices is not None
        else {}
    )

    def converted(value: object) -> object:
        if isinstance(value, str):
            if len(value) > MAX_CELL_CHARS:
                raise ValueError(
                    f"{spec.name}.{column.name} has a value of {len(value):,} characters, more "
                    f"than the {MAX_CELL_CHARS:,} an Excel cell holds; export to a folder of "
                    "CSV files instead"
                )
            return labels.get(value, value)
        return value

    return converted


# --- the marked copy ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Entry:
    """One problem, the table it names (if read) and the cell that shows it."""

    problem: Problem
    raw: RawTable | None
    cell: tuple[int, int] | None  # (row as the file shows it, 0-based column)
    exact: bool  # the cell is in the problem's own column

    @property
    def column_label(self) -> str:
        """The column as the official knows it: the header as written, else its label."""
        name = self.problem.column
        if name is None:
            return ""
        if self.raw is not None and name in self.raw.headers:
            return self.raw.headers[name]
        spec = self.raw.spec if self.raw is not None else _spec_for_file(self.problem.file)
        if spec is not None and name in spec.column_names:
            return spec.column(name).label_zh
        return name

    def note(self) -> str:
        """The problem as a line of its cell's comment."""
        text = self.problem.message("zh")
        if self.exact:
            return text
        where = self.column_label or ("表头" if self.problem.row is None else "整行")
        return f"【{where}】{text}"

    def list_values(self, number: int) -> tuple[int, str, int | None, str, str, str]:
        return (
            number,
            self.problem.file,
            self.problem.row,
            self.column_label,
            (self.problem.value or "")[:MAX_CELL_CHARS],
            self.problem.message("zh")[:MAX_CELL_CHARS],
        )


def _spec_for_file(label: str) -> TableSpec | None:
    """The table a file or sheet label (``parcels.csv``, ``data.xlsx » 宗地``) stands for."""
    name = label.rsplit("»", 1)[-1].strip()
    return table_for_name(name) or table_for_name(Path(name).stem)


def _entries(raw_tables: Sequence[RawTable], problems: Sequence[Problem]) -> list[_Entry]:
    """Every problem placed on its cell, in the order of files, rows and columns."""
    by_label = {raw.label: raw for raw in raw_tables}
    entries = [_entry(problem, by_label.get(problem.file)) for problem in problems]
    rank = {label: n for n, label in enumerate(by_label)}
    for entry in entries:
        rank.setdefault(entry.problem.file, len(rank))
    return sorted(
        entries,
        key=lambda e: (rank[e.problem.file], e.problem.row or 0, e.cell[1] if e.cell else 0),
    )


def _entry(problem: Problem, raw: RawTable | None) -> _Entry:
    if raw is None:
        return _Entry(problem, None, None, exact=False)
    row = problem.row if problem.row is not None else raw.header_row
    if not 1 <= row <= SHEET_ROWS:
        return _Entry(problem, raw, None, exact=False)
    col = raw.column_index.get(problem.column) if problem.column is not None else None
    if col is None:
        return _Entry(problem, raw, (row, min(raw.column_index.values(), default=0)), exact=False)
    return _Entry(problem, raw, (row, col), exact=True)


def _notes(entries: Iterable[_Entry]) -> dict[str, dict[tuple[int, int], str]]:
    """Per table label, the comment of every marked cell: all its problems, one per line."""
    lines: dict[str, dict[tuple[int, int], list[str]]] = defaultdict(lambda: defaultdict(list))
    for entry in entries:
        if entry.raw is not None and entry.cell is not None:
            lines[entry.raw.label][entry.cell].append(entry.note())
    return {
        label: {cell: _joined(texts) for cell, texts in cells.items()}
        for label, cells in lines.items()
    }


def _joined(lines: Sequence[str]) -> str:
    return lines[0] if len(lines) == 1 else "\n".join(f"• {line}" for line in lines)


def write_marked_copy(
    out_path: Path, raw_tables: Sequence[RawTable], problems: Sequence[Problem]
) -> None:
    """Write the data set back with every problem shown on its cell, and an 错误清单 sheet.

    A data set read from one ``.xlsx`` workbook is copied with its bad cells filled and
    commented; any other (a folder of CSV files) becomes a new workbook with the list and a
    sheet per file that has problems. Problems of files that were not read appear in the list
    only.
    """
    entries = _entries(raw_tables, problems)
    notes = _notes(entries)
    paths = {raw.path for raw in raw_tables}
    if len(paths) == 1 and next(iter(paths)).suffix.lower() == ".xlsx":
        _mark_workbook_copy(out_path, next(iter(paths)), raw_tables, entries, notes)
    else:
        _mark_new_workbook(out_path, raw_tables, entries, notes)


def _list_rows(
    entries: Sequence[_Entry], sheet_names: Mapping[str, str]
) -> Iterator[tuple[int, tuple[int, str, int | None, str, str, str], str | None]]:
    """The 错误清单 rows (0-based sheet row, values, location of the marked cell if any)."""
    for number, entry in enumerate(entries[:MAX_DATA_ROWS], start=1):
        location = None
        if entry.raw is not None and entry.cell is not None and number <= MAX_LINKS:
            sheet = sheet_names.get(entry.raw.label)
            location = _location(sheet, *entry.cell) if sheet is not None else None
        yield number, entry.list_values(number), location


# The copy of a workbook (openpyxl).


def _mark_workbook_copy(
    out_path: Path,
    source: Path,
    raw_tables: Sequence[RawTable],
    entries: Sequence[_Entry],
    notes: Mapping[str, Mapping[tuple[int, int], str]],
) -> None:
    if out_path.resolve() == source.resolve():
        raise ValueError(f"the marked copy would overwrite the data set itself: {source}")
    book = openpyxl.load_workbook(source)
    sheet_names = {
        raw.label: raw.sheet
        for raw in raw_tables
        if raw.sheet is not None and raw.sheet in book.sheetnames
    }
    for label, cells in notes.items():
        if label in sheet_names:
            _mark_openpyxl_sheet(book[sheet_names[label]], cells)
    errors = book.create_sheet(_sheet_name(ERROR_SHEET, {n.lower() for n in book.sheetnames}), 0)
    _write_openpyxl_list(errors, entries, sheet_names)
    book.active = 0
    for sheet in book.worksheets:
        sheet.sheet_view.tabSelected = sheet is errors
    book.save(out_path)


def _mark_openpyxl_sheet(sheet: Any, cells: Mapping[tuple[int, int], str]) -> None:
    """Fill and comment cells; a cell inside a merged range marks the range's first cell."""
    anchors: dict[tuple[int, int], list[str]] = defaultdict(list)
    for (row, col), text in sorted(cells.items()):
        cell = sheet.cell(row=row, column=col + 1)
        anchor = (row, col)
        if isinstance(cell, MergedCell):
            merged = next(r for r in sheet.merged_cells.ranges if cell.coordinate in r)
            anchor = (merged.min_row, merged.min_col - 1)
        anchors[anchor].append(text)
    fill = PatternFill(fill_type="solid", start_color=BAD_FILL, end_color=BAD_FILL)
    for (row, col), texts in anchors.items():
        cell = sheet.cell(row=row, column=col + 1)
        cell.fill = fill
        text = "\n".join(texts)
        if cell.comment is not None:
            text = f"{text}\n\n原批注：{cell.comment.text}"
        cell.comment = Comment(_clean(text), COMMENT_AUTHOR, **_comment_size(text))


def _write_openpyxl_list(
    sheet: Any, entries: Sequence[_Entry], sheet_names: Mapping[str, str]
) -> None:
    header_font = Font(bold=True)
    header_fill = PatternFill(fill_type="solid", start_color=HEADER_FILL, end_color=HEADER_FILL)
    for col, (title, width) in enumerate(_LIST_COLUMNS, start=1):
        cell = sheet.cell(row=1, column=col, value=title)
        cell.font, cell.fill = header_font, header_fill
        sheet.column_dimensions[cell.column_letter].width = width
    link_col = len(_LIST_COLUMNS)
    last = 1
    for number, values, location in _list_rows(entries, sheet_names):
        last = number + 1
        for col, value in enumerate(values, start=1):
            if isinstance(value, str) and value:
                # set as text: a value such as "=A1" is not a formula
                sheet.cell(row=last, column=col, value=_clean(value)).data_type = "s"
            elif isinstance(value, int):
                sheet.cell(row=last, column=col, value=value)
        if location is not None:
            cell = sheet.cell(row=last, column=link_col, value="转到")
            cell.hyperlink = Hyperlink(ref=cell.coordinate, location=location)
            cell.font = Font(color=LINK_COLOR, underline="single")
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{xl_rowcol_to_cell(last - 1, link_col - 1)}"


def _clean(text: str) -> str:
    """Text without the control characters an openpyxl cell refuses."""
    cleaned: str = ILLEGAL_CHARACTERS_RE.sub("", text)
    return cleaned


# A new workbook of the files' rows (xlsxwriter).


def _mark_new_workbook(
    out_path: Path,
    raw_tables: Sequence[RawTable],
    entries: Sequence[_Entry],
    notes: Mapping[str, Mapping[tuple[int, int], str]],
) -> None:
    taken = {ERROR_SHEET.lower()}
    marked = [raw for raw in raw_tables if notes.get(raw.label)]
    sheet_names = {raw.label: _sheet_name(raw.label, taken) for raw in marked}
    with _streaming_workbook(out_path) as (book, formats):
        _write_xlsx_list(book.add_worksheet(ERROR_SHEET), entries, sheet_names, formats)
        for raw in marked:
            sheet = book.add_worksheet(sheet_names[raw.label])
            _write_source_sheet(sheet, raw, notes[raw.label], formats)


def _write_xlsx_list(
    sheet: Any, entries: Sequence[_Entry], sheet_names: Mapping[str, str], formats: _Formats
) -> None:
    for col, (title, width) in enumerate(_LIST_COLUMNS):
        sheet.set_column(col, col, width)
        sheet.write_string(0, col, title, formats.get("header"))
    link_col = len(_LIST_COLUMNS) - 1
    last = 0
    for last, values, location in _list_rows(entries, sheet_names):
        for col, value in enumerate(values):
            _write_value(sheet, last, col, value, formats)
        if location is not None:
            sheet.write_url(
                last, link_col, f"internal:{location}", formats.get("link"), string="转到"
            )
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, last, link_col)


def _write_source_sheet(
    sheet: Any, raw: RawTable, notes: Mapping[tuple[int, int], str], formats: _Formats
) -> None:
    """A file's rows as they were, with its problems' cells filled and commented."""
    for name, col in raw.column_index.items():
        header = raw.headers.get(name, name)
        sheet.set_column(col, col, _column_width(raw.spec.column(name), header))
    by_row: dict[int, dict[int, str]] = defaultdict(dict)
    for (row, col), text in notes.items():
        by_row[row][col] = text
    for number, values in enumerate(_source_rows(raw), start=1):
        if number > SHEET_ROWS:
            break
        _write_source_row(sheet, number - 1, values, by_row.pop(number, {}), formats)
    for number in sorted(by_row):  # problems placed below the file's last row
        _write_source_row(sheet, number - 1, (), by_row[number], formats)
    sheet.freeze_panes(raw.header_row, 0)


def _write_source_row(
    sheet: Any, row: int, values: Sequence[object], marks: Mapping[int, str], formats: _Formats
) -> None:
    for col, value in enumerate(values):
        _write_value(sheet, row, col, value, formats, bad=col in marks)
    for col, text in sorted(marks.items()):
        if col >= len(values):
            _write_value(sheet, row, col, None, formats, bad=True)
        sheet.write_comment(row, col, text, {"author": COMMENT_AUTHOR, **_comment_size(text)})


def _source_rows(raw: RawTable) -> Iterator[Sequence[object]]:
    """The rows of a file or sheet from its first row, streamed for a CSV file."""
    if raw.sheet is None:
        csv.field_size_limit(max(csv.field_size_limit(), 1 << 30))
        with raw.path.open(encoding=_csv_encoding(raw.path), newline="") as file:
            yield from csv.reader(file)
    else:
        sheet = CalamineWorkbook.from_path(raw.path).get_sheet_by_name(raw.sheet)
        yield from sheet.to_python(skip_empty_area=False)


def _csv_encoding(path: Path) -> str:
    """``utf-8-sig`` if the whole file decodes as UTF-8, else ``gb18030`` (read in chunks)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    with path.open("rb") as file:
        try:
            while chunk := file.read(1 << 20):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "gb18030"
    return "utf-8-sig"
