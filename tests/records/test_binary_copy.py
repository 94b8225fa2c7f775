"""PostgreSQL's binary COPY keeps every value of every type the records write in bulk."""

import datetime as dt
import math
import subprocess
import sys

import pyarrow as pa
import pytest
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Engine,
    Float,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    text,
)

from mujun.records import binary_copy, bulk

ON_POSTGRESQL = pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
"""Only PostgreSQL takes a binary COPY."""
UTC = dt.UTC
EVERY_TYPE = Table(
    "every_type",
    MetaData(),
    Column("row", Integer, primary_key=True),
    Column("flag", Boolean),
    Column("count", Integer),
    Column("big", BigInteger),
    Column("amount", Float),
    Column("day", Date),
    Column("at", DateTime(timezone=True)),
    Column("code", String(18)),
    Column("note", Text),
    Column("document", JSON),
    prefixes=["TEMPORARY"],
    postgresql_on_commit="DROP",
)


@ON_POSTGRESQL
def test_every_type_and_null_goes_in_as_it_was(engine: Engine) -> None:
    rows = pa.table(
        {
            "row": [1, 2, 3, 4],
            "flag": [True, False, None, True],
            "count": [0, -(2**31), 2**31 - 1, None],
            "big": [2**53 + 1, -1, None, 0],
            "amount": [13333.333333333334, -0.1, None, 1e300],
            "day": [dt.date(2000, 1, 1), dt.date(1999, 12, 31), None, dt.date(2024, 2, 29)],
            "at": [
                dt.datetime(2000, 1, 1, tzinfo=UTC),
                dt.datetime(1969, 7, 20, 20, 17, 40, 123456, tzinfo=UTC),
                None,
                dt.datetime(2025, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
            ],
            "code": ["91330122MA0000000X", "", None, 'a"b,c\nd'],
            "note": ["亩均论英雄", "\\N", None, "\t tab"],
            "document": ['{"idle_days": 400}', "[]", None, '"文字"'],
        },
        schema=bulk.arrow_schema(EVERY_TYPE),
    )
    with engine.begin() as conn:
        EVERY_TYPE.create(conn)
        assert bulk.insert_rows(conn, EVERY_TYPE, rows.to_batches(max_chunksize=3)) == 4
        back = bulk.read_rows(conn, EVERY_TYPE).sort_by("row")
    assert back.to_pylist() == rows.to_pylist()


def test_values_are_cast_to_the_columns_types() -> None:
    """Numbers that arrive wider or narrower than their column, and times without a zone
    (taken as UTC), go in as the column keeps them."""
    batch = pa.record_batch(
        {
            "count": pa.array([7, None], pa.int64()),
            "amount": pa.array([2, 3], pa.int32()),
            "at": pa.array([dt.datetime(2000, 1, 1, 0, 0, 1), None], pa.timestamp("s")),
            "day": pa.array(["2000-01-02", None]),
        }
    )
    encoded = bytes(binary_copy.encoded_rows(batch, ["int4", "float8", "timestamptz", "date"]))
    count, field = b"\x00\x04", b"\x00\x00\x00"
    assert encoded == (
        count
        + (field + b"\x04" + (7).to_bytes(4, "big"))
        + (field + b"\x08" + bytes.fromhex("4000000000000000"))
        + (field + b"\x08" + (1_000_000).to_bytes(8, "big"))
        + (field + b"\x04" + (1).to_bytes(4, "big"))
        + count
        + b"\xff\xff\xff\xff"
        + (field + b"\x08" + bytes.fromhex("4008000000000000"))
        + b"\xff\xff\xff\xff" * 2
    )


def test_a_batch_of_no_rows_is_no_bytes() -> None:
    empty = pa.record_batch({"count": pa.array([], pa.int64())})
    assert bytes(binary_copy.encoded_rows(empty, ["int4"])) == b""


@ON_POSTGRESQL
def test_a_type_it_cannot_encode_is_refused_before_anything_is_sent(engine: Engine) -> None:
    priced = Table(
        "priced",
        MetaData(),
        Column("price", Numeric(12, 2)),
        prefixes=["TEMPORARY"],
        postgresql_on_commit="DROP",
    )
    with engine.begin() as conn:
        priced.create(conn)
        with pytest.raises(TypeError, match="no binary COPY encoding for numeric"):
            bulk.insert_rows(conn, priced, [pa.record_batch({"price": [1.5]})])
        assert conn.execute(text("SELECT count(*) FROM priced")).scalar_one() == 0


@ON_POSTGRESQL
def test_not_a_number_goes_in_as_itself(engine: Engine) -> None:
    with engine.begin() as conn:
        EVERY_TYPE.create(conn)
        bulk.insert_rows(conn, EVERY_TYPE, [pa.record_batch({"row": [1], "amount": [math.nan]})])
        assert math.isnan(conn.execute(text("SELECT amount FROM every_type")).scalar_one())


@ON_POSTGRESQL
def test_a_column_the_table_lacks_is_named(engine: Engine) -> None:
    with engine.begin() as conn:
        EVERY_TYPE.create(conn)
        with pytest.raises(KeyError, match="every_type has no column colour"):
            bulk.insert_rows(conn, EVERY_TYPE, [pa.record_batch({"row": [1], "colour": ["红"]})])


def test_encoding_never_loads_pandas() -> None:
    """A kept run on PostgreSQL encodes its rows without pandas (:mod:`mujun.arrays`)."""
    script = (
        "import sys, duckdb\n"
        "from mujun.records import binary_copy\n"
        "rows = duckdb.sql(\"SELECT * FROM (VALUES (1, 2.5, true, DATE '2024-01-02', "
        "TIMESTAMPTZ '2024-01-02 00:00:00+00', 'x', 5::BIGINT), "
        '(NULL, NULL, NULL, NULL, NULL, NULL, NULL))").to_arrow_table()\n'
        "types = ['int4', 'float8', 'bool', 'date', 'timestamptz', 'varchar', 'int8']\n"
        "for batch in rows.to_batches():\n"
        "    assert binary_copy.encoded_rows(batch, types)\n"
        "print('pandas' in sys.modules)"
    )
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert run.stdout.split() == ["False"]
