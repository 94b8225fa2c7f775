"""The server's monthly monitoring (issue 13): on day N of each month (default the 5th, at
02:00 local time) the previous month is judged under each monitoring profile, as a background
job like any other (:mod:`.jobs`). The schedule is kept by APScheduler 3's
``BackgroundScheduler`` (a cron trigger), started and stopped with the web application's
worker (:func:`mujun.web.jobs.lifespan`).

Settings, read by ``mujun serve`` (:func:`schedule_settings`): ``MUJUN_MONITOR_SCHEDULE``
(``on`` or ``off``; on by default for the server), ``MUJUN_MONITOR_DAY`` (1–28, default 5) and
``MUJUN_MONITOR_TIME`` (``HH:MM``, default 02:00). An application made without them (the tests')
has no schedule.
"""

import datetime as dt
import logging
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import Engine

from mujun.monitoring.jobs import Queued, StartJob, queue_months
from mujun.monitoring.months import shifted
from mujun.policy.profiles import Profile

log = logging.getLogger(__name__)

ENABLED_ENV = "MUJUN_MONITOR_SCHEDULE"
DAY_ENV = "MUJUN_MONITOR_DAY"
TIME_ENV = "MUJUN_MONITOR_TIME"
ACTOR = "定时监测"
"""Who the scheduled runs are kept as (the change log's actor, the job's)."""
JOB_ID = "monthly-monitoring"
_ON, _OFF = {"on", "1", "true", "yes"}, {"off", "0", "false", "no"}


class ScheduleError(ValueError):
    """A setting of the schedule that cannot be read."""


@dataclass(frozen=True)
class ScheduleSettings:
    """Whether the server judges each month by itself, and on which day and at what time."""

    enabled: bool = False
    day: int = 5
    hour: int = 2
    minute: int = 0

    def __post_init__(self) -> None:
        if not 1 <= self.day <= 28:
            raise ScheduleError(f"{DAY_ENV}: a day every month has (1–28), not {self.day}")
        if not (0 <= self.hour <= 23 and 0 <= self.minute <= 59):
            raise ScheduleError(f"{TIME_ENV}: not a time of day: {self.hour}:{self.minute}")


def schedule_settings(environ: Mapping[str, str] = os.environ) -> ScheduleSettings:
    """The server's schedule from its environment: on unless ``MUJUN_MONITOR_SCHEDULE`` is
    ``off``; the 5th at 02:00 unless ``MUJUN_MONITOR_DAY`` / ``MUJUN_MONITOR_TIME`` say
    otherwise."""
    switch = environ.get(ENABLED_ENV, "on").strip().lower()
    if switch not in _ON | _OFF:
        raise ScheduleError(f"{ENABLED_ENV} is on or off, not {switch!r}")
    day_text = environ.get(DAY_ENV, "5").strip()
    time_text = environ.get(TIME_ENV, "02:00").strip()
    try:
        day = int(day_text)
        at = dt.time.fromisoformat(time_text)
    except ValueError:
        raise ScheduleError(
            f"{DAY_ENV} is a day of the month and {TIME_ENV} a time (HH:MM): "
            f"{day_text!r}, {time_text!r}"
        ) from None
    return ScheduleSettings(enabled=switch in _ON, day=day, hour=at.hour, minute=at.minute)


def month_to_judge(today: dt.date) -> str:
    """The month a run on ``today`` judges: the one before (2025-07-05 judges 2025-06)."""
    return shifted(f"{today.year:04d}-{today.month:02d}", -1)


def trigger(settings: ScheduleSettings, timezone: Any = None) -> CronTrigger:
    """Day ``settings.day`` of every month at its time, in ``timezone`` (default: the
    machine's)."""
    return CronTrigger(
        day=settings.day, hour=settings.hour, minute=settings.minute, timezone=timezone
    )


def monthly_run(
    start: StartJob,
    engine: Engine,
    *,
    today: dt.date | None = None,
    profiles: Iterable[Profile] | None = None,
) -> list[Queued]:
    """What the schedule does: start a monitoring job for the month before ``today`` under
    each monitoring profile; its warnings are issued ``today``."""
    day = today or dt.date.today()
    queued = queue_months(
        start, engine, [month_to_judge(day)], actor=ACTOR, issued_on=day, profiles=profiles
    )
    log.info("scheduled monitoring: %s", ", ".join(f"{q.profile} {q.month}" for q in queued))
    return queued


def start_schedule(
    start: StartJob,
    engine: Engine,
    settings: ScheduleSettings | None,
    *,
    timezone: Any = None,
) -> BackgroundScheduler | None:
    """The running scheduler of the monthly run, or None when there is no schedule (no
    settings, or turned off). The caller shuts it down."""
    if settings is None or not settings.enabled:
        return None
    scheduler = BackgroundScheduler(daemon=True)
    scheduler.add_job(
        monthly_run,
        trigger(settings, timezone),
        args=[start, engine],
        id=JOB_ID,
        coalesce=True,
        max_instances=1,
        misfire_grace_time=3600,
    )
    scheduler.start()
    return scheduler
