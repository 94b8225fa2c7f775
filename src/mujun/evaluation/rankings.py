"""Rankings and trends of a year's evaluation: per county, park or industry, the aggregate
per-mu figures (Σ figure / Σ land of the evaluated enterprises), the grade distribution and
their change from the year before; and the enterprises whose grade fell.

Both years are evaluated with the same profile, so a change is the enterprises' and not the
benchmarks'. Per-mu tax up 3 % a year is Ankang's target for parks (rules.md, "target").

The same per-mu tax is read from kept runs (:func:`kept_tax_by_park`, :func:`kept_tax_by_year`,
the web's cockpit) rather than evaluated again: there an enterprise's tax is its kept per-mu
tax × its kept land, so the enterprises and land counted are the evaluation's own.
"""

from dataclasses import dataclass
from typing import Any, Literal, Protocol, TypeVar

import ibis
import ibis.expr.types as ir
import pyarrow as pa
from sqlalchemy import JSON, ColumnElement, Float, Select, cast, func, select, type_coerce
from sqlalchemy.orm import Session

from mujun.analytics.facts import Facts
from mujun.analytics.land import division
from mujun.evaluation.engine import Evaluation
from mujun.evaluation.enterprises import year_kept
from mujun.evaluation.runs import runs_of_record
from mujun.policy.evaluation import GRADES
from mujun.records import Grade

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


# -- per-mu tax from kept runs ------------------------------------------------------------------

SelectT = TypeVar("SelectT", bound="Select[*tuple[Any, ...]]")


class Within(Protocol):
    """Keeps a query of grades to an area (the web's gate); the identity reads the whole city."""

    def __call__(self, query: SelectT, /) -> SelectT: ...


@dataclass(frozen=True)
class KeptTax:
    """Per-mu tax of some graded enterprises of a kept run: Σ tax / Σ land of those with a tax
    figure (rules.md, "Per-mu figures"), each one's tax being its kept per-mu tax × its land."""

    run: int
    enterprises: int
    land_mu: float
    tax_yuan: float

    @property
    def tax_per_mu_yuan(self) -> float:
        return self.tax_yuan / self.land_mu


def kept_tax_by_park(*, session: Session, run: int, within: Within) -> list[tuple[str, KeptTax]]:
    """Per park of run ``run``'s graded enterprises (of the area ``within`` keeps), its per-mu
    tax, highest first (then by park code)."""
    tax, taxed = _kept_tax(session)
    query = select(Grade.park_code, func.count(), _land_mu(), func.sum(tax)).where(
        Grade.run_id == run, Grade.park_code.is_not(None), taxed
    )
    rows = session.execute(within(query).group_by(Grade.park_code)).all()
    found = [(str(park), KeptTax(run, count, land, yuan)) for park, count, land, yuan in rows]
    return sorted(found, key=lambda p: (-p[1].tax_per_mu_yuan, p[0]))


def kept_tax_by_year(*, session: Session, years: int, within: Within) -> list[tuple[int, KeptTax]]:
    """Per-mu tax of each of the last ``years`` years whose run of record graded an enterprise
    (of the area ``within`` keeps) with a tax figure, oldest first."""
    record = runs_of_record()
    tax, taxed = _kept_tax(session)
    query = (
        select(record.c.year, record.c.id, func.count(), _land_mu(), func.sum(tax))
        .join(Grade, Grade.run_id == record.c.id)
        .where(taxed)
    )
    latest = (
        within(query)
        .group_by(record.c.year, record.c.id)
        .order_by(record.c.year.desc())
        .limit(years)
    )
    rows = reversed(session.execute(latest).all())
    return [(year, KeptTax(of, count, land, yuan)) for year, of, count, land, yuan in rows]


def _land_mu() -> ColumnElement[float]:
    """The land of the grades counted (each has some: see :func:`_kept_tax`)."""
    return type_coerce(func.sum(Grade.land_mu), Float)


def _kept_tax(session: Session) -> tuple[ColumnElement[float], ColumnElement[bool]]:
    """A graded enterprise's tax in yuan (its kept per-mu tax × its land), and whether it has
    one and land to count."""
    document = (
        cast(Grade.indicators, JSON)  # text to JSON: PostgreSQL casts
        if session.get_bind().dialect.name == "postgresql"
        else type_coerce(Grade.indicators, JSON)  # SQLite reads JSON from text as it is
    )
    per_mu = document["tax_per_mu_yuan"].as_float()
    return per_mu * Grade.land_mu, per_mu.is_not(None) & (Grade.land_mu > 0)
