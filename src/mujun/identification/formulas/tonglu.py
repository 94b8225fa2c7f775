"""Tonglu 2022–2024 (001_f1c6b6ea725b01e9.txt §三): the four kinds of plot to rectify."""

import ibis
import ibis.expr.types as ir

from mujun.analytics.land import area_mu, at_least_mu, enterprise_land, per_mu, per_mu_below
from mujun.analytics.logic import every, recent_years, the_year
from mujun.analytics.tables import attach
from mujun.evaluation.engine import evaluate
from mujun.identification.formulas.idle import CONSEQUENCE_EVIDENCE, idle_parcels
from mujun.identification.formulas.subjects import (
    NO_KEY,
    enterprise_years,
    on_held_parcels,
    with_compliance,
)
from mujun.identification.judgement import (
    Context,
    Judgement,
    formula,
    missing_among,
    names_of_missing,
)
from mujun.policy.profiles import SubjectType, load_profile

ELECTRICITY = ("electricity_kwh",)

PARCEL = SubjectType.PARCEL


@formula(
    "tonglu/low",
    parameters=(
        "tonglu.low.line_yuan_per_mu",
        "tonglu.low.area_mu",
        "tonglu.low.years",
        "tonglu.low.wider",
    ),
)
def low_tax(ctx: Context) -> Judgement:
    """The key cohort (重点, §四): land ≥ 20 mu and per-mu tax below the line in each of the 3
    most recent years; the line in force on the as-of date applies to all three. With
    ``tonglu.low.wider`` ``below_line``, also land of any area below the line in the most recent
    year, not key. A negative net tax (refunds beyond payments) is below any line."""
    p = ctx.parameters
    line = p.number("tonglu.low.line_yuan_per_mu")
    years = recent_years(ctx.as_of, p.whole("tonglu.low.years"))
    t = attach(
        enterprise_years(ctx, len(years), ("tax_yuan",)), enterprise_land(ctx.facts), "credit_code"
    )
    figures = {
        f"tax_per_mu_yuan_{year}": per_mu(t.tax_yuan, t.land_m2).first(where=t.year == year)
        for year in years
    }
    below = per_mu_below(t.tax_yuan, t.land_m2, line)
    verdict = t.group_by("credit_code", "land_m2").aggregate(
        low_every_year=every(below), low_last_year=below.first(where=t.year == years[-1]), **figures
    )
    large = at_least_mu(verdict.land_m2, p.number("tonglu.low.area_mu"))
    key = large & verdict.low_every_year
    wider: ir.BooleanValue = (
        verdict.low_last_year if p.text("tonglu.low.wider") == "below_line" else ibis.literal(False)
    )
    verdict = verdict.mutate(
        fires=key | wider,
        key=key,
        land_mu=area_mu(verdict.land_m2),
        line_yuan_per_mu=ibis.literal(float(line)),
    )
    return Judgement(
        table=on_held_parcels(verdict, ctx),
        evidence=("credit_code", "land_mu", "line_yuan_per_mu", *figures),
        inputs=tuple(figures),
        subject_type=PARCEL,
    )


@formula("tonglu/unfinished")
def unfinished(ctx: Context) -> Judgement:
    """Supplied industrial land left undeveloped (用而未尽): idle under the national rules."""
    t = idle_parcels(ctx)
    return Judgement(
        table=t.mutate(
            subject_id=t.parcel_id, fires=(t.land_use == "industrial") & t.idle, key=NO_KEY
        ),
        evidence=("land_use", "agreed_start_date", "suspended_since", *CONSEQUENCE_EVIDENCE),
        inputs=(),
        subject_type=PARCEL,
        missing=names_of_missing(missing_among(t, ("land_use",)), t.idle_missing),
    )


@formula("tonglu/non-industrial", parameters=("tonglu.non_industrial.supplied_since",))
def non_industrial(ctx: Context) -> Judgement:
    """Industrial land supplied on or after 1999-01-01, used for non-industrial business
    (leasing included) without approval, or under a temporary change of use that has expired
    (before the as-of date) and not been reverted."""
    since = ctx.parameters.date("tonglu.non_industrial.supplied_since")
    parcels = ctx.facts["parcels"]
    occupancy = ctx.facts["land_occupancy"]
    let = occupancy.filter(occupancy.kind == "leased_out")
    leased = let.group_by("parcel_id").aggregate(leased_out_m2=let.area_m2.sum())
    t = attach(parcels, leased, "parcel_id")
    expired = (t.use_change == "temporary") & (t.use_change_expires < ctx.day)
    unapproved = (t.use_change == "none") | expired
    fires = (
        (t.land_use == "industrial")
        & t.supply_date.between(ibis.literal(since), ctx.day)
        & (t.actual_use == "non_industrial")
        & unapproved
    )
    return Judgement(
        table=t.mutate(subject_id=t.parcel_id, fires=fires, key=NO_KEY),
        evidence=(
            "land_use",
            "supply_date",
            "actual_use",
            "use_change",
            "use_change_expires",
            "leased_out_m2",
        ),
        inputs=("land_use", "supply_date", "actual_use", "use_change", "use_change_expires"),
        subject_type=PARCEL,
    )


GRADES = "tonglu_grades"
"""The table of the year's grades that :func:`grade` registers for ``tonglu/other``."""


def grade(ctx: Context) -> None:
    """Evaluate the year under the profile the parameter ``tonglu.other.evaluation`` names, and
    register each enterprise's grade and score as :data:`GRADES`."""
    profile = load_profile(ctx.parameters.text("tonglu.other.evaluation"))
    graded = evaluate(facts=ctx.facts, profile=profile, year=the_year(ctx.as_of)).results
    ctx.facts.con.register(GRADES, graded.select(["credit_code", "grade", "score"]))


@formula(
    "tonglu/other",
    parameters=("tonglu.other.kinds", "tonglu.other.grades", "tonglu.other.evaluation"),
    monthly=ELECTRICITY,
    prepare=grade,
)
def other(ctx: Context) -> Judgement:
    """Prohibited or to-be-eliminated industry (an open compliance problem of those kinds), or
    graded D in the comprehensive evaluation of the year (an enterprise not evaluated is not
    graded)."""
    p = ctx.parameters
    t = attach(with_compliance(ctx, p.codes("tonglu.other.kinds")), grades(ctx), "credit_code")
    graded_low = t.grade.isin(p.codes("tonglu.other.grades")).fill_null(False)
    return Judgement(
        table=on_held_parcels(t.mutate(fires=t.fires | graded_low), ctx),
        evidence=(
            "credit_code",
            "compliance_kinds",
            "compliance_since",
            "evaluation",
            "evaluation_year",
            "grade",
            "score",
        ),
        inputs=(),
        subject_type=PARCEL,
    )


def grades(ctx: Context) -> ir.Table:
    """``credit_code, evaluation, evaluation_year, grade, score`` of the year's comprehensive
    evaluation (:func:`grade`)."""
    return ctx.facts.backend.table(GRADES).mutate(
        evaluation=ibis.literal(ctx.parameters.text("tonglu.other.evaluation")),
        evaluation_year=ibis.literal(the_year(ctx.as_of)),
    )
