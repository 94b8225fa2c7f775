"""CSV files: telling their encoding, transcoding GBK, and loading them into DuckDB.

A file's bytes are scanned once, streaming, for what its encoding may be; a GB18030 (GBK) file
is copied as UTF-8 before it is read. Python's csv module reads only the first records, where
the header is looked for, and the record numbers of empty lines; DuckDB parses and loads the
file, so a large file never sits in Python memory. Cells are trimmed of blanks in SQL, and rows
are renumbered afterwards to the record numbers a person sees.
"""

import codecs
import csv
import io
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from mujun.interchange.problems import Problem
from mujun.interchange.sources.reasons import TOO_MANY_FIELDS, UNREADABLE_ROW
from mujun.interchange.sql import identifier, literal

CHUNK_BYTES = 1 << 20
_CSV_FIELD_LIMIT = 1 << 28
# What "trimmed" removes, in Python and in DuckDB alike: blanks of every width, a stray BOM.
BLANKS = " \t\r\n\f\v\u00a0\u3000\u200b\ufeff"


@dataclass(frozen=True)
class ByteScan:
    blank: bool  # nothing but blanks (and perhaps a byte order mark)
    foreign_bom: bool  # a UTF-16 or UTF-32 byte order mark
    nul: bool  # NUL bytes: UTF-16 or UTF-32 without a byte order mark
    utf8: bool  # valid UTF-8 throughout
    inner_blank_line: bool  # an empty line with more text after it
    lines: int = 0  # line feeds, and one for a last line without
    padded: bool = True  # a cell may begin or end with a blank: its cells need trimming


_UTF8_BOM = codecs.BOM_UTF8
_FOREIGN_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_EMPTY_LINES = (b"\n\n", b"\n\r\n", b"\r\r")
# The blanks of BLANKS in UTF-8 other than the line breaks between records: ASCII, and wider.
_NARROW_BLANKS = (b" ", b"\t", b"\x0b", b"\x0c")
_WIDE_BLANKS = tuple(blank.encode() for blank in BLANKS if not blank.isascii())
_QUOTED_BREAKS = (b'"\r', b'\r"', b'"\n', b'\n"')
_CARRY = 3  # bytes a window keeps of the one before: the longest blank or empty line, less one


def scan_bytes(path: Path) -> ByteScan:
    """One streaming pass over a file's bytes: what its encoding may be, whether it has
    empty lines that DuckDB would pass over (which shifts its record count), and whether any
    cell may need trimming."""
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    utf8, blank, nul, padded, inner_blank, pending_blank = True, True, False, False, False, False
    carry, lines, last = b"", 0, b"\n"
    with path.open("rb") as file:
        first = True
        while chunk := file.read(CHUNK_BYTES):
            if first:
                first = False
                if chunk.startswith(_FOREIGN_BOMS):
                    return ByteScan(False, True, False, False, False, 0)
                chunk = chunk.removeprefix(_UTF8_BOM)
            if blank and chunk.strip():
                blank = False
            lines += chunk.count(b"\n")
            last = chunk[-1:] or last
            nul = nul or b"\x00" in chunk
            if utf8:
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError:
                    utf8 = False
            window = carry + chunk
            padded = padded or _padded(window)
            if not inner_blank:
                found = _empty_line_end(window)
                if pending_blank and chunk.strip():
                    inner_blank = True
                elif found is not None:
                    if window[found:].strip():
                        inner_blank = True
                    else:
                        pending_blank = True
            carry = window[-_CARRY:]
    if utf8:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8 = False
    return ByteScan(
        blank, False, nul, utf8, inner_blank, lines + int(last != b"\n"), padded or not utf8
    )


@contextmanager
def scanned_ahead(paths: Sequence[Path]) -> Iterator[Mapping[Path, Future[ByteScan]]]:
    """Each file's :func:`scan_bytes`, taken in order by a thread of its own while the caller
    reads the files before it: the scan works in the interpreter and DuckDB's reading outside
    it. Scans not yet begun are given up when the context ends."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="mujun-scan") as scanner:
        try:
            yield {path: scanner.submit(scan_bytes, path) for path in paths}
        finally:
            scanner.shutdown(cancel_futures=True)


def _empty_line_end(window: bytes) -> int | None:
    """Where the first empty line of ``window`` ends, if it has one."""
    needles = _EMPTY_LINES if b"\r" in window else _EMPTY_LINES[:1]
    found = [(at, at + len(n)) for n in needles if (at := window.find(n)) >= 0]
    return min(found)[1] if found else None


def _padded(window: bytes) -> bool:
    """Whether a cell of UTF-8 ``window`` may begin or end with a blank: whether it holds a
    blank other than a line break between records. Cheap searches of the bytes, instead of a
    test of every cell (a third of a province's read): a blank seldom lies anywhere in a file
    of codes, dates and numbers. A record ends at a line feed (or CR LF, whose CR DuckDB takes
    for part of the break); a line break in a cell lies within quotes."""
    return (
        any(blank in window for blank in _NARROW_BLANKS)
        or (not window.isascii() and any(blank in window for blank in _WIDE_BLANKS))
        or (b'"' in window and any(brk in window for brk in _QUOTED_BREAKS))
        or (b"\r" in window and window.count(b"\r", 0, len(window) - 1) != window.count(b"\r\n"))
    )


@dataclass(frozen=True)
class EncodingFault:
    """Why a file that is not UTF-8 throughout is not GB18030 (GBK) throughout either."""

    line: int  # the first line of the odd encoding, or the first that neither decodes
    odd: str | None  # that line's encoding ("UTF-8" or "GBK"); None when neither decodes it
    usual: str | None = None  # the encoding of the other lines
    usual_line: int | None = None  # the first line of the usual encoding
    others: int = 0  # how many lines are in the usual encoding


@dataclass
class _Lines:
    """The lines of a file in one encoding: the first one's number and how many."""

    name: str
    first: int | None = None
    count: int = 0

    def add(self, number: int) -> None:
        self.first = self.first or number
        self.count += 1


def transcode_gb18030(source: Path, target: Path) -> EncodingFault | None:
    """Copy a GB18030 (GBK) file as UTF-8, line by line (a line feed is never part of a
    GB18030 character), decoding strictly. A line that decodes as UTF-8 (and holds more than
    ASCII) is a UTF-8 line: a file with lines of both encodings is refused at the first line of
    the rarer one, as is a file with a line that is neither."""
    utf8, gbk = _Lines("UTF-8"), _Lines("GBK")
    with source.open("rb") as inp, target.open("wb") as out:
        for number, line in enumerate(inp, start=1):
            if line.isascii():
                out.write(line)
                continue
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                pass
            else:
                utf8.add(number)
                out.write(line)
                continue
            try:
                out.write(line.decode("gb18030").encode("utf-8"))
            except UnicodeDecodeError:
                return EncodingFault(number, None)
            gbk.add(number)
    if not (utf8.count and gbk.count):
        return None
    odd, usual = sorted((utf8, gbk), key=lambda lines: (lines.count, -(lines.first or 0)))
    assert odd.first is not None
    return EncodingFault(odd.first, odd.name, usual.name, usual.first, usual.count)


@contextmanager
def _large_fields() -> Iterator[None]:
    """Room in Python's csv module for very long fields (a parcel's WKT polygon)."""
    limit = csv.field_size_limit()
    csv.field_size_limit(max(limit, _CSV_FIELD_LIMIT))
    try:
        yield
    finally:
        csv.field_size_limit(limit)


@contextmanager
def csv_records(source: Path, encoding: str = "utf-8-sig") -> Iterator[Iterator[list[str]]]:
    """The records of a CSV file as Python's csv module reads them (counting an empty line as
    a record, as DuckDB's line numbers do)."""
    with _large_fields(), source.open(encoding=encoding, newline="") as file:
        yield csv.reader(file)


def first_records(records: Iterator[list[str]], limit: int) -> list[tuple[int, list[str]]]:
    """The first ``limit`` non-empty records with their 1-based record numbers."""
    found: list[tuple[int, list[str]]] = []
    with suppress(csv.Error):  # a malformed record ends the search; DuckDB will report it
        for number, fields in enumerate(records, start=1):
            if fields:
                found.append((number, fields))
                if len(found) >= limit:
                    break
    return found


def blank_records(records: Iterator[list[str]], *, after: int) -> list[int]:
    """Record numbers of the empty lines after record ``after``."""
    return [n for n, fields in enumerate(records, start=1) if not fields and n > after]


def _field_count(record: str) -> int:
    """How many fields one CSV record holds (DuckDB stops counting one past the header's)."""
    try:
        with _large_fields():
            return max((len(fields) for fields in csv.reader(io.StringIO(record))), default=0)
    except csv.Error:
        return record.count(",") + 1


def rejected_problems(
    label: str, rejected: Sequence[tuple[Any, ...]], *, width: int
) -> list[Problem]:
    """The problems of the rows DuckDB rejected: ``(line, error_type, error_message, csv_line)``
    from its rejects table, ``width`` being how many columns the header has."""
    row_problems = []
    for line, error_type, _, csv_line in rejected:
        text = (csv_line or "").strip("\r\n")
        value = text[:200] or None
        if error_type == "TOO MANY COLUMNS":
            params: dict[str, object] = {"found": _field_count(text), "expected": width}
            reason = TOO_MANY_FIELDS
        else:
            params = {"detail": str(error_type or "").lower() or "?"}
            reason = UNREADABLE_ROW
        row_problems.append(Problem(label, int(line), None, value, reason, params))
    return row_problems


# A blank at either end, for RE2: a cheap test that spares the costly trim() of a character set
# on the cells (nearly all) that need none.
_BLANK_CLASS = "[" + "".join(f"\\x{{{ord(ch):x}}}" for ch in BLANKS) + "]"
_EDGE_BLANK = f"^{_BLANK_CLASS}|{_BLANK_CLASS}$"


def _cell_sql(cell: str, *, trim: bool) -> str:
    """SQL for a cell as read, empty as NULL (DuckDB reads an empty cell, quoted or not, as
    NULL), and with ``trim`` trimmed of blanks (full-width spaces included)."""
    if not trim:
        return cell
    return (
        f"NULLIF(CASE WHEN regexp_matches({cell}, {literal(_EDGE_BLANK)}) "
        f"THEN trim({cell}, {literal(BLANKS)}) ELSE {cell} END, '')"
    )


def csv_load_sql(
    *,
    source: Path,
    relation: str,
    rejects: str,
    width: int,
    skip: int,
    columns: Mapping[str, int],
    trim: bool,
) -> str:
    """CREATE TABLE for a CSV file: its cells (with ``trim``, trimmed), blank as NULL, each row
    numbered in order.

    The file is scanned by one thread so that ``row_number()`` follows the file; rows DuckDB
    passes over (empty lines, rejected rows) are accounted for afterwards by :func:`renumber`.
    """
    cells = ", ".join(f"{_cell_sql(f'c{i}', trim=trim)} AS c{i}" for i in range(width))
    struct = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(width)) + "}"
    picked = "".join(f"c{i} AS {identifier(name)}, " for name, i in columns.items())
    options = ", ".join(
        [
            "header = true",
            f"skip = {skip}",
            "auto_detect = false",
            f"columns = {struct}",
            "all_varchar = true",
            "delim = ','",
            "quote = '\"'",
            "escape = '\"'",
            "allow_quoted_nulls = true",
            "null_padding = true",
            "parallel = false",
            "store_rejects = true",
            f"rejects_table = {literal(rejects)}",
            f"rejects_scan = {literal(rejects + '_scan')}",
        ]
    )
    return (
        f"CREATE TABLE {identifier(relation)} AS SELECT {picked}_row FROM ("
        f"SELECT {cells}, CAST(row_number() OVER () AS BIGINT) + {skip + 1} AS _row "
        f"FROM read_csv({literal(str(source))}, {options})) "
        f"WHERE coalesce({', '.join(f'c{i}' for i in range(width))}) IS NOT NULL"
    )


def renumber(
    db: duckdb.DuckDBPyConnection, relation: str, *, first_row: int, skipped: Sequence[int]
) -> None:
    """Shift ``_row`` past the records DuckDB did not return (sorted record numbers).

    Rows were numbered ``first_row + k`` for the k-th record returned; the k-th returned record
    is really ``first_row + k + j``, j being how many skipped records precede it. With the i-th
    skipped record s_i (0-based i), j counts the i with ``s_i - first_row - i <= k``.
    """
    skipped = [s for s in skipped if s >= first_row]
    if not skipped:
        return
    bounds = [s - first_row - i for i, s in enumerate(skipped)]
    view = f"_skips_{relation}"
    shifted = f"_renumbered_{relation}"
    db.register(
        view,
        pa.table(
            {
                "b": pa.array(bounds, pa.int64()),
                "j": pa.array(range(1, len(bounds) + 1), pa.int64()),
            }
        ),
    )
    try:
        db.execute(
            f"CREATE TABLE {identifier(shifted)} AS "
            f"SELECT t.* REPLACE (t._row + coalesce(s.j, 0) AS _row) FROM {identifier(relation)} t "
            f"ASOF LEFT JOIN (SELECT b, max(j) AS j FROM {identifier(view)} GROUP BY b) s "
            f"ON t._row - {first_row} >= s.b"
        )
    finally:
        db.unregister(view)
    db.execute(f"DROP TABLE {identifier(relation)}")
    db.execute(f"ALTER TABLE {identifier(shifted)} RENAME TO {identifier(relation)}")
