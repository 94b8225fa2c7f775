"""An evaluation's statements are compiled once: a later run replays them and grades the same,
its benchmarks read from its own data (:mod:`mujun.analytics.plans`)."""

import json
from pathlib import Path

import pyarrow as pa
import pytest

from mujun.analytics.facts import facts_from_arrow
from mujun.analytics.plans import FOLDER_ENV
from mujun.evaluation.engine import Evaluation, evaluate
from mujun.evaluation.service import ELECTRICITY
from mujun.policy.profiles import load_profile
from tests.planted import planted_city

YEAR = 2025
RELATIVE = "yancheng-2021"
"""A profile whose benchmarks are multiples of the year before's aggregates: read from the
data, run by run."""


def run(city: dict[str, pa.Table], *, compiling: bool) -> Evaluation:
    """``RELATIVE`` on ``city``; ``compiling`` says whether the run builds Ibis expressions
    (else it replays a plan)."""
    facts = facts_from_arrow(city, monthly=ELECTRICITY)
    try:
        evaluation = evaluate(facts=facts, profile=load_profile(RELATIVE), year=YEAR)
        assert ("backend" in vars(facts)) is compiling  # Ibis is made on the first expression
        return evaluation
    finally:
        facts.close()


def benchmarks(evaluation: Evaluation) -> set[float]:
    return {
        indicator["benchmark"]
        for points in evaluation.results["points"].to_pylist()
        for indicator in json.loads(points).values()
    }


def test_an_evaluation_replays_its_plan_and_grades_the_same(plans: Path) -> None:
    city = planted_city(enterprises=200, seed=5)
    first = run(city, compiling=True)
    assert len(list(plans.glob("*.json"))) == 1
    replayed = run(city, compiling=False)
    assert replayed.results.num_rows > 0
    assert replayed.results.equals(first.results)
    assert replayed.excluded.equals(first.excluded)


def test_a_replayed_plan_reads_its_benchmarks_from_its_own_data(
    plans: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    one, other = planted_city(enterprises=200, seed=5), planted_city(enterprises=200, seed=6)
    recorded = run(one, compiling=True)
    replayed = run(other, compiling=False)
    monkeypatch.setenv(FOLDER_ENV, str(tmp_path_factory.mktemp("elsewhere")))
    compiled = run(other, compiling=True)
    assert benchmarks(replayed) != benchmarks(recorded)
    assert replayed.results.equals(compiled.results)
    assert replayed.excluded.equals(compiled.excluded)
