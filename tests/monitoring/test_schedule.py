"""The server's monthly monitoring: the month a run judges, the cron trigger's next fire
times (day 5 at 02:00 by default, in a given time zone), the settings (off for an application
made without them, as the tests' are; on for ``mujun serve`` unless turned off), and the job
function starting a monitoring job on the web application's worker, kept as the schedule's.
Nothing sleeps: the trigger is asked for its next time, the job function called."""

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, select
from sqlalchemy.orm import Session

from mujun.monitoring import jobs
from mujun.monitoring.jobs import KIND, Queued, Work
from mujun.monitoring.schedule import (
    ACTOR,
    JOB_ID,
    ScheduleError,
    ScheduleSettings,
    month_to_judge,
    monthly_run,
    schedule_settings,
    start_schedule,
    trigger,
)
from mujun.records import Job
from mujun.web.app import create_app
from tests.monitoring.conftest import PROFILE

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(  # noqa: PLR0917 (a moment as the tests write it)
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=SHANGHAI)


def test_a_run_judges_the_month_before() -> None:
    assert month_to_judge(dt.date(2025, 7, 5)) == "2025-06"
    assert month_to_judge(dt.date(2026, 1, 5)) == "2025-12"


def test_the_trigger_fires_on_the_day_and_time_of_each_month() -> None:
    fifth = trigger(ScheduleSettings(enabled=True), SHANGHAI)
    assert fifth.get_next_fire_time(None, at(2025, 7, 4, 12)) == at(2025, 7, 5, 2)
    assert fifth.get_next_fire_time(None, at(2025, 7, 5, 2, 0, 1)) == at(2025, 8, 5, 2)
    assert fifth.get_next_fire_time(None, at(2025, 12, 31, 23)) == at(2026, 1, 5, 2)
    tenth = trigger(schedule_settings({"MUJUN_MONITOR_DAY": "10", "MUJUN_MONITOR_TIME": "23:30"}))
    assert tenth.get_next_fire_time(None, at(2025, 7, 5)).timetuple()[1:5] == (7, 10, 23, 30)


def test_the_settings_are_off_unless_the_server_reads_them() -> None:
    assert not ScheduleSettings().enabled
    assert schedule_settings({}) == ScheduleSettings(enabled=True, day=5, hour=2, minute=0)
    assert not schedule_settings({"MUJUN_MONITOR_SCHEDULE": "off"}).enabled
    for wrong in ({"MUJUN_MONITOR_DAY": "31"}, {"MUJUN_MONITOR_TIME": "2 am"}):
        with pytest.raises(ScheduleError):
            schedule_settings(wrong)
    with pytest.raises(ScheduleError):
        schedule_settings({"MUJUN_MONITOR_SCHEDULE": "sometimes"})
    assert start_schedule(lambda *_: None, None, None) is None  # type: ignore[arg-type]
    off = ScheduleSettings(enabled=False)
    assert start_schedule(lambda *_: None, None, off) is None  # type: ignore[arg-type]


def test_the_job_function_starts_a_job_for_the_month_before() -> None:
    started: list[tuple[str, dict[str, Any], Work]] = []
    queued = monthly_run(
        lambda kind, request, work: started.append((kind, request, work)),
        create_engine("sqlite://"),  # the jobs' work is not done here
        today=dt.date(2025, 7, 5),
    )
    assert queued == [Queued(PROFILE, "2025-06")]
    assert [(kind, request) for kind, request, _ in started] == [
        (KIND, {"profile": PROFILE, "month": "2025-06", "what_if": {}})
    ]


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_the_server_schedules_the_run_on_its_worker(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    judged: list[tuple[str, str, dt.date]] = []

    class Kept:
        run_id = 7

    def kept(*, month: str, actor: str, issued_on: dt.date, **_: Any) -> Kept:
        judged.append((month, actor, issued_on))
        return Kept()

    monkeypatch.setattr(jobs, "monitor_and_keep", kept)
    quiet = create_app(engine)
    with TestClient(quiet):
        assert quiet.state.monitor_scheduler is None  # no schedule unless asked for
    app = create_app(engine)
    app.state.monitor_schedule = ScheduleSettings(enabled=True, day=5)
    with TestClient(app):
        scheduler = app.state.monitor_scheduler
        job = scheduler.get_job(JOB_ID)
        assert (job.next_run_time.day, job.next_run_time.hour) == (5, 2)
        job.func(*job.args, today=dt.date(2025, 7, 5))  # as the trigger would, on the 5th
    assert not scheduler.running  # stopped with the application
    with Session(engine) as db:
        (kept_job,) = db.scalars(select(Job)).all()
    assert (kept_job.kind, kept_job.request["month"], kept_job.actor) == (KIND, "2025-06", ACTOR)
    assert (kept_job.account_id, kept_job.state, kept_job.run_id) == (None, "finished", 7)
    assert judged == [("2025-06", ACTOR, dt.date(2025, 7, 5))]
