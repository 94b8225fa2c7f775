"""A warning's life (workflow.md §3) on SQLite and PostgreSQL: raised, continued while its
signal fires (same warning, same ``since``), kept while its subject cannot be judged, lifted
when the signal stops; received, reported on and closed (a closed warning is not continued:
the next firing raises a new one); escalated when not received within three working days,
counted across a holiday. One journey of six monthly runs, since each run reads the records
afresh."""

import datetime as dt

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from mujun.monitoring.inbox import WarningFilters, list_warnings
from mujun.monitoring.runs import run_document
from mujun.monitoring.warnings import (
    WarningRefusedError,
    WarningState,
    close,
    receipt,
    receive,
    report,
)
from mujun.records import Case, Change, EarlyWarning, WarningMonth
from tests.monitoring.conftest import CITY, COUNTY, DROP, E1, E2, PROFILE, build_records, run

TENTH = 10.0


def test_the_life_of_warnings(engine: Engine) -> None:
    # E1: a tenth of 2024 from January to April, May not received, June to August back to
    # 2024's level.
    # E2: a tenth all along. The tax bureau sends E1's tax February to April, not in May.
    build_records(
        engine,
        {
            E1: {
                "electricity_kwh": {
                    "2025-01": TENTH,
                    "2025-02": TENTH,
                    "2025-03": TENTH,
                    "2025-04": TENTH,
                    "2025-06": 100.0,
                    "2025-07": 100.0,
                    "2025-08": 100.0,
                },
                "tax_yuan": {"2025-02": 1.0, "2025-03": 1.0, "2025-04": 1.0, "2025-06": 1.0},
            },
            E2: {"electricity_kwh": {f"2025-{m:02d}": TENTH for m in range(1, 9)}},
        },
    )
    march = run(engine, "2025-03", dt.date(2025, 4, 1))
    w1, w2 = march.outcome.raised
    with Session(engine) as db:
        document = run_document(db, march.run_id, lifted=[])
        assert document["warnings"][0] == {
            "subject_type": "enterprise",
            "subject_id": E1,
            "signal": DROP,
            "level": "orange",
            "evidence": {
                "electricity_kwh_2025-03": TENTH,
                "electricity_kwh_2024-03": 100.0,
                "electricity_kwh_2025-02": TENTH,
                "electricity_kwh_2024-02": 100.0,
                "electricity_kwh_2025-01": TENTH,
                "electricity_kwh_2024-01": 100.0,
            },
            "routed_to": [COUNTY, "power"],
            "since": "2025-03",
            "warning": w1,
            "state": "issued",
            "case": None,
        }
        unjudged = {u["signal"]: u for u in document["unjudged"]}
        assert unjudged["monitor/loan-overdue"] == {
            "signal": "monitor/loan-overdue",
            "subjects": 2,
            "missing": ["loan_overdue"],
        }

        # Issued Tuesday 1 April; 2 and 3 April, then Qingming (4–6 April): due Monday 7 April.
        views = list_warnings(db, WarningFilters(), today=dt.date(2025, 4, 7))
        assert [(v.receipt.due, v.receipt.escalated) for v in views] == [
            (dt.date(2025, 4, 7), False)
        ] * 2
        views = list_warnings(db, WarningFilters(county=COUNTY), today=dt.date(2025, 4, 8))
        assert [v.escalated_to for v in views] == [CITY, CITY]
        closed = WarningFilters(state=WarningState.CLOSED)
        assert list_warnings(db, closed, today=dt.date(2025, 4, 8)) == []

        _receive_report_close(db, w2)
        later = list_warnings(db, WarningFilters(), today=dt.date(2025, 5, 1))
        (late,) = [v for v in later if v.warning.id == w2]
        assert late.receipt.escalated  # received a day late: it went to the city

    cases = _open_cases(engine)  # E1 and E2 have cases opened since: their warnings show them
    april = run(engine, "2025-04", dt.date(2025, 5, 6))
    (w3,) = april.outcome.raised  # E2 fires again: its closed warning is not continued
    assert april.outcome.continued == [w1] and april.outcome.lifted == []
    again = run(engine, "2025-04", dt.date(2025, 5, 6))  # the same month twice: nothing new
    assert (again.outcome.raised, again.outcome.lifted) == ([], [])

    may = run(engine, "2025-05", dt.date(2025, 6, 3))  # E1's May unknown: neither fired nor cleared
    (feed,) = may.outcome.raised  # the tax bureau sent February to April, nothing in May
    assert may.outcome.continued == [w3] and may.outcome.lifted == []

    # June back to 2024's level, but May still unknown: E1 stays unjudged, its warning kept.
    # The tax bureau sent June: its warning is lifted.
    june = run(engine, "2025-06", dt.date(2025, 7, 1))
    assert june.outcome.lifted == [feed] and june.outcome.continued == [w3]
    # June to August known, none a drop: decided, lifted.
    august = run(engine, "2025-08", dt.date(2025, 9, 1))
    assert august.outcome.lifted == [w1] and august.outcome.continued == [w3]
    with Session(engine) as db:
        warning = db.get(EarlyWarning, w1)
        assert warning is not None
        assert (warning.state, warning.since, warning.last_month) == (
            "lifted",
            "2025-03",
            "2025-04",
        )
        assert (warning.lifted_month, warning.open_key) == ("2025-08", None)
        months = db.scalars(select(WarningMonth.month).where(WarningMonth.warning_id == w1)).all()
        assert sorted(months) == ["2025-03", "2025-04", "2025-04"]
        department = db.get(EarlyWarning, feed)
        assert department is not None
        assert (department.subject_type, department.subject_id) == ("department", "tax")
        assert (department.routed_to, department.state) == (["tax"], "lifted")
        ongoing = db.get(EarlyWarning, w3)
        assert ongoing is not None
        assert (warning.case_id, ongoing.case_id) == cases
        assert (ongoing.since, ongoing.last_month, ongoing.state) == (
            "2025-04",
            "2025-08",
            "issued",
        )
        logged = db.scalars(
            select(Change.action).where(
                Change.table_name == "warnings", Change.object_key == str(w1)
            )
        ).all()
        assert sorted(logged) == ["insert", "update", "update"]  # raised, continued, lifted


def _open_cases(engine: Engine) -> tuple[int, int]:
    """An open case of each enterprise (as an identification run's finding would open it)."""
    with Session(engine) as db:
        opened = [
            Case(
                profile=PROFILE,
                subject_type="enterprise",
                subject_id=code,
                category="abnormal_enterprise",
                open_key=f"enterprise|{code}|abnormal_enterprise",
                county_code=COUNTY,
                state="surveyed",
                entered_on=dt.date(2025, 4, 20),
                opened_on=dt.date(2025, 4, 20),
                opened_by_run=1,
            )
            for code in (E1, E2)
        ]
        db.add_all(opened)
        db.commit()
        return opened[0].id, opened[1].id


def _receive_report_close(db: Session, w2: int) -> None:
    """签收, 处置反馈 twice, 办结: each refused when out of turn, undated or empty."""
    with pytest.raises(WarningRefusedError, match="cannot close"):
        close(db, w2, on=dt.date(2025, 4, 8), reason="已处理", actor="li")
    with pytest.raises(WarningRefusedError, match="cannot be dated before"):
        receive(db, w2, on=dt.date(2025, 3, 31), actor="li")
    receive(db, w2, on=dt.date(2025, 4, 8), actor="li")
    with pytest.raises(WarningRefusedError, match="empty"):
        report(db, w2, on=dt.date(2025, 4, 9), text=" ", actor="li")
    report(db, w2, on=dt.date(2025, 4, 9), text="已约谈企业", actor="li")
    report(db, w2, on=dt.date(2025, 4, 10), text="企业称五月复产", actor="li")
    closed = close(db, w2, on=dt.date(2025, 4, 10), reason="企业承诺复产", actor="zhao")
    db.commit()
    assert (closed.state, closed.open_key, closed.feedback) == (
        "closed",
        None,
        "企业称五月复产",
    )


@pytest.mark.parametrize(
    ("received_on", "today", "escalated"),
    [
        (None, dt.date(2025, 10, 11), False),  # due on the make-up Saturday, 11 October
        (None, dt.date(2025, 10, 12), True),
        (dt.date(2025, 10, 11), dt.date(2025, 10, 20), False),
        (dt.date(2025, 10, 13), dt.date(2025, 10, 20), True),
    ],
)
def test_receipt_is_due_three_working_days_after_issue(
    received_on: dt.date | None, today: dt.date, escalated: bool
) -> None:
    """Issued 30 September 2025: 1–8 October are the National Day holiday; 9 and 10 October and
    the make-up Saturday 11 October are the three working days."""
    warning = EarlyWarning(
        profile=PROFILE, issued_on=dt.date(2025, 9, 30), state="issued", received_on=received_on
    )
    found = receipt(warning, today=today)
    assert (found.due, found.escalated) == (dt.date(2025, 10, 11), escalated)


def test_a_warning_lifted_before_anyone_received_it_does_not_escalate() -> None:
    warning = EarlyWarning(profile=PROFILE, issued_on=dt.date(2025, 9, 30), state="lifted")
    assert not receipt(warning, today=dt.date(2025, 12, 1)).escalated
