"""The evaluation as the command line and the web run it: read the records with the monthly
electricity the indicators need, evaluate the year, keep the run."""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine

from mujun.analytics.facts import Facts, load_facts
from mujun.evaluation.engine import Evaluation, evaluate
from mujun.evaluation.runs import save_evaluation
from mujun.policy.profiles import Profile
from mujun.progress import Progress, phase, silent

ELECTRICITY = ("electricity_kwh",)
"""The monthly figures the evaluation reads (for per-kWh indicators)."""


@dataclass(frozen=True)
class KeptEvaluation:
    """An evaluation stored under ``run_id``."""

    run_id: int
    evaluation: Evaluation


def load_evaluation_facts(engine: Engine, on_progress: Progress = silent) -> Facts:
    """The records as the evaluation reads them; the caller closes them."""
    return load_facts(engine, monthly=ELECTRICITY, on_progress=on_progress)


def evaluate_and_keep(
    *,
    engine: Engine,
    profile: Profile,
    year: int,
    actor: str,
    on_progress: Progress = silent,
    on_evaluated: Callable[[Evaluation], object] | None = None,
) -> KeptEvaluation:
    """Evaluate ``year`` under ``profile`` and keep the run. Raises what :func:`evaluate` raises
    (EvaluationError, ParameterError, ProfileError), keeping nothing. ``on_evaluated`` is given
    the evaluation as soon as it is computed, before it is kept: a caller may start on its
    output meanwhile (the command line renders its JSON)."""
    started = dt.datetime.now(dt.UTC)
    facts = load_evaluation_facts(engine, phase(on_progress, 0, 2))
    try:
        result = evaluate(
            facts=facts, profile=profile, year=year, on_progress=phase(on_progress, 1, 2)
        )
    finally:
        facts.close()
    if on_evaluated is not None:
        on_evaluated(result)
    run_id = save_evaluation(engine, result, started_at=started, actor=actor)
    return KeptEvaluation(run_id=run_id, evaluation=result)
