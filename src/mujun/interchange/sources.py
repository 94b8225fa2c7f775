"""Read a data set -- a folder of CSV files, one CSV file or one workbook -- into DuckDB as text.

Each file or sheet whose name names a table of the interchange format becomes a
:class:`~mujun.interchange.raw.RawTable`: a DuckDB table of trimmed text cells, one column per
interchange column the file has, and ``_row``, the row number a person sees in the file. Nothing
is typed or checked here beyond what it takes to read the file; the validator does the rest.

CSV files may be UTF-8 (with or without a byte order mark) or GBK/GB18030, which is transcoded
into ``workdir`` first; DuckDB parses them, so a large file never sits in Python memory.
Workbooks are read with python-calamine, in batches handed to DuckDB as Arrow tables. Either way
the header row is looked for among the first rows, so a title row or a two-level merged header
above it is passed over.

A row with no value in any cell is passed over: a person sees no row there.
"""

import codecs
import csv
import datetime as dt
import io
import os
import posixpath
import re
import tempfile
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import chain, islice
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import duckdb
import pyarrow as pa
import python_calamine

from mujun.interchange.problems import Notice, Problem, Reason
from mujun.interchange.raw import RawTable, ReadResult
from mujun.interchange.schema import ColumnSpec, TableSpec, column_for_header, table_for_name

# --- what can be wrong with a source as a whole --------------------------------------------------

SOURCE_NOT_FOUND = Reason(
    "source_not_found",
    "{file} does not exist.",
    "找不到 {file}。",
)
UNSUPPORTED_SOURCE = Reason(
    "unsupported_source",
    "{file} is not a folder of CSV files, a .csv file or an Excel workbook (.xlsx). Save it as "
    'an Excel workbook (.xlsx), or save each sheet as "CSV UTF-8 (Comma delimited)".',
    "{file} 不是 CSV 文件夹、CSV 文件或 Excel 工作簿（.xlsx）。请另存为 Excel 工作簿（.xlsx），"
    "或把每个工作表另存为“CSV UTF-8（逗号分隔）”文件。",
)
DUPLICATE_SOURCE = Reason(
    "duplicate_source",
    "{first} and {second} both hold the table {table} ({table_zh}). Put its rows in one of them "
    "and remove the other.",
    "{first} 和 {second} 都是“{table_zh}”（{table}）表。请把数据合并到其中一个，删除另一个。",
)
EMPTY_FILE = Reason(
    "empty_file",
    "{file} is empty. Fill it in from the template, or leave it out of the data set.",
    "{file} 是空文件。请按模板填写，或不要把它放进数据中。",
)
WRONG_ENCODING = Reason(
    "wrong_encoding",
    '{file} is not in UTF-8 or GBK (it may be UTF-16 "Unicode text" or Big5), so its text '
    'cannot be read. Open it in Excel and save it as "CSV UTF-8 (Comma delimited)", or in WPS '
    "save it as CSV with GBK encoding.",
    "{file} 不是 UTF-8 或 GBK 编码（可能是 UTF-16“Unicode 文本”或 Big5），无法读出其中文字。"
    "请用 Excel 打开，另存为“CSV UTF-8（逗号分隔）”；或用 WPS 另存为 GBK 编码的 CSV。",
)
UNREADABLE_FILE = Reason(
    "unreadable_file",
    "{file} cannot be read as a CSV file ({detail}). Open it in Excel and save it again as "
    '"CSV UTF-8 (Comma delimited)".',
    "{file} 无法按 CSV 文件读取（{detail}）。请用 Excel 打开，重新另存为“CSV UTF-8（逗号分隔）”。",
)
UNREADABLE_WORKBOOK = Reason(
    "unreadable_workbook",
    "{file} cannot be opened as a workbook ({detail}); it may be damaged or protected by a "
    "password. Open it in Excel and save it again as an Excel workbook (.xlsx) without a password.",
    "{file} 无法作为工作簿打开（{detail}），可能已损坏或设有密码。请用 Excel 打开，"
    "去掉密码后重新另存为 Excel 工作簿（.xlsx）。",
)

# --- what can be wrong with a header row ---------------------------------------------------------

MISSING_COLUMN = Reason(
    "missing_column",
    "The header row has no column {column} ({column_zh}), which must be present. Add it, with "
    "this header, or correct the header of the column that holds it.",
    "表头缺少必填列“{column_zh}”（{column}）。请添加该列，或把对应列的表头改为“{column_zh}”。",
)
DUPLICATE_COLUMN = Reason(
    "duplicate_column",
    'The column {column} ({column_zh}) appears twice in the header row: "{first}" in column '
    '{first_position} and "{header}" in column {position}. Delete one of them.',
    "表头中“{column_zh}”（{column}）列出现了两次：第 {first_position} 列“{first}”和"
    "第 {position} 列“{header}”。请删除其中一列。",
)

# --- what can be wrong with a row or a cell ------------------------------------------------------

TOO_MANY_FIELDS = Reason(
    "too_many_fields",
    "This row has {found} fields but the header has {expected}; a value probably contains a "
    "comma without quotes around it. Put the value in double quotes, or remove the extra cells.",
    "该行有 {found} 个字段，而表头只有 {expected} 列；可能某个值中含有逗号却没有加引号。"
    "请给该值加上英文双引号，或删除多出的单元格。",
)
UNREADABLE_ROW = Reason(
    "unreadable_row",
    "This row cannot be read as CSV ({detail}), usually because of an unmatched double quote. "
    "Check the quote marks in this row.",
    "该行无法按 CSV 读取（{detail}），通常是英文双引号不成对。请检查该行的引号。",
)
FORMULA_WITHOUT_VALUE = Reason(
    "formula_without_value",
    "Cell {cell} holds the formula {formula} but no calculated value: the workbook was written "
    "by a program and never opened in Excel. Open it in Excel or WPS and save it, or paste the "
    "values in place of the formulas.",
    "单元格 {cell} 是公式 {formula}，但没有计算结果：该工作簿由程序生成，从未在 Excel 中打开过。"
    "请用 Excel 或 WPS 打开后保存，或将公式“选择性粘贴”为数值。",
)
CELL_ERROR = Reason(
    "cell_error",
    "Cell {cell} shows the Excel error {error}. Correct the formula, or type the value.",
    "单元格 {cell} 显示 Excel 错误值 {error}。请修正公式，或直接填写数值。",
)

# --- notices: what was passed over or read in a way worth knowing ---------------------------------

NOTICE_UNMATCHED = Reason(
    "unmatched_source",
    "{file}: not a table of the interchange format; passed over.",
    "{file}：不是数据交换格式中的表，已跳过。",
)
NOTICE_UNKNOWN_COLUMNS = Reason(
    "unknown_columns",
    "{file}: columns not in the interchange format, ignored: {headers}.",
    "{file}：以下列不属于数据交换格式，已忽略：{headers}。",
)
NOTICE_HEADER_ONLY = Reason(
    "header_only",
    "{file}: a header but no rows; passed over.",
    "{file}：只有表头，没有数据行，已跳过。",
)
NOTICE_EMPTY_SHEET = Reason(
    "empty_sheet",
    "{file}: the sheet is empty; passed over.",
    "{file}：工作表为空，已跳过。",
)
NOTICE_ROWS_ABOVE_HEADER = Reason(
    "rows_above_header",
    "{file}: the header is on row {header_row}; the rows above it were passed over.",
    "{file}：表头在第 {header_row} 行，其上方的行已跳过。",
)
NOTICE_GBK = Reason(
    "read_as_gbk",
    "{file}: read as GBK (GB18030) text.",
    "{file}：已按 GBK（GB18030）编码读取。",
)
NOTICE_FORMULAS = Reason(
    "formulas_read_as_values",
    "{file}: {count} formula cells were read as the values last calculated and saved.",
    "{file}：{count} 个公式单元格按最近一次计算保存的结果读取。",
)
NOTICE_MERGED = Reason(
    "merged_cells_filled",
    "{file}: {count} merged cells below the header were read as holding their value on every "
    "row they span.",
    "{file}：表头以下的 {count} 个合并单元格，按其值填入所跨的每一行读取。",
)


def _notice(reason: Reason, **params: object) -> Notice:
    return Notice(reason, params)


# --- reading -------------------------------------------------------------------------------------

Merge = tuple[tuple[int, int], tuple[int, int]]  # ((first row, first column), (last row, last))

_WORKBOOK_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xls", ".ods"})
_HEADER_SCAN_ROWS = 10  # the header is looked for among this many rows
_HEADER_DEPTH = 3  # a merged header spans at most this many rows
_BATCH_ROWS = 50_000
_CHUNK_BYTES = 1 << 20
_CSV_FIELD_LIMIT = 1 << 28
# What "trimmed" removes, in Python and in DuckDB alike: blanks of every width, a stray BOM.
_BLANKS = " \t\r\n\f\v\u00a0\u3000\u200b\ufeff"
_ARROW_VIEW = "_mujun_sources_batch"


def read_data_set(
    path: Path,
    db: duckdb.DuckDBPyConnection,
    *,
    workdir: Path,
    on_progress: Callable[[str, int], None] | None = None,
) -> ReadResult:
    """Read a folder of CSV files, one CSV file or one workbook into tables of ``db``.

    Every problem that stops a file, header or row from being read is returned, not raised; so
    is a notice for everything passed over. ``workdir`` holds transcoded copies of GBK files
    while they are loaded. ``on_progress(label, rows_done)`` is called as sources are read.
    """
    reader = _Reader(db=db, workdir=workdir, on_progress=on_progress)
    reader.read(path)
    return ReadResult(
        tables=tuple(reader.tables), problems=tuple(reader.problems), notices=tuple(reader.notices)
    )


@dataclass
class _Reader:
    db: duckdb.DuckDBPyConnection
    workdir: Path
    on_progress: Callable[[str, int], None] | None
    tables: list[RawTable] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    _sources: dict[str, str] = field(default_factory=dict)  # table name -> label of its source
    _relations: set[str] = field(default_factory=set)

    # -- dispatch ---------------------------------------------------------------------------------

    def read(self, path: Path) -> None:
        if path.is_dir():
            for child in sorted(path.iterdir(), key=lambda p: p.name):
                if child.name.startswith((".", "~$")) or not child.is_file():
                    continue
                if child.suffix.lower() == ".csv":
                    self._csv_source(child)
                else:
                    self.notices.append(_notice(NOTICE_UNMATCHED, file=child.name))
        elif not path.exists():
            self._problem(path.name, SOURCE_NOT_FOUND, file=str(path))
        elif path.suffix.lower() == ".csv":
            self._csv_source(path)
        elif path.suffix.lower() in _WORKBOOK_SUFFIXES:
            self._read_workbook(path)
        else:
            self._problem(path.name, UNSUPPORTED_SOURCE, file=path.name)

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
        header: "_Header",
        relation: str,
        row_problems: Sequence[Problem],
    ) -> None:
        """Keep a loaded table with its problems, or drop it with a notice when it has no rows."""
        rows = _count(self.db, relation)
        self._progress(label, rows)
        if rows == 0 and not row_problems:
            self.db.execute(f"DROP TABLE {_ident(relation)}")
            self.notices.append(_notice(NOTICE_HEADER_ONLY, file=label))
            return
        self.problems.extend(header.problems)
        self.problems.extend(row_problems)
        if header.unknown:
            self.notices.append(
                _notice(NOTICE_UNKNOWN_COLUMNS, file=label, headers=", ".join(header.unknown))
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
            )
        )

    # -- CSV --------------------------------------------------------------------------------------

    def _csv_source(self, path: Path) -> None:
        label = path.name
        spec = table_for_name(path.stem)
        if spec is None:
            self.notices.append(_notice(NOTICE_UNMATCHED, file=label))
            return
        if not self._claim(spec, label):
            return
        self._progress(label, 0)
        try:
            scan = _scan_bytes(path)
        except OSError as error:
            self._problem(label, UNREADABLE_FILE, file=label, detail=error.strerror or str(error))
            return
        if scan.blank:
            self._problem(label, EMPTY_FILE, file=label)
            return
        if scan.foreign_bom or scan.nul:
            self._problem(label, WRONG_ENCODING, file=label)
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
            if not _transcode_gb18030(path, source):
                self._problem(label, WRONG_ENCODING, file=label)
                return
            self._read_csv(path, spec, label, source=source, transcoded=True, scan=scan)
        finally:
            source.unlink(missing_ok=True)

    def _read_csv(
        self,
        path: Path,
        spec: TableSpec,
        label: str,
        *,
        source: Path,
        transcoded: bool,
        scan: "_ByteScan",
    ) -> None:
        try:
            with _csv_records(source) as records:
                head = _first_records(records, _HEADER_SCAN_ROWS)
        except (csv.Error, OSError, UnicodeDecodeError) as error:
            self._problem(label, UNREADABLE_FILE, file=label, detail=str(error))
            return
        if not head:
            self._problem(label, UNREADABLE_FILE, file=label, detail="no record")
            return
        candidates = [
            (number, [_HeaderCell(i, (text,)) for i, text in enumerate(fields)])
            for number, fields in head
        ]
        chosen = _choose_header(spec, [cells for _, cells in candidates])
        if transcoded and not _mapped(spec, candidates[chosen][1]):
            self._problem(label, WRONG_ENCODING, file=label)
            return
        if transcoded:
            self.notices.append(_notice(NOTICE_GBK, file=label))
        header_row, cells = candidates[chosen]
        header = _map_header(spec, cells, label, header_row)
        relation = self._relation(spec)
        rejects = f"_rejects_{relation}"
        width = len(cells)
        try:
            self.db.execute(
                _csv_load_sql(
                    source=source,
                    relation=relation,
                    rejects=rejects,
                    width=width,
                    skip=header_row - 1,
                    columns=header.column_index,
                )
            )
            rejected = self.db.execute(
                f"SELECT DISTINCT ON (line) line, error_type, error_message, csv_line "
                f"FROM {_ident(rejects)} ORDER BY line"
            ).fetchall()
        except duckdb.Error as error:
            self.db.execute(f"DROP TABLE IF EXISTS {_ident(relation)}")
            detail = str(error).strip().splitlines()[0] if str(error).strip() else "?"
            self._problem(label, UNREADABLE_FILE, file=label, detail=detail)
            return
        finally:
            for table in (rejects, f"{rejects}_scan"):
                self.db.execute(f"DROP TABLE IF EXISTS {_ident(table)}")
        if chosen > 0:
            self.notices.append(
                _notice(NOTICE_ROWS_ABOVE_HEADER, file=label, header_row=header_row)
            )
        skipped = {int(line) for line, *_ in rejected}
        if scan.inner_blank_line:
            with _csv_records(source) as records:
                skipped.update(_blank_records(records, after=header_row))
        _renumber(self.db, relation, first_row=header_row + 1, skipped=sorted(skipped))
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
        self._finish(
            spec=spec,
            label=label,
            path=path,
            sheet=None,
            header_row=header_row,
            header=header,
            relation=relation,
            row_problems=row_problems,
        )

    # -- workbooks --------------------------------------------------------------------------------

    def _read_workbook(self, path: Path) -> None:
        try:
            workbook = python_calamine.CalamineWorkbook.from_path(str(path))
        except Exception as error:  # calamine raises its own errors, ZIP and XML errors alike
            self._problem(path.name, UNREADABLE_WORKBOOK, file=path.name, detail=_short(error))
            return
        with workbook:
            book = _book_xml(path)
            for name in workbook.sheet_names:
                label = f"{path.name} » {name}"
                spec = table_for_name(name)
                if spec is None:
                    self.notices.append(_notice(NOTICE_UNMATCHED, file=label))
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
        self, path: Path, sheet: Any, spec: TableSpec, label: str, book: "_BookXml"
    ) -> None:
        start: tuple[int, int] | None = sheet.start
        if start is None:
            self.notices.append(_notice(NOTICE_EMPTY_SHEET, file=label))
            return
        top, left = start
        # python-calamine 0.9 yields the empty rows above the data too, but starts every row at
        # the data's first column: row i of the iterator is sheet row i, cell j is column left + j.
        rows: Iterator[list[Any]] = iter(sheet.iter_rows())
        for _ in range(top):
            next(rows, None)
        head = list(islice(rows, _HEADER_SCAN_ROWS + _HEADER_DEPTH))
        merges: list[Merge] = sheet.merged_cell_ranges or []
        grid = _HeadGrid(head, top, left, merges)
        candidates = [grid.header_at(top + i) for i in range(min(_HEADER_SCAN_ROWS, len(head)))]
        chosen = _choose_header(spec, [cells for _, cells in candidates])
        header_end, cells = candidates[chosen]
        header = _map_header(spec, cells, label, header_end + 1)
        if chosen > 0:
            self.notices.append(
                _notice(NOTICE_ROWS_ABOVE_HEADER, file=label, header_row=top + chosen + 1)
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
            formulas = _scan_formulas(path, part, zero_is_placeholder=book.never_calculated)
            row_problems = self._formula_problems(
                formulas, label=label, below=header_end, header=header
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
            f"CREATE TABLE {_ident(relation)} ("
            + "".join(f"{_ident(name)} VARCHAR, " for name in names)
            + "_row BIGINT)"
        )
        fills = _MergeFills(merges, below=first - 1, columns=columns)
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
                    done += _insert(
                        self.db, relation, names=names, wanted=wanted, batch=batch, numbers=numbers
                    )
                    batch, numbers = [], []
                    self._progress(label, done)
        if batch:
            _insert(self.db, relation, names=names, wanted=wanted, batch=batch, numbers=numbers)
        filled = fills.apply(self.db, relation)
        if filled:
            self.notices.append(_notice(NOTICE_MERGED, file=label, count=filled))

    def _formula_problems(
        self, formulas: "_Formulas", *, label: str, below: int, header: "_Header"
    ) -> list[Problem]:
        """Formulas without a saved value and Excel errors in the columns read, below the
        header (0-based row ``below``)."""
        if formulas.cached:
            self.notices.append(_notice(NOTICE_FORMULAS, file=label, count=formulas.cached))
        by_position = {position: name for name, position in header.column_index.items()}
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


# --- header rows ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _HeaderCell:
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


def _mapped(spec: TableSpec, cells: Sequence[_HeaderCell]) -> set[str]:
    names = set()
    for cell in cells:
        matched = cell.match(spec)
        if matched is not None and matched[1] is not None:
            names.add(matched[1].name)
    return names


def _choose_header(spec: TableSpec, candidates: Sequence[Sequence[_HeaderCell]]) -> int:
    """Which candidate row is the header: the first naming two columns or every required one;
    failing that, the first naming the most; failing that, the first."""
    required = {c.name for c in spec.columns if c.required}
    counts = []
    for i, cells in enumerate(candidates):
        names = _mapped(spec, cells)
        if len(names) >= 2 or (required and required <= names):
            return i
        counts.append(len(names))
    return counts.index(max(counts)) if counts and max(counts) > 0 else 0


@dataclass(frozen=True)
class _Header:
    column_index: dict[str, int]
    headers: dict[str, str]
    problems: list[Problem]
    unknown: list[str]


def _map_header(
    spec: TableSpec, cells: Sequence[_HeaderCell], label: str, header_row: int
) -> _Header:
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
                "first_position": _column_letters(column_index[column.name]),
                "header": text,
                "position": _column_letters(cell.position),
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
    return _Header(column_index, headers, problems, unknown)


# --- CSV helpers ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _ByteScan:
    blank: bool  # nothing but blanks (and perhaps a byte order mark)
    foreign_bom: bool  # a UTF-16 or UTF-32 byte order mark
    nul: bool  # NUL bytes: UTF-16 or UTF-32 without a byte order mark
    utf8: bool  # valid UTF-8 throughout
    inner_blank_line: bool  # an empty line with more text after it


_UTF8_BOM = codecs.BOM_UTF8
_FOREIGN_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_EMPTY_LINE = re.compile(rb"\n\r?\n|\r\r")


def _scan_bytes(path: Path) -> _ByteScan:
    """One streaming pass over a file's bytes: what its encoding may be, and whether it has
    empty lines that DuckDB would pass over (which shifts its record count)."""
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    utf8, blank, nul, inner_blank, pending_blank = True, True, False, False, False
    carry = b""
    with path.open("rb") as file:
        first = True
        while chunk := file.read(_CHUNK_BYTES):
            if first:
                first = False
                if chunk.startswith(_FOREIGN_BOMS):
                    return _ByteScan(False, True, False, False, False)
                chunk = chunk.removeprefix(_UTF8_BOM)
            if blank and chunk.strip():
                blank = False
            nul = nul or b"\x00" in chunk
            if utf8:
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError:
                    utf8 = False
            if not inner_blank:
                window = carry + chunk
                found = _EMPTY_LINE.search(window)
                if pending_blank and chunk.strip():
                    inner_blank = True
                elif found is not None:
                    if window[found.end() :].strip():
                        inner_blank = True
                    else:
                        pending_blank = True
                carry = window[-2:]
    if utf8:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8 = False
    return _ByteScan(blank, False, nul, utf8, inner_blank)


def _transcode_gb18030(source: Path, target: Path) -> bool:
    """Copy a GB18030 (GBK) file as UTF-8, streaming; False when it is not GB18030 either."""
    decoder = codecs.getincrementaldecoder("gb18030")("strict")
    try:
        with source.open("rb") as inp, target.open("wb") as out:
            while chunk := inp.read(_CHUNK_BYTES):
                out.write(decoder.decode(chunk).encode("utf-8"))
            out.write(decoder.decode(b"", final=True).encode("utf-8"))
    except UnicodeDecodeError:
        return False
    return True


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
def _csv_records(source: Path) -> Iterator[Iterator[list[str]]]:
    """The records of a UTF-8 CSV file as Python's csv module reads them (counting an empty
    line as a record, as DuckDB's line numbers do)."""
    with _large_fields(), source.open(encoding="utf-8-sig", newline="") as file:
        yield csv.reader(file)


def _first_records(records: Iterator[list[str]], limit: int) -> list[tuple[int, list[str]]]:
    """The first ``limit`` non-empty records with their 1-based record numbers."""
    found: list[tuple[int, list[str]]] = []
    with suppress(csv.Error):  # a malformed record ends the search; DuckDB will report it
        for number, fields in enumerate(records, start=1):
            if fields:
                found.append((number, fields))
                if len(found) >= limit:
                    break
    return found


def _blank_records(records: Iterator[list[str]], *, after: int) -> list[int]:
    """Record numbers of the empty lines after record ``after``."""
    return [n for n, fields in enumerate(records, start=1) if not fields and n > after]


def _field_count(record: str) -> int:
    """How many fields one CSV record holds (DuckDB stops counting one past the header's)."""
    try:
        with _large_fields():
            return max((len(fields) for fields in csv.reader(io.StringIO(record))), default=0)
    except csv.Error:
        return record.count(",") + 1


def _sql_text(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# A blank at either end, for RE2: a cheap test that spares the costly trim() of a character set
# on the cells (nearly all) that need none.
_BLANK_CLASS = "[" + "".join(f"\\x{{{ord(ch):x}}}" for ch in _BLANKS) + "]"
_EDGE_BLANK = f"^{_BLANK_CLASS}|{_BLANK_CLASS}$"


def _trimmed_sql(cell: str) -> str:
    """SQL for a cell trimmed of blanks (full-width spaces included), empty as NULL."""
    return (
        f"NULLIF(CASE WHEN regexp_matches({cell}, {_sql_text(_EDGE_BLANK)}) "
        f"THEN trim({cell}, {_sql_text(_BLANKS)}) ELSE {cell} END, '')"
    )


def _csv_load_sql(
    *,
    source: Path,
    relation: str,
    rejects: str,
    width: int,
    skip: int,
    columns: Mapping[str, int],
) -> str:
    """CREATE TABLE for a CSV file: its cells trimmed, blank as NULL, each row numbered in order.

    The file is scanned by one thread so that ``row_number()`` follows the file; rows DuckDB
    passes over (empty lines, rejected rows) are accounted for afterwards by :func:`_renumber`.
    """
    cell = [_trimmed_sql(f"c{i}") for i in range(width)]
    struct = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(width)) + "}"
    picked = "".join(f"{cell[i]} AS {_ident(name)}, " for name, i in columns.items())
    kept = "".join(f"{_ident(name)}, " for name in columns)
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
            "null_padding = true",
            "parallel = false",
            "store_rejects = true",
            f"rejects_table = {_sql_text(rejects)}",
            f"rejects_scan = {_sql_text(rejects + '_scan')}",
        ]
    )
    return (
        f"CREATE TABLE {_ident(relation)} AS SELECT {kept}_row FROM ("
        f"SELECT {picked}CAST(row_number() OVER () AS BIGINT) + {skip + 1} AS _row, "
        f"coalesce({', '.join(cell)}) IS NULL AS _blank "
        f"FROM read_csv({_sql_text(str(source))}, {options})) WHERE NOT _blank"
    )


def _renumber(
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
            f"CREATE TABLE {_ident(shifted)} AS "
            f"SELECT t.* REPLACE (t._row + coalesce(s.j, 0) AS _row) FROM {_ident(relation)} t "
            f"ASOF LEFT JOIN (SELECT b, max(j) AS j FROM {_ident(view)} GROUP BY b) s "
            f"ON t._row - {first_row} >= s.b"
        )
    finally:
        db.unregister(view)
    db.execute(f"DROP TABLE {_ident(relation)}")
    db.execute(f"ALTER TABLE {_ident(shifted)} RENAME TO {_ident(relation)}")


def _count(db: duckdb.DuckDBPyConnection, relation: str) -> int:
    ((rows,),) = db.execute(f"SELECT count(*) FROM {_ident(relation)}").fetchall()
    return int(rows)


# --- workbook helpers ----------------------------------------------------------------------------


def _short(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0][:200] if text else type(error).__name__


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
        return value.strip(_BLANKS) or None
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
    return str(value).strip(_BLANKS) or None


def _insert(
    db: duckdb.DuckDBPyConnection,
    relation: str,
    *,
    names: Sequence[str],
    wanted: Sequence[tuple[str, int]],
    batch: Sequence[list[Any]],
    numbers: Sequence[int],
) -> int:
    """Append a batch of sheet rows to ``relation`` through Arrow; the number of rows."""
    blanks, number, text = _BLANKS, _float_text, _cell_text
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
        columns = ", ".join(_ident(name) for name in [*names, "_row"])
        source = _ident(_ARROW_VIEW)
        db.execute(f"INSERT INTO {_ident(relation)} ({columns}) SELECT {columns} FROM {source}")
    finally:
        db.unregister(_ARROW_VIEW)
    return len(batch)


class _HeadGrid:
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

    def header_at(self, row: int) -> tuple[int, list[_HeaderCell]]:
        """The header starting on sheet row ``row`` (0-based): the last row it spans (a cell
        merged downward from it extends it) and its cells, lower texts preferred."""
        end = row
        for (r0, _), (r1, _) in self.merges:
            if r0 <= row <= r1:
                end = max(end, r1)
        end = min(end, row + _HEADER_DEPTH - 1, self.top + len(self.head) - 1)
        cells = []
        for j in range(self.width):
            column = self.left + j
            texts = tuple(self.text(r, column) for r in range(end, row - 1, -1))
            if any(texts):
                cells.append(_HeaderCell(column, texts))
        return end, cells


class _MergeFills:
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
                    f"UPDATE {_ident(relation)} SET {_ident(name)} = f.value "
                    f"FROM {_ident(view)} f WHERE f.name = {_sql_text(name)} "
                    f"AND {_ident(relation)}._row BETWEEN f.first AND f.last"
                )
        finally:
            db.unregister(view)
        return len(self.fills)


def _column_letters(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _cell_name(row: int, column: int) -> str:
    return f"{_column_letters(column)}{row + 1}"


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


@dataclass(frozen=True)
class _BookXml:
    """What python-calamine does not tell about an Office Open XML workbook."""

    parts: dict[str, str]  # sheet name -> its XML part
    # The workbook asks to be fully recalculated when opened (``<calcPr fullCalcOnLoad="1"/>``):
    # a program wrote it and no spreadsheet application has saved it since. Such programs
    # (xlsxwriter, for one) store 0 as the result of a formula they did not calculate.
    never_calculated: bool


def _book_xml(path: Path) -> _BookXml:
    try:
        with zipfile.ZipFile(path) as archive:
            book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
            rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    except (KeyError, OSError, zipfile.BadZipFile, ElementTree.ParseError):
        return _BookXml({}, never_calculated=False)
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
    return _BookXml(parts, never_calculated=never_calculated)


@dataclass(frozen=True)
class _Formulas:
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
        while chunk := stream.read(_CHUNK_BYTES):
            window = carry + chunk
            if any(mark in window for mark in _FORMULA_MARKS):
                return True
            carry = chunk[-8:]
    return False


def _scan_formulas(path: Path, part: str, *, zero_is_placeholder: bool) -> _Formulas:
    """Formula and error cells of one sheet, read from its XML with a streaming parser:
    python-calamine gives a formula's saved value but cannot tell that it has none. With
    ``zero_is_placeholder`` a saved numeric 0 counts as no value (see :class:`_BookXml`)."""
    cached = 0
    uncached: list[tuple[int, int, str]] = []
    errors: list[tuple[int, int, str]] = []
    try:
        with zipfile.ZipFile(path) as archive:
            if part not in archive.namelist() or not _has_formulas(archive, part):
                return _Formulas(0, [], [])
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
        return _Formulas(cached, uncached, errors)
    return _Formulas(cached, uncached, errors)


def _column_index(letters: str) -> int:
    index = 0
    for letter in letters.upper():
        index = index * 26 + ord(letter) - ord("A") + 1
    return index - 1
