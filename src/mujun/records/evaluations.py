"""Evaluation runs, kept: which profile graded which year, with which parameters, on which data
(a fingerprint of every row read), by whom; every enterprise's score and grade, and every
enterprise left out with the reason. The cockpit, the grade lists and an enterprise's page read
grades from here instead of recomputing them."""

import datetime as dt

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Index, Integer, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column

from mujun.records.base import BY_RUN, Base
from mujun.records.partitions import open_partitions


class EvaluationRun(Base):
    """One per-mu comprehensive evaluation of a year (亩均效益综合评价)."""

    __tablename__ = "evaluation_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    profile: Mapped[str] = mapped_column(String(64), index=True)
    profile_version: Mapped[int] = mapped_column(Integer)
    year: Mapped[int] = mapped_column(Integer)
    parameters: Mapped[dict[str, str]] = mapped_column(JSON)
    """Every parameter's value in force for the year, as a person writes it."""
    overrides: Mapped[dict[str, str]] = mapped_column(JSON)
    """The what-if values set for this run alone (empty for the profile as published)."""
    fingerprint: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(128))
    graded_count: Mapped[int] = mapped_column(Integer)
    excluded_count: Mapped[int] = mapped_column(Integer)


class Grade(Base):
    """One enterprise's score and grade in a run (a row of ``evaluation.engine.RESULTS_SCHEMA``)."""

    __tablename__ = "grades"
    __table_args__ = (
        # An enterprise's grades over the years are each found by the primary key, a run at a
        # time (the runs are few): an index of the credit code spanning every run cost each
        # run kept more than the one before it (migration 0025).
        # The grade list in its order, a run's and a county's (and counted); a run's by
        # score, grade and name
        Index("ix_grades_run_order", "run_id", "cohort", "rank", "credit_code"),
        Index(
            "ix_grades_run_county_order", "run_id", "county_code", "cohort", "rank", "credit_code"
        ),
        Index("ix_grades_run_score", "run_id", "score"),
        Index("ix_grades_run_grade", "run_id", "grade", "cohort", "rank", "credit_code"),
        Index("ix_grades_run_name", "run_id", "name"),
        # The industries graded, a run's and a county's
        Index("ix_grades_run_industry", "run_id", "industry_code"),
        Index("ix_grades_run_county_industry", "run_id", "county_code", "industry_code"),
        BY_RUN,
    )

    run_id: Mapped[int] = mapped_column(
        ForeignKey("evaluation_runs.id", ondelete="CASCADE"), primary_key=True
    )
    credit_code: Mapped[str] = mapped_column(String(18), primary_key=True)
    name: Mapped[str | None] = mapped_column(String)
    cohort: Mapped[str] = mapped_column(String(32))
    rank: Mapped[int] = mapped_column(Integer)
    cohort_size: Mapped[int] = mapped_column(Integer)
    score: Mapped[float] = mapped_column(Float)
    grade: Mapped[str] = mapped_column(String(1))
    land_mu: Mapped[float | None] = mapped_column(Float)
    deduction_points: Mapped[float] = mapped_column(Float)
    county_code: Mapped[str | None] = mapped_column(String)
    park_code: Mapped[str | None] = mapped_column(String)
    industry_code: Mapped[str | None] = mapped_column(String)
    indicators: Mapped[str] = mapped_column(Text)
    """Indicator values in base units, as a JSON object (null where missing)."""
    points: Mapped[str] = mapped_column(Text)
    """Per indicator: value, benchmark, weight, points and whether imputed, as a JSON object."""


class ExcludedEnterprise(Base):
    """An enterprise a run did not evaluate, and why (new enterprise, new land, too little
    land…)."""

    __tablename__ = "excluded_enterprises"
    __table_args__ = BY_RUN

    run_id: Mapped[int] = mapped_column(
        ForeignKey("evaluation_runs.id", ondelete="CASCADE"), primary_key=True
    )
    credit_code: Mapped[str] = mapped_column(String(18), primary_key=True)
    name: Mapped[str | None] = mapped_column(String)
    reason: Mapped[str] = mapped_column(Text)


event.listen(EvaluationRun, "after_insert", open_partitions)
