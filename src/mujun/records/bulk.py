"""Many rows between the records database and Arrow, inside the caller's transaction.

Imports and exports move millions of rows; going through ORM objects would take minutes. These
functions speak each database's fast path on the connection the caller holds, so everything
they write commits or rolls back with the rest of the caller's work: SQLite gets ``executemany``,
PostgreSQL gets ``COPY`` in CSV form.
"""

import io
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
from sqlalchemy import (
    JSON,
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
    func,
    select,
    update,
)
from sqlalchemy.types import TypeEngine

BATCH_ROWS = 50_000
# SQLAlchemy's storage format for DateTime on SQLite; pyarrow's %S carries the microseconds.
_SQLITE_DATETIME = "%Y-%m-%d %H:%M:%S"


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
        case JSON():
            return pa.string()  # JSON text
        case _:
            return pa.string()


def arrow_schema(table: Table, columns: Sequence[str] | None = None) -> pa.Schema:
    names = columns or [c.name for c in table.columns]
    return pa.schema([(name, arrow_type(table.c[name].type)) for name in names])


def count_rows(conn: Connection, table: Table) -> int:
    return conn.execute(select(func.count()).select_from(table)).scalar_one()


# -- reading ----------------------------------------------------------------------------------


def read_rows(conn: Connection, table: Table, columns: Sequence[str] | None = None) -> pa.Table:
    """Every row of ``table`` (the named columns, or all) as an Arrow table of canonical types."""
    schema = arrow_schema(table, columns)
    if conn.dialect.name == "postgresql":
        return _read_postgresql(conn, table, schema)
    return _read_dbapi(conn, table, schema)


def _read_dbapi(conn: Connection, table: Table, schema: pa.Schema) -> pa.Table:
    query = select(*(table.c[name] for name in schema.names))
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    compiled = query.compile(conn)
    cursor.execute(str(compiled), compiled.params)
    batches = []
    while rows := cursor.fetchmany(BATCH_ROWS):
        columns = list(zip(*rows, strict=True))
        batches.append(
            pa.record_batch(
                [_from_stored(values, f.type) for values, f in zip(columns, schema, strict=True)],
                schema=schema,
            )
        )
    cursor.close()
    return pa.Table.from_batches(batches, schema=schema)


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


def _read_postgresql(conn: Connection, table: Table, schema: pa.Schema) -> pa.Table:
    columns = ", ".join(_quote(conn, name) for name in schema.names)
    buffer = io.BytesIO()
    with _driver(conn).cursor() as cursor:
        copy_sql = f"COPY (SELECT {columns} FROM {_quote(conn, table.name)}) TO STDOUT (FORMAT csv)"
        with cursor.copy(copy_sql) as copy:
            for chunk in copy:
                buffer.write(chunk)
    if not buffer.tell():
        return schema.empty_table()
    buffer.seek(0)
    return pa_csv.read_csv(
        buffer,
        read_options=pa_csv.ReadOptions(column_names=schema.names),
        convert_options=pa_csv.ConvertOptions(
            column_types=schema,
            true_values=["t"],
            false_values=["f"],
            strings_can_be_null=True,
            quoted_strings_can_be_null=False,
        ),
    )


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
        names = ", ".join(_quote(conn, name) for name in batch.schema.names)
        marks = ", ".join("?" for _ in batch.schema.names)
        columns = [_to_stored(column).to_pylist() for column in batch.columns]
        cursor.executemany(
            f"INSERT INTO {_quote(conn, table.name)} ({names}) VALUES ({marks})",
            list(zip(*columns, strict=True)),
        )
        written += batch.num_rows
    cursor.close()
    return written


def _to_stored(column: pa.Array) -> pa.Array:
    if pa.types.is_date32(column.type):
        return column.cast(pa.string())
    if pa.types.is_timestamp(column.type):
        return pc.strftime(column, _SQLITE_DATETIME)
    return column


def _copy_into(conn: Connection, table: Table, batches: Iterable[pa.RecordBatch]) -> int:
    written = 0
    with _driver(conn).cursor() as cursor:
        for batch in batches:
            if not batch.num_rows:
                continue
            names = ", ".join(_quote(conn, name) for name in batch.schema.names)
            buffer = io.BytesIO()
            pa_csv.write_csv(batch, buffer, pa_csv.WriteOptions(include_header=False))
            copy_sql = f"COPY {_quote(conn, table.name)} ({names}) FROM STDIN (FORMAT csv)"
            with cursor.copy(copy_sql) as copy:
                copy.write(buffer.getvalue())
            written += batch.num_rows
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
    stage = Table(
        f"stage_{table.name}",
        MetaData(),
        *(Column(name, table.c[name].type, primary_key=name in key) for name in names),
        prefixes=["TEMPORARY"],
    )
    stage.create(conn)
    staged = insert_rows(conn, stage, _chain(first, batch_iter))
    conn.execute(
        update(table)
        .values({name: stage.c[name] for name in names if name not in key})
        .where(and_(*(table.c[k] == stage.c[k] for k in key)))
    )
    stage.drop(conn)
    return staged


def _chain(first: pa.RecordBatch, rest: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    yield first
    yield from rest


def _driver(conn: Connection) -> Any:
    return conn.connection.driver_connection


def _quote(conn: Connection, name: str) -> str:
    return conn.dialect.identifier_preparer.quote(name)
