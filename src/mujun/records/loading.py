"""Large loads into the records inside the caller's transaction, with SQLite's values bound in C.

Python's ``sqlite3`` binds every value of every row through the interpreter: the province's
4,802,724 monthly figures took 13.6 s to ``executemany`` into their table. SQLite's ADBC
driver binds Arrow columns in C: it wrote them into a scratch file of their own in 3.3 s, and
one ``INSERT … SELECT`` from that file, attached to the caller's connection, copied them into
the records in 3.4 s. The copy runs in the caller's transaction, so the rows commit or roll
back with the rest of its work, as they do when bound row by row. While one load is copied
from its file, the next is written to a file of its own by a thread (each library leaves the
interpreter while it works). The province's import into an empty SQLite file went from
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
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import chain
from pathlib import Path

import pyarrow as pa
from sqlalchemy import Connection, Table
from sqlalchemy.exc import DBAPIError

from mujun.records import bulk
from mujun.records.base import quoted

STAGED_FROM = 10_000
"""A load of this many rows or more goes through a scratch file; a smaller one is bound row by
row, which costs less than making and attaching a file."""
SCRATCH_PRAGMAS = (
    "PRAGMA page_size = 16384",
    "PRAGMA journal_mode = OFF",
    "PRAGMA synchronous = OFF",
)
"""A scratch file is written once and read once, and lost with the load if anything fails: it
needs no journal and no wait for the disk. The records' page size: 0.4 s less of the 3.3 s
the monthly figures took."""


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

    def insert_all(self, loads: Iterable[tuple[Table, Iterable[pa.RecordBatch]]]) -> None:
        """Insert each table's rows (columns named as the table's), in the order given.

        A load is taken only once the one before it is written (to its table or its scratch
        file), so each may be a query that runs when read, on a connection that serves one
        thread at a time. On SQLite references are checked at commit, so the order in which
        the tables fill does not matter there.
        """
        if self._conn.dialect.name != "sqlite":
            for table, batches in loads:
                bulk.insert_rows(self._conn, table, batches)
            return
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="mujun-load") as writer:
            written: _Scratch | None = None
            for table, batches in loads:
                rows = iter(batches)
                head, large = _head(rows)
                if not large or not self._free_slots(written):
                    bulk.insert_rows(self._conn, table, chain(head, rows))
                    continue
                self._files += 1
                writing = writer.submit(
                    self._write_scratch, _schema(self._files), table, chain(head, rows)
                )
                if written is not None:
                    self._copy(written)
                written = writing.result()
            if written is not None:
                self._copy(written)

    def _free_slots(self, pending: _Scratch | None) -> bool:
        """Whether another scratch file can be attached besides those attached and
        ``pending``."""
        dbapi = self._conn.connection.dbapi_connection
        assert isinstance(dbapi, sqlite3.Connection)
        in_use = len(self._attached) + (pending is not None)
        return in_use < dbapi.getlimit(sqlite3.SQLITE_LIMIT_ATTACHED)

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
