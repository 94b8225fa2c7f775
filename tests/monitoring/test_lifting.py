"""Warnings lifted in bulk move as the state machine moves them on 解除, each logged with its
state before and after; one whose state does not allow it stops the run."""

import datetime as dt

import pytest
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from mujun.monitoring.warnings import WarningRefusedError
from mujun.records import Change, EarlyWarning
from tests.monitoring.conftest import E1, E2, build_records, run

TENTH = 10.0


def _state(engine: Engine, warning_id: int, state: str) -> None:
    with engine.begin() as conn:
        conn.execute(update(EarlyWarning).where(EarlyWarning.id == warning_id).values(state=state))


def test_lifting_follows_the_state_machine(engine: Engine) -> None:
    # Both enterprises at a tenth of 2024 from January to March, back to 2024's level in April.
    back = {"2025-04": 100.0}
    build_records(
        engine,
        {
            code: {"electricity_kwh": {f"2025-0{m}": TENTH for m in (1, 2, 3)} | back}
            for code in (E1, E2)
        },
    )
    w1, w2 = run(engine, "2025-03", dt.date(2025, 4, 1)).outcome.raised

    _state(engine, w2, "closed")  # closed, yet still holding its open key: not liftable
    with pytest.raises(WarningRefusedError, match=f"warning {w2} is closed: it cannot lift"):
        run(engine, "2025-04", dt.date(2025, 5, 6))

    _state(engine, w2, "received")
    assert sorted(run(engine, "2025-04", dt.date(2025, 5, 6)).outcome.lifted) == [w1, w2]
    with Session(engine) as db:
        (change,) = db.scalars(
            select(Change).where(
                Change.table_name == "warnings",
                Change.object_key == str(w2),
                Change.action == "update",
            )
        )
    assert change.before is not None and change.after is not None
    moved = {k: (v, change.after[k]) for k, v in change.before.items() if change.after[k] != v}
    assert moved == {
        "state": ("received", "lifted"),
        "lifted_month": (None, "2025-04"),
        "open_key": (change.before["open_key"], None),
    }
    assert change.before.keys() == change.after.keys()
    assert change.reason is not None and change.reason.endswith("信号不再触发，预警解除")
