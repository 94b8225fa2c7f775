"""Titled lists as a bureau files them: the sheets of the identification list and of the
evaluation's results share this layout.

A titled table has the title in row 1, merged across its columns; the headers in row 2, frozen
on screen and repeated on every printed page; the rows below, each column fitted to its text up
to a widest; landscape A4, one page wide, with page numbers in the footer. It is written row by
row, so it suits a streaming (xlsxwriter ``constant_memory``) workbook.

No cell of a list is ever a formula, whatever the data hold (a name ``=HYPERLINK(…)`` imported
by a supplier): a workbook's text is written as text (:func:`write_cell`, :func:`write_merged`),
and a CSV list's through :func:`write_csv`, which makes text a spreadsheet would read as a
formula inert (:func:`inert`).
"""

import csv
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mujun.interchange.problems import Language
from mujun.interchange.workbooks.styles import SHEET_ROWS, Formats, display_width, freeze_header

Cell = str | int | float | None
"""A cell's value: text, a number, or None for an empty cell."""

MAX_LISTED = SHEET_ROWS - 2
"""Rows a titled table holds below its title and header rows."""

_FOOTER: dict[Language, str] = {"zh": "&C第 &P 页，共 &N 页", "en": "&CPage &P of &N"}
_TITLE_HEIGHT = 30
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""What a spreadsheet takes a cell starting with for a formula (OWASP, "CSV Injection")."""
_PLAIN_NUMBER = re.compile(r"^[+-]?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?$")
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
    write_merged(sheet, 0, len(columns), title, styles.title)
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
    """Write text as text (never a formula, whatever it starts with: ``write_string``, not
    xlsxwriter's ``write``, which takes ``=…`` for a formula by default) and a number as a
    number; nothing for None."""
    if isinstance(value, str):
        sheet.write_string(row, col, value, style)
    elif value is not None:
        sheet.write_number(row, col, value, style)


def write_merged(sheet: Any, row: int, columns: int, text: str, style: Any) -> None:
    """``text`` across the first ``columns`` columns of ``row``, merged, written as text."""
    sheet.merge_range(row, 0, row, columns - 1, "", style)
    sheet.write_string(row, 0, text, style)


def inert(value: Cell) -> Cell:
    """A cell of a list as a spreadsheet opening the CSV cannot take for a formula (OWASP):
    text starting with ``= + - @``, a tab or a carriage return gets a leading ``'``. Numbers are
    left as they are, and so is text that is a plain number (``-3.50``): a negative number stays
    a number. Only the lists a bureau reads are written so; the interchange export (``mujun
    export``) writes every value exactly as stored, so that importing it again reproduces the
    database."""
    formula_like = isinstance(value, str) and value.startswith(FORMULA_STARTS)
    if formula_like and not _PLAIN_NUMBER.match(str(value)):
        return f"'{value}"
    return value


def write_csv(path: Path, headers: Sequence[str], rows: Iterable[Sequence[Cell]]) -> None:
    """A list as CSV, every cell :func:`inert`; UTF-8 with a byte-order mark so that Excel reads
    the Chinese."""
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([inert(header) for header in headers])
        writer.writerows([inert(cell) for cell in row] for row in rows)


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
    "inert",
    "list_columns",
    "write_cell",
    "write_csv",
    "write_merged",
    "write_titled_table",
]
