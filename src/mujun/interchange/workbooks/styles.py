"""What the workbook writers share: Excel's limits, sheet names, colours and formats, and the
helpers that write headers, values and comments the same way in every workbook."""

import math
import tempfile
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any

from xlsxwriter import Workbook
from xlsxwriter.utility import xl_rowcol_to_cell

from mujun.interchange.schema import ColumnSpec
from mujun.records.fields import ValueKind

SHEET_ROWS = 1_048_576  # rows of an Excel sheet
MAX_DATA_ROWS = SHEET_ROWS - 1  # below one header row
MAX_CELL_CHARS = 32_767  # characters an Excel cell holds
MAX_SHEET_NAME = 31
MAX_LINKS = 65_530  # hyperlinks an Excel sheet holds

GUIDE_SHEET = "填表说明"
ERROR_SHEET = "错误清单"
COMMENT_AUTHOR = "mujun"
PAPER_A4 = 9  # xlsxwriter's and Excel's paper code
LINE_HEIGHT = 15  # points per line of 11-point text
TRUE_ZH, FALSE_ZH = "是", "否"

DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
BAD_FILL = "FFC7CE"  # Excel's "light red fill"
HEADER_FILL = "DDEBF7"
REQUIRED_COLOR = "C00000"
LINK_COLOR = "0563C1"

# xlsxwriter format properties by name; a cell's format combines names (see Formats).
_STYLES: dict[str, dict[str, object]] = {
    "header": {"bold": True, "bg_color": f"#{HEADER_FILL}", "border": 1, "valign": "top"},
    "required": {"font_color": f"#{REQUIRED_COLOR}"},
    "title": {"bold": True, "font_size": 14},
    "section": {"bold": True, "font_size": 12},
    "table": {"bold": True, "font_color": f"#{LINK_COLOR}", "underline": 1},
    "top": {"valign": "top"},
    "wrap": {"text_wrap": True, "valign": "top"},
    "link": {"font_color": f"#{LINK_COLOR}", "underline": 1},
    "date": {"num_format": DATE_FORMAT},
    "datetime": {"num_format": DATETIME_FORMAT},
    "text": {"num_format": "@"},
    "whole": {"num_format": "0"},
    "bad": {"bg_color": f"#{BAD_FILL}", "pattern": 1},
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


class Formats:
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
def streaming_workbook(path: Path) -> Iterator[tuple[Any, Formats]]:
    """An xlsxwriter workbook in ``constant_memory`` mode, written to ``path`` on success only.

    xlsxwriter writes the file when it is closed; if the body raises, the workbook is never
    closed, nothing appears at ``path`` and its scratch files go with the temporary folder.
    """
    with tempfile.TemporaryDirectory(prefix="mujun-xlsx-", ignore_cleanup_errors=True) as tmp:
        book = Workbook(str(path), {"constant_memory": True, "tmpdir": tmp})
        yield book, Formats(book)
        book.close()


def display_width(text: str) -> int:
    """Columns ``text`` takes on screen: two for each wide (CJK) character."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def column_width(column: ColumnSpec, header: str) -> int:
    return min(50, max(_KIND_WIDTH[column.kind], display_width(header) + 3))


def comment_size(text: str) -> dict[str, int]:
    """The width and height in pixels of a comment box that shows ``text`` whole."""
    widths = [display_width(line) for line in text.split("\n")]
    width = min(420, max(200, 7 * max(widths) + 16))
    lines = sum(max(1, math.ceil(7 * w / (width - 16))) for w in widths)
    return {"width": width, "height": 18 * lines + 24}


def cell_location(sheet: str, row: int, col: int) -> str:
    """An in-workbook reference to a cell (1-based row, 0-based column): ``'宗地'!C5``."""
    quoted = sheet.replace("'", "''")
    return f"'{quoted}'!{xl_rowcol_to_cell(row - 1, col)}"


def freeze_header(sheet: Any, rows: int = 1) -> None:
    """Keep the first ``rows`` in view on screen and on every printed page; print landscape
    on A4, one page wide, as a bureau files a list."""
    if rows:
        sheet.freeze_panes(rows, 0)
        sheet.repeat_rows(0, rows - 1)
    sheet.set_landscape()
    sheet.set_paper(PAPER_A4)
    sheet.fit_to_pages(1, 0)


def write_header(
    sheet: Any,
    columns: Sequence[ColumnSpec],
    headers: Sequence[str],
    formats: Formats,
    *,
    note: Callable[[ColumnSpec], str] | None = None,
) -> None:
    """Header row, widths and frozen pane; a form (template), given the ``note`` that explains
    a column's header, also marks and explains headers and pre-formats its columns."""
    form = note is not None
    for col, (column, header) in enumerate(zip(columns, headers, strict=True)):
        kind_format = _KIND_FORMAT.get(column.kind)
        column_format = formats.get(kind_format) if form and kind_format else None
        sheet.set_column(col, col, column_width(column, header), column_format)
        header_format = formats.get("header", "required") if form and column.required else None
        sheet.write_string(0, col, header, header_format or formats.get("header"))
        if note is not None:
            text = note(column)
            sheet.write_comment(0, col, text, {"author": COMMENT_AUTHOR, **comment_size(text)})
    freeze_header(sheet)


def write_value(
    sheet: Any, row: int, col: int, value: object, formats: Formats, *, bad: bool = False
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
