"""Long work started from the web (an identification or an evaluation run): what was asked, by
whom, how far it has got and how it ended, so that any worker process can show its progress."""

import datetime as dt
from typing import Any

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from mujun.records.base import Base


class Job(Base):
    """One run asked for in the web application. Not in the change log: the run it makes is
    kept with its actor, and the job itself is only its progress."""

    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))
    """``identification`` or ``evaluation``."""
    request: Mapped[dict[str, Any]] = mapped_column(JSON)
    """What was asked: profile, as-of date or year, what-if values."""
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    actor: Mapped[str] = mapped_column(String(128))
    state: Mapped[str] = mapped_column(String(16))
    """``queued``, ``running``, ``finished`` or ``failed``."""
    progress: Mapped[float] = mapped_column(Float)
    """From 0 to 1."""
    stage: Mapped[str | None] = mapped_column(Text)
    """What it is doing now, as the progress reports it."""
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    run_id: Mapped[int | None] = mapped_column(Integer)
    """The identification or evaluation run it made."""
    error: Mapped[str | None] = mapped_column(Text)
