"""A file or sheet of a data set as read, before any value is checked.

Readers (:mod:`mujun.interchange.sources`) load each file or sheet into a DuckDB table of text
cells; the validator types and checks them there, and the marked-workbook writer uses the
position fields to find the cell behind a problem.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from mujun.interchange.problems import Notice, Problem
from mujun.interchange.schema import TableSpec


@dataclass(frozen=True)
class RawTable:
    """One file or sheet, loaded into DuckDB as text.

    ``relation`` names a table in the reader's DuckDB connection with one nullable VARCHAR
    column per interchange column present in the file (named by its interchange name, trimmed,
    empty cells as NULL) and ``_row`` BIGINT: the row number the file shows (a sheet's own row
    number; in a CSV the header is row 1).
    """

    spec: TableSpec
    label: str  # what a person calls it: "parcels.csv", or "data.xlsx » 宗地" for a sheet
    path: Path
    sheet: str | None
    header_row: int  # 1-based row number of the header
    column_index: Mapping[str, int]  # interchange column name -> 0-based column in file/sheet
    headers: Mapping[str, str]  # interchange column name -> the header as written
    relation: str
    rows: int
    encoding: str | None = None  # a CSV file's text encoding as read ("utf-8-sig", "gb18030")


@dataclass(frozen=True)
class ReadResult:
    """Everything read from a data set: its tables, what was wrong, and what was passed over."""

    tables: tuple[RawTable, ...]
    problems: tuple[Problem, ...]
    notices: tuple[Notice, ...]
    files: tuple[Path, ...] = ()
    """The files read as sources of tables, in the order read (the known ones included)."""
    known: Mapping[str, str] = field(default_factory=dict)
    """The tables of files known already (see :func:`~.sources.reader.read_data_set`), each
    with its file: claimed as its table's source, not read."""
