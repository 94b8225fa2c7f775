"""Long work started from the web application (an identification or an evaluation run), done in
the background by the application's one worker thread, with its progress kept in the jobs table
(:class:`~mujun.records.jobs.Job`) so that any request can show it.

A job is ``queued`` when asked for, ``running`` while the worker does it (the fraction done and
the stage the work reports, written at most every :data:`PROGRESS_INTERVAL` seconds), then
``finished`` with the id of the run it kept, or ``failed`` with the reason in words beside the
last stage written. One worker does one job at a time: every run reads the whole city, and two
at once would only slow each other down. Jobs a server leaves unfinished (it stopped, or
crashed) are marked ``failed`` as interrupted when it stops and when it starts: one database
serves one application process.
"""

import asyncio
import datetime as dt
import logging
import time
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from enum import StrEnum
from typing import Any

from fastapi import FastAPI, Request
from sqlalchemy import Engine, update
from sqlalchemy.orm import Session

from mujun.evaluation.engine import EvaluationError
from mujun.monitoring.schedule import ACTOR as SCHEDULE_ACTOR
from mujun.monitoring.schedule import start_schedule
from mujun.policy.parameters import ParameterError
from mujun.policy.profiles import ProfileError
from mujun.progress import Progress
from mujun.records.accounts import Account
from mujun.records.jobs import Job

log = logging.getLogger(__name__)

PROGRESS_INTERVAL = 0.5
"""Seconds between two writes of a job's progress."""
INTERRUPTED = "中断：服务器在任务完成前停止 / interrupted: the server stopped before the job ended"
REFUSALS = (EvaluationError, ParameterError, ProfileError)
"""Errors in which the work says why the data or the profile cannot make the run: kept as
they are worded. Any other error is kept as its type and message, and logged."""

Work = Callable[[Progress], int]
"""A job's work: given where to report its progress, make the run and return the run's id."""


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    FINISHED = "finished"
    FAILED = "failed"


class Worker:
    """The application's one worker thread, and the database its jobs are kept in."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mujun-job")

    def start(
        self,
        *,
        kind: str,
        request: dict[str, Any],
        account: Account | None,
        work: Work,
        actor: str | None = None,
    ) -> Job:
        """Keep a ``queued`` job that ``account`` asked for (or, with no account, ``actor``:
        the server's schedule), and give ``work`` to the thread."""
        if account is None and actor is None:
            raise ValueError("a job is asked for by an account or a named actor")
        job = Job(
            kind=kind,
            request=request,
            account_id=None if account is None else account.id,
            actor=actor or (account.username if account is not None else ""),
            state=JobState.QUEUED.value,
            progress=0.0,
            created_at=dt.datetime.now(dt.UTC),
        )
        with Session(self.engine, expire_on_commit=False) as session:
            session.add(job)
            session.commit()
        self._pool.submit(self._run, job.id, work)
        return job

    def stop(self) -> None:
        """Let the job under way end, drop the queued ones and mark them interrupted."""
        self._pool.shutdown(wait=True, cancel_futures=True)
        mark_interrupted(self.engine)

    def _run(self, job_id: int, work: Work) -> None:
        """In the thread: do one job and keep how it ended."""
        try:
            _update(self.engine, job_id, state=JobState.RUNNING.value)
            run_id = work(ProgressWriter(self.engine, job_id))
        except REFUSALS as error:
            self._fail(job_id, str(error))
        except Exception as error:
            log.exception("job %d failed", job_id)
            self._fail(job_id, f"{type(error).__name__}: {error}")
        else:
            _update(
                self.engine,
                job_id,
                state=JobState.FINISHED.value,
                progress=1.0,
                stage=None,
                run_id=run_id,
                finished_at=dt.datetime.now(dt.UTC),
            )

    def _fail(self, job_id: int, error: str) -> None:
        _update(
            self.engine,
            job_id,
            state=JobState.FAILED.value,
            error=error,
            finished_at=dt.datetime.now(dt.UTC),
        )


class ProgressWriter:
    """A :data:`~mujun.progress.Progress` that writes into a job's row, skipping reports that
    come sooner than ``interval`` seconds after the last one written."""

    def __init__(self, engine: Engine, job_id: int, interval: float = PROGRESS_INTERVAL) -> None:
        self.engine = engine
        self.job_id = job_id
        self.interval = interval
        self._written = -float("inf")

    def __call__(self, stage: str, done: float) -> None:
        now = time.monotonic()
        if now - self._written < self.interval:
            return
        self._written = now
        _update(self.engine, self.job_id, progress=min(max(done, 0.0), 1.0), stage=stage)


def mark_interrupted(engine: Engine) -> None:
    """Mark every job still ``queued`` or ``running`` as failed: interrupted."""
    with engine.begin() as conn:
        conn.execute(
            update(Job)
            .where(Job.state.in_([JobState.QUEUED.value, JobState.RUNNING.value]))
            .values(
                state=JobState.FAILED.value,
                error=INTERRUPTED,
                finished_at=dt.datetime.now(dt.UTC),
            )
        )


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """The application's worker (``app.state.worker``) for as long as it serves; jobs left
    unfinished by an earlier server are marked interrupted first. With
    ``app.state.monitor_schedule`` set (``mujun serve``), the monthly monitoring schedule
    starts jobs on the worker too (:mod:`mujun.monitoring.schedule`)."""
    engine: Engine = app.state.engine
    await asyncio.to_thread(mark_interrupted, engine)
    worker = Worker(engine)
    app.state.worker = worker
    scheduler = start_schedule(
        lambda kind, request, work: worker.start(
            kind=kind, request=request, account=None, work=work, actor=SCHEDULE_ACTOR
        ),
        engine,
        getattr(app.state, "monitor_schedule", None),
    )
    app.state.monitor_scheduler = scheduler
    try:
        yield
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)
        await asyncio.to_thread(worker.stop)


def worker_of(request: Request) -> Worker:
    """The worker of the application serving ``request``."""
    worker: Worker = request.app.state.worker
    return worker


def _update(engine: Engine, job_id: int, **values: Any) -> None:
    with engine.begin() as conn:
        conn.execute(update(Job).where(Job.id == job_id).values(**values))
