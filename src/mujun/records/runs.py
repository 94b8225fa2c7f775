"""Identification runs, kept: what was run (profile, version, parameters, as-of date), on
which data (a fingerprint of every row read), by whom, and every finding and every subject
that could not be judged, so that any verdict can be explained, reproduced and compared."""

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column

from mujun.records.base import BY_RUN, Base
from mujun.records.partitions import open_partitions


class IdentificationRun(Base):
    """One run of a profile's identification rules."""

    __tablename__ = "identification_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    profile: Mapped[str] = mapped_column(String(64), index=True)
    profile_version: Mapped[int] = mapped_column(Integer)
    as_of: Mapped[dt.date] = mapped_column(Date)
    parameters: Mapped[dict[str, str]] = mapped_column(JSON)
    """Every parameter's value in force on the as-of date, as a person writes it."""
    overrides: Mapped[dict[str, str]] = mapped_column(JSON)
    """The what-if values set for this run alone (empty for the profile as published)."""
    fingerprint: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(128))
    finding_count: Mapped[int] = mapped_column(Integer)
    unjudged: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    """Per rule and missing figure, how many subjects could not be judged."""
    rules: Mapped[list[str] | None] = mapped_column(JSON(none_as_null=True), nullable=True)
    """The rule ids judged when the run judged only some of its profile's rules
    (``identify --only``); null when it judged them all. A run of some rules is never the run
    of record."""


class Finding(Base):
    """One finding of a run: a subject, the rule it meets, and the figures compared."""

    __tablename__ = "findings"
    __table_args__ = (
        # A subject's findings in a run, and the run's findings by subject
        Index("ix_findings_run_subject", "run_id", "subject_id", "subject_type"),
        # The findings list: a run's and a county's in the list's order (the county's counted
        # too), by area and by subject
        Index(
            "ix_findings_run_county_order",
            "run_id",
            "county_code",
            "criterion",
            "subject_type",
            "subject_id",
        ),
        Index("ix_findings_run_area", "run_id", "area_m2"),
        Index("ix_findings_run_county_area", "run_id", "county_code", "area_m2"),
        Index("ix_findings_run_county_subject", "run_id", "county_code", "subject_id"),
        BY_RUN,
    )

    run_id: Mapped[int] = mapped_column(
        ForeignKey("identification_runs.id", ondelete="CASCADE"), primary_key=True
    )
    criterion: Mapped[str] = mapped_column(String(64), primary_key=True)
    subject_type: Mapped[str] = mapped_column(String(16), primary_key=True)
    subject_id: Mapped[str] = mapped_column(String, primary_key=True)
    category: Mapped[str] = mapped_column(String(32))
    subject_name: Mapped[str | None] = mapped_column(String)
    area_m2: Mapped[float | None] = mapped_column(Float)
    county_code: Mapped[str | None] = mapped_column(String)
    key: Mapped[bool] = mapped_column(Boolean)
    evidence: Mapped[str] = mapped_column(Text)
    """The figures compared, as a JSON object."""
    source: Mapped[str] = mapped_column(Text)


class UnjudgedSubject(Base):
    """A subject a rule of a run could not judge, and the figures it lacked."""

    __tablename__ = "unjudged_subjects"
    __table_args__ = BY_RUN

    run_id: Mapped[int] = mapped_column(
        ForeignKey("identification_runs.id", ondelete="CASCADE"), primary_key=True
    )
    criterion: Mapped[str] = mapped_column(String(64), primary_key=True)
    subject_type: Mapped[str] = mapped_column(String(16), primary_key=True)
    subject_id: Mapped[str] = mapped_column(String, primary_key=True)
    missing: Mapped[str] = mapped_column(Text)


event.listen(IdentificationRun, "after_insert", open_partitions)
