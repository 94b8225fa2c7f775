"""Scoring and grading a cohort, relationally: one column per indicator, window aggregates over
the cohort, no Python loop over enterprises.

A negative value (a net tax after refunds) scores 0 under either method (evaluation.md).
Benchmark ratio: points = weight × value / benchmark (with a cap, at most cap × weight). A
relative benchmark is ``factor ×`` the cohort's aggregate value (Σ numerator / Σ denominator,
negative figures included) in the reference year. Min–max: points = weight × (20 + 80 × (x −
min) / (max − min)) / 100, min and max over the cohort's values not below zero (all at 100 %
when they are the same). A missing value takes the cohort's average points on that
indicator, or zero. The total is the sum of points less the lessor deduction, in the cohorts
``evaluation.lessor_cohorts`` names. (Where no member of the cohort has an indicator, its
average is taken as 0.) The sums behind an average or an aggregate add the values smallest
first, so that the same data always give the same scores, whatever order DuckDB's threads
read the rows in.

Grades by rank: sizes are share × N rounded half up; A from the top, D from the bottom, C just
above D, B the rest; the rank is the competition rank (equal scores share the best position),
so equal scores across a boundary all take the better grade.
"""

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from functools import cache, partial

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from mujun.analytics.facts import Facts
from mujun.analytics.plans import plan_key
from mujun.analytics.variables import number
from mujun.evaluation.enterprises import enterprise_year, out_of_scope, year_kept
from mujun.evaluation.indicators import INDICATORS, Indicator
from mujun.policy.evaluation import (
    GRADES,
    LESSOR_COHORTS,
    LESSOR_POINTS,
    METHOD,
    MISSING_INDICATOR,
    NEW_ENTERPRISE_YEARS,
    NEW_LAND_YEARS,
    REFERENCE_YEARS_BACK,
    Cohort,
)
from mujun.policy.parameters import ParameterValues
from mujun.policy.profiles import Profile, ProfileError
from mujun.progress import Progress, silent

RESULTS_SCHEMA = pa.schema(
    [
        ("cohort", pa.string()),
        ("rank", pa.int64()),
        ("credit_code", pa.string()),
        ("name", pa.string()),
        ("score", pa.float64()),
        ("grade", pa.string()),
        ("cohort_size", pa.int64()),
        ("land_mu", pa.float64()),
        ("deduction_points", pa.float64()),
        ("county_code", pa.string()),
        ("park_code", pa.string()),
        ("industry_code", pa.string()),
        ("indicators", pa.string()),
        ("points", pa.string()),
    ]
)
"""One row per evaluated enterprise. ``indicators``: a JSON object of its indicator values in
base units (``tax_per_mu_yuan`` …; null where missing); ``points``: per indicator its value,
benchmark (base units), weight, points and whether the points were imputed."""

EXCLUDED_SCHEMA = pa.schema(
    [("credit_code", pa.string()), ("name", pa.string()), ("reason", pa.string())]
)


class EvaluationError(ValueError):
    """An evaluation that cannot be made from the data (a relative benchmark without figures)."""


@dataclass(frozen=True)
class Evaluation:
    profile: Profile
    year: int
    fingerprint: str
    parameters: Mapping[str, str]
    results: pa.Table
    excluded: pa.Table


def evaluate(
    *, facts: Facts, profile: Profile, year: int, on_progress: Progress = silent
) -> Evaluation:
    """Evaluate every enterprise in scope for ``year`` under ``profile``, following the plan
    of its statements kept by an earlier run where there is one (:mod:`mujun.analytics.plans`):
    they depend on the cohorts, the parameters' values, the year and the facts' columns; the
    benchmarks they read as variables."""
    spec = profile.evaluation
    if spec is None:
        raise ProfileError(f"{profile.id} defines no comprehensive evaluation")
    values = profile.values(dt.date(year, 12, 31))
    parameters = values.in_force()
    key = plan_key(
        "evaluate",
        {
            "cohorts": [(c.id, c.above_scale, c.indicators) for c in spec.cohorts],
            "parameters": parameters,
            "year": year,
            "facts": facts.offered,
        },
    )
    with facts.planned(key):
        _set_benchmarks(facts, spec.cohorts, values, year)
        in_scope = cache(partial(_in_scope, facts, spec.cohorts, values, year))
        results = []
        for index, cohort in enumerate(spec.cohorts):
            on_progress(cohort.id, index / len(spec.cohorts))
            graded = facts.read(f"graded {cohort.id}", partial(_graded, in_scope, cohort, values))
            results.append(graded.cast(RESULTS_SCHEMA))
        on_progress("graded", 1.0)
        excluded = facts.read("excluded", partial(_excluded, in_scope))
    return Evaluation(
        profile=profile,
        year=year,
        fingerprint=facts.fingerprint,
        parameters=parameters,
        results=pa.concat_tables(results),
        excluded=excluded.cast(EXCLUDED_SCHEMA),
    )


def _in_scope(facts: Facts, cohorts: tuple[Cohort, ...], p: ParameterValues, year: int) -> ir.Table:
    """Every enterprise's figures of ``year``, ``out_of_scope`` saying why one is not
    evaluated (null for those that are); kept for the run."""
    t = enterprise_year(facts, year)
    reason = out_of_scope(
        t,
        year_end=p.as_of,
        new_enterprise_years=p.whole(NEW_ENTERPRISE_YEARS),
        new_land_years=p.whole(NEW_LAND_YEARS),
    )
    return facts.keep(
        "evaluation_year",
        t.mutate(out_of_scope=reason.fill_null(_cohort_scope(t, cohorts, p))),
    )


def _excluded(in_scope: Callable[[], ir.Table]) -> ir.Table:
    t = in_scope()
    return (
        t.filter(t.out_of_scope.notnull())
        .select("credit_code", "name", reason="out_of_scope")
        .order_by("credit_code")
    )


@dataclass(frozen=True)
class _Scoring:
    """How a cohort scores one indicator."""

    key: str
    indicator: Indicator
    weight: float
    min_max: bool
    benchmark: ir.Value
    """In base units; null under min–max, which has none."""
    cap: Fraction | None

    def points(self, value: ir.FloatingValue) -> ir.FloatingValue:
        """The points ``value`` earns, before a missing value is imputed."""
        if self.min_max:
            return _min_max_points(value, self.weight)
        return _benchmark_ratio(value, self.benchmark, self.weight, self.cap)

    def details(self, t: ir.Table) -> ir.StructValue:
        """What the run shows of this indicator for each row of the scored ``t``."""
        return ibis.struct(
            {
                "value": t[f"{self.key}_value"],
                "benchmark": self.benchmark,
                "weight": ibis.literal(self.weight),
                "points": t[f"{self.key}_points"],
                "imputed": t[f"{self.key}_raw"].isnull(),
            }
        )


def _graded(in_scope: Callable[[], ir.Table], cohort: Cohort, p: ParameterValues) -> ir.Table:
    """The cohort's members scored, ranked and graded, in one query (in order of rank, then
    credit code): each step one ``SELECT`` of every indicator, the result documents (JSON)
    made after the ranking so that the rank's window sorts numbers alone."""
    t = in_scope()
    members = t.filter(t.out_of_scope.isnull() & (t.above_scale == cohort.above_scale))
    scorings = [_scoring(cohort, key, p) for key in cohort.indicators]
    valued = members.mutate(**{f"{s.key}_value": s.indicator.value(members) for s in scorings})
    rated = valued.mutate(**{f"{s.key}_raw": s.points(valued[f"{s.key}_value"]) for s in scorings})
    scored = rated.mutate(
        **{f"{s.key}_points": _imputed(rated[f"{s.key}_raw"], p) for s in scorings}
    )
    total: ir.NumericValue = ibis.literal(0.0)
    for s in scorings:
        total = total + scored[f"{s.key}_points"]
    deduction = _lessor_deduction(scored.tenants, cohort, p)
    scored = scored.mutate(score=total - deduction, deduction_points=deduction)
    ranked = scored.mutate(
        rank=ibis.rank().over(order_by=ibis.desc(scored.score)) + 1,
        cohort_size=scored.count().over(ibis.window()),
    )
    figures = {s.indicator.figure: ranked[f"{s.key}_value"] for s in scorings}
    return ranked.select(
        cohort=ibis.literal(cohort.id),
        rank=ranked["rank"],
        credit_code=ranked.credit_code,
        name=ranked.name,
        score=ranked.score,
        grade=_grade(ranked["rank"], ranked.cohort_size, cohort, p),
        cohort_size=ranked.cohort_size,
        land_mu=ranked.land_mu,
        deduction_points=ranked.deduction_points,
        county_code=ranked.county_code,
        park_code=ranked.park_code,
        industry_code=ranked.industry_code,
        indicators=_json(ibis.struct(figures)),
        points=_json(ibis.struct({s.key: s.details(ranked) for s in scorings})),
    ).order_by(["rank", "credit_code"])


def _scoring(cohort: Cohort, key: str, p: ParameterValues) -> _Scoring:
    min_max = _min_max(p)
    return _Scoring(
        key=key,
        indicator=INDICATORS[key],
        weight=float(p.number(cohort.parameter(key, "weight"))),
        min_max=min_max,
        benchmark=ibis.null("float64") if min_max else number(_benchmark(cohort, key)),
        cap=_cap(cohort, key, p),
    )


def _benchmark(cohort: Cohort, key: str) -> str:
    """The variable a cohort's benchmark of indicator ``key`` is set as (its parameter's name,
    where the notice gives it)."""
    return cohort.parameter(key, "benchmark")


def _imputed(raw: ir.FloatingColumn, p: ParameterValues) -> ir.FloatingValue:
    """The points, a missing value's taken as the cohort's average or zero."""
    if p.text(MISSING_INDICATOR) == "zero":
        return raw.fill_null(0.0)
    return raw.fill_null(_cohort_average(raw).fill_null(0.0))


def _lessor_deduction(
    tenants: ir.IntegerValue, cohort: Cohort, p: ParameterValues
) -> ir.FloatingValue:
    """Points off a lessor per tenant beyond its first, in the cohorts the deduction is for."""
    per_tenant = p.number(LESSOR_POINTS) if cohort.id in p.codes(LESSOR_COHORTS) else 0
    return (tenants - 1).clip(lower=0) * float(per_tenant)


def _json(value: ir.StructValue) -> ir.StringValue:
    """A document as the run keeps it: JSON text."""
    return value.cast("json").cast("string")


def _cohort_average(points: ir.FloatingColumn) -> ir.FloatingScalar:
    return _smallest_first(points).means().as_scalar()


def _smallest_first(
    values: ir.NumericColumn, where: ir.BooleanValue | None = None
) -> ir.ArrayScalar:
    """The values (those ``where`` says) in ascending order, to be added in that order: the
    same data then give the same sum whatever order the engine reads its rows in (a parallel
    sum does not)."""
    return values.collect(where=where, order_by=values)


def _cohort_scope(t: ir.Table, cohorts: tuple[Cohort, ...], p: ParameterValues) -> ir.StringValue:
    """Why an otherwise evaluable enterprise is outside every cohort: no cohort of its scale,
    or less land than its cohort's minimum."""
    reasons = []
    for cohort in cohorts:
        if cohort.min_land in p.parameters:
            small = t.land_mu < float(p.number(cohort.min_land))
            reasons.append(((t.above_scale == cohort.above_scale) & small, "below_min_land"))
    scales = [cohort.above_scale for cohort in cohorts]
    return ibis.cases(
        *reasons, (~t.above_scale.isin(scales), "no_cohort"), else_=ibis.null("string")
    )


def _benchmark_ratio(
    value: ir.FloatingValue, benchmark: ir.Value, weight: float, cap: Fraction | None
) -> ir.FloatingValue:
    points = weight * value.clip(lower=0) / benchmark
    if cap is not None:
        points = points.clip(upper=float(cap) * weight)
    return points


def _min_max(p: ParameterValues) -> bool:
    """Whether the evaluation scores by min–max rather than against benchmarks."""
    return p.text(METHOD) == "min_max"


def _min_max_points(value: ir.FloatingValue, weight: float) -> ir.FloatingValue:
    counted = ibis.ifelse(value >= 0, value, ibis.null("float64"))
    whole = ibis.window()
    low, high = counted.min().over(whole), counted.max().over(whole)
    spread = ibis.ifelse(high > low, (value - low) / (high - low), 1.0)
    return ibis.ifelse(value < 0, 0.0, weight * (20 + 80 * spread) / 100)


def _cap(cohort: Cohort, key: str, p: ParameterValues) -> Fraction | None:
    name = cohort.parameter(key, "cap")
    return p.number(name) if name in p.parameters else None


def _set_benchmarks(
    facts: Facts, cohorts: tuple[Cohort, ...], p: ParameterValues, year: int
) -> None:
    """Set each benchmark for the statements (:func:`_benchmark`): an absolute one is the
    notice's value, converted; relative ones are read from the data, all in one query. None
    under min–max."""
    if _min_max(p):
        return
    relative: list[tuple[Cohort, Indicator]] = []
    for cohort in cohorts:
        for key in cohort.indicators:
            name = cohort.parameter(key, "benchmark")
            if name in p.parameters:
                facts.set_variable(
                    _benchmark(cohort, key), float(p.number(name) * p.parameters[name].unit.in_yuan)
                )
            elif cohort.parameter(key, "benchmark_factor") in p.parameters:
                relative.append((cohort, INDICATORS[key]))
            else:
                raise ProfileError(f"{cohort.id}.{key} has neither benchmark nor factor")
    if relative:
        for (cohort, indicator), value in _relative_benchmarks(facts, relative, p, year).items():
            facts.set_variable(_benchmark(cohort, indicator.key), value)


def _relative_benchmarks(
    facts: Facts, wanted: list[tuple[Cohort, Indicator]], p: ParameterValues, year: int
) -> dict[tuple[Cohort, Indicator], float]:
    """``factor ×`` each cohort's aggregate value of the indicator in the reference year."""
    reference_year = year - p.whole(REFERENCE_YEARS_BACK)
    aggregates = facts.read(
        "reference aggregates", partial(_reference_aggregates, facts, wanted, reference_year)
    )
    values = aggregates.to_pylist()[0].values()
    benchmarks = {}
    for (cohort, indicator), value in zip(wanted, values, strict=True):
        if value is None or not value > 0:
            raise EvaluationError(
                f"{cohort.id}.{indicator.key}: no {reference_year} figures to set its benchmark"
            )
        factor = p.number(cohort.parameter(indicator.key, "benchmark_factor"))
        benchmarks[cohort, indicator] = float(value) * float(factor)
    return benchmarks


def _reference_aggregates(
    facts: Facts, wanted: list[tuple[Cohort, Indicator]], reference_year: int
) -> ir.Table:
    reference = year_kept(facts, reference_year)
    return reference.aggregate(
        [_aggregate_value(reference, cohort, indicator) for cohort, indicator in wanted]
    )


def _aggregate_value(t: ir.Table, cohort: Cohort, indicator: Indicator) -> ir.FloatingScalar:
    """Σ numerator / Σ denominator over the cohort's rows of ``t`` that have both."""
    numerator, denominator = t[indicator.numerator], t[indicator.denominator]
    peers = (t.above_scale == cohort.above_scale) & numerator.notnull() & (denominator > 0)
    ratio = _smallest_first(numerator, peers).sums() / _smallest_first(denominator, peers).sums()
    return ratio.name(f"{cohort.id}.{indicator.key}")


def _grade(
    rank: ir.IntegerValue, size: ir.IntegerValue, cohort: Cohort, p: ParameterValues
) -> ir.StringValue:
    counts = {grade: _rounded_half_up(size, p.number(cohort.share(grade))) for grade in GRADES}
    return ibis.cases(
        (rank <= counts["A"], "A"),
        (rank <= size - counts["C"] - counts["D"], "B"),
        (rank <= size - counts["D"], "C"),
        else_="D",
    )


def _rounded_half_up(size: ir.IntegerValue, share: Fraction) -> ir.IntegerValue:
    """share × size rounded half up, in integers: ⌊(2·p·size + q) / 2q⌋ for p/q."""
    return (size * (2 * share.numerator) + share.denominator) // (2 * share.denominator)
