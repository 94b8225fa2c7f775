"""Every change made through the ORM lands in the change log with before and after."""

import datetime as dt

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from mujun.records import Account, Change, Jurisdiction, Parcel


def _changes(engine: Engine) -> list[Change]:
    with Session(engine) as session:
        return list(session.scalars(select(Change).order_by(Change.id)))


def test_insert_update_delete_are_logged_with_who_why_and_values(engine: Engine) -> None:
    with Session(engine, info={"actor": "官员甲", "reason": "核实面积"}) as session:
        session.add(Jurisdiction(code="330122", name="桐庐县", level="county"))
        session.add(Parcel(parcel_id="P001", area_m2=13333.4, supply_date=dt.date(2020, 2, 29)))
        session.commit()
        parcel = session.get(Parcel, "P001")
        assert parcel is not None
        parcel.area_m2 = 14000.0
        session.commit()
        session.delete(parcel)
        session.commit()

    changes = [c for c in _changes(engine) if c.table_name == "parcels"]
    assert [c.action for c in changes] == ["insert", "update", "delete"]
    insert, update, delete = changes
    assert insert.before is None and insert.after is not None
    assert insert.after["supply_date"] == "2020-02-29"
    assert update.before is not None and update.after is not None
    assert (update.before["area_m2"], update.after["area_m2"]) == (13333.4, 14000.0)
    assert delete.before is not None and delete.before["area_m2"] == 14000.0
    assert delete.after is None
    assert {c.actor for c in changes} == {"官员甲"}
    assert {c.reason for c in changes} == {"核实面积"}
    assert {c.object_key for c in changes} == {"P001"}


def test_an_unchanged_flush_logs_nothing(engine: Engine) -> None:
    with Session(engine) as session:
        session.add(Jurisdiction(code="330122", name="桐庐县", level="county"))
        session.commit()
        jurisdiction = session.get(Jurisdiction, "330122")
        assert jurisdiction is not None
        jurisdiction.name = "桐庐县"
        session.commit()
    assert [c.action for c in _changes(engine)] == ["insert"]


def test_a_record_the_database_numbers_is_logged_under_its_number(engine: Engine) -> None:
    """An autoincrement key is unknown before the insert: the change row gets it after."""
    with Session(engine, info={"actor": "官员甲"}) as session:
        session.add(Account(username="wang", display_name="王", password_hash="x", role="viewer"))
        session.add(Account(username="li", display_name="李", password_hash="x", role="viewer"))
        session.commit()
        ids = {a.username: a.id for a in session.scalars(select(Account))}
    logged = {
        (c.after or {})["username"]: c for c in _changes(engine) if c.table_name == "accounts"
    }
    assert {name: change.object_key for name, change in logged.items()} == {
        name: str(number) for name, number in ids.items()
    }
    assert {name: (change.after or {})["id"] for name, change in logged.items()} == ids
