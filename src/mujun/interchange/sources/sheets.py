"""Workbook sheets: cells as text, merged cells, loading rows in batches, formulas in sheet XML.

python-calamine reads the cells. A cell becomes the text a person would type for it; a merged
cell counts for every cell it spans, in the header and, across rows, below it. Rows are handed
to DuckDB in batches as Arrow tables. What python-calamine cannot tell -- whether a formula has
a saved value, which cells show an Excel error -- is read from the sheet's XML.
"""

import datetime as dt
import posixpath
import re
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import duckdb
import pyarrow as pa

from mujun.interchange.problems import Problem
from mujun.interchange.sources.csv_files import BLANKS, CHUNK_BYTES
from mujun.interchange.sources.headers import HEADER_DEPTH, HeaderCell, column_letters
from mujun.interchange.sources.reasons import CELL_ERROR, FORMULA_WITHOUT_VALUE
from mujun.interchange.sql import identifier, literal

Merge = tuple[tuple[int, int], tuple[int, int]]  # ((first row, first column), (last row, last))

_ARROW_VIEW = "_mujun_sources_batch"


def _float_text(value: float) -> str:
    """The shortest text that reads back as ``value``, without ".0" or an exponent if it can."""
    text = repr(value)
    if text.endswith(".0"):
        return "0" if text == "-0.0" else text[:-2]
    if "e" not in text:
        return text  # 0.3, or inf and nan (which no workbook holds)
    if value.is_integer():
        return str(int(value))  # 1e+16 -> 10000000000000000
    if int(text.partition("e")[2]) >= -30:
        return format(Decimal(text), "f")  # 1e-05 -> 0.00001
    return text


def _cell_text(value: object) -> str | None:
    """A cell as text: what a person would type for it, or None when empty."""
    if type(value) is str:
        return value.strip(BLANKS) or None
    if type(value) is float:
        return _float_text(value)
    if type(value) is bool:
        return "true" if value else "false"
    if type(value) is int:
        return str(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time() and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if value is None:
        return None
    return str(value).strip(BLANKS) or None


def insert(
    db: duckdb.DuckDBPyConnection,
    relation: str,
    *,
    names: Sequence[str],
    wanted: Sequence[tuple[str, int]],
    batch: Sequence[list[Any]],
    numbers: Sequence[int],
) -> int:
    """Append a batch of sheet rows to ``relation`` through Arrow; the number of rows."""
    blanks, number, text = BLANKS, _float_text, _cell_text
    arrays = {
        name: pa.array(
            [
                (v.strip(blanks) or None)
                if type(v) is str
                else (number(v) if type(v) is float else text(v))
                for v in (row[index] for row in batch)
            ],
            pa.string(),
        )
        for name, index in wanted
    }
    arrays["_row"] = pa.array(numbers, pa.int64())
    db.register(_ARROW_VIEW, pa.table(arrays))
    try:
        columns = ", ".join(identifier(name) for name in [*names, "_row"])
        source = identifier(_ARROW_VIEW)
        db.execute(f"INSERT INTO {identifier(relation)} ({columns}) SELECT {columns} FROM {source}")
    finally:
        db.unregister(_ARROW_VIEW)
    return len(batch)


class HeadGrid:
    """The first rows of a sheet, where a merged cell's value counts for every cell it spans."""

    def __init__(self, head: Sequence[list[Any]], top: int, left: int, merges: Sequence[Merge]):
        self.head, self.top, self.left = head, top, left
        self.width = len(head[0]) if head else 0
        self.merges = merges
        bottom = top + len(head)
        self.origin: dict[tuple[int, int], tuple[int, int]] = {}
        for (r0, c0), (r1, c1) in merges:
            if r0 >= bottom or r1 < top:
                continue
            for r in range(max(r0, top), min(r1, bottom - 1) + 1):
                for c in range(max(c0, left), min(c1, left + self.width - 1) + 1):
                    self.origin[(r, c)] = (r0, c0)

    def text(self, row: int, column: int) -> str:
        row, column = self.origin.get((row, column), (row, column))
        i, j = row - self.top, column - self.left
        if 0 <= i < len(self.head) and 0 <= j < self.width:
            return _cell_text(self.head[i][j]) or ""
        return ""

    def header_at(self, row: int) -> tuple[int, list[HeaderCell]]:
        """The header starting on sheet row ``row`` (0-based): the last row it spans (a cell
        merged downward from it extends it) and its cells, lower texts preferred."""
        end = row
        for (r0, _), (r1, _) in self.merges:
            if r0 <= row <= r1:
                end = max(end, r1)
        end = min(end, row + HEADER_DEPTH - 1, self.top + len(self.head) - 1)
        cells = []
        for j in range(self.width):
            column = self.left + j
            texts = tuple(self.text(r, column) for r in range(end, row - 1, -1))
            if any(texts):
                cells.append(HeaderCell(column, texts))
        return end, cells


class MergeFills:
    """Cells merged across rows below the header, in a column that is read: the value shown
    belongs to every row the merged cell spans."""

    def __init__(self, merges: Sequence[Merge], *, below: int, columns: Mapping[str, int]):
        by_position = {position: name for name, position in columns.items()}
        self.starts: dict[int, list[tuple[int, int, str]]] = {}  # row -> (column, last row, name)
        for (r0, c0), (r1, _) in merges:
            if r0 > below and r1 > r0 and c0 in by_position:
                self.starts.setdefault(r0, []).append((c0, r1, by_position[c0]))
        self.covered: set[int] = set()
        self.fills: list[tuple[str, int, int, str]] = []  # name, first, last _row, value

    def capture(self, row: int, cells: Sequence[Any], left: int) -> None:
        for column, last, name in self.starts[row]:
            value = _cell_text(cells[column - left]) if 0 <= column - left < len(cells) else None
            if value is not None:
                self.fills.append((name, row + 2, last + 1, value))
                self.covered.update(range(row + 1, last + 1))

    def apply(self, db: duckdb.DuckDBPyConnection, relation: str) -> int:
        if not self.fills:
            return 0
        view = f"_fills_{relation}"
        names, first, last, values = zip(*self.fills, strict=True)
        db.register(
            view,
            pa.table(
                {
                    "name": pa.array(names, pa.string()),
                    "first": pa.array(first, pa.int64()),
                    "last": pa.array(last, pa.int64()),
                    "value": pa.array(values, pa.string()),
                }
            ),
        )
        try:
            for name in sorted(set(names)):
                db.execute(
                    f"UPDATE {identifier(relation)} SET {identifier(name)} = f.value "
                    f"FROM {identifier(view)} f WHERE f.name = {literal(name)} "
                    f"AND {identifier(relation)}._row BETWEEN f.first AND f.last"
                )
        finally:
            db.unregister(view)
        return len(self.fills)


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


@dataclass(frozen=True)
class BookXml:
    """What python-calamine does not tell about an Office Open XML workbook."""

    parts: dict[str, str]  # sheet name -> its XML part
    # The workbook asks to be fully recalculated when opened (``<calcPr fullCalcOnLoad="1"/>``):
    # a program wrote it and no spreadsheet application has saved it since. Such programs
    # (xlsxwriter, for one) store 0 as the result of a formula they did not calculate.
    never_calculated: bool


def book_xml(path: Path) -> BookXml:
    try:
        with zipfile.ZipFile(path) as archive:
            book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
            rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    except (KeyError, OSError, zipfile.BadZipFile, ElementTree.ParseError):
        return BookXml({}, never_calculated=False)
    targets = {
        rel.get("Id"): rel.get("Target", "")
        for rel in rels.iter()
        if _local(rel.tag) == "Relationship"
    }
    parts: dict[str, str] = {}
    never_calculated = False
    for element in book.iter():
        tag = _local(element.tag)
        if tag == "calcPr":
            never_calculated = element.get("fullCalcOnLoad") in {"1", "true"}
        if tag != "sheet":
            continue
        rid = next((v for k, v in element.attrib.items() if _local(k) == "id"), None)
        target = targets.get(rid)
        name = element.get("name")
        if name and target:
            parts[name] = (
                target.lstrip("/")
                if target.startswith("/")
                else posixpath.normpath(posixpath.join("xl", target))
            )
    return BookXml(parts, never_calculated=never_calculated)


@dataclass(frozen=True)
class Formulas:
    cached: int  # formula cells with a saved value
    uncached: list[tuple[int, int, str]]  # (row, column, formula) of those without, 0-based
    errors: list[tuple[int, int, str]]  # (row, column, error) of cells showing an Excel error


# How a formula (<f>, <f t="shared" .../>, <x:f>) or an error cell (t="e") shows in sheet XML.
_FORMULA_MARKS = (b"<f>", b"<f ", b"<f/", b":f>", b":f ", b":f/", b't="e"')
_CELL_REF = re.compile(r"([A-Za-z]+)(\d+)")


def _has_formulas(archive: zipfile.ZipFile, part: str) -> bool:
    """A quick streaming look for formula or error cells, to spare parsing sheets without."""
    carry = b""
    with archive.open(part) as stream:
        while chunk := stream.read(CHUNK_BYTES):
            window = carry + chunk
            if any(mark in window for mark in _FORMULA_MARKS):
                return True
            carry = chunk[-8:]
    return False


def scan_formulas(path: Path, part: str, *, zero_is_placeholder: bool) -> Formulas:
    """Formula and error cells of one sheet, read from its XML with a streaming parser:
    python-calamine gives a formula's saved value but cannot tell that it has none. With
    ``zero_is_placeholder`` a saved numeric 0 counts as no value (see :class:`BookXml`)."""
    cached = 0
    uncached: list[tuple[int, int, str]] = []
    errors: list[tuple[int, int, str]] = []
    try:
        with zipfile.ZipFile(path) as archive:
            if part not in archive.namelist() or not _has_formulas(archive, part):
                return Formulas(0, [], [])
            with archive.open(part) as stream:
                row, column = -1, -1
                container: ElementTree.Element | None = None
                for event, element in ElementTree.iterparse(stream, events=("start", "end")):
                    tag = _local(element.tag)
                    if event == "start":
                        if tag == "sheetData":
                            container = element
                        elif tag == "row":
                            number = element.get("r")
                            row = int(number) - 1 if number and number.isdigit() else row + 1
                            column = -1
                        continue
                    if tag == "c":
                        ref = _CELL_REF.fullmatch(element.get("r") or "")
                        if ref:
                            row = int(ref[2]) - 1
                            column = _column_index(ref[1])
                        else:
                            column += 1
                        formula = value = None
                        for child in element:
                            child_tag = _local(child.tag)
                            if child_tag == "f":
                                formula = child
                            elif child_tag == "v":
                                value = child
                        kind = element.get("t")
                        saved = value is not None and (bool(value.text) or kind == "str")
                        if saved and zero_is_placeholder and kind in {None, "n"}:
                            saved = value is not None and value.text != "0"
                        if kind == "e" and value is not None and value.text:
                            errors.append((row, column, value.text))
                        elif formula is not None and saved:
                            cached += 1
                        elif formula is not None:
                            uncached.append((row, column, formula.text or "…"))
                    elif tag == "row" and container is not None:
                        container.clear()  # keep memory flat on long sheets
    except (KeyError, OSError, zipfile.BadZipFile, ElementTree.ParseError):
        return Formulas(cached, uncached, errors)
    return Formulas(cached, uncached, errors)


def _column_index(letters: str) -> int:
    index = 0
    for letter in letters.upper():
        index = index * 26 + ord(letter) - ord("A") + 1
    return index - 1


def _cell_name(row: int, column: int) -> str:
    return f"{column_letters(column)}{row + 1}"


def formula_problems(
    formulas: Formulas, *, label: str, below: int, columns: Mapping[str, int]
) -> list[Problem]:
    """Formulas without a saved value and Excel errors in the columns read, below the
    header (0-based row ``below``)."""
    by_position = {position: name for name, position in columns.items()}
    cells = sorted(
        [(r, c, FORMULA_WITHOUT_VALUE, f"={f}") for r, c, f in formulas.uncached]
        + [(r, c, CELL_ERROR, e) for r, c, e in formulas.errors],
        key=lambda cell: cell[:2],
    )
    found = []
    for cell_row, cell_column, reason, text in cells:
        name = by_position.get(cell_column)
        if name is None or cell_row <= below:
            continue
        cell = _cell_name(cell_row, cell_column)
        params = {"cell": cell, "formula": text, "error": text}
        found.append(Problem(label, cell_row + 1, name, text, reason, params))
    return found
