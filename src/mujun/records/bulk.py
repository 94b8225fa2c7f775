"""Many rows between the records database and Arrow, inside the caller's transaction.

Imports and exports move millions of rows; going through ORM objects would take minutes. These
functions speak each database's fast path on the connection the caller holds, so everything
they write commits or rolls back with the rest of the caller's work: SQLite gets ``executemany``,
PostgreSQL gets ``COPY`` in its binary form.
"""

import io
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Date,
    DateTime,
    Float,
    Integer,
    MetaData,
    Table,
    and_,
    delete,
    exists,
    func,
    select,
    update,
)
from sqlalchemy.schema import AddConstraint, DropConstraint
from sqlalchemy.types import TypeEngine

from mujun.records import binary_copy
from mujun.records.base import quoted
from mujun.records.database import ddl_in_transaction

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer, WriteableBuffer

BATCH_ROWS = 50_000


def arrow_type(sql_type: TypeEngine[Any]) -> pa.DataType:
    """The Arrow type a records column travels as."""
    match sql_type:
        case Boolean():
            return pa.bool_()
        case Integer():
            return pa.int64()
        case Float():
            return pa.float64()
        case DateTime():
            return pa.timestamp("us", tz="UTC")
        case Date():
            return pa.date32()
        case _:  # String, Text, and JSON as its text
            return pa.string()


def arrow_schema(table: Table, columns: Sequence[str] | None = None) -> pa.Schema:
    names = columns or [c.name for c in table.columns]
    return pa.schema([(name, arrow_type(table.c[name].type)) for name in names])


def count_rows(conn: Connection, table: Table) -> int:
    return conn.execute(select(func.count()).select_from(table)).scalar_one()


# -- reading ----------------------------------------------------------------------------------


def read_rows(conn: Connection, table: Table, columns: Sequence[str] | None = None) -> pa.Table:
    """Every row of ``table`` (the named columns, or all) as an Arrow table of canonical types."""
    return stream_rows(conn, table, columns).read_all()


def stream_rows(
    conn: Connection, table: Table, columns: Sequence[str] | None = None
) -> pa.RecordBatchReader:
    """Every row of ``table`` in batches, so that a large table need not fit in memory twice.

    Read the batches before using ``conn`` for anything else.
    """
    schema = arrow_schema(table, columns)
    read = _stream_postgresql if conn.dialect.name == "postgresql" else _stream_dbapi
    return pa.RecordBatchReader.from_batches(schema, read(conn, table, schema))


def _stream_dbapi(conn: Connection, table: Table, schema: pa.Schema) -> Iterator[pa.RecordBatch]:
    query = select(*(table.c[name] for name in schema.names)).compile(conn)
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(str(query), query.params)
        while rows := cursor.fetchmany(BATCH_ROWS):
            columns = zip(*rows, strict=True)
            yield pa.record_batch(
                [_from_stored(values, f.type) for values, f in zip(columns, schema, strict=True)],
                schema=schema,
            )
    finally:
        cursor.close()


def _from_stored(values: Sequence[Any], target: pa.DataType) -> pa.Array:
    """SQLite keeps dates and datetimes as text and booleans as 0/1."""
    if pa.types.is_date32(target):
        return pa.array(values, pa.string()).cast(target)
    if pa.types.is_timestamp(target):
        naive = pa.array(values, pa.string()).cast(pa.timestamp(target.unit))
        return pc.assume_timezone(naive, "UTC")
    if pa.types.is_boolean(target):
        return pa.array(values, pa.int64()).cast(target)
    return pa.array(values, target)


def _stream_postgresql(
    conn: Connection, table: Table, schema: pa.Schema
) -> Iterator[pa.RecordBatch]:
    """``COPY … TO STDOUT`` read by Arrow's CSV reader as the bytes arrive."""
    columns = ", ".join(quoted(conn, name) for name in schema.names)
    copy_sql = f"COPY (SELECT {columns} FROM {quoted(conn, table.name)}) TO STDOUT (FORMAT csv)"
    with _driver(conn).cursor() as cursor, cursor.copy(copy_sql) as copy:
        chunks = iter(copy)
        first = next(chunks, None)
        if first is None:
            return
        reader = pa_csv.open_csv(
            io.BufferedReader(_ChunkStream(first, chunks)),
            read_options=pa_csv.ReadOptions(column_names=schema.names),
            convert_options=pa_csv.ConvertOptions(
                column_types=schema,
                true_values=["t"],
                false_values=["f"],
                strings_can_be_null=True,
                quoted_strings_can_be_null=False,
            ),
        )
        for batch in reader:
            yield batch.cast(schema) if batch.schema != schema else batch


class _ChunkStream(io.RawIOBase):
    """A readable stream over the chunks of a COPY."""

    def __init__(self, first: "ReadableBuffer", rest: Iterator["ReadableBuffer"]) -> None:
        self._pending = memoryview(first)
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, target: "WriteableBuffer") -> int:
        while not self._pending:
            chunk = next(self._rest, None)
            if chunk is None:
                return 0
            self._pending = memoryview(chunk)
        out = memoryview(target)
        size = min(len(out), len(self._pending))
        out[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


# -- writing ----------------------------------------------------------------------------------


def insert_rows(conn: Connection, table: Table, batches: Iterable[pa.RecordBatch]) -> int:
    """Insert every row of ``batches`` (columns named as the table's) and return the count."""
    if conn.dialect.name == "postgresql":
        return _copy_into(conn, table, batches)
    return _executemany_into(conn, table, batches)


def _executemany_into(conn: Connection, table: Table, batches: Iterable[pa.RecordBatch]) -> int:
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    written = 0
    for batch in batches:
        if not batch.num_rows:
            continue
        names = ", ".join(quoted(conn, name) for name in batch.schema.names)
        marks = ", ".join("?" for _ in batch.schema.names)
        columns = [column.to_pylist() for column in as_stored(batch).columns]
        cursor.executemany(
            f"INSERT INTO {quoted(conn, table.name)} ({names}) VALUES ({marks})",
            list(zip(*columns, strict=True)),
        )
        written += batch.num_rows
    cursor.close()
    return written


def as_stored(batch: pa.RecordBatch) -> pa.RecordBatch:
    """``batch`` with its dates and times as the text SQLite keeps them as."""
    return pa.RecordBatch.from_arrays(
        [_to_stored(column) for column in batch.columns], names=batch.schema.names
    )


def _to_stored(column: pa.Array) -> pa.Array:
    if pa.types.is_date32(column.type):
        return column.cast(pa.string())
    if pa.types.is_timestamp(column.type):
        # "YYYY-MM-DD HH:MM:SS.ffffff" in UTC, SQLAlchemy's storage format on SQLite.
        return column.cast(pa.timestamp("us")).cast(pa.string())
    return column


def _copy_into(conn: Connection, table: Table, batches: Iterable[pa.RecordBatch]) -> int:
    """One binary COPY for all batches (:mod:`~mujun.records.binary_copy`); a writer thread
    sends while the next batch is encoded."""
    # Imported here: PostgreSQL's driver takes a fifth of a second to import, which a command
    # on an SQLite file need not wait for.
    from psycopg.copy import QueuedLibpqWriter  # noqa: PLC0415

    batch_iter = iter(batches)
    first = next(batch_iter, None)
    if first is None:
        return 0
    target = quoted(conn, table.name)
    types = binary_copy.column_types(conn, target, first.schema.names)
    names = ", ".join(quoted(conn, name) for name in first.schema.names)
    written = 0
    with (
        _driver(conn).cursor() as cursor,
        cursor.copy(
            f"COPY {target} ({names}) FROM STDIN (FORMAT binary)",
            writer=QueuedLibpqWriter(cursor),
        ) as copy,
    ):
        copy.write(binary_copy.SIGNATURE)
        for batch in _chain(first, batch_iter):
            copy.write(binary_copy.encoded_rows(batch, types))
            written += batch.num_rows
        copy.write(binary_copy.TRAILER)
    return written


def update_rows(
    conn: Connection, table: Table, batches: Iterable[pa.RecordBatch], *, key: Sequence[str]
) -> int:
    """Set the non-key columns of the rows named by ``key`` to the values in ``batches``."""
    batch_iter = iter(batches)
    first = next(batch_iter, None)
    if first is None:
        return 0
    names = first.schema.names
    with _staged(conn, table, _chain(first, batch_iter), key=key) as (stage, staged):
        conn.execute(
            update(table)
            .values({name: stage.c[name] for name in names if name not in key})
            .where(and_(*(table.c[k] == stage.c[k] for k in key)))
        )
    return staged


def delete_rows(
    conn: Connection, table: Table, batches: Iterable[pa.RecordBatch], *, key: Sequence[str]
) -> int:
    """Delete the rows named by ``key`` in ``batches`` (which hold the key columns alone)."""
    batch_iter = iter(batches)
    first = next(batch_iter, None)
    if first is None:
        return 0
    with _staged(conn, table, _chain(first, batch_iter), key=key) as (stage, staged):
        conn.execute(
            delete(table).where(exists().where(and_(*(table.c[k] == stage.c[k] for k in key))))
        )
    return staged


@contextmanager
def _staged(
    conn: Connection, table: Table, batches: Iterator[pa.RecordBatch], *, key: Sequence[str]
) -> Iterator[tuple[Table, int]]:
    """The rows of ``batches`` in a temporary table shaped as ``table``'s columns (and how
    many), dropped afterwards."""
    first = next(batches)
    stage = Table(
        f"stage_{table.name}",
        MetaData(),
        *(Column(name, table.c[name].type, primary_key=name in key) for name in first.schema.names),
        prefixes=["TEMPORARY"],
    )
    stage.create(conn)
    staged = insert_rows(conn, stage, _chain(first, batches))
    yield stage, staged
    stage.drop(conn)


@contextmanager
def references_checked_at_end(conn: Connection, tables: Sequence[Table]) -> Iterator[None]:
    """Around a large load into PostgreSQL: drop the tables' foreign keys, and add them back
    when the load is done, which checks every row in one set-based pass instead of one
    trigger call per row ("Populating a Database" in PostgreSQL's manual recommends this).

    DDL is transactional there, so a failure anywhere restores the keys with everything else.
    The models are left as they were: a table created after (a new database's,
    :func:`~mujun.records.database.upgrade`) still declares the keys in its ``CREATE TABLE``.
    The keys are dropped under an exclusive lock held to the end of the transaction: use this
    for loads big enough that readers waiting is the lesser cost. SQLite checks keys cheaply
    and cannot drop them, so there it does nothing.
    """
    constraints = (
        [fk for table in tables for fk in table.foreign_key_constraints]
        if conn.dialect.name == "postgresql"
        else []
    )
    for constraint in constraints:
        conn.execute(DropConstraint(constraint))
    yield
    for constraint in constraints:
        conn.execute(AddConstraint(constraint, isolate_from_table=False))


@contextmanager
def indexes_built_at_end(conn: Connection, tables: Sequence[Table]) -> Iterator[None]:
    """Around a load that makes up most of its tables: drop their secondary indexes, and
    create them again when the load is done. An index built from all its rows sorts them
    once and fills its pages in order; one kept during the load puts each new row's entry
    at its own place in the tree ("Populating a Database" in PostgreSQL's manual recommends
    this; SQLite builds an index by sorting too).

    On PostgreSQL so is the primary key of a table no other table refers to: its index is
    built once too, and the key checked then (a ``COPY`` of the province's 4.8 million monthly
    figures took 14.1-16.3 s with the key, 10.2-12.3 s without it and the key added after).
    Unique indexes stay, and keys that other tables refer to (SQLite can drop neither).

    DDL is transactional in both databases, so a failure anywhere restores the indexes with
    everything else. On PostgreSQL the indexes are dropped under an exclusive lock held to
    the end of the transaction, and an index cannot be built on a table with deferred
    reference checks pending: use it inside :func:`references_checked_at_end` of the same
    tables.
    """
    indexes = [index for table in tables for index in table.indexes if not index.unique]
    keys = (
        [table.primary_key for table in tables if not _referred_to(table)]
        if conn.dialect.name == "postgresql"
        else []
    )
    if indexes:
        ddl_in_transaction(conn)
    for index in indexes:
        index.drop(conn)
    for key in keys:
        conn.execute(DropConstraint(key))
    yield
    for key in keys:
        conn.execute(AddConstraint(key, isolate_from_table=False))
    for index in indexes:
        index.create(conn)


def _referred_to(table: Table) -> bool:
    """Whether a foreign key of the table's metadata refers to ``table``."""
    return any(
        key.column.table is table
        for other in table.metadata.tables.values()
        for key in other.foreign_keys
    )


def analyze(conn: Connection, tables: Sequence[Table]) -> None:
    """Refresh PostgreSQL's statistics of tables just loaded in bulk, so that the queries
    after a large import are planned on what the tables now hold (autovacuum would get to it
    only later). SQLite plans without them."""
    if conn.dialect.name == "postgresql":
        for table in tables:
            conn.exec_driver_sql(f"ANALYZE {quoted(conn, table.name)}")


def _chain(first: pa.RecordBatch, rest: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    yield first
    yield from rest


def _driver(conn: Connection) -> Any:
    return conn.connection.driver_connection
