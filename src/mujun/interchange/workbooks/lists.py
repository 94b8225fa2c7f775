"""Titled lists as a bureau files them: the sheets of the identification list and of the
evaluation's results share this layout.

A titled table has the title in row 1, merged across its columns; the headers in row 2, frozen
on screen and repeated on every printed page; the rows below, each column fitted to its text up
to a widest; landscape A4, one page wide, with page numbers in the footer. It is written row by
row, so it suits a streaming (xlsxwriter ``constant_memory``) workbook.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from mujun.interchange.problems import Language
from mujun.interchange.workbooks.styles import SHEET_ROWS, Formats, display_width, freeze_header

Cell = str | int | float | None
"""A cell's value: text, a number, or None for an empty cell."""

MAX_LISTED = SHEET_ROWS - 2
"""Rows a titled table holds below its title and header rows."""

_FOOTER: dict[Language, str] = {"zh": "&C第 &P 页，共 &N 页", "en": "&CPage &P of &N"}
_TITLE_HEIGHT = 30
_DECIMALS = {"precise": 4}  # decimals a number shows in a column of this style; two otherwise


@dataclass(frozen=True)
class ListColumn:
    """One column of a titled table."""

    header: str
    style: str
    """``text`` (as written; a number as entered), ``wrap`` (wrapped text), ``whole``,
    ``decimal`` (two decimals), ``precise`` (four decimals) or ``percent``."""
    widest: int
    """The widest the column gets, in characters; longer text wraps or runs over."""


class ListStyles:
    """The formats of a titled table's cells, made once per workbook."""

    def __init__(self, book: Any, formats: Formats) -> None:
        self.title = book.add_format(
            {
                "bold": True,
                "font_size": 14,
                "align": "center",
                "valign": "vcenter",
                "text_wrap": True,
            }
        )
        self.header = formats.get("header", "wrap")
        self.note = formats.get("wrap")
        self.cell = {
            "text": formats.get("top"),
            "wrap": formats.get("wrap"),
            "whole": formats.get("whole", "top"),
            "decimal": book.add_format({"num_format": "#,##0.00", "valign": "top"}),
            "precise": book.add_format({"num_format": "#,##0.0000", "valign": "top"}),
            "percent": book.add_format({"num_format": "0.0%", "valign": "top"}),
        }


def list_columns(headers: Sequence[str], layout: Sequence[tuple[str, int]]) -> list[ListColumn]:
    """Columns from their headers and, in the same order, their (style, widest) layout."""
    return [
        ListColumn(header, style, widest)
        for header, (style, widest) in zip(headers, layout, strict=True)
    ]


def write_titled_table(
    sheet: Any,
    styles: ListStyles,
    *,
    title: str,
    columns: Sequence[ListColumn],
    rows: Iterable[Sequence[Cell]],
    lang: Language,
) -> int:
    """A titled table on ``sheet``: the title merged across row 1, headers in row 2, ``rows``
    below; columns fitted to their text, print layout set. Returns the (0-based) last row
    written."""
    sheet.set_row(0, _TITLE_HEIGHT)
    sheet.merge_range(0, 0, 0, len(columns) - 1, title, styles.title)
    widths = [display_width(column.header) + 2 for column in columns]
    for col, column in enumerate(columns):
        sheet.write_string(1, col, column.header, styles.header)
    last = 1
    for last, row in enumerate(rows, start=2):
        for col, (column, value) in enumerate(zip(columns, row, strict=True)):
            write_cell(sheet, last, col, value, styles.cell[column.style])
            widths[col] = _wider(widths[col], column, value)
    for col, width in enumerate(widths):
        sheet.set_column(col, col, width)
    freeze_header(sheet, rows=2)
    sheet.set_footer(_FOOTER[lang])
    return last


def write_cell(sheet: Any, row: int, col: int, value: Cell, style: Any) -> None:
    """Write text as text and a number as a number; nothing for None."""
    if isinstance(value, str):
        sheet.write_string(row, col, value, style)
    elif value is not None:
        sheet.write_number(row, col, value, style)


def _wider(width: int, column: ListColumn, value: Cell) -> int:
    """The column's width once it shows ``value`` too, at most its widest."""
    widest = column.widest
    if value is None or width >= widest:
        return width
    text = value if isinstance(value, str) else f"{value:,.{_DECIMALS.get(column.style, 2)}f}"
    for line in text.split("\n"):
        # a character takes one or two columns: a short line cannot widen the column
        if 2 * len(line) + 2 > width:
            width = min(widest, max(width, _line_width(line, widest) + 2))
    return width


def _line_width(line: str, widest: int) -> int:
    """Columns ``line`` takes, measured only when that may be under ``widest``."""
    if line.isascii() or len(line) >= widest:
        return len(line)
    return display_width(line)


__all__ = [
    "MAX_LISTED",
    "Cell",
    "ListColumn",
    "ListStyles",
    "list_columns",
    "write_cell",
    "write_titled_table",
]
