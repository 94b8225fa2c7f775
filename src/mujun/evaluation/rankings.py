"""Rankings and trends of a year's evaluation: per county, park or industry, the aggregate
per-mu figures (Σ figure / Σ land of the evaluated enterprises), the grade distribution and
their change from the year before; and the enterprises whose grade fell.

Both years are evaluated with the same profile, so a change is the enterprises' and not the
benchmarks'. Per-mu tax up 3 % a year is Ankang's target for parks (rules.md, "target").

The same per-mu tax is read from kept runs (:func:`kept_tax_by_park`, :func:`kept_tax_by_year`,
the web's cockpit and an enterprise's portrait) rather than evaluated again: there an
enterprise's tax is its kept per-mu tax × its kept land, so the enterprises and land counted are
the evaluation's own. Either way a group's per-mu figure is taken by one rule,
:func:`mujun.analytics.land.group_per_mu`, over one row per graded enterprise.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol, TypeVar

import ibis
import ibis.expr.types as ir
import pyarrow as pa
from sqlalchemy import JSON, ColumnElement, Select, cast, select, type_coerce
from sqlalchemy.orm import Session

from mujun.analytics.facts import Facts
from mujun.analytics.in_memory import Tables, run_in_memory
from mujun.analytics.land import division, group_per_mu
from mujun.evaluation.engine import Evaluation
from mujun.evaluation.enterprises import year_kept
from mujun.evaluation.runs import runs_of_record
from mujun.policy.evaluation import GRADES
from mujun.records import EvaluationRun, Grade

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
    counts = {f"grade_{g.lower()}": (members.grade == g).cast("int64").sum() for g in GRADES}
    amounts = ["tax_yuan", "revenue_yuan"]
    grouped = group_per_mu(
        members.rename(group=GROUP_COLUMNS[by]), "group", amounts=amounts, also=counts
    )
    return grouped.mutate(share_a=grouped.grade_a / grouped.enterprises).drop(
        *(f"{a.removesuffix('_yuan')}_{c}" for a in amounts for c in ("enterprises", "land_mu"))
    )


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
    """Per-mu tax of some graded enterprises of a kept run (:func:`group_per_mu`): the
    enterprises with a tax figure and land, their land, and Σ tax / Σ land."""

    run: int
    enterprises: int
    land_mu: float
    tax_per_mu_yuan: float


def kept_tax_by_park(*, session: Session, run: int, within: Within) -> list[tuple[str, KeptTax]]:
    """Per park of run ``run``'s graded enterprises (of the area ``within`` keeps), its per-mu
    tax, highest first (then by park code)."""
    query = select(Grade.park_code, _kept_tax_yuan(session), Grade.land_mu).where(
        Grade.run_id == run, Grade.park_code.is_not(None)
    )
    found = [(park, KeptTax(run, *tax)) for park, tax in _kept_tax(session, within(query))]
    return sorted(found, key=lambda p: (-p[1].tax_per_mu_yuan, p[0]))


def kept_tax_of(*, session: Session, run: int, within: Within) -> KeptTax | None:
    """Per-mu tax of run ``run``'s graded enterprises that ``within`` keeps (say those of a park
    or an industry); None if none has a tax figure."""
    query = select(Grade.run_id, _kept_tax_yuan(session), Grade.land_mu).where(Grade.run_id == run)
    found = _kept_tax(session, within(query))
    return KeptTax(run, *found[0][1]) if found else None


def kept_tax_by_year(*, session: Session, years: int, within: Within) -> list[tuple[int, KeptTax]]:
    """Per-mu tax of each of the last ``years`` years whose run of record graded an enterprise
    (of the area ``within`` keeps) with a tax figure, oldest first."""
    record = runs_of_record()
    latest_first = session.execute(
        select(record.c.id, record.c.year).order_by(record.c.year.desc())
    ).all()
    found: list[tuple[int, KeptTax]] = []
    for run, year in latest_first:
        if len(found) == years:
            break
        if (tax := kept_tax_of(session=session, run=run, within=within)) is not None:
            found.append((year, tax))
    return found[::-1]


@dataclass(frozen=True)
class Standings:
    """Per park and per industry division (GB/T 4754, :func:`division`) of a kept run's graded
    enterprises, its per-mu tax (groups without a tax figure left out)."""

    parks: Mapping[str, KeptTax]
    divisions: Mapping[str, KeptTax]


_STANDINGS: dict[tuple[str, int, str], Standings] = {}
_STANDINGS_KEPT = 8
"""How many runs' standings a process keeps."""


def kept_standings(*, session: Session, run: int) -> Standings:
    """The per-mu tax of every park and industry division of run ``run`` (an enterprise's file
    compares it with its own). A kept run never changes, so a process computes it once per run:
    the run's number and the moment it finished name it (a number given again after a run
    was deleted names another run)."""
    finished = session.scalar(select(EvaluationRun.finished_at).where(EvaluationRun.id == run))
    key = (str(session.get_bind().engine.url), run, str(finished))
    if key not in _STANDINGS:
        query = select(Grade.park_code, Grade.industry_code, _kept_tax_yuan(session), Grade.land_mu)
        rows = _fetched(session, query.where(Grade.run_id == run))
        columns = [name for name, _ in KEPT_GRADES[0][1]]
        grades = pa.table({name: [row[i] for row in rows] for i, name in enumerate(columns)})
        by_park, by_division = (
            run_in_memory(build, KEPT_GRADES, {"grades": grades}).to_pylist()
            for build in (_taxed_parks, _taxed_divisions)
        )
        while len(_STANDINGS) >= _STANDINGS_KEPT:
            del _STANDINGS[next(iter(_STANDINGS))]
        _STANDINGS[key] = Standings(
            parks={g["group"]: _kept(run, g) for g in by_park},
            divisions={g["group"]: _kept(run, g) for g in by_division},
        )
    return _STANDINGS[key]


KEPT_GRADES = (
    (
        "grades",
        (
            ("park", "string"),
            ("industry", "string"),
            ("tax_yuan", "float64"),
            ("land_mu", "float64"),
        ),
    ),
)


def _taxed_parks(tables: Tables) -> ir.Table:
    grades = tables["grades"]
    return _taxed(grades.filter(grades.park.notnull()).rename(group="park"))


def _taxed_divisions(tables: Tables) -> ir.Table:
    grades = tables["grades"]
    return _taxed(grades.mutate(group=division(grades.industry)).filter(ibis._.group.notnull()))


def _kept(run: int, group: Mapping[str, Any]) -> KeptTax:
    return KeptTax(run, group["tax_enterprises"], group["tax_land_mu"], group["tax_per_mu_yuan"])


KEPT_MEMBERS = (
    ("members", (("group", "string"), ("tax_yuan", "float64"), ("land_mu", "float64"))),
)
"""One row per kept grade: its group, its tax (kept per-mu tax × kept land) and its land."""


def _kept_tax(
    session: Session, query: "Select[*tuple[Any, ...]]"
) -> list[tuple[Any, tuple[int, float, float]]]:
    """Per group of the grades ``query`` reads (``group, tax_yuan, land_mu``), with a tax
    figure: its enterprises, land and per-mu tax counted by :func:`group_per_mu`. A group keeps
    its type (a park code, a run id)."""
    rows = _fetched(session, query)
    groups = {str(group): group for group, _, _ in rows}
    members = pa.table(
        {
            "group": [str(group) for group, _, _ in rows],
            "tax_yuan": pa.array([tax for _, tax, _ in rows], pa.float64()),
            "land_mu": pa.array([land for _, _, land in rows], pa.float64()),
        }
    )
    found = run_in_memory(_taxed_members, KEPT_MEMBERS, {"members": members}).to_pylist()
    return [
        (groups[g["group"]], (g["tax_enterprises"], g["tax_land_mu"], g["tax_per_mu_yuan"]))
        for g in found
    ]


def _fetched(session: Session, query: "Select[*tuple[Any, ...]]") -> list[tuple[Any, ...]]:
    """The driver's rows as they are: codes and numbers need no conversion, and a Row apiece
    would double the time of 200,000 grades."""
    result = session.connection().execute(query)
    try:
        return list(result.cursor.fetchall())
    finally:
        result.close()


def _taxed_members(tables: Tables) -> ir.Table:
    return _taxed(tables["members"])


def _taxed(members: ir.Table) -> ir.Table:
    grouped = group_per_mu(members, "group", amounts=["tax_yuan"])
    return grouped.filter(grouped.tax_enterprises > 0)


def _kept_tax_yuan(session: Session) -> ColumnElement[float]:
    """A graded enterprise's tax in yuan: its kept per-mu tax × its land (null without one)."""
    document = (
        cast(Grade.indicators, JSON)  # text to JSON: PostgreSQL casts
        if session.get_bind().dialect.name == "postgresql"
        else type_coerce(Grade.indicators, JSON)  # SQLite reads JSON from text as it is
    )
    tax: ColumnElement[float] = document["tax_per_mu_yuan"].as_float() * Grade.land_mu
    return tax
