"""Scores and grades that can be checked by hand: each method, missing and negative figures,
caps, relative benchmarks, class sizes rounded half up, ties at a boundary, scope rules,
lessors, and an enterprise without land."""

import dataclasses
import datetime as dt
import json
from collections.abc import Iterator, Mapping
from fractions import Fraction
from typing import Any

import pyarrow as pa
import pytest

from mujun.analytics.facts import facts_from_arrow
from mujun.demo import generate
from mujun.evaluation.engine import Evaluation, EvaluationError, evaluate
from mujun.policy.parameters import Parameter, Unit
from mujun.policy.profiles import Profile, load_profile
from mujun.units import M2_PER_MU

YEAR = 2025
MU_30 = 20_000.0  # m²
BELOW_TAX_BENCHMARK = 115_932.0  # yuan/mu (11.5932 万元/亩)
BELOW_KWH_BENCHMARK = 0.2352  # yuan/kWh


def enterprise(
    code: str,
    *,
    tax: float | None = None,
    kwh: float | None = None,
    above: bool = False,
    area: float = MU_30,
    supplied: dt.date = dt.date(2010, 1, 1),
    figures: Mapping[str, Any] | None = None,
    status: str = "operating",
    registered: dt.date | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """One enterprise on one parcel of its own, with its 2025 figures and electricity."""
    rows: dict[str, list[dict[str, Any]]] = {
        "enterprises": [
            {
                "credit_code": code,
                "name": f"企业{code}",
                "above_scale": above,
                "status": status,
                "registered_date": registered,
                "jurisdiction_code": "330100",
            }
        ],
        "parcels": [
            {
                "parcel_id": f"P{code}",
                "area_m2": area,
                "holder_credit_code": code,
                "supply_date": supplied,
                "jurisdiction_code": "330100",
            }
        ]
        if area
        else [],
        "annual_metrics": [{"credit_code": code, "year": YEAR, "tax_yuan": tax, **(figures or {})}],
        "monthly_metrics": [
            {"credit_code": code, "month": f"{YEAR}-{m:02d}", "electricity_kwh": kwh / 12}
            for m in range(1, 13)
        ]
        if kwh is not None
        else [],
    }
    return rows


def run(
    *enterprises: dict[str, list[dict[str, Any]]],
    profile: Profile | None = None,
    extra: Mapping[str, list[dict[str, Any]]] | None = None,
) -> Evaluation:
    tables: dict[str, list[dict[str, Any]]] = {
        "jurisdictions": [{"code": "330100", "name": "某县", "level": "county"}]
    }
    for rows in (*enterprises, extra or {}):
        for name, items in rows.items():
            tables.setdefault(name, []).extend(items)
    facts = facts_from_arrow(
        {name: pa.Table.from_pylist(rows) for name, rows in tables.items() if rows},
        monthly=("electricity_kwh",),
    )
    try:
        return evaluate(facts=facts, profile=profile or load_profile("huangyan-2022"), year=YEAR)
    finally:
        facts.close()


def result(evaluation: Evaluation, code: str) -> dict[str, Any]:
    rows = [r for r in evaluation.results.to_pylist() if r["credit_code"] == code]
    assert len(rows) == 1, code
    found: dict[str, Any] = rows[0]
    return found


def points(evaluation: Evaluation, code: str) -> dict[str, Any]:
    detail: dict[str, Any] = json.loads(result(evaluation, code)["points"])
    return detail


def with_parameters(profile: Profile, **values: tuple[Unit, Any]) -> Profile:
    added = {
        name.replace("__", "."): Parameter(
            name=name.replace("__", "."),
            unit=unit,
            values=((dt.date(2000, 1, 1), value),),
            source="test",
            label_zh=name,
            label_en=name,
        )
        for name, (unit, value) in values.items()
    }
    return dataclasses.replace(profile, parameters={**profile.parameters, **added})


def test_at_the_benchmark_an_indicator_scores_its_weight() -> None:
    tax = BELOW_TAX_BENCHMARK * 30
    evaluation = run(enterprise("E1", tax=tax, kwh=tax / BELOW_KWH_BENCHMARK))
    detail = points(evaluation, "E1")
    assert detail["tax_per_mu"]["points"] == pytest.approx(50)
    assert detail["tax_per_kwh"]["points"] == pytest.approx(50)
    assert result(evaluation, "E1")["score"] == pytest.approx(100)
    assert detail["tax_per_mu"]["benchmark"] == pytest.approx(BELOW_TAX_BENCHMARK)


def test_half_the_benchmark_scores_half_and_no_cap_lets_it_run_over() -> None:
    tax = BELOW_TAX_BENCHMARK * 30 / 2
    evaluation = run(enterprise("E1", tax=tax, kwh=tax / BELOW_KWH_BENCHMARK / 4))
    detail = points(evaluation, "E1")
    assert detail["tax_per_mu"]["points"] == pytest.approx(25)
    assert detail["tax_per_kwh"]["points"] == pytest.approx(200)


def test_a_cap_limits_points_to_cap_times_weight() -> None:
    profile = with_parameters(
        load_profile("huangyan-2022"), below_scale__tax_per_kwh__cap=(Unit.SHARE, Fraction(3, 2))
    )
    tax = BELOW_TAX_BENCHMARK * 30
    evaluation = run(enterprise("E1", tax=tax, kwh=tax / BELOW_KWH_BENCHMARK / 4), profile=profile)
    assert points(evaluation, "E1")["tax_per_kwh"]["points"] == pytest.approx(75)


def test_missing_electricity_takes_the_cohort_average_and_zero_when_asked() -> None:
    tax = BELOW_TAX_BENCHMARK * 30
    members = (
        enterprise("E1", tax=tax, kwh=tax / BELOW_KWH_BENCHMARK),  # 50 points on kWh
        enterprise("E2", tax=tax, kwh=tax / BELOW_KWH_BENCHMARK / 2),  # 100 points on kWh
        enterprise("E3", tax=tax),  # no electricity: the average, 75
    )
    detail = points(run(*members), "E3")["tax_per_kwh"]
    assert detail["value"] is None and detail["imputed"] is True
    assert detail["points"] == pytest.approx(75)
    zero = load_profile("huangyan-2022").with_overrides({"evaluation.missing_indicator": "zero"})
    assert points(run(*members, profile=zero), "E3")["tax_per_kwh"]["points"] == 0


def test_the_cohort_average_adds_the_points_smallest_first_whatever_the_row_order() -> None:
    """A sum of floating-point numbers depends on the order they are added in; the engine's
    row order is its own (a parallel scan, a hash join). Added smallest first, the same data
    always give the same average."""
    tax = BELOW_TAX_BENCHMARK * 30
    members = [
        enterprise(f"E{n}", tax=tax, kwh=tax / BELOW_KWH_BENCHMARK / times)
        for n, times in enumerate((0.013, 0.1, 1000, 0.001))
    ]
    missing = enterprise("EX", tax=tax)
    forward, backward = run(*members, missing), run(missing, *reversed(members))
    scored = [points(forward, f"E{n}")["tax_per_kwh"]["points"] for n in range(len(members))]
    assert _added(scored) != _added(sorted(scored)), "the data must make the order matter"
    average = _added(sorted(scored)) / len(scored)
    assert points(forward, "EX")["tax_per_kwh"]["points"] == average
    assert points(backward, "EX")["tax_per_kwh"]["points"] == average


def _added(numbers: list[float]) -> float:
    """The numbers added one by one in the order given (``sum`` may not: Python 3.12 rounds
    it exactly)."""
    total = 0.0
    for number in numbers:
        total += number
    return total


def test_an_above_scale_enterprise_without_emission_data_gets_the_average() -> None:
    """黄岩's rule: no emission figure → the cohort's average points on that indicator."""
    figures: dict[str, Any] = {
        "value_added_yuan": 40_000_000.0,
        "energy_tce": 1_000.0,
        "employees": 200,
        "rd_expense_yuan": 1_000_000.0,
        "revenue_yuan": 100_000_000.0,
    }
    members = (
        enterprise("E1", tax=3e6, above=True, figures=figures | {"emission_equiv": 4.0}),
        enterprise("E2", tax=3e6, above=True, figures=figures | {"emission_equiv": 8.0}),
        enterprise("E3", tax=3e6, above=True, figures=figures),
    )
    evaluation = run(*members)
    emission = {c: points(evaluation, c)["value_added_per_emission"] for c in ("E1", "E2", "E3")}
    benchmark = 49_298_100.0  # 4929.81 万元/吨
    assert emission["E1"]["points"] == pytest.approx(10 * 10_000_000 / benchmark)
    assert emission["E2"]["points"] == pytest.approx(10 * 5_000_000 / benchmark)
    assert emission["E3"]["imputed"] is True and emission["E3"]["value"] is None
    assert emission["E3"]["points"] == pytest.approx(
        (emission["E1"]["points"] + emission["E2"]["points"]) / 2
    )


def test_eleven_months_of_electricity_are_not_a_year() -> None:
    rows = enterprise("E1", tax=1e6, kwh=1.2e6)
    rows["monthly_metrics"] = rows["monthly_metrics"][:11]
    assert points(run(rows), "E1")["tax_per_kwh"]["value"] is None


def test_zero_energy_is_a_missing_ratio_and_negative_value_added_scores_zero() -> None:
    above: dict[str, Any] = {
        "value_added_yuan": -5_000_000.0,
        "energy_tce": 0.0,
        "emission_equiv": 10.0,
        "employees": 100,
        "rd_expense_yuan": 0.0,
        "revenue_yuan": 50_000_000.0,
    }
    evaluation = run(enterprise("E1", tax=1e6, above=True, figures=above))
    detail = points(evaluation, "E1")
    assert detail["value_added_per_energy"]["value"] is None
    assert detail["value_added_per_mu"]["value"] < 0
    assert detail["value_added_per_mu"]["points"] == 0
    assert detail["rd_ratio"]["points"] == 0


def test_min_max_scores_20_to_100_percent_of_the_weight() -> None:
    profile = load_profile("huangyan-2022").with_overrides({"evaluation.method": "min_max"})
    members = [enterprise(f"E{i}", tax=t, kwh=1e6) for i, t in enumerate((1e6, 2e6, 3e6), 1)]
    evaluation = run(*members, profile=profile)
    scores = {code: points(evaluation, code)["tax_per_mu"]["points"] for code in ("E1", "E2", "E3")}
    assert scores == pytest.approx({"E1": 10.0, "E2": 30.0, "E3": 50.0})
    assert points(evaluation, "E1")["tax_per_kwh"]["points"] == pytest.approx(10.0)  # min: 20 %


def relative(**factors: Fraction) -> Profile:
    """huangyan-2022 with these below-scale indicators benchmarked on last year's aggregate,
    ``factor ×`` it."""
    base = load_profile("huangyan-2022")
    names = {f"below_scale.{key}.benchmark" for key in factors}
    kept = {name: p for name, p in base.parameters.items() if name not in names}
    factor_parameters = {
        f"below_scale__{key}__benchmark_factor": (Unit.SHARE, factor)
        for key, factor in factors.items()
    }
    return with_parameters(dataclasses.replace(base, parameters=kept), **factor_parameters)


def test_relative_benchmark_is_a_multiple_of_last_years_aggregate() -> None:
    profile = relative(tax_per_mu=Fraction(2), tax_per_kwh=Fraction(1))
    last_year = {
        "annual_metrics": [
            {"credit_code": "E1", "year": YEAR - 1, "tax_yuan": 3_000_000.0},
            {"credit_code": "E2", "year": YEAR - 1, "tax_yuan": 1_000_000.0},
        ],
        "monthly_metrics": [
            {"credit_code": code, "month": f"{YEAR - 1}-{m:02d}", "electricity_kwh": kwh / 12}
            for code, kwh in (("E1", 3e6), ("E2", 1e6))
            for m in range(1, 13)
        ],
    }
    members = (enterprise("E1", tax=3e6, kwh=3e6), enterprise("E2", tax=1e6, kwh=1e6))
    evaluation = run(*members, profile=profile, extra=last_year)
    detail = points(evaluation, "E1")["tax_per_mu"]
    # last year: 4,000,000 yuan on 60 mu; twice that is the benchmark
    assert detail["benchmark"] == pytest.approx(2 * 4_000_000 / 60)
    assert detail["points"] == pytest.approx(50 * (3_000_000 / 30) / (2 * 4_000_000 / 60))


def test_a_relative_benchmark_adds_last_years_figures_smallest_first() -> None:
    """As the cohort's average: the same figures give the same benchmark whatever the order of
    the rows."""
    taxes = {"E1": 0.3, "E2": 0.2, "E3": 0.1}
    assert _added(list(taxes.values())) != _added(sorted(taxes.values())), "order must matter"
    members = [enterprise(code, tax=1e6, kwh=1e6) for code in taxes]
    last_year = [
        {"credit_code": code, "year": YEAR - 1, "tax_yuan": tax} for code, tax in taxes.items()
    ]
    profile = relative(tax_per_mu=Fraction(1))
    mu = MU_30 / float(M2_PER_MU)
    benchmark = _added(sorted(taxes.values())) / _added([mu] * len(taxes))
    for order in (slice(None), slice(None, None, -1)):
        extra = {"annual_metrics": last_year[order]}
        evaluation = run(*members[order], profile=profile, extra=extra)
        assert points(evaluation, "E1")["tax_per_mu"]["benchmark"] == benchmark


def test_class_sizes_round_half_up_from_each_end() -> None:
    # 10 below-scale enterprises: A 5 % of 10 = 0.5 → 1, D 0.5 → 1, C 20 % → 2, B the rest (6)
    members = [enterprise(f"E{i:02d}", tax=1e5 * i, kwh=1e6) for i in range(1, 11)]
    evaluation = run(*members)
    grades = {r["credit_code"]: r["grade"] for r in evaluation.results.to_pylist()}
    assert grades["E10"] == "A" and grades["E01"] == "D"
    assert [grades[f"E{i:02d}"] for i in (2, 3)] == ["C", "C"]
    assert sorted(grades.values()).count("B") == 6
    assert result(evaluation, "E10")["rank"] == 1


def test_equal_scores_across_a_boundary_take_the_better_class() -> None:
    members = [enterprise(f"E{i:02d}", tax=1e5 * i, kwh=1e6) for i in range(1, 9)]
    members += [enterprise("E09", tax=9e5, kwh=1e6), enterprise("E10", tax=9e5, kwh=1e6)]
    grades = {r["credit_code"]: r["grade"] for r in run(*members).results.to_pylist()}
    assert grades["E09"] == grades["E10"] == "A"  # tied for first: both A, though A holds 1


def test_scope_no_land_new_land_deregistered_and_no_figures() -> None:
    evaluation = run(
        enterprise("E1", tax=1e6, kwh=1e6),
        enterprise("E2", tax=1e6, kwh=1e6, area=0.0),
        enterprise("E3", tax=1e6, kwh=1e6, supplied=dt.date(2023, 6, 1)),
        enterprise("E4", tax=1e6, kwh=1e6, supplied=dt.date(2022, 12, 31)),
        enterprise("E5", tax=1e6, kwh=1e6, status="deregistered"),
        enterprise("E6", tax=1e6, kwh=1e6, registered=dt.date(2024, 1, 1)),
        enterprise("E7", tax=1e6, kwh=1e6, registered=dt.date(2023, 12, 31)),
    )
    reasons = {r["credit_code"]: r["reason"] for r in evaluation.excluded.to_pylist()}
    assert reasons == {
        "E2": "no_land",
        "E3": "new_land",
        "E5": "deregistered",
        "E6": "new_enterprise",  # registered within 2 years of 2025-12-31
    }
    assert {r["credit_code"] for r in evaluation.results.to_pylist()} == {"E1", "E4", "E7"}


def test_a_cohort_minimum_of_land_is_a_reason_not_a_disappearance() -> None:
    profile = with_parameters(
        load_profile("huangyan-2022"), below_scale__min_land_mu=(Unit.MU, Fraction(3))
    )
    evaluation = run(
        enterprise("E1", tax=1e6, kwh=1e6),
        enterprise("E2", tax=1e6, kwh=1e6, area=1_999.0),  # just under 3 mu
        enterprise("E3", tax=1e6, kwh=1e6, area=2_000.0),  # exactly 3 mu
        profile=profile,
    )
    assert {r["credit_code"]: r["reason"] for r in evaluation.excluded.to_pylist()} == {
        "E2": "below_min_land"
    }
    assert {r["credit_code"] for r in evaluation.results.to_pylist()} == {"E1", "E3"}


def test_a_relative_benchmark_without_reference_figures_is_refused() -> None:
    base = load_profile("yancheng-2021")
    with pytest.raises(EvaluationError, match="2024"):
        run(enterprise("E1", tax=1e6, kwh=1e6), profile=base)


def _leased_out_to_three(lessor: str) -> dict[str, list[dict[str, Any]]]:
    """``lessor`` lets 6,000 m² of its parcel to three tenants (who hold no land of their own)."""
    return {
        "land_occupancy": [
            {
                "credit_code": lessor,
                "parcel_id": f"P{lessor}",
                "area_m2": 20_000.0,
                "kind": "owned",
            },
            {
                "credit_code": lessor,
                "parcel_id": f"P{lessor}",
                "area_m2": 6_000.0,
                "kind": "leased_out",
            },
        ]
        + [
            {
                "credit_code": f"{lessor}T{i}",
                "parcel_id": f"P{lessor}",
                "area_m2": 2_000.0,
                "kind": "leased_in",
            }
            for i in range(3)
        ]
    }


def test_the_lessor_deduction_is_for_above_scale_lessors_alone() -> None:
    """Issue 10 (reading 3): 温岭 deducts from 规上 lessors; by default a 规下 lessor with three
    tenants loses nothing, a 规上 one ten points."""
    tenants = [
        enterprise(f"{lessor}T{i}", tax=1e5, kwh=1e6, area=0.0)
        for lessor in ("A", "B")
        for i in range(3)
    ]
    above = enterprise("A", tax=1e6, kwh=1e6, above=True)
    below = enterprise("B", tax=1e6, kwh=1e6)
    lets = {
        "land_occupancy": _leased_out_to_three("A")["land_occupancy"]
        + _leased_out_to_three("B")["land_occupancy"]
    }
    evaluation = run(above, below, *tenants, extra=lets)
    assert result(evaluation, "A")["deduction_points"] == pytest.approx(10)
    assert result(evaluation, "B")["deduction_points"] == 0
    assert load_profile("huangyan-2022").values(dt.date(2025, 12, 31)).codes(
        "evaluation.lessor_cohorts"
    ) == ("above_scale",)


def test_a_negative_net_tax_scores_zero_under_either_method() -> None:
    """Issue 10 (reading 1): net tax after refunds may be negative; per mu it keeps its sign
    and scores 0 points, by benchmark ratio and by min–max alike."""
    members = (enterprise("E1", tax=-1e6, kwh=1e6), enterprise("E2", tax=1e6, kwh=1e6))
    for method in ("benchmark_ratio", "min_max"):
        profile = load_profile("huangyan-2022").with_overrides({"evaluation.method": method})
        evaluation = run(*members, profile=profile)
        negative = points(evaluation, "E1")
        assert negative["tax_per_mu"]["value"] == pytest.approx(-1e6 / 30)
        assert (negative["tax_per_mu"]["points"], negative["tax_per_kwh"]["points"]) == (0, 0)
        assert result(evaluation, "E1")["score"] == 0
    assert points(evaluation, "E2")["tax_per_mu"]["points"] == pytest.approx(50)


def test_a_lessor_loses_five_points_per_tenant_beyond_the_first() -> None:
    tax = BELOW_TAX_BENCHMARK * 30
    lessor = enterprise("L1", tax=tax, kwh=tax / BELOW_KWH_BENCHMARK)
    tenants = [enterprise(f"T{i}", tax=1e5, kwh=1e6, area=0.0) for i in range(3)]
    lets = {
        "land_occupancy": [
            {"credit_code": "L1", "parcel_id": "PL1", "area_m2": 20_000.0, "kind": "owned"},
            {"credit_code": "L1", "parcel_id": "PL1", "area_m2": 6_000.0, "kind": "leased_out"},
        ]
        + [
            {"credit_code": f"T{i}", "parcel_id": "PL1", "area_m2": 2_000.0, "kind": "leased_in"}
            for i in range(3)
        ]
    }
    both = load_profile("huangyan-2022").with_overrides(
        {"evaluation.lessor_cohorts": "above_scale,below_scale"}
    )
    evaluation = run(lessor, *tenants, profile=both, extra=lets)
    row = result(evaluation, "L1")
    assert row["deduction_points"] == pytest.approx(10)
    # its land is 20,000 − 6,000 m² = 21 mu, so its tax per mu is 30/21 of the benchmark
    assert row["score"] == pytest.approx(50 * 30 / 21 + 50 - 10)
    assert row["land_mu"] == pytest.approx(21)


@pytest.fixture(scope="module")
def demo() -> Iterator[Evaluation]:
    facts = facts_from_arrow(generate(enterprises=400, seed=2), monthly=("electricity_kwh",))
    yield evaluate(facts=facts, profile=load_profile("huangyan-2022"), year=YEAR)
    facts.close()


def test_grade_shares_match_the_profile_but_for_ties(demo: Evaluation) -> None:
    """Each grade holds share × N (rounded half up) of its cohort, except where enterprises
    tied with the last of a better grade join it."""
    shares = {"above_scale": (20, 60, 15, 5), "below_scale": (5, 70, 20, 5)}
    for cohort, percent in shares.items():
        rows = [r for r in demo.results.to_pylist() if r["cohort"] == cohort]
        size = len(rows)
        a, _, c, d = ((p * size * 2 + 100) // 200 for p in percent)
        for row in rows:
            better = sum(1 for other in rows if other["score"] > row["score"])
            assert row["rank"] == better + 1
            expected = (
                "A"
                if better < a
                else "B"
                if better < size - c - d
                else "C"
                if better < size - d
                else "D"
            )
            assert row["grade"] == expected
        counts = {g: sum(1 for r in rows if r["grade"] == g) for g in "ABCD"}
        assert counts["A"] >= a and counts["D"] <= d
        ties = {r["score"] for r in rows}
        if len(ties) == size:  # no ties at all: the shares exactly
            assert (counts["A"], counts["C"], counts["D"]) == (a, c, d)
