"""Bulk reads and writes keep every type exactly, on both databases."""

import datetime as dt
import sqlite3

import pyarrow as pa
import pytest
from sqlalchemy import Engine, Table, inspect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.schema import CreateTable

from mujun.records import (
    AnnualMetric,
    Construction,
    Enterprise,
    Jurisdiction,
    MonthlyMetric,
    Parcel,
    bulk,
)


def _table(model: type) -> Table:
    table = model.__table__  # type: ignore[attr-defined]
    assert isinstance(table, Table)
    return table


def test_round_trip_keeps_types_nulls_and_awkward_text(engine: Engine) -> None:
    parcels = pa.table(
        {
            "parcel_id": ["P1", 'P"2,x', "P3"],
            "area_m2": [13333.333333333334, 0.1, 0.0],
            "supply_date": pa.array([dt.date(2020, 2, 29), None, dt.date(1998, 12, 31)]),
            "planning_adjustment": [True, False, None],
            "geometry_wkt": ["POLYGON ((119 29, 119.1 29, 119.1 29.1, 119 29))", None, ""],
        },
        schema=bulk.arrow_schema(
            _table(Parcel),
            ["parcel_id", "area_m2", "supply_date", "planning_adjustment", "geometry_wkt"],
        ),
    )
    with engine.begin() as conn:
        assert bulk.insert_rows(conn, _table(Parcel), parcels.to_batches()) == 3
        back = bulk.read_rows(conn, _table(Parcel), parcels.column_names)
    assert back.sort_by("parcel_id").to_pylist() == parcels.sort_by("parcel_id").to_pylist()


def test_update_sets_only_the_columns_given(engine: Engine) -> None:
    table = _table(Jurisdiction)
    with engine.begin() as conn:
        bulk.insert_rows(
            conn,
            table,
            [pa.record_batch({"code": ["1", "2"], "name": ["甲", "乙"], "level": ["city"] * 2})],
        )
        updated = bulk.update_rows(
            conn, table, [pa.record_batch({"code": ["2"], "name": ["丙"]})], key=["code"]
        )
        rows = bulk.read_rows(conn, table, ["code", "name", "level"]).sort_by("code").to_pylist()
    assert updated == 1
    assert rows == [
        {"code": "1", "name": "甲", "level": "city"},
        {"code": "2", "name": "丙", "level": "city"},
    ]


def test_empty_tables_read_as_empty_arrow_tables(engine: Engine) -> None:
    with engine.connect() as conn:
        for model in (AnnualMetric, Construction):
            data = bulk.read_rows(conn, _table(model))
            assert data.num_rows == 0
            assert data.schema == bulk.arrow_schema(_table(model))


def test_references_checked_at_end_still_refuse_an_orphan_and_keep_the_keys(
    engine: Engine,
) -> None:
    parcels = _table(Parcel)
    keys_before = inspect(engine).get_foreign_keys("parcels")
    orphan = pa.record_batch(
        {"parcel_id": ["P1"], "area_m2": [1.0], "holder_credit_code": ["91350100M000100Y43"]}
    )
    with (
        pytest.raises(IntegrityError),
        engine.begin() as conn,
        bulk.references_checked_at_end(conn, [parcels]),
    ):
        bulk.insert_rows(conn, parcels, [orphan])
    assert inspect(engine).get_foreign_keys("parcels") == keys_before
    with engine.connect() as conn:
        assert bulk.count_rows(conn, parcels) == 0


def _index_names(engine: Engine, table: str) -> list[str]:
    return sorted(str(index["name"]) for index in inspect(engine).get_indexes(table))


def test_indexes_built_at_end_stand_again_after_the_load_and_after_a_failed_one(
    engine: Engine,
) -> None:
    parcels = _table(Parcel)
    before = _index_names(engine, "parcels")
    parcel = pa.record_batch({"parcel_id": ["P1"], "area_m2": [1.0]})
    with (
        engine.begin() as conn,
        bulk.references_checked_at_end(conn, [parcels]),
        bulk.indexes_built_at_end(conn, [parcels]),
    ):
        bulk.insert_rows(conn, parcels, [parcel])
        assert inspect(conn).get_indexes("parcels") == []  # the key stays: it is no index
    assert _index_names(engine, "parcels") == before
    with (
        pytest.raises(RuntimeError),
        engine.begin() as conn,
        bulk.references_checked_at_end(conn, [parcels]),
        bulk.indexes_built_at_end(conn, [parcels]),
    ):
        bulk.insert_rows(conn, parcels, [pa.record_batch({"parcel_id": ["P2"], "area_m2": [2.0]})])
        raise RuntimeError("the load fails half way")
    assert _index_names(engine, "parcels") == before
    with engine.connect() as conn:
        assert bulk.count_rows(conn, parcels) == 1


def test_a_key_no_table_refers_to_is_built_at_end_on_postgresql_and_still_refuses_a_twin(
    engine: Engine,
) -> None:
    enterprises, monthly = _table(Enterprise), _table(MonthlyMetric)
    code = "91350100M000100Y43"

    def figures(*months: str) -> pa.RecordBatch:
        return pa.record_batch({"credit_code": [code] * len(months), "month": list(months)})

    with engine.begin() as conn:
        bulk.insert_rows(
            conn, enterprises, [pa.record_batch({"credit_code": [code], "name": ["甲"]})]
        )
    key_before = inspect(engine).get_pk_constraint("monthly_metrics")
    with (
        pytest.raises((IntegrityError, sqlite3.IntegrityError)),  # SQLite's as its rows go in
        engine.begin() as conn,
        bulk.references_checked_at_end(conn, [monthly]),
        bulk.indexes_built_at_end(conn, [monthly]),
    ):
        # the enterprises' key, which the figures refer to, stays on both databases
        assert inspect(conn).get_pk_constraint("enterprises")["constrained_columns"]
        held = inspect(conn).get_pk_constraint("monthly_metrics")["constrained_columns"]
        assert held == ([] if engine.dialect.name == "postgresql" else ["credit_code", "month"])
        bulk.insert_rows(conn, monthly, [figures("2024-01", "2024-02", "2024-01")])
    assert inspect(engine).get_pk_constraint("monthly_metrics") == key_before
    with (
        engine.begin() as conn,
        bulk.references_checked_at_end(conn, [monthly]),
        bulk.indexes_built_at_end(conn, [monthly]),
    ):
        bulk.insert_rows(conn, monthly, [figures("2024-01", "2024-02")])
    assert inspect(engine).get_pk_constraint("monthly_metrics") == key_before
    with engine.connect() as conn:
        assert bulk.count_rows(conn, monthly) == 2


def test_the_models_still_declare_the_keys_a_load_dropped_and_added_back(engine: Engine) -> None:
    """Adding a key back must not mark it as made apart from its table (SQLAlchemy's
    ``AddConstraint`` does by default): a new database made from the models after a large
    load in the same process would lack it."""
    monthly = _table(MonthlyMetric)
    with (
        engine.begin() as conn,
        bulk.references_checked_at_end(conn, [monthly]),
        bulk.indexes_built_at_end(conn, [monthly]),
    ):
        pass
    made = str(CreateTable(monthly).compile(dialect=engine.dialect))
    assert "PRIMARY KEY (credit_code, month)" in made
    assert "FOREIGN KEY(credit_code) REFERENCES enterprises (credit_code)" in made
