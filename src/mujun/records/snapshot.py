"""Several tables read at once as Arrow, from one consistent snapshot of the records database.

Analytics read millions of rows; SQLAlchemy's row objects would take most of a minute at the
province's size. ADBC drivers return Arrow directly (SQLite's and PostgreSQL's, both on PyPI).
All tables are read in one transaction (REPEATABLE READ on PostgreSQL), so an import that
commits meanwhile is either wholly seen or not at all.

SQLite's ADBC driver carries its own copy of the SQLite library. Two copies in one process
must not open the same database file: closing a file in one drops the POSIX locks the other
holds (SQLite's "How To Corrupt" §2.2.1), and here it showed as "disk I/O error". So SQLite is
read by a child process that writes each table as an Arrow file in a temporary folder. The
child runs :data:`EXPORT_SQLITE`, which imports ADBC's driver manager and PyArrow and nothing
else (neither this package nor ADBC's DB-API layer, which imports pandas): its start-up is
part of every run.

The driver infers each column's Arrow type from its first rows, and a column whose first rows
are all empty would then be typed wrongly; each query therefore starts with one marker row
holding a value of every column's stored type, dropped after reading. Values are then cast to
the types :func:`~mujun.records.bulk.arrow_schema` declares (SQLite keeps dates as text and
booleans as integers).
"""

import json
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import closing
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Boolean, Date, DateTime, Engine, Float, Integer, Table

from mujun.records.bulk import arrow_schema

MARKER = "_snapshot_marker"


def read_snapshot(
    engine: Engine, tables: Sequence[tuple[Table, Sequence[str]]]
) -> Iterator[tuple[str, pa.RecordBatchReader]]:
    """Each table's ``columns`` as a stream of Arrow batches, all from one snapshot: read each
    stream before taking the next (a province's monthly figures need not be in memory at
    once)."""
    if engine.dialect.name == "postgresql":
        yield from _read_postgresql(engine, tables)
    else:
        yield from _read_sqlite(engine, tables)


def _read_postgresql(
    engine: Engine, tables: Sequence[tuple[Table, Sequence[str]]]
) -> Iterator[tuple[str, pa.RecordBatchReader]]:
    import adbc_driver_postgresql.dbapi as adbc_postgresql  # noqa: PLC0415 (imports pandas)

    uri = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with adbc_postgresql.connect(uri) as conn, closing(conn.cursor()) as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        for table, columns in tables:
            cursor.execute(f"SELECT {_names(columns)} FROM {_quoted(table.name)}")
            yield table.name, _conformed(cursor.fetch_record_batch(), table, columns)
        conn.rollback()


def _read_sqlite(
    engine: Engine, tables: Sequence[tuple[Table, Sequence[str]]]
) -> Iterator[tuple[str, pa.RecordBatchReader]]:
    queries = {table.name: _sqlite_query(table, columns) for table, columns in tables}
    with tempfile.TemporaryDirectory(prefix="mujun-snapshot-") as folder:
        child = subprocess.run(
            [sys.executable, "-c", EXPORT_SQLITE, engine.url.database or "", folder],
            input=json.dumps(queries),
            capture_output=True,
            text=True,
            check=False,
        )
        if child.returncode != 0:
            lines = child.stderr.strip().splitlines() or ["no message"]
            raise RuntimeError(f"reading the SQLite database failed: {lines[-1]}")
        for table, columns in tables:
            with pa.memory_map(str(Path(folder) / f"{table.name}.arrow")) as source:
                read = pa.ipc.open_file(source)
                batches = (
                    _unmarked(read.get_batch(i), columns) for i in range(read.num_record_batches)
                )
                yield (
                    table.name,
                    _conformed(
                        pa.RecordBatchReader.from_batches(
                            _unmarked_schema(read.schema, columns), batches
                        ),
                        table,
                        columns,
                    ),
                )


def _sqlite_query(table: Table, columns: Sequence[str]) -> str:
    markers = ", ".join(_marker_value(table.c[c].type) for c in columns)
    return (
        f"SELECT 1 AS {MARKER}, {markers} "
        f"UNION ALL SELECT 0, {_names(columns)} FROM {_quoted(table.name)}"
    )


EXPORT_SQLITE = """
import json, sys
import adbc_driver_manager as adbc
import adbc_driver_sqlite
import pyarrow as pa
path, folder = sys.argv[1], sys.argv[2]
queries = json.loads(sys.stdin.read())
database = adbc_driver_sqlite.connect(path)
conn = adbc.AdbcConnection(database)
conn.set_autocommit(False)  # every query in one read transaction
for name, query in queries.items():
    statement = adbc.AdbcStatement(conn)
    statement.set_sql_query(query)
    stream, _ = statement.execute_query()
    reader = pa.RecordBatchReader._import_from_c(stream.address)
    with pa.OSFile(f"{folder}/{name}.arrow", "wb") as sink:
        with pa.ipc.new_file(sink, reader.schema) as writer:
            for batch in reader:
                writer.write_batch(batch)
    statement.close()
conn.rollback()
conn.close()
database.close()
"""
"""In the child: run each query (a JSON object of name → SQL on stdin) in one read
transaction of the database file ``argv[1]``, and write ``<argv[2]>/<name>.arrow``."""


def _marker_value(sql_type: Any) -> str:
    match sql_type:
        case Boolean() | Integer():
            return "0"
        case Float():
            return "0.0"
        case Date() | DateTime():
            return "''"
        case _:
            return "''"


def _unmarked(batch: pa.RecordBatch, columns: Sequence[str]) -> pa.RecordBatch:
    """The batch without the marker row and column, its columns named as the table's."""
    kept = batch.filter(pc.equal(batch.column(MARKER), 0)).drop_columns([MARKER])
    return kept.rename_columns(list(columns))


def _unmarked_schema(schema: pa.Schema, columns: Sequence[str]) -> pa.Schema:
    fields = [f for f in schema if f.name != MARKER]
    return pa.schema([f.with_name(name) for f, name in zip(fields, columns, strict=True)])


def _conformed(
    read: pa.RecordBatchReader, table: Table, columns: Sequence[str]
) -> pa.RecordBatchReader:
    """The batches of ``read`` in the types the records declare, one batch at a time."""
    schema = arrow_schema(table, columns)

    def cast(batch: pa.RecordBatch) -> pa.RecordBatch:
        arrays = [_cast(batch.column(i), field.type) for i, field in enumerate(schema)]
        return pa.RecordBatch.from_arrays(arrays, schema=schema)

    return pa.RecordBatchReader.from_batches(schema, (cast(batch) for batch in read))


def _cast(column: pa.Array, target: pa.DataType) -> pa.Array:
    if column.type == target:
        return column
    if pa.types.is_boolean(target) and pa.types.is_integer(column.type):
        return pc.not_equal(column, 0)
    return column.cast(target)


def _names(columns: Sequence[str]) -> str:
    return ", ".join(_quoted(c) for c in columns)


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
