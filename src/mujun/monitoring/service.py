"""Monitoring as the command line (and later the web and the scheduler) run it: read the
records, judge the month, keep the run and bring the warnings up to date, in one transaction."""

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from mujun.analytics.facts import load_facts
from mujun.monitoring.engine import Monitoring, monitor
from mujun.monitoring.runs import keep
from mujun.monitoring.signals import monthly_columns
from mujun.monitoring.warnings import Outcome, open_key, record_run
from mujun.policy.profiles import Profile
from mujun.progress import Progress, phase, silent


@dataclass(frozen=True)
class KeptMonitoring:
    run_id: int
    monitoring: Monitoring
    outcome: Outcome


def monitor_and_keep(
    *,
    engine: Engine,
    profile: Profile,
    month: str,
    issued_on: dt.date,
    actor: str,
    on_progress: Progress = silent,
) -> KeptMonitoring:
    """Judge ``month`` under ``profile``, keep the run and raise, continue and lift the
    warnings; the warnings are issued on ``issued_on`` (receipt deadlines count from it)."""
    started = dt.datetime.now(dt.UTC)
    facts = load_facts(engine, monthly=monthly_columns(), on_progress=phase(on_progress, 0, 2))
    try:
        result = monitor(
            facts=facts, profile=profile, month=month, on_progress=phase(on_progress, 1, 2)
        )
    finally:
        facts.close()
    unjudged = {
        open_key(signal, kind, subject)
        for signal, kind, subject in zip(
            result.unjudged["signal"].to_pylist(),
            result.unjudged["subject_type"].to_pylist(),
            result.unjudged["subject_id"].to_pylist(),
            strict=True,
        )
    }
    with Session(engine, expire_on_commit=False) as db:
        run = keep(db, result, issued_on=issued_on, started_at=started, actor=actor)
        outcome = record_run(db, run=run, fired=result.fired, unjudged_keys=unjudged, actor=actor)
        db.commit()
    return KeptMonitoring(run_id=run.id, monitoring=result, outcome=outcome)
