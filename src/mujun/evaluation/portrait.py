"""An enterprise's portrait (企业画像): its land, its indicators and points in the year, its
grades over the years, where it stands in its cohort, its park and its industry, and the
differential policy it now faces."""

import json
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from mujun.analytics.facts import Facts
from mujun.evaluation.engine import Evaluation, EvaluationError, evaluate
from mujun.evaluation.rankings import Grouping, group_figures
from mujun.policy.evaluation import Policy
from mujun.policy.parameters import ParameterError
from mujun.policy.profiles import Profile

HISTORY_YEARS = 5


class EnterpriseNotFoundError(LookupError):
    def __init__(self, credit_code: str) -> None:
        super().__init__(f"no enterprise {credit_code}")
        self.credit_code = credit_code


@dataclass(frozen=True)
class Standing:
    """A group's per-mu tax (Σ tax / Σ land of its evaluated enterprises) beside the
    enterprise's own."""

    group: str | None
    enterprises: int
    tax_per_mu_yuan: float | None


@dataclass(frozen=True)
class Portrait:
    enterprise: dict[str, Any]
    land: list[dict[str, Any]]
    year: int
    result: dict[str, Any] | None
    """The year's result (score, grade, rank, indicators, points), or None if not evaluated."""
    excluded_reason: str | None
    percentile: float | None
    """The share of its cohort it scores above, in percent."""
    history: list[dict[str, Any]]
    """Per year evaluated: year, cohort, grade, score, rank, cohort size."""
    park: Standing | None
    industry: Standing | None
    policy: Policy | None


def latest_year(facts: Facts) -> int | None:
    """The latest year with annual figures."""
    latest = facts.backend.to_pyarrow(facts["annual_metrics"].year.max()).as_py()
    return None if latest is None else int(latest)


def portrait(*, facts: Facts, profile: Profile, credit_code: str, year: int) -> Portrait:
    enterprise = _enterprise(facts, credit_code)
    evaluations = _evaluations(facts, profile, year)
    current = evaluations.get(year)
    result = _row(current.results, credit_code) if current else None
    spec = profile.evaluation
    return Portrait(
        enterprise=enterprise,
        land=_land(facts, credit_code),
        year=year,
        result=result,
        excluded_reason=_reason(current, credit_code) if current else None,
        percentile=_percentile(current.results, result) if current and result else None,
        history=[
            {key: row[key] for key in ("cohort", "grade", "score", "rank", "cohort_size")}
            | {"year": y}
            for y, evaluation in sorted(evaluations.items())
            if (row := _row(evaluation.results, credit_code)) is not None
        ],
        park=_standing(facts, current, "park", enterprise["park_code"]) if result else None,
        industry=_standing(
            facts, current, "industry", (enterprise["industry_code"] or "")[:3] or None
        )
        if result
        else None,
        policy=spec.policies.get(result["grade"]) if spec and result else None,
    )


def _enterprise(facts: Facts, credit_code: str) -> dict[str, Any]:
    e = facts["enterprises"]
    rows = e.filter(e.credit_code == credit_code).to_pyarrow().to_pylist()
    if not rows:
        raise EnterpriseNotFoundError(credit_code)
    found: dict[str, Any] = rows[0]
    return found


def _land(facts: Facts, credit_code: str) -> list[dict[str, Any]]:
    """Its occupancy rows; without any, the parcels it holds (as ``owned``)."""
    o = facts["land_occupancy"]
    rows: list[dict[str, Any]] = (
        o.filter(o.credit_code == credit_code)
        .select("parcel_id", "kind", "area_m2")
        .order_by(["parcel_id", "kind"])
        .to_pyarrow()
        .to_pylist()
    )
    if rows:
        return rows
    p = facts["parcels"]
    held: list[dict[str, Any]] = (
        p.filter(p.holder_credit_code == credit_code)
        .select("parcel_id", "area_m2")
        .order_by("parcel_id")
        .to_pyarrow()
        .to_pylist()
    )
    return [{"parcel_id": r["parcel_id"], "kind": "owned", "area_m2": r["area_m2"]} for r in held]


def _evaluations(facts: Facts, profile: Profile, year: int) -> dict[int, Evaluation]:
    """The evaluations of ``year`` and the years before it that the profile applies to."""
    found: dict[int, Evaluation] = {}
    for y in range(year - HISTORY_YEARS + 1, year + 1):
        try:
            found[y] = evaluate(facts=facts, profile=profile, year=y)
        except (ParameterError, EvaluationError):
            continue
    return found


def _row(results: pa.Table, credit_code: str) -> dict[str, Any] | None:
    rows = results.filter(pc.equal(results["credit_code"], credit_code)).to_pylist()
    if not rows:
        return None
    row: dict[str, Any] = rows[0]
    return row | {"indicators": json.loads(row["indicators"]), "points": json.loads(row["points"])}


def _reason(evaluation: Evaluation, credit_code: str) -> str | None:
    excluded = evaluation.excluded
    rows = excluded.filter(pc.equal(excluded["credit_code"], credit_code)).to_pylist()
    return str(rows[0]["reason"]) if rows else None


def _percentile(results: pa.Table, result: dict[str, Any]) -> float | None:
    cohort = results.filter(pc.equal(results["cohort"], result["cohort"]))
    if cohort.num_rows < 2:
        return None
    below = int(pc.sum(pc.less(cohort["score"], result["score"])).as_py() or 0)
    return float(100.0 * below / (cohort.num_rows - 1))


def _standing(
    facts: Facts, evaluation: Evaluation | None, by: Grouping, group: str | None
) -> Standing | None:
    if evaluation is None or group is None:
        return None
    groups = group_figures(facts, evaluation, by)
    rows = groups.filter(pc.equal(groups["group"], group)).to_pylist()
    if not rows:
        return None
    return Standing(group, rows[0]["enterprises"], rows[0]["tax_per_mu_yuan"])
