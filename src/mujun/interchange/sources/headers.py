"""Finding the header row among a file's or a sheet's first rows, and mapping it to columns.

A header cell may carry more than one text (a two-level merged header); the lower is preferred.
The row chosen is mapped onto the interchange columns of the table, and a missing required
column or a column given twice is a problem of the header row.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from mujun.interchange.problems import Problem
from mujun.interchange.schema import ColumnSpec, TableSpec, column_for_header
from mujun.interchange.sources.reasons import DUPLICATE_COLUMN, MISSING_COLUMN

HEADER_SCAN_ROWS = 10  # the header is looked for among this many rows
HEADER_DEPTH = 3  # a merged header spans at most this many rows


@dataclass(frozen=True)
class HeaderCell:
    """A column's header: its 0-based position and its texts, the one to prefer first (for a
    merged two-level header, the lower row before the upper)."""

    position: int
    texts: tuple[str, ...]

    def match(self, spec: TableSpec) -> tuple[str, ColumnSpec | None] | None:
        """The text the header is taken as and the column it names; None for an empty header."""
        texts = [t for t in self.texts if t]
        for text in texts:
            column = column_for_header(spec, text)
            if column is not None:
                return text, column
        return (texts[0], None) if texts else None


def mapped(spec: TableSpec, cells: Sequence[HeaderCell]) -> set[str]:
    names = set()
    for cell in cells:
        matched = cell.match(spec)
        if matched is not None and matched[1] is not None:
            names.add(matched[1].name)
    return names


def choose_header(spec: TableSpec, candidates: Sequence[Sequence[HeaderCell]]) -> int:
    """Which candidate row is the header: the first naming two columns or every required one;
    failing that, the first naming the most; failing that, the first."""
    required = {c.name for c in spec.columns if c.required}
    counts = []
    for i, cells in enumerate(candidates):
        names = mapped(spec, cells)
        if len(names) >= 2 or (required and required <= names):
            return i
        counts.append(len(names))
    return counts.index(max(counts)) if counts and max(counts) > 0 else 0


@dataclass(frozen=True)
class Header:
    column_index: dict[str, int]
    headers: dict[str, str]
    problems: list[Problem]
    unknown: list[str]


def map_header(spec: TableSpec, cells: Sequence[HeaderCell], label: str, header_row: int) -> Header:
    column_index: dict[str, int] = {}
    headers: dict[str, str] = {}
    problems: list[Problem] = []
    unknown: list[str] = []
    for cell in cells:
        matched = cell.match(spec)
        if matched is None:
            continue
        text, column = matched
        if column is None:
            unknown.append(text)
        elif column.name in column_index:
            params = {
                "column": column.name,
                "column_zh": column.label_zh,
                "first": headers[column.name],
                "first_position": column_letters(column_index[column.name]),
                "header": text,
                "position": column_letters(cell.position),
            }
            problems.append(Problem(label, header_row, column.name, text, DUPLICATE_COLUMN, params))
        else:
            column_index[column.name] = cell.position
            headers[column.name] = text
    for column in spec.columns:
        if column.required and column.name not in column_index:
            params = {"column": column.name, "column_zh": column.label_zh}
            problems.append(Problem(label, header_row, column.name, None, MISSING_COLUMN, params))
    # Relations list their columns in the format's order.
    order = {c.name: i for i, c in enumerate(spec.columns)}
    column_index = dict(sorted(column_index.items(), key=lambda item: order[item[0]]))
    return Header(column_index, headers, problems, unknown)


def column_letters(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters
