"""Reading a data set: which files and sheets name tables, and reading each into DuckDB.

:func:`read_data_set` walks a folder of CSV files, one CSV file or one workbook. Each source
whose name names a table of the interchange format is claimed for that table (a second one is a
problem), its header row found and mapped, and its rows loaded into a relation of its own;
everything wrong or passed over on the way is collected as a problem or a notice.
"""

import csv
import os
import tempfile
import zipfile
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import chain, islice
from pathlib import Path
from typing import Any

import duckdb
import python_calamine

from mujun.interchange.limits import LOCAL, Limits
from mujun.interchange.problems import Notice, Problem, Reason
from mujun.interchange.raw import RawTable, ReadResult
from mujun.interchange.schema import TableSpec, table_for_name
from mujun.interchange.sources.bounds import archive, used_range
from mujun.interchange.sources.csv_files import (
    ByteScan,
    EncodingFault,
    blank_records,
    csv_load_sql,
    csv_records,
    first_records,
    rejected_problems,
    renumber,
    scan_bytes,
    scanned_ahead,
    transcode_gb18030,
)
from mujun.interchange.sources.headers import (
    HEADER_DEPTH,
    HEADER_SCAN_ROWS,
    Header,
    HeaderCell,
    choose_header,
    map_header,
    mapped,
)
from mujun.interchange.sources.reasons import (
    DUPLICATE_SOURCE,
    EMPTY_FILE,
    MIXED_ENCODING,
    NO_DATA_FILES,
    NOTICE_EMPTY_SHEET,
    NOTICE_FORMULAS,
    NOTICE_GBK,
    NOTICE_HEADER_ONLY,
    NOTICE_MERGED,
    NOTICE_ROWS_ABOVE_HEADER,
    NOTICE_UNKNOWN_COLUMNS,
    NOTICE_UNMATCHED,
    SOURCE_NOT_FOUND,
    SUSPICIOUS_COMPRESSION,
    TOO_LARGE,
    UNREADABLE_FILE,
    UNREADABLE_WORKBOOK,
    UNSUPPORTED_SOURCE,
    WRONG_ENCODING,
    notice,
)
from mujun.interchange.sources.sheets import (
    BookXml,
    HeadGrid,
    Merge,
    MergeFills,
    book_xml,
    formula_problems,
    insert,
    scan_formulas,
)
from mujun.interchange.sql import identifier

_WORKBOOK_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xls", ".ods"})
_MEASURES = {
    "rows": "行数",
    "columns": "列数",
    "cells": "单元格数",
    "unpacked bytes": "解压后字节数",
}
_BATCH_ROWS = 50_000
READ_AT_ONCE = 2
"""CSV files of a folder read at once. DuckDB reads each on one thread: an import read the
province's 688 MB in 3.87 and 3.97 s one file after the other, in 2.63 and 2.77 s with the
monthly figures' 360 MB beside the rest (a 2-core machine, alternating)."""


def read_data_set(
    path: Path,
    db: duckdb.DuckDBPyConnection,
    *,
    workdir: Path,
    limits: Limits = LOCAL,
    on_progress: Callable[[str, int], None] | None = None,
    known: Collection[str] = (),
) -> ReadResult:
    """Read a folder of CSV files, one CSV file or one workbook into tables of ``db``.

    Every problem that stops a file, header or row from being read is returned, not raised; so
    is a notice for everything passed over. A file beyond ``limits`` is a problem found before
    it is parsed. ``workdir`` holds transcoded copies of GBK files while they are loaded.
    ``on_progress(label, rows_done)`` is called as sources are read. The CSV files of a
    folder named in ``known`` (whose rows the records hold as they are) are claimed as their
    tables' sources but not read (``ReadResult.known``).
    """
    reader = _Reader(
        db=db, workdir=workdir, limits=limits, on_progress=on_progress, known=frozenset(known)
    )
    reader.read(path)
    return ReadResult(
        tables=tuple(reader.tables),
        problems=tuple(reader.problems),
        notices=tuple(reader.notices),
        files=tuple(reader.files),
        known=reader.claimed_known,
    )


def survey_data_set(path: Path, *, workdir: Path, limits: Limits) -> dict[str, tuple[str, ...]]:
    """The tables a data set holds rows of, each with the interchange columns its header
    names, read from file and sheet names and header rows alone (and, within ``limits``, no
    row loaded or checked): what a department's duties are asked about before any costly
    work. A source that cannot be read is left out; reading it for real will say why."""
    reader = _Reader(
        db=duckdb.connect(), workdir=workdir, limits=limits, on_progress=None, survey=True
    )
    reader.read(path)
    return reader.surveyed


@dataclass
class _Reader:
    db: duckdb.DuckDBPyConnection
    workdir: Path
    limits: Limits
    on_progress: Callable[[str, int], None] | None
    survey: bool = False  # read headers only, into ``surveyed``
    known: frozenset[str] = frozenset()  # names of CSV files claimed, not read
    claimed_known: dict[str, str] = field(default_factory=dict)  # table name -> known file
    surveyed: dict[str, tuple[str, ...]] = field(default_factory=dict)
    tables: list[RawTable] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    _sources: dict[str, str] = field(default_factory=dict)  # table name -> label of its source
    _relations: set[str] = field(default_factory=set)
    progressed: list[tuple[str, int]] = field(default_factory=list)  # a part's, to report

    # -- dispatch ---------------------------------------------------------------------------------

    def read(self, path: Path) -> None:
        if path.is_dir():
            self._read_folder(path)
        elif not path.exists():
            self._problem(path.name, SOURCE_NOT_FOUND, file=str(path))
        elif path.suffix.lower() == ".csv":
            self.files.append(path)
            self._csv_source(path)
        elif path.suffix.lower() in _WORKBOOK_SUFFIXES:
            self.files.append(path)
            self._read_workbook(path)
        else:
            self._problem(path.name, UNSUPPORTED_SOURCE, file=path.name)
        if not self._sources and not self.problems:
            self._problem(path.name, NO_DATA_FILES, file=path.name)

    def _read_folder(self, folder: Path) -> None:
        """Read the files of ``folder``, each into a part of this reader (:meth:`_part`) taken
        in the files' name order. The CSV files of tables are read :data:`READ_AT_ONCE` at a
        time, each on a DuckDB connection of its own, the largest first so that the others
        are read beside it: DuckDB reads a file on one thread, so that its rows are numbered
        in order."""
        children = [
            child
            for child in sorted(folder.iterdir(), key=lambda p: p.name)
            if not child.name.startswith((".", "~$")) and child.is_file()
        ]
        parts: list[_Reader] = []
        reads: list[tuple[_Reader, Path, TableSpec]] = []
        for child in children:  # in name order: the first file of a table claims it
            part = self._part()
            parts.append(part)
            if child.suffix.lower() != ".csv":
                part.notices.append(notice(NOTICE_UNMATCHED, file=child.name))
                continue
            self.files.append(child)
            if child.name in self.known:
                part._known_csv(child)
            elif claimed := part._claimed_csv(child):
                reads.append((part, child, claimed))
        reads.sort(key=lambda read: read[1].stat().st_size, reverse=True)
        with (
            scanned_ahead([child for _, child, _ in reads]) as scans,
            ThreadPoolExecutor(READ_AT_ONCE, thread_name_prefix="mujun-read") as readers,
        ):
            read = {
                id(part): readers.submit(part._read_apart, child, spec, scans[child])
                for part, child, spec in reads
            }
            for part in parts:
                if id(part) in read:
                    read[id(part)].result()
                self._take(part)

    def _part(self) -> "_Reader":
        """A reader of one file of a folder: this reader's claims and names, and findings of
        its own for :meth:`_take` to take in order."""
        part = _Reader(
            db=self.db,
            workdir=self.workdir,
            limits=self.limits,
            on_progress=None,
            survey=self.survey,
            known=self.known,
            claimed_known=self.claimed_known,
            _sources=self._sources,
            _relations=self._relations,
        )
        part.on_progress = lambda label, rows: part.progressed.append((label, rows))
        return part

    def _take(self, part: "_Reader") -> None:
        """The findings of ``part``, as if this reader had found them."""
        self.tables += part.tables
        self.problems += part.problems
        self.notices += part.notices
        self.surveyed |= part.surveyed
        for label, rows in part.progressed:
            self._progress(label, rows)

    def _read_apart(self, path: Path, spec: TableSpec, scanning: Future[ByteScan]) -> None:
        """Read the CSV file ``path`` of ``spec``'s table (claimed) on a DuckDB connection of
        this part's own (in a reader's thread)."""
        shared = self.db
        with shared.cursor() as own:
            self.db = own
            try:
                self._read_claimed_csv(path, spec, scanning)
            finally:
                self.db = shared

    def _problem(
        self,
        label: str,
        reason: Reason,
        /,
        *,
        row: int | None = None,
        column: str | None = None,
        value: str | None = None,
        **params: object,
    ) -> None:
        self.problems.append(Problem(label, row, column, value, reason, params))

    def _beyond(self, label: str, what: str, found: int, limit: int) -> bool:
        """Whether ``found`` exceeds ``limit``, the file's problem if it does."""
        if found <= limit:
            return False
        self._problem(
            label,
            TOO_LARGE,
            file=label,
            what=what,
            what_zh=_MEASURES[what],
            found=found,
            limit=limit,
        )
        return True

    def _surveyed(self, spec: TableSpec, header: Header, has_rows: bool) -> None:
        if has_rows:
            self.surveyed[spec.name] = tuple(header.column_index)

    def _claim(self, spec: TableSpec, label: str) -> bool:
        """Whether ``label`` is the first source of ``spec``'s table; a second one is a problem."""
        first = self._sources.get(spec.name)
        if first is None:
            self._sources[spec.name] = label
            return True
        self._problem(
            label,
            DUPLICATE_SOURCE,
            first=first,
            second=label,
            table=spec.name,
            table_zh=spec.label_zh,
        )
        return False

    def _relation(self, spec: TableSpec) -> str:
        taken = self._relations | {
            name for (name,) in self.db.execute("SELECT table_name FROM duckdb_tables()").fetchall()
        }
        relation, n = f"raw_{spec.name}", 1
        while relation in taken:
            n += 1
            relation = f"raw_{spec.name}_{n}"
        self._relations.add(relation)
        return relation

    def _progress(self, label: str, rows: int) -> None:
        if self.on_progress is not None:
            self.on_progress(label, rows)

    def _finish(
        self,
        *,
        spec: TableSpec,
        label: str,
        path: Path,
        sheet: str | None,
        header_row: int,
        header: Header,
        relation: str,
        row_problems: Sequence[Problem],
        encoding: str | None = None,
    ) -> None:
        """Keep a loaded table with its problems, or drop it with a notice when it has no rows."""
        rows = _count(self.db, relation)
        self._progress(label, rows)
        if rows == 0 and not row_problems:
            self.db.execute(f"DROP TABLE {identifier(relation)}")
            self.notices.append(notice(NOTICE_HEADER_ONLY, file=label))
            return
        self.problems.extend(header.problems)
        self.problems.extend(row_problems)
        if header.unknown:
            self.notices.append(
                notice(NOTICE_UNKNOWN_COLUMNS, file=label, headers=", ".join(header.unknown))
            )
        self.tables.append(
            RawTable(
                spec=spec,
                label=label,
                path=path,
                sheet=sheet,
                header_row=header_row,
                column_index=header.column_index,
                headers=header.headers,
                relation=relation,
                rows=rows,
                encoding=encoding,
            )
        )

    # -- CSV --------------------------------------------------------------------------------------

    def _to_read(self, path: Path) -> bool:
        """Whether ``path`` in a folder is a CSV file of a table, to be read."""
        return (
            path.suffix.lower() == ".csv"
            and path.name not in self.known
            and table_for_name(path.stem) is not None
        )

    def _csv_source(self, path: Path) -> None:
        """Read the CSV file at ``path``."""
        spec = self._claimed_csv(path)
        if spec is not None:
            self._read_claimed_csv(path, spec)

    def _claimed_csv(self, path: Path) -> TableSpec | None:
        """The table the CSV file at ``path`` is the first source of (None: a notice or a
        problem says why it is not read)."""
        spec = table_for_name(path.stem)
        if spec is None:
            self.notices.append(notice(NOTICE_UNMATCHED, file=path.name))
            return None
        return spec if self._claim(spec, path.name) else None

    def _read_claimed_csv(
        self, path: Path, spec: TableSpec, scanning: Future[ByteScan] | None = None
    ) -> None:
        """Read the CSV file at ``path``, the source of ``spec``'s table, its bytes scanned
        already by ``scanning`` if given."""
        label = path.name
        self._progress(label, 0)
        try:
            scan = scan_bytes(path) if scanning is None else scanning.result()
        except OSError as error:
            self._problem(label, UNREADABLE_FILE, file=label, detail=error.strerror or str(error))
            return
        if scan.blank:
            self._problem(label, EMPTY_FILE, file=label)
            return
        if scan.foreign_bom or scan.nul:
            self._problem(label, WRONG_ENCODING, file=label)
            return
        if self._beyond(label, "rows", scan.lines - 1, self.limits.rows):
            return
        if scan.utf8:
            self._read_csv(path, spec, label, source=path, transcoded=False, scan=scan)
            return
        self.workdir.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(
            prefix=f"{spec.name}-", suffix=".utf8.csv", dir=self.workdir
        )
        os.close(handle)
        source = Path(name)
        try:
            fault = transcode_gb18030(path, source)
            if fault is not None:
                self._encoding_problem(label, fault)
                return
            self._read_csv(path, spec, label, source=source, transcoded=True, scan=scan)
        finally:
            source.unlink(missing_ok=True)

    def _known_csv(self, path: Path) -> None:
        """A file known already: its table claimed (a second source of it is still a
        problem), nothing read."""
        spec = table_for_name(path.stem)
        if spec is None:
            self.notices.append(notice(NOTICE_UNMATCHED, file=path.name))
        elif self._claim(spec, path.name):
            self.claimed_known[spec.name] = path.name

    def _encoding_problem(self, label: str, fault: EncodingFault) -> None:
        if fault.odd is None:
            self._problem(label, WRONG_ENCODING, row=fault.line, file=label)
            return
        self._problem(
            label,
            MIXED_ENCODING,
            row=fault.line,
            file=label,
            odd=fault.odd,
            usual=fault.usual,
            usual_row=fault.usual_line,
            others=fault.others,
        )

    def _read_csv(
        self,
        path: Path,
        spec: TableSpec,
        label: str,
        *,
        source: Path,
        transcoded: bool,
        scan: ByteScan,
    ) -> None:
        try:
            with csv_records(source) as records:
                head = first_records(records, HEADER_SCAN_ROWS)
        except (csv.Error, OSError, UnicodeDecodeError) as error:
            self._problem(label, UNREADABLE_FILE, file=label, detail=str(error))
            return
        if not head:
            self._problem(label, UNREADABLE_FILE, file=label, detail="no record")
            return
        candidates = [
            (number, [HeaderCell(i, (text,)) for i, text in enumerate(fields)])
            for number, fields in head
        ]
        chosen = choose_header(spec, [cells for _, cells in candidates])
        if transcoded and not mapped(spec, candidates[chosen][1]):
            self._problem(label, WRONG_ENCODING, file=label)
            return
        if transcoded:
            self.notices.append(notice(NOTICE_GBK, file=label))
        header_row, cells = candidates[chosen]
        header = map_header(spec, cells, label, header_row)
        width = len(head[chosen][1])
        if self._beyond(label, "columns", width, self.limits.columns) or self._beyond(
            label, "cells", (scan.lines - header_row) * width, self.limits.cells
        ):
            return
        if self.survey:
            self._surveyed(spec, header, has_rows=len(head) > chosen + 1)
            return
        relation = self._relation(spec)
        rejects = f"_rejects_{relation}"
        try:
            self.db.execute(
                csv_load_sql(
                    source=source,
                    relation=relation,
                    rejects=rejects,
                    width=width,
                    skip=header_row - 1,
                    columns=header.column_index,
                    trim=scan.padded,
                )
            )
            rejected = self.db.execute(
                f"SELECT DISTINCT ON (line) line, error_type, error_message, csv_line "
                f"FROM {identifier(rejects)} ORDER BY line"
            ).fetchall()
        except duckdb.Error as error:
            self.db.execute(f"DROP TABLE IF EXISTS {identifier(relation)}")
            detail = str(error).strip().splitlines()[0] if str(error).strip() else "?"
            self._problem(label, UNREADABLE_FILE, file=label, detail=detail)
            return
        finally:
            for table in (rejects, f"{rejects}_scan"):
                self.db.execute(f"DROP TABLE IF EXISTS {identifier(table)}")
        if chosen > 0:
            self.notices.append(notice(NOTICE_ROWS_ABOVE_HEADER, file=label, header_row=header_row))
        skipped = {int(line) for line, *_ in rejected}
        if scan.inner_blank_line:
            with csv_records(source) as records:
                skipped.update(blank_records(records, after=header_row))
        renumber(self.db, relation, first_row=header_row + 1, skipped=sorted(skipped))
        self._finish(
            spec=spec,
            label=label,
            path=path,
            sheet=None,
            header_row=header_row,
            header=header,
            relation=relation,
            row_problems=rejected_problems(label, rejected, width=width),
            encoding="gb18030" if transcoded else "utf-8-sig",
        )

    # -- workbooks --------------------------------------------------------------------------------

    def _within_limits(self, path: Path) -> bool:
        """Whether a workbook's archive and the used ranges of its sheets that name tables lie
        within the limits, read before any of it is parsed (a problem if not)."""
        label = path.name
        if not zipfile.is_zipfile(path):
            return True  # an .xls file, bounded by its own size; calamine will say if damaged
        try:
            sizes = archive(path)
            if sizes.worst_ratio > self.limits.compression_ratio:
                self._problem(
                    label,
                    SUSPICIOUS_COMPRESSION,
                    file=label,
                    member=sizes.worst_member,
                    ratio=sizes.worst_ratio,
                    limit=self.limits.compression_ratio,
                )
                return False
            if self._beyond(
                label, "unpacked bytes", sizes.unpacked_bytes, self.limits.unpacked_bytes
            ):
                return False
            parts = book_xml(path).parts
            ranges = [
                (name, used_range(path, part))
                for name, part in parts.items()
                if table_for_name(name) is not None
            ]
        except (OSError, KeyError, zipfile.BadZipFile) as error:
            self._problem(label, UNREADABLE_WORKBOOK, file=label, detail=_short(error))
            return False
        return not any(
            self._beyond(f"{label} » {name}", "rows", extent.rows - 1, self.limits.rows)
            for name, extent in ranges
        ) and not self._beyond(
            label, "cells", sum(extent.cells for _, extent in ranges), self.limits.cells
        )

    def _read_workbook(self, path: Path) -> None:
        if not self._within_limits(path):
            return
        try:
            workbook = python_calamine.CalamineWorkbook.from_path(str(path))
        except Exception as error:  # calamine raises its own errors, ZIP and XML errors alike
            self._problem(path.name, UNREADABLE_WORKBOOK, file=path.name, detail=_short(error))
            return
        with workbook:
            book = book_xml(path)
            for name in workbook.sheet_names:
                label = f"{path.name} » {name}"
                spec = table_for_name(name)
                if spec is None:
                    self.notices.append(notice(NOTICE_UNMATCHED, file=label))
                    continue
                if not self._claim(spec, label):
                    continue
                self._progress(label, 0)
                try:
                    sheet = workbook.get_sheet_by_name(name)
                except Exception as error:  # e.g. a chart sheet that carries a table's name
                    self._problem(label, UNREADABLE_WORKBOOK, file=label, detail=_short(error))
                    continue
                self._read_sheet(path, sheet, spec, label, book)

    def _read_sheet(
        self, path: Path, sheet: Any, spec: TableSpec, label: str, book: BookXml
    ) -> None:
        start: tuple[int, int] | None = sheet.start
        if start is None:
            self.notices.append(notice(NOTICE_EMPTY_SHEET, file=label))
            return
        top, left = start
        # python-calamine 0.9 yields the empty rows above the data too, but starts every row at
        # the data's first column: row i of the iterator is sheet row i, cell j is column left + j.
        rows: Iterator[list[Any]] = iter(sheet.iter_rows())
        for _ in range(top):
            next(rows, None)
        head = list(islice(rows, HEADER_SCAN_ROWS + HEADER_DEPTH))
        merges: list[Merge] = sheet.merged_cell_ranges or []
        grid = HeadGrid(head, top, left, merges)
        candidates = [grid.header_at(top + i) for i in range(min(HEADER_SCAN_ROWS, len(head)))]
        chosen = choose_header(spec, [cells for _, cells in candidates])
        header_end, cells = candidates[chosen]
        header = map_header(spec, cells, label, header_end + 1)
        if self.survey:
            end: tuple[int, int] | None = sheet.end
            self._surveyed(spec, header, has_rows=end is not None and end[0] > header_end)
            return
        if chosen > 0:
            self.notices.append(
                notice(NOTICE_ROWS_ABOVE_HEADER, file=label, header_row=top + chosen + 1)
            )
        relation = self._relation(spec)
        self._load_sheet_rows(
            chain(head[header_end + 1 - top :], rows),
            first=header_end + 1,
            left=left,
            merges=merges,
            columns=header.column_index,
            relation=relation,
            label=label,
        )
        row_problems: list[Problem] = []
        part = book.parts.get(sheet.name)
        if part is not None:
            formulas = scan_formulas(path, part, zero_is_placeholder=book.never_calculated)
            if formulas.cached:
                self.notices.append(notice(NOTICE_FORMULAS, file=label, count=formulas.cached))
            row_problems = formula_problems(
                formulas, label=label, below=header_end, columns=header.column_index
            )
        self._finish(
            spec=spec,
            label=label,
            path=path,
            sheet=sheet.name,
            header_row=header_end + 1,
            header=header,
            relation=relation,
            row_problems=row_problems,
        )

    def _load_sheet_rows(
        self,
        rows: Iterator[list[Any]],
        *,
        first: int,
        left: int,
        merges: Sequence[Merge],
        columns: Mapping[str, int],
        relation: str,
        label: str,
    ) -> None:
        """Load the rows below the header, ``first`` being the 0-based sheet row of the first,
        in batches; rows with nothing in them are passed over."""
        names = list(columns)
        wanted = [(name, columns[name] - left) for name in names]
        self.db.execute(
            f"CREATE TABLE {identifier(relation)} ("
            + "".join(f"{identifier(name)} VARCHAR, " for name in names)
            + "_row BIGINT)"
        )
        fills = MergeFills(merges, below=first - 1, columns=columns)
        batch: list[list[Any]] = []
        numbers: list[int] = []
        done = 0
        for sheet_row, row in enumerate(rows, start=first):
            if sheet_row in fills.starts:
                fills.capture(sheet_row, row, left)
            if row.count("") != len(row) or sheet_row in fills.covered:
                batch.append(row)
                numbers.append(sheet_row + 1)
                if len(batch) >= _BATCH_ROWS:
                    done += insert(
                        self.db, relation, names=names, wanted=wanted, batch=batch, numbers=numbers
                    )
                    batch, numbers = [], []
                    self._progress(label, done)
        if batch:
            insert(self.db, relation, names=names, wanted=wanted, batch=batch, numbers=numbers)
        filled = fills.apply(self.db, relation)
        if filled:
            self.notices.append(notice(NOTICE_MERGED, file=label, count=filled))


def _count(db: duckdb.DuckDBPyConnection, relation: str) -> int:
    ((rows,),) = db.execute(f"SELECT count(*) FROM {identifier(relation)}").fetchall()
    return int(rows)


def _short(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0][:200] if text else type(error).__name__
