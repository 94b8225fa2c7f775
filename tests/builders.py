"""Records the tests build by hand, each with defaults a test overrides by keyword.

>>> run = identification_run(profile="tonglu-2022", finding_count=2)
>>> graded = evaluation_run(year=2024, overrides={"huangyan.weights": "50%"})
"""

import datetime as dt
from typing import Any

from mujun.records import EvaluationRun, IdentificationRun

NOW = dt.datetime(2026, 1, 5, tzinfo=dt.UTC)
"""When the runs the tests keep started and finished."""


def identification_run(**changes: Any) -> IdentificationRun:
    """A kept run of ankang-2024 as published, as of 2025-12-31, with no findings counted."""
    fields: dict[str, Any] = {
        "profile": "ankang-2024",
        "profile_version": 1,
        "as_of": dt.date(2025, 12, 31),
        "parameters": {},
        "overrides": {},
        "fingerprint": "f" * 64,
        "started_at": NOW,
        "finished_at": NOW,
        "actor": "test",
        "finding_count": 0,
        "unjudged": [],
    }
    return IdentificationRun(**(fields | changes))


def evaluation_run(**changes: Any) -> EvaluationRun:
    """A kept evaluation of huangyan-2022 as published, for 2025, with nobody graded."""
    fields: dict[str, Any] = {
        "profile": "huangyan-2022",
        "profile_version": 1,
        "year": 2025,
        "parameters": {},
        "overrides": {},
        "fingerprint": "e" * 64,
        "started_at": NOW,
        "finished_at": NOW,
        "actor": "test",
        "graded_count": 0,
        "excluded_count": 0,
    }
    return EvaluationRun(**(fields | changes))
