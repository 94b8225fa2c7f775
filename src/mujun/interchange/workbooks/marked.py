"""The marked copy: the data set sent back to the department that supplied it, with every bad
cell filled light red and commented, and an 错误清单 sheet listing every problem."""

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, MergedCell
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.hyperlink import Hyperlink
from python_calamine import CalamineWorkbook
from xlsxwriter.utility import xl_rowcol_to_cell

from mujun.interchange.naming import header_of
from mujun.interchange.problems import Problem
from mujun.interchange.raw import RawTable
from mujun.interchange.sources.csv_files import csv_records
from mujun.interchange.workbooks.styles import (
    BAD_FILL,
    COMMENT_AUTHOR,
    ERROR_SHEET,
    HEADER_FILL,
    LINK_COLOR,
    MAX_CELL_CHARS,
    MAX_DATA_ROWS,
    MAX_LINKS,
    MAX_SHEET_NAME,
    PAPER_A4,
    SHEET_ROWS,
    Formats,
    cell_location,
    column_width,
    comment_size,
    freeze_header,
    streaming_workbook,
    write_value,
)

_LIST_COLUMNS = (
    ("序号", 7),
    ("文件/工作表", 28),
    ("行", 8),
    ("记录", 24),
    ("列", 20),
    ("值", 24),
    ("问题", 60),
    ("定位", 7),
)


_SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


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
        return header_of(self.problem, self.raw) or ""

    def note(self) -> str:
        """The problem as a line of its cell's comment."""
        text = self.problem.message("zh")
        if self.exact:
            return text
        where = self.column_label or ("表头" if self.problem.row is None else "整行")
        return f"【{where}】{text}"

    def list_values(self, number: int) -> tuple[int, str, int | None, str, str, str, str]:
        return (
            number,
            self.problem.file,
            self.problem.row,
            self.problem.record_text or "",
            self.column_label,
            (self.problem.value or "")[:MAX_CELL_CHARS],
            self.problem.message("zh")[:MAX_CELL_CHARS],
        )


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
) -> Iterator[tuple[int, tuple[int, str, int | None, str, str, str, str], str | None]]:
    """The 错误清单 rows (0-based sheet row, values, location of the marked cell if any)."""
    for number, entry in enumerate(entries[:MAX_DATA_ROWS], start=1):
        location = None
        if entry.raw is not None and entry.cell is not None and number <= MAX_LINKS:
            sheet = sheet_names.get(entry.raw.label)
            location = cell_location(sheet, *entry.cell) if sheet is not None else None
        yield number, entry.list_values(number), location


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
        cell.comment = Comment(_clean(text), COMMENT_AUTHOR, **comment_size(text))


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
    sheet.print_title_rows = "1:1"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = PAPER_A4
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
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
    with streaming_workbook(out_path) as (book, formats):
        _write_xlsx_list(book.add_worksheet(ERROR_SHEET), entries, sheet_names, formats)
        for raw in marked:
            sheet = book.add_worksheet(sheet_names[raw.label])
            _write_source_sheet(sheet, raw, notes[raw.label], formats)


def _write_xlsx_list(
    sheet: Any, entries: Sequence[_Entry], sheet_names: Mapping[str, str], formats: Formats
) -> None:
    for col, (title, width) in enumerate(_LIST_COLUMNS):
        sheet.set_column(col, col, width)
        sheet.write_string(0, col, title, formats.get("header"))
    link_col = len(_LIST_COLUMNS) - 1
    last = 0
    for last, values, location in _list_rows(entries, sheet_names):
        for col, value in enumerate(values):
            write_value(sheet, last, col, value, formats)
        if location is not None:
            sheet.write_url(
                last, link_col, f"internal:{location}", formats.get("link"), string="转到"
            )
    freeze_header(sheet)
    sheet.autofilter(0, 0, last, link_col)


def _write_source_sheet(
    sheet: Any, raw: RawTable, notes: Mapping[tuple[int, int], str], formats: Formats
) -> None:
    """A file's rows as they were, with its problems' cells filled and commented."""
    for name, col in raw.column_index.items():
        header = raw.headers.get(name, name)
        sheet.set_column(col, col, column_width(raw.spec.column(name), header))
    by_row: dict[int, dict[int, str]] = defaultdict(dict)
    for (row, col), text in notes.items():
        by_row[row][col] = text
    for number, values in enumerate(_source_rows(raw), start=1):
        if number > SHEET_ROWS:
            break
        _write_source_row(sheet, number - 1, values, by_row.pop(number, {}), formats)
    for number in sorted(by_row):  # problems placed below the file's last row
        _write_source_row(sheet, number - 1, (), by_row[number], formats)
    freeze_header(sheet, raw.header_row)


def _write_source_row(
    sheet: Any, row: int, values: Sequence[object], marks: Mapping[int, str], formats: Formats
) -> None:
    for col, value in enumerate(values):
        write_value(sheet, row, col, value, formats, bad=col in marks)
    for col, text in sorted(marks.items()):
        if col >= len(values):
            write_value(sheet, row, col, None, formats, bad=True)
        sheet.write_comment(row, col, text, {"author": COMMENT_AUTHOR, **comment_size(text)})


def _source_rows(raw: RawTable) -> Iterator[Sequence[object]]:
    """The rows of a file or sheet from its first row, streamed for a CSV file."""
    if raw.sheet is None:
        with csv_records(raw.path, raw.encoding or "utf-8-sig") as records:
            yield from records
    else:
        sheet = CalamineWorkbook.from_path(raw.path).get_sheet_by_name(raw.sheet)
        yield from sheet.to_python(skip_empty_area=False)
