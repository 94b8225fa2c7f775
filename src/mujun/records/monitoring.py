"""Monitoring runs and the warnings they raise (workflow.md §3).

A run is kept like an identification run (profile, month, parameters, fingerprint, the subjects
it could not judge), through the bulk path. A warning is a record with a life: raised by one
run, continued by the runs that fire it again (one :class:`WarningMonth` each, with the
evidence of that month), lifted when its signal stops firing, or received, handled and closed;
it is written through the change log (:mod:`mujun.records.changes`).
"""

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from mujun.records.base import Base


class MonitoringRun(Base):
    """One month judged under a profile."""

    __tablename__ = "monitoring_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    profile: Mapped[str] = mapped_column(String(64), index=True)
    profile_version: Mapped[int] = mapped_column(Integer)
    month: Mapped[str] = mapped_column(String(7), index=True)
    """``YYYY-MM``: the month judged (dated records as of its last day)."""
    issued_on: Mapped[dt.date] = mapped_column(Date)
    """The day its warnings were issued: receipt deadlines count from it."""
    parameters: Mapped[dict[str, str]] = mapped_column(JSON)
    overrides: Mapped[dict[str, str]] = mapped_column(JSON)
    fingerprint: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(128))
    warning_count: Mapped[int] = mapped_column(Integer)
    """How many subjects a signal fired for (new and continued warnings)."""
    unjudged: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    """Per signal, how many subjects could not be judged and the figures missing."""


class MonitoringUnjudged(Base):
    """A subject a signal of a run could not judge, and the figures it lacked."""

    __tablename__ = "monitoring_unjudged"

    run_id: Mapped[int] = mapped_column(
        ForeignKey("monitoring_runs.id", ondelete="CASCADE"), primary_key=True
    )
    signal: Mapped[str] = mapped_column(String(64), primary_key=True)
    subject_type: Mapped[str] = mapped_column(String(16), primary_key=True)
    subject_id: Mapped[str] = mapped_column(String, primary_key=True)
    missing: Mapped[str] = mapped_column(Text)


class EarlyWarning(Base):
    """A warning: one signal on one subject, from the month it began while it keeps firing."""

    __tablename__ = "warnings"
    __table_args__ = (
        Index("ix_warnings_county_state", "county_code", "state"),
        Index("ix_warnings_state_level", "state", "level"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    profile: Mapped[str] = mapped_column(String(64))
    """The profile of the run that raised it: its receipt period applies."""
    signal: Mapped[str] = mapped_column(String(64))
    level: Mapped[str] = mapped_column(String(8))
    subject_type: Mapped[str] = mapped_column(String(16))
    subject_id: Mapped[str] = mapped_column(String)
    subject_name: Mapped[str | None] = mapped_column(String)
    county_code: Mapped[str | None] = mapped_column(String)
    routed_to: Mapped[list[str]] = mapped_column(JSON)
    """The county's code and the departments' codes of the duty table."""
    open_key: Mapped[str | None] = mapped_column(String, unique=True)
    """``signal|subject_type|subject_id`` while the warning is live, None once closed or
    lifted: at most one live warning per signal and subject."""
    state: Mapped[str] = mapped_column(String(16))
    since: Mapped[str] = mapped_column(String(7))
    """The month it began."""
    last_month: Mapped[str] = mapped_column(String(7))
    """The latest month it fired."""
    evidence: Mapped[str] = mapped_column(Text)
    """The figures of the latest month it fired (a JSON object)."""
    raised_by_run: Mapped[int] = mapped_column(ForeignKey("monitoring_runs.id"))
    issued_on: Mapped[dt.date] = mapped_column(Date)
    received_on: Mapped[dt.date | None] = mapped_column(Date)
    received_by: Mapped[str | None] = mapped_column(String(128))
    feedback: Mapped[str | None] = mapped_column(Text)
    """The latest 处置反馈 (earlier ones are in the change log)."""
    feedback_on: Mapped[dt.date | None] = mapped_column(Date)
    feedback_by: Mapped[str | None] = mapped_column(String(128))
    closed_on: Mapped[dt.date | None] = mapped_column(Date)
    closed_by: Mapped[str | None] = mapped_column(String(128))
    close_reason: Mapped[str | None] = mapped_column(Text)
    lifted_month: Mapped[str | None] = mapped_column(String(7))
    """The month it stopped firing (解除)."""
    case_id: Mapped[int | None] = mapped_column(
        ForeignKey("cases.id", ondelete="SET NULL"), index=True
    )
    """The disposal case it belongs to, where one is linked."""


class WarningMonth(Base):
    """One month a warning fired: the run that judged it and the figures compared."""

    __tablename__ = "warning_months"

    warning_id: Mapped[int] = mapped_column(
        ForeignKey("warnings.id", ondelete="CASCADE"), primary_key=True
    )
    run_id: Mapped[int] = mapped_column(
        ForeignKey("monitoring_runs.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    month: Mapped[str] = mapped_column(String(7))
    level: Mapped[str] = mapped_column(String(8))
    evidence: Mapped[str] = mapped_column(Text)
