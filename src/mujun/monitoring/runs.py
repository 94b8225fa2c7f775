"""Kept monitoring runs: the run's row (profile, month, parameters, fingerprint, unjudged
counts) and the subjects it could not judge, written through the bulk path like an
identification run's; the warnings it fired read back with the month each began."""

import datetime as dt
import json
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from mujun.monitoring.engine import Monitoring
from mujun.records import EarlyWarning, MonitoringRun, MonitoringUnjudged, WarningMonth, table_of
from mujun.records.bulk import BATCH_ROWS, insert_rows


class MonitoringRunNotFoundError(LookupError):
    def __init__(self, run_id: int) -> None:
        super().__init__(f"no monitoring run {run_id}")
        self.run_id = run_id


def keep(
    db: Session,
    monitoring: Monitoring,
    *,
    issued_on: dt.date,
    started_at: dt.datetime,
    actor: str,
) -> MonitoringRun:
    """Store the run and its unjudged subjects in the session's transaction."""
    profile = monitoring.profile
    conn = db.connection()
    run_id: int = conn.execute(
        insert(MonitoringRun)
        .values(
            profile=profile.id,
            profile_version=profile.version,
            month=monitoring.month,
            issued_on=issued_on,
            parameters=dict(monitoring.parameters),
            overrides=dict(profile.overrides),
            fingerprint=monitoring.fingerprint,
            started_at=started_at,
            finished_at=dt.datetime.now(dt.UTC),
            actor=actor,
            warning_count=monitoring.fired.num_rows,
            unjudged=monitoring.unjudged_summary(),
        )
        .returning(MonitoringRun.id)
    ).scalar_one()
    unjudged = monitoring.unjudged
    numbered = unjudged.add_column(0, "run_id", [[run_id] * unjudged.num_rows])
    insert_rows(conn, table_of(MonitoringUnjudged), numbered.to_batches(BATCH_ROWS))
    return get_run(db, run_id)


def get_run(db: Session, run_id: int) -> MonitoringRun:
    run = db.get(MonitoringRun, run_id)
    if run is None:
        raise MonitoringRunNotFoundError(run_id)
    return run


def run_warnings(db: Session, run_id: int) -> list[dict[str, Any]]:
    """The warnings run ``run_id`` fired (interface.md §3, ``monitor --format json``), by
    signal and subject, with the month each began."""
    rows = db.execute(
        select(EarlyWarning, WarningMonth.level, WarningMonth.evidence)
        .join(WarningMonth, WarningMonth.warning_id == EarlyWarning.id)
        .where(WarningMonth.run_id == run_id)
        .order_by(EarlyWarning.signal, EarlyWarning.subject_type, EarlyWarning.subject_id)
    )
    return [
        {
            "subject_type": w.subject_type,
            "subject_id": w.subject_id,
            "signal": w.signal,
            "level": level,
            "evidence": json.loads(evidence),
            "routed_to": list(w.routed_to),
            "since": w.since,
            "warning": w.id,
            "state": w.state,
            "case": w.case_id,
        }
        for w, level, evidence in rows
    ]


def run_document(db: Session, run_id: int, *, lifted: list[int]) -> dict[str, Any]:
    """The run as ``monitor --format json`` prints it."""
    run = get_run(db, run_id)
    return {
        "profile": run.profile,
        "month": run.month,
        "run": run.id,
        "warnings": run_warnings(db, run_id),
        "unjudged": list(run.unjudged),
        "lifted": lifted,
    }
