"""Publication and objections (workflow.md §6): a kept run's preliminary list published for a
period of working days (公示), and each objection to a figure, routed to the department that
supplied it and answered by a correcting import or a reason.

Every row is written through the ORM, so every publication, objection and answer is in the
change log (:mod:`mujun.records.changes`) with its actor and reason.
"""

import datetime as dt

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from mujun.records.base import Base


class Publication(Base):
    """A kept run of a profile as published, its list published on ``published_on`` for
    ``working_days`` working days, the last of them ``ends_on``."""

    __tablename__ = "publications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(Integer, index=True)
    """The identification run published (kept; never a what-if run)."""
    published_on: Mapped[dt.date] = mapped_column(Date)
    working_days: Mapped[int] = mapped_column(Integer)
    """The period, as the profile's ``publication.working_days`` gave it on ``published_on``."""
    ends_on: Mapped[dt.date] = mapped_column(Date)
    """The last day an objection may be lodged (working days by the official calendar)."""
    published_by: Mapped[str] = mapped_column(String(128))
    note: Mapped[str | None] = mapped_column(Text)
    repeated_run_id: Mapped[int | None] = mapped_column(Integer)
    """The latest run repeating this one on the corrected data, if it has been repeated."""


class Objection(Base):
    """An objection to one value of one record: the value as stored when it was lodged, the
    value claimed, why, by whom, the import that wrote the value and the department it goes
    to, and its answer."""

    __tablename__ = "objections"
    __table_args__ = (Index("ix_objections_state_routed_to", "state", "routed_to"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    publication_id: Mapped[int | None] = mapped_column(
        ForeignKey("publications.id", ondelete="CASCADE"), index=True
    )
    """The publication it was lodged against (None: raised when a case was dismissed)."""
    run_id: Mapped[int] = mapped_column(Integer)
    """The run whose list is disputed: the publication's, or the run that opened the case."""
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="SET NULL"))
    """The case whose dismissal raised it, if any (workflow.md §1 ``dismissed``)."""
    subject_type: Mapped[str | None] = mapped_column(String(16))
    subject_id: Mapped[str | None] = mapped_column(String)
    county_code: Mapped[str | None] = mapped_column(String)
    """The subject's county, as the run's finding gives it."""
    table_name: Mapped[str] = mapped_column(String(64))
    object_key: Mapped[str] = mapped_column(Text)
    """The record's key parts joined by ``|``, as the change log writes it."""
    column_name: Mapped[str] = mapped_column(String(64))
    stored_value: Mapped[str | None] = mapped_column(Text)
    """The value as stored when the objection was lodged, as written (None: empty)."""
    claimed_value: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    lodged_by: Mapped[str] = mapped_column(String(256))
    """The enterprise or locality that objects (free text)."""
    lodged_on: Mapped[dt.date] = mapped_column(Date)
    recorded_by: Mapped[str] = mapped_column(String(128))
    """Who entered it."""
    source_import_id: Mapped[int | None] = mapped_column(ForeignKey("imports.id"))
    """The import that wrote the value disputed (None: written outside an import)."""
    routed_to: Mapped[str | None] = mapped_column(String(32))
    """The department that answers (a code of :data:`mujun.policy.duties.DEPARTMENTS`); None:
    no department supplies the value, the administrator answers."""
    state: Mapped[str] = mapped_column(String(16))
    """``open``, ``corrected`` or ``upheld``."""
    answer_import_id: Mapped[int | None] = mapped_column(ForeignKey("imports.id"))
    """The import that corrected the value."""
    corrected_value: Mapped[str | None] = mapped_column(Text)
    """The value stored once corrected."""
    answer_reason: Mapped[str | None] = mapped_column(Text)
    """Why the value stands (upheld)."""
    answered_on: Mapped[dt.date | None] = mapped_column(Date)
    answered_by: Mapped[str | None] = mapped_column(String(128))
