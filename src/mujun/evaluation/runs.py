"""Kept evaluation runs: an evaluation stored with every enterprise's grade and every enterprise
left out, so that the cockpit, the grade lists and an enterprise's page read the grades a
county published instead of recomputing them.

The runs of record are those grades: a year's run of record is its most recent run of a
profile as published; the run of record is that of the latest year so evaluated. A what-if run
(one with overrides) is never of record, whatever its year: it is seen only when asked for by
its id. Every page that shows grades without a run asked for reads them through
:func:`run_of_record` or :func:`runs_of_record`.
"""

import datetime as dt

import pyarrow as pa
from sqlalchemy import Engine, Subquery, Text, cast, func, select
from sqlalchemy.orm import Session

from mujun.evaluation.engine import EXCLUDED_SCHEMA, RESULTS_SCHEMA, Evaluation
from mujun.records import EvaluationRun, ExcludedEnterprise, Grade
from mujun.records.kept import Produced, forget_run, keep_run, kept_run, produced_rows, recent_runs

PUBLISHED = cast(EvaluationRun.overrides, Text) == "{}"
"""A run of a profile as published: no what-if values (stored as the JSON ``{}``)."""


class EvaluationNotFoundError(LookupError):
    """No evaluation run has the id asked for."""

    def __init__(self, run_id: int) -> None:
        super().__init__(f"no evaluation run {run_id}")
        self.run_id = run_id


def run_of_record(*, session: Session) -> EvaluationRun | None:
    """The grades shown without a run asked for: the latest year's run of record (see the
    module's docstring); None while no published run is kept."""
    return session.scalars(
        select(EvaluationRun)
        .where(PUBLISHED)
        .order_by(EvaluationRun.year.desc(), EvaluationRun.id.desc())
        .limit(1)
    ).first()


def runs_of_record(profile: str | None = None) -> Subquery:
    """``id, year``: each evaluated year's run of record (with ``profile``, that profile's
    latest published run of the year), one row a year."""
    ranked = (
        select(
            EvaluationRun.id,
            EvaluationRun.year,
            func.row_number()
            .over(partition_by=EvaluationRun.year, order_by=EvaluationRun.id.desc())
            .label("nth"),
        )
        .where(PUBLISHED, *([] if profile is None else [EvaluationRun.profile == profile]))
        .subquery("ranked_runs")
    )
    return select(ranked.c.id, ranked.c.year).where(ranked.c.nth == 1).subquery("of_record")


def save_evaluation(
    engine: Engine, evaluation: Evaluation, *, started_at: dt.datetime, actor: str
) -> int:
    """Store an evaluation with its grades and exclusions in one transaction; return the run's
    id."""
    profile = evaluation.profile
    return keep_run(
        engine,
        EvaluationRun,
        {
            "profile": profile.id,
            "profile_version": profile.version,
            "year": evaluation.year,
            "parameters": dict(evaluation.parameters),
            "overrides": dict(profile.overrides),
            "fingerprint": evaluation.fingerprint,
            "started_at": started_at,
            "finished_at": dt.datetime.now(dt.UTC),
            "actor": actor,
            "graded_count": evaluation.results.num_rows,
            "excluded_count": evaluation.excluded.num_rows,
        },
        [
            Produced(Grade, evaluation.results, written_in="ix_grades_run_county_order"),
            Produced(ExcludedEnterprise, evaluation.excluded),
        ],
    )


def list_evaluations(engine: Engine, *, limit: int = 50) -> list[EvaluationRun]:
    """The most recent runs first."""
    return recent_runs(engine, EvaluationRun, limit=limit)


def get_evaluation(engine: Engine, run_id: int) -> EvaluationRun:
    run = kept_run(engine, EvaluationRun, run_id)
    if run is None:
        raise EvaluationNotFoundError(run_id)
    return run


def evaluation_grades(engine: Engine, run_id: int) -> pa.Table:
    """A kept run's grades as the evaluation gave them (:data:`RESULTS_SCHEMA`), by cohort,
    rank and credit code."""
    get_evaluation(engine, run_id)
    order = ("cohort", "rank", "credit_code")
    return produced_rows(engine, Grade, run_id, RESULTS_SCHEMA, order)


def evaluation_excluded(engine: Engine, run_id: int) -> pa.Table:
    """The enterprises a kept run left out, by credit code (:data:`EXCLUDED_SCHEMA`)."""
    get_evaluation(engine, run_id)
    return produced_rows(engine, ExcludedEnterprise, run_id, EXCLUDED_SCHEMA, ["credit_code"])


def delete_evaluation(engine: Engine, run_id: int) -> None:
    get_evaluation(engine, run_id)
    forget_run(engine, EvaluationRun, run_id)
