"""Large loads into the records inside the caller's transaction, with SQLite's values bound in C.

Python's ``sqlite3`` binds every value of every row through the interpreter: the province's
4,802,724 monthly figures took 13.6 s to ``executemany`` into their table. SQLite's ADBC
driver binds Arrow columns in C: it wrote them into a scratch file of their own in 3.3 s, and
one ``INSERT … SELECT`` from that file, attached to the caller's connection, copied them into
the records in 3.4 s. The copy runs in the caller's transaction, so the rows commit or roll
back with the rest of its work, as they do when bound row by row. While one load is copied
from its file, the next ones are written to files of their own by threads (each library leaves
the interpreter while it works). The province's import into an empty SQLite file went from
54.5-55.1 s to 41.5-44.9 s so.

The driver carries its own copy of the SQLite library, and two copies must not hold one file
open at once (:mod:`mujun.records.snapshot`). So the driver writes and closes each scratch file
before the caller's connection attaches it, and never opens it again. A file read in a
transaction can be detached only once the transaction has ended, so the scratch files are
detached when :func:`loading`'s context ends, which must therefore enclose the transaction::

    with engine.connect() as conn, loading(conn, folder) as load, conn.begin():
        load.insert_all(...)

On PostgreSQL, for a load too small to be worth a file, and past SQLite's limit of attached
files, a table's rows go in as :func:`~mujun.records.bulk.insert_rows` writes them.
"""

import sqlite3
import threading
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import chain
from pathlib import Path

import pyarrow as pa
from sqlalchemy import Connection, Table
from sqlalchemy.exc import DBAPIError

from mujun.records import bulk
from mujun.records.base import quoted, referred_tables
from mujun.records.database import sqlite_driver

STAGED_FROM = 10_000
"""A load of this many rows or more goes through a scratch file; a smaller one is bound row by
row, which costs less than making and attaching a file."""
WRITERS = 2
"""Loads written to scratch files at once. With one, the province's import into an empty file
wrote the records in 11.58 and 11.81 s; with two, the largest load first, 10.90 and 11.24 s
(a 2-core machine, alternating)."""
SCRATCH_PRAGMAS = (
    "PRAGMA page_size = 16384",
    "PRAGMA journal_mode = OFF",
    "PRAGMA synchronous = OFF",
)
"""A scratch file is written once and read once, and lost with the load if anything fails: it
needs no journal and no wait for the disk. The records' page size: 0.4 s less of the 3.3 s
the monthly figures took."""


@dataclass(frozen=True)
class _Rows:
    """A load to be bound row by row into ``table``."""

    table: Table
    batches: Iterator[pa.RecordBatch]


@dataclass(frozen=True)
class _Load:
    """A load taken, into ``table``: its rows being written."""

    table: Table
    written: "Future[_Scratch | _Rows]"

    def refers_to(self, tables: Iterable[Table]) -> bool:
        """Whether the load's table refers to one of ``tables`` (other than itself)."""
        return not referred_tables(self.table).isdisjoint(tables)


@dataclass(frozen=True)
class _Scratch:
    """A load written to a scratch file, to be copied into ``table``."""

    schema: str
    path: Path
    table: Table
    columns: list[str]


class Loading:
    """The loads of one transaction (see :func:`loading`)."""

    def __init__(self, conn: Connection, folder: Path) -> None:
        self._conn = conn
        self._folder = folder
        self._attached: list[_Scratch] = []
        self._files = 0
        self._most_files = 0
        self._counting = threading.Lock()

    def insert_all(self, loads: Iterable[tuple[Table, Iterable[pa.RecordBatch]]]) -> None:
        """Insert each table's rows (columns named as the table's), taken in the order given:
        a table before those that refer to it.

        On SQLite up to :data:`WRITERS` loads are read at once, each by a thread of its own
        that writes it to a scratch file (a load may so be a query that runs when read, on
        a connection of its own). Each is copied into its table once written and once the
        loads before it that it refers to are in: SQLite checks references at commit, but
        a row inserted with its parent still to come makes it look for the row again with
        each parent row inserted, through the whole table where no index leads to it.
        """
        if self._conn.dialect.name != "sqlite":
            for table, batches in loads:
                bulk.insert_rows(self._conn, table, batches)
            return
        self._most_files = sqlite_driver(self._conn).getlimit(sqlite3.SQLITE_LIMIT_ATTACHED)
        pending: list[_Load] = []
        with ThreadPoolExecutor(WRITERS, thread_name_prefix="mujun-load") as writers:
            for table, batches in loads:
                self._insert_written(pending, writing_at_most=WRITERS - 1)
                pending.append(_Load(table, writers.submit(self._written, table, batches)))
            self._insert_written(pending, writing_at_most=0)

    def _insert_written(self, pending: list["_Load"], *, writing_at_most: int) -> None:
        """Insert the loads of ``pending`` written and free to go in (:meth:`insert_all`), in
        order, taking them from ``pending``, until at most ``writing_at_most`` are still
        being written (with none: until every load is in)."""
        while True:
            waiting: list[Table] = []  # the tables of the loads before, not yet in
            for load in [*pending]:
                if load.written.done() and not load.refers_to(waiting):
                    pending.remove(load)
                    self._insert(load.written.result())
                else:
                    waiting.append(load.table)
            writing = [load.written for load in pending if not load.written.done()]
            if len(writing) <= writing_at_most and (writing_at_most or not pending):
                return
            wait(writing, return_when=FIRST_COMPLETED)

    def _insert(self, written: "_Scratch | _Rows") -> None:
        match written:
            case _Scratch() as scratch:
                self._copy(scratch)
            case _Rows(table, batches):
                bulk.insert_rows(self._conn, table, batches)

    def _written(self, table: Table, batches: Iterable[pa.RecordBatch]) -> "_Scratch | _Rows":
        """The rows of a load (in a writer's thread): written to a scratch file if they are
        many and a file can still be attached, else to be bound row by row."""
        rows = iter(batches)
        head, large = _head(rows)
        schema = self._next_file() if large else None
        if schema is None:
            return _Rows(table, chain(head, rows))
        return self._write_scratch(schema, table, chain(head, rows))

    def _next_file(self) -> str | None:
        """The schema of a new scratch file, None if no more can be attached."""
        with self._counting:
            if self._files == self._most_files:
                return None
            self._files += 1
            return _schema(self._files)

    def _write_scratch(
        self, schema: str, table: Table, batches: Iterator[pa.RecordBatch]
    ) -> _Scratch:
        """Write the rows of ``batches`` to a scratch file of their own, to be attached as
        ``schema``, with SQLite's ADBC driver (in the writer's thread)."""
        # Imported here: only a large load into SQLite loads the driver.
        import adbc_driver_manager as adbc  # noqa: PLC0415
        import adbc_driver_sqlite  # noqa: PLC0415

        scratch_path = self._path(schema)
        first = bulk.as_stored(next(batches))
        reader = pa.RecordBatchReader.from_batches(
            first.schema, chain([first], map(bulk.as_stored, batches))
        )
        with (
            adbc_driver_sqlite.connect(str(scratch_path)) as database,
            adbc.AdbcConnection(database) as connection,
        ):
            for pragma in SCRATCH_PRAGMAS:
                with adbc.AdbcStatement(connection) as statement:
                    statement.set_sql_query(pragma)
                    statement.execute_query()
            with adbc.AdbcStatement(connection) as statement:
                statement.set_options(
                    **{
                        adbc.StatementOptions.INGEST_TARGET_TABLE.value: "rows",
                        adbc.StatementOptions.INGEST_MODE.value: adbc.INGEST_OPTION_MODE_CREATE,
                    }
                )
                statement.bind_stream(reader)
                statement.execute_update()
        return _Scratch(schema, scratch_path, table, first.schema.names)

    def _copy(self, scratch: _Scratch) -> None:
        """Attach the scratch file and copy its rows into their table."""
        self._conn.exec_driver_sql(f"ATTACH DATABASE ? AS {scratch.schema}", (str(scratch.path),))
        self._attached.append(scratch)
        names = ", ".join(quoted(self._conn, name) for name in scratch.columns)
        self._conn.exec_driver_sql(
            f"INSERT INTO main.{quoted(self._conn, scratch.table.name)} ({names}) "
            f"SELECT {names} FROM {scratch.schema}.rows"
        )

    def _path(self, schema: str) -> Path:
        return self._folder / f"{schema}.sqlite"

    def close(self) -> None:
        """Detach the scratch files and delete them, and those written but never attached (a
        later load failed first); the caller's transaction has ended. A connection that cannot
        detach one (a transaction still reading it) is discarded rather than returned to the
        pool with the file attached."""
        try:
            while self._attached:
                scratch = self._attached.pop()
                self._conn.exec_driver_sql(f"DETACH DATABASE {scratch.schema}")
                scratch.path.unlink()
        except DBAPIError:
            self._conn.invalidate()
            raise
        for number in range(1, self._files + 1):
            self._path(_schema(number)).unlink(missing_ok=True)


def _schema(number: int) -> str:
    """The name the load's scratch file numbered ``number`` is attached under."""
    return f"load_{number}"


def _head(rows: Iterator[pa.RecordBatch]) -> tuple[list[pa.RecordBatch], bool]:
    """The first batches of ``rows``, taken until they hold :data:`STAGED_FROM` rows or
    ``rows`` ends; and whether they do."""
    head: list[pa.RecordBatch] = []
    count = 0
    while count < STAGED_FROM:
        batch = next(rows, None)
        if batch is None:
            return head, False
        head.append(batch)
        count += batch.num_rows
    return head, True


@contextmanager
def loading(conn: Connection, folder: Path) -> Iterator[Loading]:
    """The loads of the transaction this context encloses on ``conn``; scratch files go in
    ``folder``, a folder of the caller's own."""
    load = Loading(conn, folder)
    try:
        yield load
    finally:
        load.close()
