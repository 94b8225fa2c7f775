"""Rankings and trends of a year's evaluation: per county, park or industry, the aggregate
per-mu figures (Σ figure / Σ land of the evaluated enterprises), the grade distribution and
their change from the year before; and the enterprises whose grade fell.

Both years are evaluated with the same profile, so a change is the enterprises' and not the
benchmarks'. Per-mu tax up 3 % a year is Ankang's target for parks (rules.md, "target").
"""

from dataclasses import dataclass
from typing import Literal

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from mujun.analytics.facts import Facts
from mujun.analytics.land import division
from mujun.evaluation.engine import Evaluation
from mujun.evaluation.enterprises import year_kept
from mujun.policy.evaluation import GRADES

Grouping = Literal["county", "park", "industry"]
GROUP_COLUMNS: dict[Grouping, str] = {
    "county": "county_code",
    "park": "park_code",
    "industry": "industry_division",
}
GRADE_ORDER = {grade: index for index, grade in enumerate(GRADES)}


@dataclass(frozen=True)
class Rankings:
    year: int
    by: Grouping
    groups: pa.Table
    """Per group, best per-mu tax first: ``group``, ``group_name`` (counties and parks),
    ``enterprises``, ``land_mu``,
    ``tax_per_mu_yuan``, ``revenue_per_mu_yuan``, the count and share of each grade, last
    year's per-mu tax and its change in percent, and the change in the share graded A in
    percentage points."""
    fallen: pa.Table
    """Enterprises graded worse than the year before: ``credit_code``, ``name``, ``cohort``,
    ``grade_before``, ``grade``, ``score_before``, ``score``."""


def rankings(*, facts: Facts, current: Evaluation, previous: Evaluation, by: Grouping) -> Rankings:
    """Rank the groups of ``current`` and compare them with ``previous`` (the year before),
    both evaluations of ``facts``."""
    now = _grouped(_members(facts, current), by)
    before = _grouped(_members(facts, previous), by).select(
        "group",
        tax_per_mu_yuan_before="tax_per_mu_yuan",
        share_a_before="share_a",
    )
    joined = now.left_join(before, "group").drop("group_right")
    names = facts["jurisdictions"].select(group="code", group_name="name")
    joined = joined.left_join(names, "group").drop("group_right")
    groups = joined.mutate(
        tax_change_percent=(joined.tax_per_mu_yuan / joined.tax_per_mu_yuan_before - 1) * 100,
        share_a_change_points=(joined.share_a - joined.share_a_before) * 100,
    ).order_by([ibis.desc("tax_per_mu_yuan"), "group"])
    return Rankings(
        year=current.year,
        by=by,
        groups=groups.to_pyarrow(),
        fallen=_fallen(current, previous).to_pyarrow(),
    )


def group_figures(facts: Facts, evaluation: Evaluation, by: Grouping) -> pa.Table:
    """Per group of ``evaluation``: its enterprises, land, per-mu figures and grades."""
    return _grouped(_members(facts, evaluation), by).to_pyarrow()


def _members(facts: Facts, evaluation: Evaluation) -> ir.Table:
    """The evaluated enterprises with their grade, land, the year's tax and revenue, and
    where they are."""
    year = evaluation.year
    graded = ibis.memtable(evaluation.results.select(["credit_code", "grade"]))
    figures = year_kept(facts, year)
    t = graded.join(figures, "credit_code")
    return t.select(
        "credit_code",
        "grade",
        "land_mu",
        "tax_yuan",
        "revenue_yuan",
        "county_code",
        "park_code",
        industry_division=division(t.industry_code),
    )


def _grouped(members: ir.Table, by: Grouping) -> ir.Table:
    group = members[GROUP_COLUMNS[by]]
    counts = {f"grade_{g.lower()}": (members.grade == g).cast("int64").sum() for g in GRADES}
    aggregated = members.group_by(group=group).aggregate(
        enterprises=members.count(),
        land_mu=members.land_mu.sum(),
        tax_yuan=members.tax_yuan.sum(),
        taxed_land_mu=members.land_mu.sum(where=members.tax_yuan.notnull()),
        revenue_yuan=members.revenue_yuan.sum(),
        revenue_land_mu=members.land_mu.sum(where=members.revenue_yuan.notnull()),
        **counts,
    )
    return aggregated.mutate(
        tax_per_mu_yuan=aggregated.tax_yuan / aggregated.taxed_land_mu,
        revenue_per_mu_yuan=aggregated.revenue_yuan / aggregated.revenue_land_mu,
        share_a=aggregated.grade_a / aggregated.enterprises,
    ).drop("tax_yuan", "taxed_land_mu", "revenue_yuan", "revenue_land_mu")


def _fallen(current: Evaluation, previous: Evaluation) -> ir.Table:
    order = ibis.memtable(
        pa.table({"grade": list(GRADE_ORDER), "grade_rank": list(GRADE_ORDER.values())})
    )
    now = ibis.memtable(current.results.select(["credit_code", "name", "cohort", "grade", "score"]))
    before = ibis.memtable(previous.results.select(["credit_code", "grade", "score"])).rename(
        grade_before="grade", score_before="score"
    )
    pairs = now.join(before, "credit_code")
    pairs = pairs.join(order, "grade").join(
        order.rename(grade_before="grade", before_rank="grade_rank"), "grade_before"
    )
    fell = pairs.filter(pairs.grade_rank > pairs.before_rank)
    return fell.select(
        "credit_code", "name", "cohort", "grade_before", "grade", "score_before", "score"
    ).order_by(["cohort", ibis.desc("grade"), "score", "credit_code"])
