"""Ankang 2024 §二(四): abnormal above-scale enterprises (非正常规上企业). Only above-scale
enterprises can be abnormal; the others are judged not to be."""

import ibis
import ibis.expr.types as ir

from mujun.analytics.logic import below_share, every, open_on, recent_years, some, the_year
from mujun.analytics.tables import attach
from mujun.identification.formulas.ankang.low import low_5_enterprises
from mujun.identification.formulas.idle import idle_parcels
from mujun.identification.formulas.subjects import (
    NO_KEY,
    enterprise_years,
    held_parcels,
    open_compliance,
)
from mujun.identification.judgement import Context, Judgement, formula, names_of_missing
from mujun.policy.profiles import SubjectType

ENTERPRISE = SubjectType.ENTERPRISE


def above_scale(ctx: Context) -> ir.Table:
    e = ctx.facts["enterprises"]
    return e.select("credit_code", "above_scale")


def abnormal(t: ir.Table, verdict: ir.BooleanValue) -> ir.Table:
    """``t`` (with ``above_scale``) judged: abnormal when above scale and ``verdict``."""
    return t.mutate(subject_id=t.credit_code, fires=t.above_scale & verdict, key=NO_KEY)


def yearly(
    ctx: Context, years: list[int], columns: tuple[str, ...]
) -> tuple[ir.Table, dict[str, ir.Value]]:
    """Each enterprise's ``columns`` in ``years``, and one aggregate per column and year."""
    t = enterprise_years(ctx, len(years), columns)
    figures = {
        f"{column}_{year}": t[column].first(where=t.year == year)
        for year in years
        for column in columns
    }
    return t, figures


@formula("ankang/abnormal/1", parameters=("ankang.abnormal1.years",))
def silent(ctx: Context) -> Judgement:
    """Neither annual report nor tax return in 2 consecutive years."""
    years = recent_years(ctx.as_of, ctx.parameters.whole("ankang.abnormal1.years"))
    t, figures = yearly(ctx, years, ("annual_report_filed", "tax_return_filed"))
    quiet = ~t.annual_report_filed & ~t.tax_return_filed
    verdict = t.group_by("credit_code").aggregate(silent=every(quiet), **figures)
    t = attach(above_scale(ctx), verdict, "credit_code")
    return Judgement(
        table=abnormal(t, t.silent),
        evidence=("above_scale", *figures),
        inputs=("above_scale", *figures),
        subject_type=ENTERPRISE,
    )


@formula("ankang/abnormal/2", parameters=("ankang.abnormal2.kinds",))
def insolvent_in_dispute(ctx: Context) -> Judgement:
    """In a debt dispute, or assets mortgaged to a bank or seized by a court, and insolvent
    (liabilities > assets, of the year)."""
    events = ctx.facts["legal_events"]
    kinds = ctx.parameters.codes("ankang.abnormal2.kinds")
    trouble = events.filter(
        events.kind.isin(kinds) & open_on(events.date, events.closed_date, ctx.day)
    )
    troubled = trouble.group_by("credit_code").aggregate(
        legal_kinds=trouble.kind.collect(distinct=True).sort(), legal_since=trouble.date.min()
    )
    annual = ctx.facts["annual_metrics"]
    year = the_year(ctx.as_of)
    books = annual.filter(annual.year == year).select(
        "credit_code", "total_assets_yuan", "total_liabilities_yuan"
    )
    t = attach(attach(above_scale(ctx), troubled, "credit_code"), books, "credit_code")
    insolvent = t.total_liabilities_yuan > t.total_assets_yuan
    return Judgement(
        table=abnormal(t, t.legal_kinds.notnull() & insolvent).mutate(year=ibis.literal(year)),
        evidence=(
            "legal_kinds",
            "legal_since",
            "year",
            "total_assets_yuan",
            "total_liabilities_yuan",
        ),
        inputs=("above_scale", "total_assets_yuan", "total_liabilities_yuan"),
        subject_type=ENTERPRISE,
    )


@formula(
    "ankang/abnormal/3",
    parameters=("ankang.abnormal3.years", "ankang.abnormal3.capacity_share"),
)
def idle_capacity(ctx: Context) -> Judgement:
    """Capacity use < 1/3 in each of 3 consecutive years, and loss-making in each of them or
    low-efficiency (its land fires ankang/low/5 in the year)."""
    p = ctx.parameters
    years = recent_years(ctx.as_of, p.whole("ankang.abnormal3.years"))
    t, figures = yearly(ctx, years, ("capacity_use", "profit_yuan"))
    low = below_share(
        t.capacity_use, ibis.literal(1.0), p.number("ankang.abnormal3.capacity_share")
    )
    verdict = t.group_by("credit_code").aggregate(
        capacity_low=every(low), loss_making=every(t.profit_yuan < 0), **figures
    )
    efficiency = low_5_enterprises(ctx).select(
        "credit_code",
        low_efficiency="fires",
        tax_per_mu_yuan="tax_per_mu_yuan",
        park_industry_avg_yuan="park_industry_avg_yuan",
    )
    t = attach(attach(above_scale(ctx), verdict, "credit_code"), efficiency, "credit_code")
    return Judgement(
        table=abnormal(t, t.capacity_low & (t.loss_making | t.low_efficiency)),
        evidence=(
            *figures,
            "loss_making",
            "low_efficiency",
            "tax_per_mu_yuan",
            "park_industry_avg_yuan",
        ),
        inputs=("above_scale", *figures, "tax_per_mu_yuan", "park_industry_avg_yuan"),
        subject_type=ENTERPRISE,
    )


@formula("ankang/abnormal/4", parameters=("ankang.abnormal4.used_share",))
def idle_assets(ctx: Context) -> Judgement:
    """Its land identified idle, or its effectively used factory area < 1/3 of its factory
    floor: abnormal directly. A factory vacant on the as-of date uses none of its floor; any
    other factory's unknown used area leaves the share unknown."""
    idle = idle_parcels(ctx).select("parcel_id", "idle", "idle_missing")
    held = held_parcels(ctx).join(idle, "parcel_id")
    idle_land = held.group_by("credit_code").aggregate(
        holds_land=ibis.literal(True),
        land_idle=some(held.idle),
        idle_parcels=held.parcel_id.collect(where=held.idle == True).sort(),  # noqa: E712
        idle_missing=held.idle_missing.min(),
    )
    b = ctx.facts["buildings"]
    factories = b.filter((b.kind == "factory") & b.owner_credit_code.notnull())
    vacant = factories.vacant_since.notnull() & (factories.vacant_since <= ctx.day)
    factories = factories.mutate(effective_m2=ibis.ifelse(vacant, 0.0, factories.used_area_m2))
    use = factories.group_by(credit_code=factories.owner_credit_code).aggregate(
        factory_floor_m2=factories.floor_area_m2.sum(),
        used_area_m2=ibis.ifelse(
            factories.effective_m2.isnull().any(),
            ibis.null("float64"),
            factories.effective_m2.sum(),
        ),
    )
    t = attach(attach(above_scale(ctx), idle_land, "credit_code"), use, "credit_code")
    land_idle = ibis.ifelse(t.holds_land.isnull(), False, t.land_idle)
    underused = ibis.ifelse(
        t.factory_floor_m2.isnull(),
        False,
        below_share(
            t.used_area_m2, t.factory_floor_m2, ctx.parameters.number("ankang.abnormal4.used_share")
        ),
    )
    missing = names_of_missing(
        ibis.ifelse(t.above_scale.isnull(), "above_scale", ibis.null("string")),
        ibis.ifelse(land_idle.isnull(), t.idle_missing, ibis.null("string")),
        ibis.ifelse(underused.isnull(), "used_area_m2", ibis.null("string")),
    )
    return Judgement(
        table=abnormal(t, land_idle | underused),
        evidence=("idle_parcels", "used_area_m2", "factory_floor_m2"),
        inputs=(),
        subject_type=ENTERPRISE,
        missing=missing,
    )


@formula(
    "ankang/abnormal/5",
    parameters=("ankang.abnormal5.policy_kinds", "ankang.abnormal5.deadline_kinds"),
)
def non_compliant(ctx: Context) -> Judgement:
    """Against industrial policy; or pollution, safety, quality or energy non-compliance not
    fixed by its deadline (the deadline passed before the as-of date, still unresolved)."""
    p = ctx.parameters
    policy = open_compliance(ctx, p.codes("ankang.abnormal5.policy_kinds"))
    c = ctx.facts["compliance"]
    as_of = ctx.day
    late = c.filter(
        c.kind.isin(p.codes("ankang.abnormal5.deadline_kinds"))
        & (c.deadline < as_of)
        & (c.resolved_date.isnull() | (c.resolved_date > as_of))
    )
    overdue = late.group_by("credit_code").aggregate(
        overdue_kinds=late.kind.collect(distinct=True).sort(), deadline=late.deadline.min()
    )
    t = attach(attach(above_scale(ctx), policy, "credit_code"), overdue, "credit_code")
    return Judgement(
        table=abnormal(t, t.compliance_kinds.notnull() | t.overdue_kinds.notnull()),
        evidence=("compliance_kinds", "compliance_since", "overdue_kinds", "deadline"),
        inputs=("above_scale",),
        subject_type=ENTERPRISE,
    )
