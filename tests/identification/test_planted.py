"""Every planted case (tests.planted.SCENARIOS, added to a demo city) judged as it claims, by
every shipped profile that applies its rule; and every profile yields every category it
defines."""

import datetime as dt
import json
from collections.abc import Iterator

import pytest

from mujun.analytics.facts import Facts, facts_from_arrow
from mujun.analytics.land import holdings
from mujun.demo import DEMO_AS_OF
from mujun.evaluation.engine import evaluate
from mujun.identification.engine import Identification, identify
from mujun.policy.profiles import all_profiles, load_profile
from tests.planted import SCENARIOS, Case, planted_city

ELECTRICITY = ("electricity_kwh",)


PROFILES = [profile.id for profile in all_profiles() if profile.rules]
CASES = [
    (profile.id, case)
    for profile in all_profiles()
    for rule, cases in SCENARIOS.items()
    if rule in profile.rules
    for case in cases
]


@pytest.fixture(scope="module")
def demo_facts() -> Iterator[Facts]:
    facts = facts_from_arrow(planted_city(enterprises=300, seed=3), monthly=ELECTRICITY)
    yield facts
    facts.close()


_RUNS: dict[tuple[str, dt.date], Identification] = {}


def _run(facts: Facts, profile_id: str, as_of: dt.date) -> Identification:
    if (profile_id, as_of) not in _RUNS:
        _RUNS[profile_id, as_of] = identify(
            facts=facts, profile=load_profile(profile_id), as_of=as_of
        )
    return _RUNS[profile_id, as_of]


def _case_id(item: tuple[str, Case]) -> str:
    profile_id, case = item
    return f"{profile_id}:{case.rule}:{case.subject_id}@{case.as_of}"


@pytest.mark.parametrize("item", CASES, ids=[_case_id(c) for c in CASES])
def test_planted_case(demo_facts: Facts, item: tuple[str, Case]) -> None:
    profile_id, case = item
    run = _run(demo_facts, profile_id, case.as_of)
    subject = (case.rule, case.subject_type, case.subject_id)
    found = {
        (f["criterion"], f["subject_type"], f["subject_id"]): f for f in run.findings.to_pylist()
    }
    unjudged = {
        (u["criterion"], u["subject_type"], u["subject_id"]) for u in run.unjudged.to_pylist()
    }
    verdict = "hit" if subject in found else "unjudged" if subject in unjudged else "miss"
    assert verdict == case.expected, case.note
    if case.expected == "hit" and case.key is not None:
        assert found[subject]["key"] is case.key, case.note


@pytest.mark.parametrize("profile_id", PROFILES)
def test_every_category_found(demo_facts: Facts, profile_id: str) -> None:
    profile = load_profile(profile_id)
    run = _run(demo_facts, profile_id, DEMO_AS_OF)
    defined = {rule.category.value for rule in profile.rules.values()}
    assert set(run.findings["category"].to_pylist()) == defined


def test_tonglu_other_reads_grade_d_from_the_evaluation(demo_facts: Facts) -> None:
    """Every parcel held by an enterprise graded D (huangyan-2022, year 2025) is other
    low-efficiency land, and says so; no parcel is found for a better grade alone. (An
    enterprise graded D that holds no parcel, its land all leased in, flags nothing.)"""
    run = _run(demo_facts, "tonglu-2022", DEMO_AS_OF)
    grades = {
        r["credit_code"]: r["grade"]
        for r in evaluate(
            facts=demo_facts, profile=load_profile("huangyan-2022"), year=DEMO_AS_OF.year
        ).results.to_pylist()
    }
    other = [f for f in run.findings.to_pylist() if f["criterion"] == "tonglu/other"]
    evidence = [json.loads(f["evidence"]) for f in other]
    graded_d = {e["credit_code"] for e in evidence if e["grade"] == "D"}
    holders = set(holdings(demo_facts).to_pyarrow()["credit_code"].to_pylist())
    assert graded_d == {code for code, grade in grades.items() if grade == "D"} & holders
    assert graded_d
    for e in evidence:
        assert e["grade"] == grades.get(e["credit_code"])
        assert e["grade"] == "D" or e["compliance_kinds"]
        assert (e["evaluation"], e["evaluation_year"]) == ("huangyan-2022", DEMO_AS_OF.year)


def test_what_counts_as_the_same_industry_is_a_parameter(demo_facts: Facts) -> None:
    """rules.md: the GB/T 4754 division by default (C34); a profile may compare classes."""
    published = _run(demo_facts, "ankang-2024", DEMO_AS_OF)
    by_class = identify(
        facts=demo_facts,
        profile=load_profile("ankang-2024").with_overrides({"per_mu.same_industry": "class"}),
        as_of=DEMO_AS_OF,
    )
    for run, length in ((published, 3), (by_class, 5)):
        codes = {
            json.loads(f["evidence"])["industry_division"]
            for f in run.findings.to_pylist()
            if f["criterion"] == "ankang/low/5"
        } - {None}
        assert codes and {len(code) for code in codes} == {length}
