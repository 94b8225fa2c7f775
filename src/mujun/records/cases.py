"""Disposal cases (workflow.md §1, §2): one file per subject and category, from the finding
that opened it to its exit, with every state move, the plan, the tasks dispatched, the legal
steps of the idle-land track and the documents served.

Every row is written through the ORM, so every change is in the change log
(:mod:`mujun.records.changes`) with its actor and reason.
"""

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from mujun.records.base import Base


class Case(Base):
    """The file of one subject in one category."""

    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_county_state", "county_code", "state"),
        Index("ix_cases_state_id", "state", "id"),  # a state's first cases by number
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    profile: Mapped[str] = mapped_column(String(64))
    """The profile of the run that opened it: its disposal paths and legal terms apply."""
    subject_type: Mapped[str] = mapped_column(String(16))
    subject_id: Mapped[str] = mapped_column(String)
    category: Mapped[str] = mapped_column(String(32))
    open_key: Mapped[str | None] = mapped_column(String, unique=True)
    """``subject_type|subject_id|category`` while the case is open, None once it is closed or
    dismissed: at most one open case per subject and category, whatever writes."""
    subject_name: Mapped[str | None] = mapped_column(String)
    area_m2: Mapped[float | None] = mapped_column(Float)
    county_code: Mapped[str | None] = mapped_column(String)
    state: Mapped[str] = mapped_column(String(16))
    entered_on: Mapped[dt.date] = mapped_column(Date)
    """The date of the move into the present state."""
    opened_on: Mapped[dt.date] = mapped_column(Date)
    opened_by_run: Mapped[int | None] = mapped_column(Integer)
    """The identification run whose finding opened it; None for a case opened from a warning."""
    opened_by_warning: Mapped[int | None] = mapped_column(Integer)
    """The early warning that opened it (its signal the case's criterion), if a warning did.
    A plain number like ``opened_by_run``: ``warnings.case_id`` already points at the case,
    and a key back would make the two tables depend on each other."""
    idle_since: Mapped[dt.date | None] = mapped_column(Date)
    """For idle land, the date the opening finding's rule says the land became idle."""
    land_price_yuan: Mapped[float | None] = mapped_column(Float)
    """For idle land, the land price the opening finding read (None: unknown)."""


class CaseFinding(Base):
    """A finding of a kept run that opened or joined a case, with its evidence as found."""

    __tablename__ = "case_findings"

    case_id: Mapped[int] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True
    )
    run_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    criterion: Mapped[str] = mapped_column(String(64), primary_key=True)
    as_of: Mapped[dt.date] = mapped_column(Date)
    evidence: Mapped[str] = mapped_column(Text)
    """The figures compared, as the run's finding gives them (a JSON object)."""


class CaseMove(Base):
    """One move of a case from a state to another: dated, by whom, why."""

    __tablename__ = "case_moves"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    from_state: Mapped[str | None] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16))
    date: Mapped[dt.date] = mapped_column(Date)
    actor: Mapped[str] = mapped_column(String(128))
    reason: Mapped[str] = mapped_column(Text)
    evidence: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """For a refused exit, the figures that still fail."""


class CasePlan(Base):
    """The plan (一地一策) of a case: a disposal path its profile offers, measures, the
    responsible unit, the due date and milestones."""

    __tablename__ = "case_plans"

    case_id: Mapped[int] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True
    )
    path: Mapped[str] = mapped_column(String(32))
    measures: Mapped[str] = mapped_column(Text)
    unit: Mapped[str | None] = mapped_column(String(64))
    due: Mapped[dt.date] = mapped_column(Date)
    milestones: Mapped[list[dict[str, str]]] = mapped_column(JSON)
    """``[{"what": …, "due": "YYYY-MM-DD"}]``."""
    tax_per_mu_target_yuan: Mapped[float | None] = mapped_column(Float)
    """The per-mu tax (元/亩) the plan agreed with the holder, if any: the exit evaluation
    requires the subject to reach it (workflow.md §1, "any plan target")."""
    recorded_on: Mapped[dt.date] = mapped_column(Date)


class CaseTask(Base):
    """A piece of a plan's work dispatched to a unit (a department or a town or park):
    dispatched → accepted → done; overdue is read off its due date, never stored."""

    __tablename__ = "case_tasks"
    __table_args__ = (Index("ix_case_tasks_unit_state", "unit", "state"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    unit: Mapped[str] = mapped_column(String(64))
    what: Mapped[str] = mapped_column(Text)
    due: Mapped[dt.date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(16))
    dispatched_on: Mapped[dt.date] = mapped_column(Date)
    accepted_on: Mapped[dt.date | None] = mapped_column(Date)
    done_on: Mapped[dt.date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    attachment_id: Mapped[int | None] = mapped_column(ForeignKey("case_files.id"))


class CaseEvent(Base):
    """A step of the idle-land legal track (workflow.md §2), dated (a notice or decision by
    its service date)."""

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    date: Mapped[dt.date] = mapped_column(Date)
    cause: Mapped[str | None] = mapped_column(String(16))
    until: Mapped[dt.date | None] = mapped_column(Date)
    actor: Mapped[str] = mapped_column(String(128))
    note: Mapped[str | None] = mapped_column(Text)


class CaseFile(Base):
    """A file kept with a case: a document it generated (as served) or an attachment."""

    __tablename__ = "case_files"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(128))
    size: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary, info={"secret": True})
    """Not copied into the change log (its name, size and hash are)."""
    sha256: Mapped[str] = mapped_column(String(64))
    stored_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(128))


class CaseDocument(Base):
    """A document of a case, registered with its number; deadlines count from its service."""

    __tablename__ = "case_documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    number: Mapped[str] = mapped_column(String(64), unique=True)
    issued_on: Mapped[dt.date] = mapped_column(Date)
    served_on: Mapped[dt.date | None] = mapped_column(Date)
    file_id: Mapped[int] = mapped_column(ForeignKey("case_files.id"))
