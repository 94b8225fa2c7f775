"""One subject judged again by some signals for one month (workflow.md §1, §3): what the exit
evaluation of a case opened from a warning asks of the warning's signal.

The engine judges every subject of the facts (:func:`~mujun.monitoring.engine.monitor`); the
subject's verdicts are read off its outcome, as the exit evaluation reads an identification
run's. Nothing is kept: no run, no warning.
"""

import datetime as dt
import json
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Engine

from mujun.analytics.facts import load_facts
from mujun.monitoring.engine import monitor
from mujun.monitoring.months import last_day, shifted
from mujun.monitoring.signals import SIGNALS
from mujun.policy.profiles import Profile


@dataclass(frozen=True)
class SubjectVerdict:
    """What the signals say of one subject for one month."""

    month: str
    fired: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Per signal that fires, the figures compared."""
    unjudged: dict[str, str] = field(default_factory=dict)
    """Per signal that could not judge the subject, the figures missing."""


def last_whole_month(on: dt.date) -> str:
    """The last whole month ending on or before ``on``: its own month on its last day, else the
    month before."""
    month = f"{on.year:04d}-{on.month:02d}"
    return month if last_day(month) == on else shifted(month, -1)


def judge_subject(
    engine: Engine,
    *,
    profile: Profile,
    month: str,
    signals: Collection[str],
    subject_type: str,
    subject_id: str,
) -> SubjectVerdict:
    """Judge ``month`` under ``profile`` by ``signals`` on the records as they are, and read
    the verdicts of one subject."""
    monthly = sorted({column for s in signals for column in SIGNALS[s].monthly})
    facts = load_facts(engine, monthly=monthly)
    try:
        result = monitor(facts=facts, profile=profile, month=month, only=signals)
    finally:
        facts.close()
    fired = _of_subject(result.fired, subject_type, subject_id)
    unjudged = _of_subject(result.unjudged, subject_type, subject_id)
    return SubjectVerdict(
        month=month,
        fired={row["signal"]: json.loads(row["evidence"]) for row in fired},
        unjudged={row["signal"]: row["missing"] for row in unjudged},
    )


def _of_subject(table: pa.Table, subject_type: str, subject_id: str) -> list[dict[str, Any]]:
    mine = pc.and_(
        pc.equal(table["subject_type"], subject_type), pc.equal(table["subject_id"], subject_id)
    )
    rows: list[dict[str, Any]] = table.filter(mine).to_pylist()
    return rows
