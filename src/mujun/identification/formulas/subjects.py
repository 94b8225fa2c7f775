"""Tables the rules of several documents share: the latest construction record and contract of
each parcel, enterprises' land and holdings, and one enterprise's figures of a year."""

import ibis
import ibis.expr.types as ir

from mujun.analytics.land import AverageMethod, holdings, industry_at
from mujun.analytics.logic import open_on, recent_years
from mujun.analytics.tables import attach
from mujun.identification.judgement import Context

NO_KEY = ibis.null("boolean")
AVERAGE = "per_mu.average"
SAME_INDUSTRY = "per_mu.same_industry"


def same_industry(ctx: Context, industry_code: ir.StringValue) -> ir.StringValue:
    """The code two enterprises share when they are "in the same industry" (rules.md: the
    GB/T 4754 division by default; a parameter)."""
    return industry_at(industry_code, ctx.parameters.text(SAME_INDUSTRY))


def average_method(ctx: Context) -> AverageMethod:
    """How group averages are taken: the aggregate ratio (default) or the mean of ratios."""
    return "mean" if ctx.parameters.text(AVERAGE) == "mean" else "aggregate"


def open_compliance(ctx: Context, kinds: tuple[str, ...]) -> ir.Table:
    """``credit_code, compliance_kinds, compliance_since`` of enterprises with a compliance
    problem of ``kinds`` open on the as-of date."""
    c = ctx.facts["compliance"]
    found = c.filter(c.kind.isin(kinds) & open_on(c.since, c.resolved_date, ctx.day))
    return found.group_by("credit_code").aggregate(
        compliance_kinds=found.kind.collect(distinct=True).sort(),
        compliance_since=found.since.min(),
    )


def with_compliance(ctx: Context, kinds: tuple[str, ...]) -> ir.Table:
    """Every enterprise, ``fires`` when it has an open compliance problem of ``kinds``."""
    enterprises = ctx.facts["enterprises"].select("credit_code")
    t = attach(enterprises, open_compliance(ctx, kinds), "credit_code")
    return t.mutate(fires=t.compliance_kinds.notnull(), key=NO_KEY)


def latest_construction(ctx: Context) -> ir.Table:
    """Each parcel's latest construction record on or before the as-of date (rules.md)."""
    records = ctx.facts["construction"]
    known = records.filter(records.as_of <= ctx.day)
    ranked = known.mutate(
        rank=ibis.row_number().over(group_by=known.parcel_id, order_by=ibis.desc(known.as_of))
    )
    return ranked.filter(ranked.rank == 0).drop("rank").rename(record_as_of="as_of")


def land_contract(ctx: Context) -> ir.Table:
    """Each parcel's land contract (the latest signed where there are several)."""
    contracts = ctx.facts["land_contracts"]
    ranked = contracts.mutate(
        rank=ibis.row_number().over(
            group_by=contracts.parcel_id,
            order_by=[ibis.desc(contracts.signed_date), ibis.desc(contracts.contract_id)],
        )
    )
    return ranked.filter(ranked.rank == 0).drop("rank", "credit_code")


def held_parcels(ctx: Context) -> ir.Table:
    return ctx.once("holdings", lambda c: holdings(c.facts))


def enterprise_years(ctx: Context, count: int, columns: tuple[str, ...]) -> ir.Table:
    """One row per enterprise and each of the ``count`` most recent years, with that year's
    ``columns`` of ``annual_metrics`` (null where the year has no row: unknown, not zero)."""
    years = ibis.literal(recent_years(ctx.as_of, count), type="array<int64>")
    grid = ctx.facts["enterprises"].select("credit_code", year=years.unnest())
    annual = ctx.facts["annual_metrics"].select("credit_code", "year", *columns)
    return attach(grid, annual, ["credit_code", "year"])


def on_held_parcels(enterprises: ir.Table, ctx: Context) -> ir.Table:
    """A verdict judged on enterprises' figures, carried to every parcel each holds."""
    held = held_parcels(ctx)
    joined = enterprises.join(held, "credit_code")
    return joined.rename(subject_id="parcel_id")
