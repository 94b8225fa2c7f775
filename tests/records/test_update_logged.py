"""Many records updated in bulk (:func:`update_logged`) land in the change log exactly as the
same update made through the ORM does, on SQLite and PostgreSQL."""

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from mujun.records import Account, Base, Change, Enterprise, MonthlyMetric, Parcel
from mujun.records.changes import update_logged

ACTOR, REASON = "官员甲", "核实"


def _parcels() -> list[Base]:
    return [
        Parcel(parcel_id=parcel_id, area_m2=13333.4, supply_date=dt.date(2020, 2, 29))
        for parcel_id in ("P1", "P2")
    ]


def _accounts() -> list[Base]:
    return [
        Account(username=username, display_name="王", password_hash="x", role="viewer")
        for username in ("wang", "li")
    ]


def _logged(engine: Engine, table: str) -> dict[str, Change]:
    with Session(engine) as db:
        changes = db.scalars(
            select(Change).where(Change.table_name == table, Change.action == "update")
        )
        return {c.object_key: c for c in changes}


def _shape(change: Change, apart: tuple[str, ...]) -> dict[str, Any]:
    """A change row without what tells two records apart (its number and time, the columns
    ``apart``)."""
    assert change.before is not None and change.after is not None
    return {
        "actor": change.actor,
        "import_id": change.import_id,
        "action": change.action,
        "reason": change.reason,
        "before": {k: v for k, v in change.before.items() if k not in apart},
        "after": {k: v for k, v in change.after.items() if k not in apart},
    }


@pytest.mark.parametrize(
    ("made", "apart", "keys", "values"),
    [
        (
            _parcels,
            ("parcel_id",),
            ("P1", "P2"),
            {"area_m2": 14000.0, "use_change_expires": dt.date(2026, 1, 31), "supply_date": None},
        ),
        (  # a secret column is written, never logged
            _accounts,
            ("id", "username"),
            (1, 2),
            {"password_hash": "y", "locked_until": dt.datetime(2026, 12, 5, 8, tzinfo=dt.UTC)},
        ),
    ],
)
def test_a_bulk_update_is_logged_as_the_orm_logs_it(
    engine: Engine,
    made: Callable[[], list[Base]],
    apart: tuple[str, ...],
    keys: tuple[Any, Any],
    values: dict[str, Any],
) -> None:
    orm_key, bulk_key = keys
    records = made()
    with Session(engine) as db:
        db.add_all(records)
        db.commit()
    with Session(engine, info={"actor": ACTOR, "reason": REASON}) as db:
        record = db.get(type(records[0]), orm_key)
        assert record is not None
        for column, value in values.items():
            setattr(record, column, value)
        db.commit()
    with engine.begin() as conn:
        update_logged(conn, type(records[0]), {bulk_key: values}, actor=ACTOR, reason=REASON)

    table = records[0].__tablename__
    logged = _logged(engine, table)
    assert logged.keys() == {str(orm_key), str(bulk_key)}
    by_orm, in_bulk = logged[str(orm_key)], logged[str(bulk_key)]
    assert _shape(in_bulk, apart) == _shape(by_orm, apart)
    assert in_bulk.after is not None and in_bulk.after[apart[0]] == bulk_key
    with Session(engine) as db:  # written as the ORM writes it
        by_orm_stored, in_bulk_stored = (db.get(type(records[0]), key) for key in keys)
        assert {c: getattr(in_bulk_stored, c) for c in values} == {
            c: getattr(by_orm_stored, c) for c in values
        }


def test_unchanged_records_are_neither_written_nor_logged_and_keys_may_be_tuples(
    engine: Engine,
) -> None:
    with Session(engine) as db:
        db.add(Enterprise(credit_code="E1", name="甲厂"))
        db.add_all(
            MonthlyMetric(credit_code="E1", month=month, electricity_kwh=10.0)
            for month in ("2025-01", "2025-02")
        )
        db.commit()
    with engine.begin() as conn:
        update_logged(
            conn,
            MonthlyMetric,
            {
                ("E1", "2025-01"): {"electricity_kwh": 10.0},
                ("E1", "2025-02"): {"electricity_kwh": 0.0, "loan_overdue": True},
            },
            actor=ACTOR,
            reason=REASON,
        )
        with pytest.raises(LookupError, match="no record"):
            update_logged(conn, MonthlyMetric, {("E1", "2025-03"): {}}, actor=ACTOR, reason=None)

    (change,) = _logged(engine, "monthly_metrics").values()
    assert change.object_key == "E1|2025-02"
    assert change.before is not None and change.after is not None
    assert (change.before["electricity_kwh"], change.after["electricity_kwh"]) == (10.0, 0.0)
    assert (change.before["loan_overdue"], change.after["loan_overdue"]) == (None, True)
    with Session(engine) as db:
        stored = db.get(MonthlyMetric, ("E1", "2025-02"))
        assert stored is not None and (stored.electricity_kwh, stored.loan_overdue) == (0.0, True)
