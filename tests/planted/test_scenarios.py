"""The planted cases: every rule id covered on both sides, each case what it claims, and the
planted rows the same on top of any demo city while the demo city itself has none of them."""

import re
from collections import Counter
from datetime import date
from fnmatch import fnmatchcase
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from mujun.demo import DEMO_AS_OF, generate
from mujun.interchange.schema import table as table_of
from tests.planted import SCENARIOS, Case, planted_city, planted_tables, with_planted_cases
from tests.planted.planting import COUNTY_A, COUNTY_B
from tests.planted.reading import READINGS, Data

# The rule ids of rules.md (its tables' first column); checked against the file when present.
RULE_IDS = (
    "idle/not-started",
    "idle/stalled",
    "ankang/low/1",
    "ankang/low/2",
    "ankang/low/3",
    "ankang/low/4",
    "ankang/low/5",
    "ankang/building/1",
    "ankang/building/2",
    "ankang/abnormal/1",
    "ankang/abnormal/2",
    "ankang/abnormal/3",
    "ankang/abnormal/4",
    "ankang/abnormal/5",
    "tonglu/low",
    "tonglu/unfinished",
    "tonglu/non-industrial",
    "tonglu/other",
    "yancheng/list/land",
    "yancheng/list/factory",
    "yancheng/list/building",
    "yancheng/db/*",
    "yuzhou/approved-not-supplied",
)
# Rules with a number or a date in their threshold: each has a case exactly at it.
THRESHOLD_RULES = (
    "idle/not-started",
    "idle/stalled",
    "ankang/low/3",
    "ankang/low/5",
    "ankang/building/1",
    "ankang/building/2",
    "ankang/abnormal/2",
    "ankang/abnormal/4",
    "ankang/abnormal/5",
    "tonglu/low",
    "tonglu/non-industrial",
    "yancheng/list/land",
    "yancheng/list/factory",
    "yancheng/list/building",
    "yancheng/db/land",
    "yancheng/db/factory",
    "yancheng/db/building",
    "yuzhou/approved-not-supplied",
)
RULES_MD = Path("/work/shared/spec/rules.md")
SUBJECT_TABLES = {
    "parcel": ("parcels", "parcel_id"),
    "building": ("buildings", "building_id"),
    "enterprise": ("enterprises", "credit_code"),
    "approval": ("land_approvals", "approval_id"),
}
ALL_CASES = [case for cases in SCENARIOS.values() for case in cases]


def _matching(rule_id: str) -> list[str]:
    return [rule for rule in SCENARIOS if fnmatchcase(rule, rule_id)]


def _case_id(case: Case) -> str:
    return f"{case.rule}:{case.subject_id}@{case.as_of}"


@pytest.fixture(scope="module")
def planted() -> Data:
    """The planted cases on top of a small random population, read row by row."""
    return Data(planted_city(enterprises=50, seed=13))


@pytest.fixture(scope="module")
def small() -> dict[str, pa.Table]:
    return planted_city(enterprises=50, seed=5)


@pytest.fixture(scope="module")
def county() -> dict[str, pa.Table]:
    """A county-sized demo city (2,000 enterprises) with the planted cases."""
    return planted_city(enterprises=2000, seed=11)


def test_rule_ids_match_rules_md() -> None:
    if not RULES_MD.exists():
        pytest.skip("rules.md is not at hand")
    ids = re.findall(r"^\| `([a-z*/0-9-]+)` \|", RULES_MD.read_text(encoding="utf-8"), re.M)
    assert tuple(ids) == RULE_IDS


@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_every_rule_has_planted_cases_on_both_sides(rule_id: str) -> None:
    rules = _matching(rule_id)
    assert rules, f"no planted cases for {rule_id}"
    for rule in rules:
        expected = Counter(case.expected for case in SCENARIOS[rule])
        assert expected["hit"] >= 1, rule
        assert expected["miss"] >= 1, rule


def test_every_indexed_rule_is_a_rule_of_rules_md() -> None:
    for rule in SCENARIOS:
        assert any(fnmatchcase(rule, rule_id) for rule_id in RULE_IDS), rule


@pytest.mark.parametrize("rule", THRESHOLD_RULES)
def test_threshold_rules_have_a_case_at_the_line_and_next_to_it(rule: str) -> None:
    positions = {case.position for case in SCENARIOS[rule]}
    assert "at" in positions, rule
    assert positions & {"just_below", "just_above"}, rule


def test_key_cohorts_are_planted_both_ways() -> None:
    for rule in ("ankang/low/5", "ankang/building/1"):
        keys = {case.key for case in SCENARIOS[rule] if case.expected == "hit"}
        assert keys == {True, False}, rule


def test_cases_are_well_formed() -> None:
    seen = Counter(_case_id(case) for case in ALL_CASES)
    assert max(seen.values()) == 1, [k for k, n in seen.items() if n > 1]
    for case in ALL_CASES:
        assert case.expected in {"hit", "miss", "unjudged"}
        assert case.position in {"at", "just_below", "just_above", "clear"}
        assert case.note
        assert case.as_of <= DEMO_AS_OF
        assert case.key is None or case.expected == "hit"
        assert case.fires == {"hit": True, "miss": False, "unjudged": None}[case.expected]


def test_dated_threshold_cases_are_judged_on_their_own_dates() -> None:
    dates = {case.as_of for case in SCENARIOS["tonglu/low"]}
    assert dates == {date(2022, 12, 31), date(2023, 12, 31), DEMO_AS_OF}


def test_every_subject_is_in_its_table(small: dict[str, pa.Table]) -> None:
    for case in ALL_CASES:
        name, key = SUBJECT_TABLES[case.subject_type]
        ids = set(small[name][key].to_pylist())
        assert case.subject_id in ids, _case_id(case)


def test_planted_rows_do_not_depend_on_seed_or_size() -> None:
    planted = planted_tables()
    for enterprises, seed in ((1, 1), (7, 1), (10, 1), (300, 8)):
        city = generate(enterprises=enterprises, seed=seed)
        data = planted_city(enterprises=enterprises, seed=seed)
        for name, rows in planted.items():
            assert data[name].slice(0, city[name].num_rows).equals(city[name]), name
            tail = data[name].slice(city[name].num_rows)
            assert tail.equals(rows), name


def test_the_demo_city_has_none_of_them() -> None:
    """Issue 11: the planted cases are the tests' own; ``mujun demo`` never shows them."""
    city = generate(enterprises=300, seed=8)
    for name, rows in planted_tables().items():
        key = list(table_of(name).key)
        planted = {tuple(row.values()) for row in rows.select(key).to_pylist()}
        drawn = {tuple(row.values()) for row in city[name].select(key).to_pylist()}
        assert not planted & drawn, name
    codes = city["jurisdictions"]["code"].to_pylist()
    assert not [code for code in codes if code.startswith((COUNTY_A, COUNTY_B))]


def test_they_need_the_city_of_their_counties() -> None:
    city = generate(enterprises=10, seed=1)
    other = city["jurisdictions"].filter(pc.not_equal(city["jurisdictions"]["code"], "330100"))
    with pytest.raises(ValueError, match="330100"):
        with_planted_cases(city | {"jurisdictions": other})


def test_the_random_population_stays_out_of_the_scenario_counties(
    county: dict[str, pa.Table],
) -> None:
    planted = set(planted_tables()["enterprises"]["credit_code"].to_pylist())
    for row in county["enterprises"].to_pylist():
        in_scenario = row["jurisdiction_code"].startswith((COUNTY_A, COUNTY_B))
        assert in_scenario == (row["credit_code"] in planted)


@pytest.mark.parametrize("case", ALL_CASES, ids=_case_id)
def test_a_plain_reading_of_the_rule_agrees_with_the_case(planted: Data, case: Case) -> None:
    reading = READINGS[case.rule]
    fires, key = reading(planted, case)
    assert fires is case.fires, case.note
    if case.key is not None:
        assert key is case.key, case.note
