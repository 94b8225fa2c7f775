"""What a profile's per-mu comprehensive evaluation (亩均效益综合评价) is made of: cohorts,
each with its indicators, and the differential policy each grade triggers.

The numbers (weights, benchmarks, caps, class shares, scope lines) are dated parameters of the
profile, named after the cohort and indicator they belong to, so that a what-if can change any
of them:

- ``evaluation.method``: ``benchmark_ratio`` or ``min_max``;
- ``evaluation.missing_indicator``: ``cohort_average`` (the cohort's average points on that
  indicator, 黄岩's rule) or ``zero``;
- ``evaluation.exempt_new_enterprise_years``: enterprises registered within this many years
  of the year's end are not evaluated (江山);
- ``evaluation.exempt_new_land_years``: nor are enterprises all of whose land was supplied
  within this many years (江山);
- ``evaluation.lessor_points_per_extra_tenant``: points off per tenant beyond the first (温岭);
- ``evaluation.lessor_cohorts``: the cohorts that deduction applies to (温岭: 规上 alone);
- ``evaluation.reference_years_back``: the year a relative benchmark is taken from;
- ``<cohort>.<indicator>.weight``; ``<cohort>.<indicator>.benchmark`` (absolute, in the
  notice's unit) or ``<cohort>.<indicator>.benchmark_factor`` (relative: that many times the
  cohort's aggregate value in the reference year); optional ``<cohort>.<indicator>.cap`` (at
  most this many times the weight);
- ``<cohort>.share.A`` … ``<cohort>.share.D``; optional ``<cohort>.min_land_mu``.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

GRADES = ("A", "B", "C", "D")
METHOD = "evaluation.method"
MISSING_INDICATOR = "evaluation.missing_indicator"
NEW_ENTERPRISE_YEARS = "evaluation.exempt_new_enterprise_years"
NEW_LAND_YEARS = "evaluation.exempt_new_land_years"
LESSOR_POINTS = "evaluation.lessor_points_per_extra_tenant"
LESSOR_COHORTS = "evaluation.lessor_cohorts"
REFERENCE_YEARS_BACK = "evaluation.reference_years_back"


@dataclass(frozen=True)
class Cohort:
    """Enterprises evaluated and classed together (规上 or 规下), on their own indicators."""

    id: str
    title_zh: str
    title_en: str
    above_scale: bool
    indicators: tuple[str, ...]

    def parameter(self, indicator: str, what: str) -> str:
        """The name of this cohort's ``what`` (weight, benchmark, …) for ``indicator``."""
        return f"{self.id}.{indicator}.{what}"

    def share(self, grade: str) -> str:
        return f"{self.id}.share.{grade}"

    @property
    def min_land(self) -> str:
        return f"{self.id}.min_land_mu"


@dataclass(frozen=True)
class Policy:
    """The differential policy a grade triggers."""

    zh: str
    en: str


@dataclass(frozen=True)
class EvaluationSpec:
    cohorts: tuple[Cohort, ...]
    policies: Mapping[str, Policy]

    @classmethod
    def from_document(cls, document: Mapping[str, Any]) -> "EvaluationSpec":
        cohorts = tuple(
            Cohort(
                id=cohort_id,
                title_zh=str(entry["title"]),
                title_en=str(entry["title_en"]),
                above_scale=bool(entry["above_scale"]),
                indicators=tuple(entry["indicators"]),
            )
            for cohort_id, entry in document["cohorts"].items()
        )
        policies = {
            grade: Policy(zh=str(entry["text"]), en=str(entry["text_en"]))
            for grade, entry in (document.get("policies") or {}).items()
        }
        unknown = set(policies) - set(GRADES)
        if unknown:
            raise ValueError(f"policies for unknown grades {sorted(unknown)}")
        return cls(cohorts=cohorts, policies=policies)
