"""A run's statements are compiled once: a later run replays them and finds the same, on any
day of the year they were compiled for (:mod:`mujun.analytics.plans`)."""

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from mujun.analytics.facts import Facts, facts_from_arrow
from mujun.analytics.plans import FOLDER_ENV
from mujun.identification.engine import Identification, identify, monthly_columns
from mujun.policy.profiles import all_profiles, load_profile
from tests.planted import planted_city

CITY = planted_city(enterprises=200, seed=5)


def run(profile_id: str, as_of: dt.date, *, compiling: bool = True) -> Identification:
    """A run of ``profile_id`` on the planted city, read afresh; with ``compiling`` False, one
    that must build no Ibis expression (it replays a plan)."""
    profile = load_profile(profile_id)
    facts = facts_from_arrow(CITY, monthly=monthly_columns(profile))
    try:
        identified = identify(facts=facts, profile=profile, as_of=as_of)
        assert ("backend" in vars(facts)) is compiling  # Ibis is made on the first expression
        return identified
    finally:
        facts.close()


def kept(plans: Path) -> dict[str, Any]:
    return {path.name: json.loads(path.read_text()) for path in plans.glob("*.json")}


@pytest.mark.parametrize("profile_id", ["ankang-2024", "tonglu-2022"])  # tonglu: grades made
def test_a_run_replays_the_plan_the_run_before_kept_and_finds_the_same(
    plans: Path, profile_id: str
) -> None:
    day = dt.date(2025, 12, 31)
    first = run(profile_id, day)
    assert len(kept(plans)) == 1
    replayed = run(profile_id, day, compiling=False)
    assert replayed.findings.num_rows > 0
    assert replayed.findings.equals(first.findings)
    assert replayed.unjudged.equals(first.unjudged)


def test_a_plan_serves_every_day_of_the_year_it_was_compiled_for(
    plans: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 2025-03-31 and 2025-11-30 both judge the figures of 2024 (rules.md: "the year")
    spring, autumn = dt.date(2025, 3, 31), dt.date(2025, 11, 30)
    run("cn-idle-2012", spring)
    replayed = run("cn-idle-2012", autumn, compiling=False)
    monkeypatch.setenv(FOLDER_ENV, str(tmp_path_factory.mktemp("elsewhere")))
    compiled = run("cn-idle-2012", autumn)
    assert not replayed.findings.equals(run("cn-idle-2012", spring, compiling=False).findings)
    assert replayed.findings.equals(compiled.findings)
    assert replayed.unjudged.equals(compiled.unjudged)


@pytest.mark.parametrize("profile_id", [p.id for p in all_profiles() if p.rules])
def test_no_statement_names_the_day_judged(
    profile_id: str, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    plans = []
    for day in (dt.date(2025, 6, 30), dt.date(2025, 9, 1)):
        monkeypatch.setenv(FOLDER_ENV, str(folder := tmp_path_factory.mktemp("plans")))
        run(profile_id, day)
        plans.append(kept(folder))
    assert len(plans[0]) == 1
    assert plans[0] == plans[1]


def test_facts_read_by_several_runs_keep_their_derived_tables_in_each_plan(plans: Path) -> None:
    profile = load_profile("cn-idle-2012")
    facts: Facts = facts_from_arrow(CITY)
    try:
        identify(facts=facts, profile=profile, as_of=dt.date(2023, 12, 31))
        identify(facts=facts, profile=profile, as_of=dt.date(2024, 12, 31))  # another year
    finally:
        facts.close()
    statements = [plan["statements"] for plan in kept(plans).values()]
    assert len(statements) == 2
    derived = [{s["name"] for s in plan if s["kind"] == "derived"} for plan in statements]
    assert derived[0] == derived[1] != set()
    replayed = run("cn-idle-2012", dt.date(2024, 12, 31), compiling=False)
    assert isinstance(replayed.findings, pa.Table)
