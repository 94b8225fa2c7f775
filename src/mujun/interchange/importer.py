"""Importing a data set: all or nothing, upserted by natural key, every change recorded.

The data set is read and checked in DuckDB (:mod:`.sources`, :mod:`.validation`). If anything
is wrong, nothing is written and every problem is returned. Otherwise each table is compared
with the records already stored, again in DuckDB: rows whose key is new are inserted, rows whose
supplied values differ are updated (columns the file does not have keep their stored values),
and identical rows are left alone, so importing the same data set twice changes nothing. The
writes go to the records database in one transaction with everything that records them: the
import itself (who, when, why, where each table came from), the files it read, a change-log row
for each record updated (values before and after), and on each record inserted the import's
number (:class:`~mujun.records.fields.Imported`). So do the values derived from the facts
(:mod:`mujun.analytics.derived`) where the import changed a table they depend on: computed from
the facts as the import compared them, a new row's are written with it, and the stored rows
whose values changed are updated after.
A file the latest import read, byte for byte (the SHA-256 its archive keeps), the records
unchanged since, is not read again: its rows stand in the records as it has them; where every
file is such, the import changes nothing and says so.
An import keeps the records' columnar copy (:mod:`mujun.records.columnar`) current: a large
one that compared every table with the records, and so knows every fact they hold, writes it
from its own DuckDB; one that found a copy current as it began writes that copy with the rows
it wrote replaced; either writes it while its transaction commits, and the copy becomes
current only once the commit is done. A large one with neither reads the records back once it
has committed (a small one leaves the copy to the next run).
"""

import contextlib
import datetime as dt
import graphlib
import hashlib
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
from sqlalchemy import Connection, Engine, Table, exists, func, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from mujun.analytics import derived
from mujun.analytics.facts import Facts, facts_from_arrow
from mujun.interchange import schema
from mujun.interchange.archive import keep_files
from mujun.interchange.limits import LOCAL, Limits
from mujun.interchange.naming import name_records
from mujun.interchange.problems import Notice, Problem, Reason
from mujun.interchange.raw import ReadResult
from mujun.interchange.schema import TableSpec
from mujun.interchange.sources import read_data_set
from mujun.interchange.sql import identifier as quoted
from mujun.interchange.sql import literal
from mujun.interchange.validation import CheckedTable, check_data_set
from mujun.interchange.workbooks.marked import write_marked_copy
from mujun.progress import Progress, phase, silent
from mujun.records import (
    DATA_MODELS,
    DERIVED_FROM,
    Change,
    DataImport,
    ImportFile,
    bulk,
    table_of,
)
from mujun.records.base import referred_tables
from mujun.records.changes import KEY_SEPARATOR, changed_one_of, now
from mujun.records.columnar import (
    KEPT,
    Label,
    current_copy,
    fact_columns,
    label_of_import,
    latest_change,
    standing_copy,
    write_copy,
    write_patched_copy,
)
from mujun.records.database import busy_timeout, sqlite_driver, written_in_place
from mujun.records.fields import IMPORTED_BY
from mujun.records.loading import Loading, loading
from mujun.records.vocabulary import ChangeAction

DUCKDB_MEMORY_LIMIT = "640MB"
"""What the import's DuckDB holds in memory before it spills to its folder. At a province's
size 768 MB made a re-import 9 % slower than 2 GB and its peak 1.34 GB instead of 2.54 GB;
640 MB, once the checks ran in one pass a table, took the same time as 768 MB (a re-import
21.5-22.3 s both) for peaks of 1.40 GB instead of 1.53 GB (into empty records) and 1.12 GB
instead of 1.33 GB (again)."""
LOCK_WAIT = dt.timedelta(minutes=2)
"""How long an import waits for another import to finish before it is refused."""
SETTLE_WAIT = dt.timedelta(seconds=10)
"""How long an import waits for the change log's writers under way to end, to label the
columnar copy it writes; past it, the copy is read from the records once it has committed."""
IMPORT_LOCK = 0x6D756A756E  # "mujun": PostgreSQL's advisory lock key for imports
MONTHLY = "monthly_metrics"
"""The table of the monthly figures, by enterprise and month."""
KEPT_TABLES = frozenset(table.name for table, _ in KEPT)
"""The tables of the columnar copy: an import that compared them all can write it."""
# A table getting this many new rows has its foreign keys checked once, after the load.
LARGE_LOAD = 100_000
# Reading, checking, comparing with the records, writing: four phases of progress.
_PHASES = 4

NOTICE_FILE_ALREADY_IMPORTED = Reason(
    "file_already_imported",
    "{file}: the same file as import {import_id} read, and the records have not changed "
    "since: not read again.",
    "{file}：与第 {import_id} 次导入读取的文件完全相同，且此后数据未变，未再读取。",
)
NOTICE_ALREADY_IMPORTED = Reason(
    "already_imported",
    "The same files as import {import_id} read, and the records have not changed since: "
    "nothing to import, and the files were not read again.",
    "与第 {import_id} 次导入读取的文件完全相同，且此后数据未变：无需导入，文件未再读取。",
)


class ImportBusyError(Exception):
    """Another import held the records for longer than :data:`LOCK_WAIT`; the message says so
    in Chinese and English."""

    def __init__(self) -> None:
        minutes = LOCK_WAIT.total_seconds() / 60
        self.zh = (
            f"另一次导入正在进行，等待 {minutes:g} 分钟后仍未结束；本次未导入任何数据，请稍后重试"
        )
        self.en = (
            f"another import was still running after {minutes:g} minutes; nothing was "
            "imported: try again later"
        )
        super().__init__(self.en)


@dataclass(frozen=True)
class TableChanges:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def written(self) -> int:
        return self.inserted + self.updated


@dataclass
class ImportOutcome:
    """What an import found and did."""

    source: Path
    problems: list[Problem] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    changes: dict[str, TableChanges] = field(default_factory=dict)
    supplied: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Each table of the data set, with the interchange columns its file or sheet has."""
    import_id: int | None = None
    same_as: int | None = None
    """The import that read the very same files, the records unchanged since: this data set
    was not read again, and changes nothing."""
    marked_copy: Path | None = None
    months: tuple[str, ...] = ()
    """The months (``YYYY-MM``) of the monthly figures it writes, new or changed, in order:
    monitoring runs for each once the import is committed (:mod:`mujun.monitoring.jobs`)."""

    @property
    def committed(self) -> bool:
        return self.import_id is not None

    @property
    def rows_changed(self) -> int:
        return sum(c.written for c in self.changes.values())


def import_data_set(
    *,
    engine: Engine,
    path: Path,
    actor: str,
    reason: str | None = None,
    marked_copy: Path | None = None,
    on_progress: Progress = silent,
    commit: bool = True,
    limits: Limits = LOCAL,
    skip_repeated: bool = True,
) -> ImportOutcome:
    """Import the data set at ``path`` (a folder of CSV files or one workbook).

    When the data set has problems nothing is written, and with ``marked_copy`` the workbook
    with the bad cells marked is written there. With ``commit`` False the data set is only
    checked and compared: ``changes`` says what importing it would do, and nothing is written.
    A file beyond ``limits`` is a problem found before it is parsed.

    With ``skip_repeated``, a file the latest import read, byte for byte, the records unchanged
    since, is not read again (nor held to ``limits``, which bound the work of reading): its
    rows stand in the records as it has them. Where every file is such, importing changes
    nothing, and ``same_as`` names that import. Whoever may not read the records passes False:
    whether they stand as an import left them is not theirs to learn, not even from the time an
    import takes.
    """
    digest, files = _digests(path)
    asked = _Asked(engine, path, actor, reason, marked_copy, on_progress, commit, limits, digest)
    if not skip_repeated:
        return _import_every_file(asked)
    with engine.connect() as conn:
        standing = _standing_import(conn)
        known = set() if standing is None else _known_files(conn, standing, files)
    if standing is not None and standing.fingerprint == digest:
        return _already_imported(ImportOutcome(source=path), standing)
    # None: the import that read the known files no longer stood once this one held the lock
    return _import(asked, standing, known) or _import_every_file(asked)


@dataclass(frozen=True)
class _Asked:
    """An import as asked for (see :func:`import_data_set`), with its data set's digest."""

    engine: Engine
    path: Path
    actor: str
    reason: str | None
    marked_copy: Path | None
    on_progress: Progress
    commit: bool
    limits: Limits
    digest: str


def _import_every_file(asked: _Asked) -> ImportOutcome:
    outcome = _import(asked, None, set())
    assert outcome is not None  # only an import with files known gives way
    return outcome


def _import(asked: _Asked, standing: DataImport | None, known: set[str]) -> ImportOutcome | None:
    """Import the data set, the files ``known`` (read by the import ``standing``) claimed but
    not read; None where ``standing`` no longer stands once the import holds the lock."""
    engine, on_progress, commit = asked.engine, asked.on_progress, asked.commit
    outcome = ImportOutcome(source=asked.path)
    expected = len(schema.tables())
    with tempfile.TemporaryDirectory(prefix="mujun-import-") as workdir:
        db = _analytics_connection(Path(workdir))
        seen: set[str] = set()

        def reading(label: str, _rows: int) -> None:
            seen.add(label)
            phase(on_progress, 0, _PHASES)(label, len(seen) / expected)

        read = read_data_set(
            asked.path,
            db,
            workdir=Path(workdir),
            limits=asked.limits,
            on_progress=reading,
            known=known,
        )
        outcome.notices = list(read.notices)
        outcome.supplied = {raw.spec.name: tuple(raw.column_index) for raw in read.tables}
        if standing is not None:
            _as_known(outcome, read.known, standing)
        settled: int | None = None
        with (
            engine.connect() as conn,
            written_in_place(conn) if commit and _read_large(read) else contextlib.nullcontext(),
            loading(conn, Path(workdir)) as load,
            _copy_kept_as_it_commits(engine, db) as keep_copy,
            conn.begin() as transaction,
        ):
            if commit:
                _take_import_lock(conn)
                settled = _settled_change(conn)
                if read.known and not _stands(conn, standing):
                    transaction.rollback()
                    return None
            read_problems = name_records(db, read.tables, read.problems)  # before the check
            checked, problems = check_data_set(
                db,
                read.tables,
                existing_keys=lambda name: _stored_keys(conn, name),
                on_progress=phase(on_progress, 1, _PHASES),
            )
            outcome.problems = [*read_problems, *name_records(db, read.tables, problems)]
            if outcome.problems:
                transaction.rollback()
                _mark(outcome, read, asked.marked_copy)
                return outcome
            checked.sort(key=lambda t: schema.tables().index(t.spec))
            comparing = phase(on_progress, 2, _PHASES)
            # The copy current as the import began: compared with where the data set is large
            large = sum(t.raw.rows for t in checked) >= LARGE_LOAD
            if large:
                base = _attach_copy(db, engine)
            else:
                base = standing_copy(engine, conn) if settled is not None else None
            copied = large and base is not None
            for done, table in enumerate(checked):
                comparing(table.raw.label, done / len(checked))
                outcome.changes[table.spec.name] = _compare(db, conn, table, copied)
            outcome.changes = _in_schema_order(outcome.changes)
            outcome.months = _months_written(db, outcome)
            if not outcome.rows_changed or not commit:
                transaction.rollback()
                return outcome
            outcome.import_id = _write(
                db,
                load,
                conn,
                checked,
                outcome,
                actor=asked.actor,
                reason=asked.reason,
                sources={t.spec.name: t.raw.label for t in checked} | dict(read.known),
                fingerprint=asked.digest,
                settled=settled,
                progress=phase(on_progress, 3, _PHASES),
            )
            label = None if settled is None else label_of_import(conn, outcome.import_id, settled)
            keep_copy(outcome, {t.spec.name for t in checked}, label, base)
            keep_files(conn, outcome.import_id, read.files)
    return outcome


def _read_large(read: ReadResult) -> bool:
    """Whether the files read hold a large load's rows (written in place where the records
    are alone: :func:`~mujun.records.database.written_in_place`)."""
    return sum(raw.rows for raw in read.tables) >= LARGE_LOAD


def _standing_import(conn: Connection) -> DataImport | None:
    """The latest import, if the records stand as it left them: no change of a fact but its
    own came after the change it began from (asked in one statement, so of one state of the
    records)."""
    imports, log = table_of(DataImport), table_of(Change)
    later_change = (
        select(log.c.id)
        .where(
            log.c.id > imports.c.settled_change,
            changed_one_of([table_of(model).name for model in DATA_MODELS]),
            log.c.import_id.is_distinct_from(imports.c.id),
        )
        .correlate(imports)
    )
    query = select(DataImport).where(
        imports.c.id == select(func.max(imports.c.id)).scalar_subquery(),
        imports.c.settled_change.is_not(None),
        imports.c.supplied.is_not(None),
        ~exists(later_change),
    )
    with Session(bind=conn) as session:
        return session.scalars(query).first()


def _stands(conn: Connection, standing: DataImport | None) -> bool:
    """Whether the import ``standing`` is still the latest, the records as it left them."""
    now_standing = _standing_import(conn)
    return standing is not None and now_standing is not None and now_standing.id == standing.id


def _known_files(conn: Connection, standing: DataImport, files: Mapping[str, str]) -> set[str]:
    """The data set's files that the import ``standing`` read, byte for byte (the same
    SHA-256 as its archive keeps), of ``files`` (each file's name and digest)."""
    kept = conn.execute(
        select(ImportFile.name, ImportFile.sha256).where(ImportFile.import_id == standing.id)
    )
    return {name for name, sha256 in kept if files.get(name) == sha256}


def _as_known(outcome: ImportOutcome, known: Mapping[str, str], standing: DataImport) -> None:
    """The tables of the files known already (see :func:`_known_files`), in ``outcome``, each
    file named in a notice."""
    _as_read_by(outcome, standing, known)
    outcome.notices += [
        Notice(NOTICE_FILE_ALREADY_IMPORTED, {"file": file, "import_id": standing.id})
        for file in known.values()
    ]


def _as_read_by(outcome: ImportOutcome, standing: DataImport, tables: Iterable[str]) -> None:
    """The ``tables`` as the import ``standing`` read them, in ``outcome``: every row stands in
    the records as the file has it, and the file supplies the columns it did then."""
    supplied = standing.supplied or {}
    for name in tables:
        if name in standing.counts:
            outcome.changes[name] = TableChanges(unchanged=sum(standing.counts[name].values()))
        if name in supplied:
            outcome.supplied[name] = tuple(supplied[name])


def _in_schema_order(changes: Mapping[str, TableChanges]) -> dict[str, TableChanges]:
    return {t.name: changes[t.name] for t in schema.tables() if t.name in changes}


def _already_imported(outcome: ImportOutcome, same: DataImport) -> ImportOutcome:
    """What importing the files of import ``same`` again does: nothing (see
    :func:`_as_read_by`)."""
    outcome.same_as = same.id
    _as_read_by(outcome, same, [*same.counts, *(same.supplied or {})])
    outcome.notices = [Notice(NOTICE_ALREADY_IMPORTED, {"import_id": same.id})]
    return outcome


KeepCopy = Callable[[ImportOutcome, set[str], Label | None, Path | None], None]
"""Given the import's outcome, the tables it compared with the records, the copy's label and
the copy current as it began: keep the columnar copy current (:func:`_keep_copy_current`)."""


@contextmanager
def _copy_kept_as_it_commits(engine: Engine, db: duckdb.DuckDBPyConnection) -> Iterator[KeepCopy]:
    """Within the import's transaction (this context encloses it), keep the columnar copy
    current: a thread writes it from ``db`` while the import keeps its files and commits
    (DuckDB and SQLite each leave the interpreter as they write), and it becomes current only
    once the records have committed; a transaction that fails leaves it discarded. The
    province's import into an empty SQLite file: from the end of its writes to the copy's
    end, 14.6 and 15.0 s one after the other, 12.6 and 13.6 s side by side (alternating,
    instrumented). Into PostgreSQL, whose commit is short, from the files' keeping to the
    end: 10.6, 10.8 and 7.1 s with the copy begun after the files were kept, 6.7, 7.8 and
    7.2 s with it begun before (alternating)."""
    committed: Future[bool] = Future()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="mujun-copy") as copier:
        writing: list[Future[None]] = []

        def keep_copy(
            outcome: ImportOutcome, compared: set[str], label: Label | None, base: Path | None
        ) -> None:
            writing.append(
                copier.submit(
                    _keep_copy_current,
                    engine,
                    db,
                    outcome=outcome,
                    compared=compared,
                    label=label,
                    base=base,
                    committed=committed.result,
                )
            )

        try:
            yield keep_copy
        except BaseException:
            committed.set_result(False)
            raise
        committed.set_result(True)
        for each in writing:
            each.result()


def _keep_copy_current(
    engine: Engine,
    db: duckdb.DuckDBPyConnection,
    *,
    outcome: ImportOutcome,
    compared: set[str],
    label: Label | None,
    base: Path | None,
    committed: Callable[[], bool],
) -> None:
    """Keep the records' columnar copy current once the import has committed, so the next run
    need not read the records (see the module's docstring). ``compared`` are the tables the
    import compared with the records; ``label`` is the copy's, read in the import's
    transaction (None where it did not know the change it began from); ``base`` the copy
    current as it began, if any; ``committed()`` waits for the import's transaction to end and
    says whether it committed. A copy that cannot be made (a full disk) fails no import; the
    next run makes it, or says why it cannot."""
    large = outcome.rows_changed >= LARGE_LOAD
    with contextlib.suppress(OSError, duckdb.Error):
        if label is not None and large and KEPT_TABLES.issubset(compared):
            write_copy(engine, label, db, _rows_after, committed=committed)
        elif label is not None and base is not None:
            write_patched_copy(
                engine, label, base, lambda path: _patch(db, path, outcome), committed=committed
            )
        elif large and committed():
            current_copy(engine)


def _patch(db: duckdb.DuckDBPyConnection, path: str, outcome: ImportOutcome) -> None:
    """Replace in the copy at ``path`` each record the import wrote (the tables
    :func:`_compare` made), new or changed."""
    db.execute(f"ATTACH {literal(path)} AS written")
    try:
        for name, changes in outcome.changes.items():
            if not changes.written:
                continue
            spec = schema.table(name)
            target = f"written.{quoted(name)}"
            same = " AND ".join(f"{target}.{quoted(k)} = c.{quoted(k)}" for k in spec.key)
            db.execute(f"DELETE FROM {target} USING changed_{name} c WHERE {same}")
            listed = ", ".join(quoted(c) for c in fact_columns(spec.table))
            db.execute(f"""
                INSERT INTO {target} ({listed})
                SELECT {listed} FROM changed_{name} UNION ALL SELECT {listed} FROM new_{name}""")
        db.execute("CHECKPOINT written")
    finally:
        db.execute("DETACH written")


def _rows_after(table: Table, columns: Sequence[str]) -> str:
    """The table's rows as the import leaves them: the stored ones it did not change, the
    changed ones, the new ones (from the tables :func:`_compare` made)."""
    name, key = table.name, schema.table(table.name).key
    listed = ", ".join(quoted(c) for c in columns)
    same = " AND ".join(f"c.{quoted(k)} = s.{quoted(k)}" for k in key)
    return f"""
        SELECT {listed} FROM stored_{name} s
        WHERE NOT EXISTS (SELECT 1 FROM changed_{name} c WHERE {same})
        UNION ALL SELECT {listed} FROM changed_{name}
        UNION ALL SELECT {listed} FROM new_{name}"""


def _take_import_lock(conn: Connection) -> None:
    """Make the transaction just begun the only import writing until it ends, waiting up to
    :data:`LOCK_WAIT` for one under way: everything it reads of the records (the keys, the
    values before) is then read after the previous import committed. PostgreSQL takes an
    advisory lock held to the end of the transaction; SQLite begins the transaction IMMEDIATE,
    taking its write lock at once."""
    wait_ms = _milliseconds(LOCK_WAIT)
    try:
        if conn.dialect.name == "postgresql":
            previous = conn.execute(text("SELECT current_setting('lock_timeout')")).scalar_one()
            _set_lock_timeout(conn, f"{wait_ms}ms")
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": IMPORT_LOCK})
            _set_lock_timeout(conn, previous)
        else:
            with busy_timeout(sqlite_driver(conn), wait_ms):
                conn.exec_driver_sql("BEGIN IMMEDIATE")
    except OperationalError as error:
        if _busy(error):
            raise ImportBusyError from None
        raise


def _settled_change(conn: Connection) -> int | None:
    """The latest change-log row as the import begins to read the records, every row up to
    it committed: the label of the copy the import writes (:func:`_copy_label`). On SQLite
    the import's write lock leaves no other writer. On PostgreSQL a writer may hold a row not
    yet committed under a lower number than one committed: the change log is locked against
    writers for a moment (SHARE: readers go on), waiting up to :data:`SETTLE_WAIT` for those
    under way; None where they did not end."""
    if conn.dialect.name != "postgresql":
        return latest_change(conn)
    try:
        with conn.begin_nested() as moment:
            _set_lock_timeout(conn, f"{_milliseconds(SETTLE_WAIT)}ms")
            conn.execute(text(f"LOCK TABLE {table_of(Change).name} IN SHARE MODE"))
            settled = latest_change(conn)
            moment.rollback()  # ends the lock and the timeout, both taken in the savepoint
    except OperationalError as error:
        if _busy(error):
            return None
        raise
    return settled


def _milliseconds(wait: dt.timedelta) -> int:
    return int(wait.total_seconds() * 1000)


def _set_lock_timeout(conn: Connection, value: str) -> None:
    conn.execute(text("SELECT set_config('lock_timeout', :value, true)"), {"value": value})


def _busy(error: OperationalError) -> bool:
    """Whether the database gave up waiting for a lock (PostgreSQL's lock_not_available,
    SQLite's SQLITE_BUSY)."""
    cause = error.orig
    return getattr(cause, "sqlstate", None) == "55P03" or (
        getattr(cause, "sqlite_errorname", None) == "SQLITE_BUSY"
    )


def _analytics_connection(workdir: Path) -> duckdb.DuckDBPyConnection:
    db = duckdb.connect(
        config={"memory_limit": DUCKDB_MEMORY_LIMIT, "temp_directory": str(workdir / "spill")}
    )
    db.execute("SET enable_progress_bar = false")  # it would write to stdout
    return db


def _mark(outcome: ImportOutcome, read: ReadResult, marked_copy: Path | None) -> None:
    if marked_copy is not None:
        write_marked_copy(marked_copy, read.tables, outcome.problems)
        outcome.marked_copy = marked_copy


def _stored_keys(conn: Connection, name: str) -> pa.Array:
    spec = schema.table(name)
    (key,) = spec.key
    return bulk.read_rows(conn, spec.table, [key]).column(0).combine_chunks()


# -- comparing with the records ------------------------------------------------------------


def _attach_copy(db: duckdb.DuckDBPyConnection, engine: Engine) -> Path | None:
    """Attach the records' columnar copy (:mod:`mujun.records.columnar`, made first if it is
    not current) to ``db`` as ``copy``, to compare a large data set with: reading the facts
    from it takes a second where reading the row store again took half a minute at a
    province's size (a small data set reads the row store: making a copy would cost more).
    No other import writes meanwhile (the import lock), and on SQLite nothing else does (the
    import holds the write lock). False where there can be no copy (a database in memory, a
    full disk): the row store is read instead."""
    try:
        path = current_copy(engine)
    except (ValueError, OSError, duckdb.Error):
        return None
    db.execute(f"ATTACH {literal(str(path))} AS copy (READ_ONLY)")
    return path


def _stored_rows(
    db: duckdb.DuckDBPyConnection, conn: Connection, spec: TableSpec, copied: bool, name: str
) -> None:
    """The table's records as stored, every interchange column, as the DuckDB table ``name``:
    from the columnar copy where it holds the column, from the row store otherwise (the
    geometries, which the copy leaves out; everything without a copy)."""
    model = spec.table
    held = [c for c in spec.column_names if copied and c in fact_columns(model)]
    if not held:
        db.from_arrow(bulk.stream_rows(conn, model, spec.column_names)).create(name)
        return
    source = f"copy.{quoted(spec.name)} c"
    rest = [c for c in spec.column_names if c not in held]
    if rest:
        db.from_arrow(bulk.stream_rows(conn, model, [*spec.key, *rest])).create(f"{name}_rows")
        same = " AND ".join(f"c.{quoted(k)} = r.{quoted(k)}" for k in spec.key)
        source += f" JOIN {name}_rows r ON {same}"
    listed = ", ".join(f"{'c' if c in held else 'r'}.{quoted(c)}" for c in spec.column_names)
    db.execute(f"CREATE TABLE {name} AS SELECT {listed} FROM {source}")


def _compare(
    db: duckdb.DuckDBPyConnection, conn: Connection, table: CheckedTable, copied: bool
) -> TableChanges:
    """Split the table's rows into ``new_<t>``, ``changed_<t>`` (with before/after), unchanged.

    Both carry every column of the table: the supplied value where the file has the column,
    else the stored one (NULL for a new row).
    """
    spec, name = table.spec, table.spec.name
    stored = f"stored_{name}"
    _stored_rows(db, conn, spec, copied, stored)

    key_order = ", ".join(f"i.{quoted(k)}" for k in spec.key)  # B-trees fill in order
    key_match = " AND ".join(f"i.{quoted(k)} = s.{quoted(k)}" for k in spec.key)
    supplied = [c for c in table.columns if c not in spec.key]
    differs = (
        " OR ".join(f"i.{quoted(c)} IS DISTINCT FROM s.{quoted(c)}" for c in supplied) or "false"
    )
    incoming = f"(SELECT {', '.join(quoted(c) for c in table.columns)} FROM {table.relation})"
    after_row = ", ".join(
        f"{'i' if c in table.columns else 's'}.{quoted(c)}" for c in spec.column_names
    )
    # A new row has no stored match: its columns the file lacks come out NULL, typed.
    new_rows = f"SELECT {after_row} FROM {incoming} i LEFT JOIN {stored} s ON {key_match}"
    if _count(db, stored):
        db.execute(f"""
            CREATE TABLE new_{name} AS {new_rows}
            WHERE s.{quoted(spec.key[0])} IS NULL ORDER BY {key_order}""")
    else:
        # Every row is new: the checked rows as they are, not copied and sorted again (their
        # load sorts them). Into empty records, from the checks' end to the first write took
        # 5.4 s so at a province's size, 0.7 s thus.
        db.execute(f"CREATE VIEW new_{name} AS {new_rows}")
    db.execute(f"""
        CREATE TABLE changed_{name} AS
        SELECT {after_row}, to_json(s) AS _before
        FROM {incoming} i JOIN {stored} s ON {key_match}
        WHERE {differs}""")
    ((inserted, updated),) = db.execute(
        f"SELECT (SELECT count(*) FROM new_{name}), (SELECT count(*) FROM changed_{name})"
    ).fetchall()
    return TableChanges(inserted, updated, table.raw.rows - inserted - updated)


def _months_written(db: duckdb.DuckDBPyConnection, outcome: ImportOutcome) -> tuple[str, ...]:
    """The months of the monthly figures new or changed (compared, not yet written)."""
    name = MONTHLY
    if not outcome.changes.get(name, TableChanges()).written:
        return ()
    rows = db.execute(
        f"SELECT month FROM new_{name} UNION SELECT month FROM changed_{name} ORDER BY month"
    ).fetchall()
    return tuple(str(month) for (month,) in rows)


# -- writing -------------------------------------------------------------------------------


def _write(
    db: duckdb.DuckDBPyConnection,
    load: Loading,
    conn: Connection,
    checked: list[CheckedTable],
    outcome: ImportOutcome,
    *,
    actor: str,
    reason: str | None,
    sources: dict[str, str],
    fingerprint: str,
    settled: int | None,
    progress: Progress,
) -> int:
    started = now()
    import_id: int = conn.execute(
        table_of(DataImport)
        .insert()
        .values(
            started_at=started,
            finished_at=started,
            actor=actor,
            source=str(outcome.source),
            fingerprint=fingerprint,
            counts={name: vars(c) for name, c in outcome.changes.items()},
            reason=reason,
            sources=sources,
            supplied={name: list(columns) for name, columns in outcome.supplied.items()},
            settled_change=settled,
        )
        .returning(table_of(DataImport).c.id)
    ).scalar_one()
    large = [t.spec.table for t in checked if outcome.changes[t.spec.name].inserted >= LARGE_LOAD]
    if sum(c.updated for c in outcome.changes.values()) >= LARGE_LOAD:
        large.append(table_of(Change))
    refreshed = DERIVED_FROM & {name for name, c in outcome.changes.items() if c.written}
    compared = {t.spec.name for t in checked}
    after = _facts_after(db, conn, compared) if refreshed else None
    # The derived values are written before the indexes are built (some hold them) and
    # while the references are off (PostgreSQL checks a reference of a row inserted in the
    # same transaction again on every update, even one leaving the reference alone): those
    # of a new row with it, those of a stored row the import changed by the refresh after.
    # A table of them that a large import's refresh fills from empty has its indexes built
    # after it too: on PostgreSQL the province's 214,002 enterprises' counties went in in
    # 0.7-0.8 s so, against 1.6 s with the indexes kept (in psql).
    built_at_end = _mostly_new(db, checked, outcome)
    if after is not None and large:
        built_at_end += [t for t in derived.FILLED if not bulk.count_rows(conn, t)]
    try:
        with (
            bulk.references_checked_at_end(conn, large),
            bulk.indexes_built_at_end(conn, built_at_end),
        ):
            loads = _new_rows_of(db, _load_order(checked, outcome), after, import_id, progress)
            load.insert_all(loads)
            for table in checked:
                _update_table(
                    db, conn, table, import_id=import_id, at=started, actor=actor, reason=reason
                )
            if after is not None:
                derived.refresh(conn, after, written_whole=_written_whole(db, checked))
    finally:
        if after is not None:
            after.close()
    bulk.analyze(conn, large)
    conn.execute(
        table_of(DataImport)
        .update()
        .where(table_of(DataImport).c.id == import_id)
        .values(finished_at=now())
    )
    return import_id


def _mostly_new(
    db: duckdb.DuckDBPyConnection, checked: list[CheckedTable], outcome: ImportOutcome
) -> list[Table]:
    """The tables getting a large load of new rows at least as many as they held: their
    indexes are built after the load (:func:`~mujun.records.bulk.indexes_built_at_end`).
    Building sorts every row, stored and new; keeping an index puts each new row in its
    place in the tree. Into empty records, keeping the indexes of the 200k data set's tables
    cost 3.5 times building them on PostgreSQL (13.3 s against 3.8 s) and about 1.5 times
    on SQLite (2.7 s against 1.7 s), besides the derived values written into them after.
    Once the new rows are at least half the table, building sorts at most twice the rows
    the load brings; below, a small load into a large table would pay for sorting every row
    it did not touch."""
    return [
        table.spec.table
        for table in checked
        if (inserted := outcome.changes[table.spec.name].inserted) >= LARGE_LOAD
        and inserted >= _count(db, f"stored_{table.spec.name}")
    ]


def _written_whole(db: duckdb.DuckDBPyConnection, checked: list[CheckedTable]) -> list[Table]:
    """The tables the import wrote every row of: those that held none before it."""
    return [t.spec.table for t in checked if not _count(db, f"stored_{t.spec.name}")]


def _count(db: duckdb.DuckDBPyConnection, relation: str) -> int:
    ((rows,),) = db.execute(f"SELECT count(*) FROM {relation}").fetchall()
    return int(rows)


def _facts_after(db: duckdb.DuckDBPyConnection, conn: Connection, compared: set[str]) -> Facts:
    """The facts the derived values are computed from (:data:`derived.SOURCES`) as they stand
    once the import is written: a table the import ``compared``, from its DuckDB (the stored
    rows with the changed and new ones in place); another, from the records."""
    return facts_from_arrow(
        {
            table.name: db.sql(_rows_after(table, columns)).to_arrow_table()
            if table.name in compared
            else bulk.read_rows(conn, table, columns)
            for table, columns in derived.SOURCES.items()
        }
    )


def _load_order(checked: list[CheckedTable], outcome: ImportOutcome) -> list[CheckedTable]:
    """The tables in the order their new rows are loaded: each after the tables it refers
    to (:meth:`~mujun.records.loading.Loading.insert_all`), and of those free to go, the
    one with the most new rows first, for the others to be written beside it."""
    by_table = {t.spec.table: t for t in checked}
    order = graphlib.TopologicalSorter(
        {table: referred_tables(table) & by_table.keys() for table in by_table}
    )
    order.prepare()
    free: list[Table] = []
    loaded: list[CheckedTable] = []
    while order.is_active():
        free += order.get_ready()
        free.sort(key=lambda table: outcome.changes[by_table[table].spec.name].inserted)
        loaded.append(by_table[free.pop()])
        order.done(loaded[-1].spec.table)
    return loaded


def _new_rows_of(
    db: duckdb.DuckDBPyConnection,
    checked: list[CheckedTable],
    after: Facts | None,
    import_id: int,
    progress: Progress,
) -> Iterator[tuple[Table, Iterator[pa.RecordBatch]]]:
    """Each table's new rows, naming the import and with their derived values (those of
    ``after``), saying which table is being written as each is taken."""
    for done, table in enumerate(checked):
        progress(table.raw.label, done / len(checked))
        yield table.spec.table, _batches(db, _new_rows(db, table.spec, after, import_id))


def _update_table(
    db: duckdb.DuckDBPyConnection,
    conn: Connection,
    table: CheckedTable,
    *,
    import_id: int,
    at: dt.datetime,
    actor: str,
    reason: str | None,
) -> None:
    """Update the table's changed rows, logging each with its values before and after."""
    spec, name = table.spec, table.spec.name
    supplied = ", ".join(quoted(c) for c in table.columns)
    bulk.update_rows(
        conn, spec.table, _batches(db, f"SELECT {supplied} FROM changed_{name}"), key=spec.key
    )
    log = _change_rows_sql(spec, import_id=import_id, at=at, actor=actor, reason=reason)
    bulk.insert_rows(conn, table_of(Change), _batches(db, log))


def _new_rows(
    db: duckdb.DuckDBPyConnection, spec: TableSpec, after: Facts | None, import_id: int
) -> str:
    """The query of the table's new rows as written: every column, the import's number and,
    given the facts ``after`` the import, the table's derived values (each a table of
    ``db`` as ``derived_<table>_<column>``)."""
    columns = [f"n.{quoted(c)}" for c in spec.column_names]
    joins = []
    valued = (
        []
        if after is None
        else [(c, derived.values(after, c)) for c in derived.columns_of(spec.table)]
    )
    for column, values in valued:
        relation = f"derived_{spec.name}_{column.column}"
        db.from_arrow(values.to_pyarrow()).create(relation)  # a table: read on any connection
        key = quoted(column.key)
        joins.append(f"LEFT JOIN {relation} ON {relation}.{key} = n.{key}")
        columns.append(f"{relation}.{quoted(column.column)}")
    # In key order, each new row goes at the end of the primary key's index rather than at a
    # random place in it; the import of the province then peaked at 1.27 GB instead of 1.41.
    order = ", ".join(f"n.{quoted(c)}" for c in spec.key)
    return f"""
        SELECT {", ".join(columns)}, {import_id} AS {IMPORTED_BY} FROM new_{spec.name} n
        {" ".join(joins)} ORDER BY {order}"""


def _change_rows_sql(
    spec: TableSpec, *, import_id: int, at: dt.datetime, actor: str, reason: str | None
) -> str:
    """The change-log rows of the records updated: each with its values before and after."""
    name = spec.name
    key = f" || '{KEY_SEPARATOR}' || ".join(f"CAST({quoted(k)} AS VARCHAR)" for k in spec.key)
    row = "{" + ", ".join(f"{literal(c)}: {quoted(c)}" for c in spec.column_names) + "}"
    reason_sql = literal(reason) if reason is not None else "CAST(NULL AS VARCHAR)"
    return f"""
        SELECT TIMESTAMPTZ {literal(at.isoformat())} AS changed_at, {literal(actor)} AS actor,
               {import_id} AS import_id, {literal(name)} AS table_name, {key} AS object_key,
               {literal(ChangeAction.UPDATE)} AS action, CAST(_before AS VARCHAR) AS before,
               CAST(to_json({row}) AS VARCHAR) AS after, {reason_sql} AS reason
        FROM changed_{name}"""


def _batches(db: duckdb.DuckDBPyConnection, query: str) -> Iterator[pa.RecordBatch]:
    """The rows of ``query`` in batches, read on a connection of their own when first asked
    for: loads are read side by side (:meth:`~mujun.records.loading.Loading.insert_all`)."""
    with db.cursor() as own:
        yield from own.sql(query).to_arrow_reader(bulk.BATCH_ROWS)


def _digests(path: Path) -> tuple[str, dict[str, str]]:
    """The data set's SHA-256 and each of its files' (by its path in the data set), the data
    set's taken over every file's path and digest in name order (over none where there is
    nothing at ``path``)."""
    if path.is_dir():
        files = {p.relative_to(path).as_posix(): p for p in path.rglob("*") if p.is_file()}
    else:
        files = {path.name: path} if path.exists() else {}
    each: dict[str, str] = {}
    for name in sorted(files):
        digest = hashlib.sha256()
        with files[name].open("rb") as stream:
            while chunk := stream.read(1 << 20):
                digest.update(chunk)
        each[name] = digest.hexdigest()
    listed = "".join(f"{name}\0{digest}\n" for name, digest in each.items())
    return hashlib.sha256(listed.encode()).hexdigest(), each
