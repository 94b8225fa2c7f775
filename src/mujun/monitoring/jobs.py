"""Monitoring that runs by itself (issue 13): after an import that brings monthly figures, for
each month it brought, and every month on the server's schedule (:mod:`.schedule`). Each run
is a background job of the kind ``monitoring``, done by the web application's one worker like
an identification run, with its progress (:mod:`mujun.web.jobs`); the worker is reached
through a :data:`StartJob`, so that this module does not depend on the web application.

Which profiles monitor is a setting: ``MUJUN_MONITOR_PROFILES``, a comma-separated list of
profile ids (``none`` for none); by default every shipped profile that defines the monitoring
parameters (today ``yancheng-2021``). A month the profile is not in force for is passed over.
An import that brings many months (a first load of three years) starts runs for its latest
``MUJUN_MONITOR_IMPORT_MONTHS`` months only (default 12), oldest first, so that each run
continues the warnings of the one before.
"""

import datetime as dt
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from mujun.interchange.importer import ImportOutcome
from mujun.monitoring.engine import check_profile
from mujun.monitoring.months import last_day, parse_month
from mujun.monitoring.service import monitor_and_keep
from mujun.policy.parameters import ParameterError
from mujun.policy.profiles import Profile, ProfileError, all_profiles, load_profile
from mujun.progress import Progress

KIND = "monitoring"
"""The jobs' kind (:class:`~mujun.records.jobs.Job`)."""
PROFILES_ENV = "MUJUN_MONITOR_PROFILES"
IMPORT_MONTHS_ENV = "MUJUN_MONITOR_IMPORT_MONTHS"
IMPORT_MONTHS = 12
"""The latest months of an import that are judged, by default."""

Work = Callable[[Progress], int]
"""A job's work: given where to report its progress, make the run and return its id."""
StartJob = Callable[[str, dict[str, Any], Work], object]
"""Starts a background job: its kind, the request kept with it, and its work."""


@dataclass(frozen=True)
class Queued:
    """A monitoring job started: the profile and the month it judges."""

    profile: str
    month: str


def monitoring_profiles(environ: Mapping[str, str] = os.environ) -> list[Profile]:
    """The profiles that monitor by themselves: those ``MUJUN_MONITOR_PROFILES`` names, or
    every shipped profile defining the monitoring parameters. A named profile that does not
    define them is a :class:`ProfileError`."""
    named = environ.get(PROFILES_ENV)
    if named is None:
        return [p for p in all_profiles() if _monitors(p)]
    ids = [one.strip() for one in named.split(",") if one.strip()]
    if ids in ([], ["none"]):
        return []
    profiles = [load_profile(one) for one in ids]
    for profile in profiles:
        check_profile(profile)
    return profiles


def _monitors(profile: Profile) -> bool:
    try:
        check_profile(profile)
    except ProfileError:
        return False
    return True


def import_months(environ: Mapping[str, str] = os.environ) -> int:
    """How many of an import's latest months are judged (``MUJUN_MONITOR_IMPORT_MONTHS``)."""
    text = environ.get(IMPORT_MONTHS_ENV, "").strip()
    if not text:
        return IMPORT_MONTHS
    count = int(text)
    if count < 0:
        raise ValueError(f"{IMPORT_MONTHS_ENV} is a number of months, not {count}")
    return count


def monitoring_work(
    engine: Engine, profile: Profile, month: str, *, issued_on: dt.date, actor: str
) -> Work:
    """The work of one job: judge ``month`` under ``profile``, keep the run and bring the
    warnings up to date; the warnings issued on ``issued_on``."""

    def work(on_progress: Progress) -> int:
        return monitor_and_keep(
            engine=engine,
            profile=profile,
            month=month,
            issued_on=issued_on,
            actor=actor,
            on_progress=on_progress,
        ).run_id

    return work


def in_force(profile: Profile, month: str) -> bool:
    """Whether every parameter of ``profile`` is in force on the month's last day."""
    try:
        profile.values(last_day(month)).in_force()
    except ParameterError:
        return False
    return True


def queue_months(
    start: StartJob,
    engine: Engine,
    months: Iterable[str],
    *,
    actor: str,
    issued_on: dt.date,
    profiles: Iterable[Profile] | None = None,
) -> list[Queued]:
    """Start a monitoring job for each month (oldest first) under each monitoring profile (in
    force on the month's last day); the jobs started."""
    chosen = monitoring_profiles() if profiles is None else list(profiles)
    queued = []
    for month in sorted({parse_month(m) for m in months}):
        for profile in chosen:
            if not in_force(profile, month):
                continue
            request = {"profile": profile.id, "month": month, "what_if": dict(profile.overrides)}
            work = monitoring_work(engine, profile, month, issued_on=issued_on, actor=actor)
            start(KIND, request, work)
            queued.append(Queued(profile.id, month))
    return queued


def queue_after_import(
    start: StartJob,
    engine: Engine,
    outcome: ImportOutcome,
    *,
    actor: str,
    today: dt.date | None = None,
    environ: Mapping[str, str] = os.environ,
) -> list[Queued]:
    """After a committed import: a monitoring job for each month of the monthly figures it
    wrote (its latest :func:`import_months`), under each monitoring profile; nothing for an
    import that wrote none."""
    if not outcome.committed or not outcome.months:
        return []
    count = import_months(environ)
    months = list(outcome.months)[-count:] if count else []
    return queue_months(
        start,
        engine,
        months,
        actor=actor,
        issued_on=today or dt.date.today(),
        profiles=monitoring_profiles(environ),
    )
