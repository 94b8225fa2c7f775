"""Large loads keep every value as a row-by-row insert would, and commit or roll back with
the caller's transaction, on both databases."""

import datetime as dt
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pytest
from sqlalchemy import Connection, Engine, Table, func, select
from sqlalchemy.exc import OperationalError

from mujun.records import Change, Jurisdiction, Parcel, bulk
from mujun.records.loading import STAGED_FROM, loading

ROWS = STAGED_FROM + 7


def _table(model: type) -> Table:
    table = model.__table__  # type: ignore[attr-defined]
    assert isinstance(table, Table)
    return table


PARCEL_COLUMNS = ["parcel_id", "area_m2", "supply_date", "planning_adjustment", "geometry_wkt"]


def _parcels(keys: list[str]) -> pa.Table:
    """Parcels with every kind of value: floats, dates, booleans, empty values, awkward text."""
    count = len(keys)
    return pa.table(
        {
            "parcel_id": keys,
            "area_m2": [13333.333333333334 + i for i in range(count)],
            "supply_date": [
                None if i % 5 == 0 else dt.date(2020, 2, 29) + dt.timedelta(days=i)
                for i in range(count)
            ],
            "planning_adjustment": [(True, False, None)[i % 3] for i in range(count)],
            "geometry_wkt": [
                ("POLYGON ((119 29, 119.1 29, 119.1 29.1, 119 29))", None, "", '甲"乙,\n丙')[i % 4]
                for i in range(count)
            ],
        },
        schema=bulk.arrow_schema(_table(Parcel), PARCEL_COLUMNS),
    )


def _changes(count: int, prefix: str = "P") -> pa.Table:
    return pa.table(
        {
            "changed_at": [
                dt.datetime(2026, 12, 6, 19, 30, tzinfo=dt.UTC) + dt.timedelta(microseconds=i)
                for i in range(count)
            ],
            "actor": ["张三"] * count,
            "table_name": ["parcels"] * count,
            "object_key": [f"{prefix}{i:05d}" for i in range(count)],
            "action": ["update"] * count,
            "before": ['{"area_m2": 1.5}'] * count,
        },
        schema=bulk.arrow_schema(
            _table(Change), ["changed_at", "actor", "table_name", "object_key", "action", "before"]
        ),
    )


@pytest.fixture
def scratch(tmp_path: Path) -> Path:
    folder = tmp_path / "scratch"
    folder.mkdir()
    return folder


def _attached(conn: Connection) -> list[str]:
    if conn.dialect.name != "sqlite":
        return []
    return [name for _, name, _ in conn.exec_driver_sql("PRAGMA database_list") if name != "main"]


def test_a_large_load_keeps_every_value_and_commits_with_the_transaction(
    engine: Engine, scratch: Path
) -> None:
    parcels = _parcels([f"P{i:05d}" for i in range(ROWS)])
    changes = _changes(ROWS)
    jurisdictions = pa.record_batch(
        {"code": ["1", "2"], "name": ["甲", "乙"], "level": ["city"] * 2}
    )
    with engine.connect() as conn, loading(conn, scratch) as load, conn.begin():
        load.insert_all(
            [
                # in batches smaller than a load worth a scratch file
                (_table(Parcel), parcels.to_batches(max_chunksize=1_000)),
                (_table(Jurisdiction), [jurisdictions]),
                (_table(Change), changes.to_batches()),
            ]
        )
        if engine.dialect.name == "sqlite":  # the large loads came from a scratch file
            assert sorted(_attached(conn)) == ["load_1", "load_2"]
    with engine.connect() as conn:
        assert _attached(conn) == []
        back = bulk.read_rows(conn, _table(Parcel), PARCEL_COLUMNS).sort_by("parcel_id")
        logged = bulk.read_rows(conn, _table(Change), changes.column_names).sort_by("object_key")
        assert bulk.read_rows(conn, _table(Jurisdiction), ["code"]).num_rows == 2
    assert back.to_pylist() == parcels.to_pylist()
    assert logged.to_pylist() == changes.sort_by("object_key").to_pylist()
    assert not list(scratch.iterdir())


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)  # PostgreSQL: COPY alone
def test_values_are_stored_as_a_row_by_row_insert_stores_them(
    engine: Engine, scratch: Path
) -> None:
    loads = {
        "staged": [
            (_table(Parcel), _parcels([f"S{i:05d}" for i in range(ROWS)])),
            (_table(Change), _changes(ROWS, prefix="S")),
        ],
        "direct": [
            (_table(Parcel), _parcels([f"D{i:05d}" for i in range(ROWS)])),
            (_table(Change), _changes(ROWS, prefix="D")),
        ],
    }
    with engine.connect() as conn, loading(conn, scratch) as load, conn.begin():
        load.insert_all((table, rows.to_batches()) for table, rows in loads["staged"])
        for table, rows in loads["direct"]:
            bulk.insert_rows(conn, table, rows.to_batches())
    with engine.connect() as conn:
        for (table, rows), key in zip(loads["staged"], ("parcel_id", "object_key"), strict=True):
            values = [c for c in rows.column_names if c != key]
            stored = ", ".join(f"typeof({c}) || ':' || quote({c})" for c in values)
            by_key: dict[str, dict[str, list[object]]] = {}
            for name, *values in conn.exec_driver_sql(f"SELECT {key}, {stored} FROM {table.name}"):
                by_key.setdefault(name[1:], {})[name[0]] = values
            assert len(by_key) == ROWS
            for same in by_key.values():
                assert same["S"] == same["D"]


def _slowly(rows: pa.Table) -> Iterator[pa.RecordBatch]:
    """The rows of ``rows``, the first batch a moment late."""
    time.sleep(0.5)
    yield from rows.to_batches()


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)  # PostgreSQL: COPY alone
def test_a_load_goes_in_after_the_loads_before_it_that_it_refers_to(
    engine: Engine, scratch: Path
) -> None:
    """Loads are written side by side, but a table's rows go in only once the rows of the
    tables it refers to, loaded before it, are in: the parcels wait for their jurisdictions,
    however late those are written."""
    codes = [f"J{i:05d}" for i in range(ROWS)]
    jurisdictions = pa.table(
        {"code": codes, "name": codes, "level": ["county"] * ROWS},
        schema=bulk.arrow_schema(_table(Jurisdiction), ["code", "name", "level"]),
    )
    parcels = _parcels([f"P{i:05d}" for i in range(ROWS)]).append_column(
        "jurisdiction_code", pa.array(codes)
    )
    with engine.connect() as conn, loading(conn, scratch) as load, conn.begin():
        conn.exec_driver_sql("CREATE TEMP TABLE seen (jurisdictions INTEGER)")
        conn.exec_driver_sql(
            "CREATE TEMP TRIGGER counted AFTER INSERT ON main.parcels BEGIN "
            "INSERT INTO seen SELECT count(*) FROM main.jurisdictions; END"
        )
        load.insert_all(
            [(_table(Jurisdiction), _slowly(jurisdictions)), (_table(Parcel), parcels.to_batches())]
        )
        seen = conn.exec_driver_sql("SELECT min(jurisdictions), count(*) FROM seen").one()
        assert tuple(seen) == (ROWS, ROWS)
        conn.exec_driver_sql("DROP TRIGGER counted")


def _changes_whose_source_fails() -> Iterator[pa.RecordBatch]:
    yield from _changes(ROWS, prefix="Q").to_batches(max_chunksize=1_000)[:3]
    raise RuntimeError("the source failed")


@pytest.mark.parametrize("failing", ["a later step", "a load's source"])
def test_a_failure_in_the_transaction_keeps_nothing_of_the_loads(
    engine: Engine, scratch: Path, failing: str
) -> None:
    """A later step that fails, or a load whose source fails as it is read (after a large load
    was written to its scratch file), fails the transaction with its own error: it keeps none
    of the loads, and no scratch file is left."""
    parcels = _parcels([f"P{i:05d}" for i in range(ROWS)])
    loads = [(_table(Parcel), parcels.to_batches())]
    if failing == "a load's source":
        loads.append((_table(Change), _changes_whose_source_fails()))
    with (
        pytest.raises(RuntimeError, match="failed"),
        engine.connect() as conn,
        loading(conn, scratch) as load,
        conn.begin(),
    ):
        load.insert_all(loads)
        raise RuntimeError("a later step failed")
    with engine.connect() as conn:
        for table in (_table(Parcel), _table(Change)):
            assert conn.execute(select(func.count()).select_from(table)).scalar_one() == 0
        assert _attached(conn) == []
    assert not list(scratch.iterdir())


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)  # PostgreSQL: COPY alone
def test_past_the_limit_of_attached_files_a_large_load_is_bound_row_by_row(
    engine: Engine, scratch: Path
) -> None:
    parcels = _parcels([f"P{i:05d}" for i in range(ROWS)])
    changes = _changes(ROWS)
    with engine.connect() as conn, loading(conn, scratch) as load, conn.begin():
        dbapi = conn.connection.dbapi_connection
        assert isinstance(dbapi, sqlite3.Connection)
        dbapi.setlimit(sqlite3.SQLITE_LIMIT_ATTACHED, 1)
        load.insert_all(
            [(_table(Parcel), parcels.to_batches()), (_table(Change), changes.to_batches())]
        )
        assert _attached(conn) == ["load_1"]
    with engine.connect() as conn:
        assert bulk.read_rows(conn, _table(Parcel), ["parcel_id"]).num_rows == ROWS
        assert bulk.read_rows(conn, _table(Change), ["object_key"]).num_rows == ROWS


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)  # PostgreSQL: COPY alone
def test_a_load_whose_context_ends_inside_the_transaction_discards_the_connection(
    engine: Engine, scratch: Path
) -> None:
    """Misused, the context cannot detach a file the transaction still reads: it says so,
    and the connection is not pooled with the file attached."""
    with engine.connect() as conn:
        transaction = conn.begin()
        with (
            pytest.raises(OperationalError, match="load_1 is locked"),
            loading(conn, scratch) as load,
        ):
            rows = _parcels([f"P{i:05d}" for i in range(ROWS)])
            load.insert_all([(_table(Parcel), rows.to_batches())])
        assert conn.invalidated
        transaction.rollback()
    with engine.connect() as conn:
        assert _attached(conn) == []
