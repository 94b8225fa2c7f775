"""Ankang 2024 (安政办发〔2024〕6号, 003_62d23dbf9dc3e358.txt §二(二)): low-efficiency industrial
land."""

import ibis
import ibis.expr.types as ir

from mujun.analytics.land import (
    area_mu,
    at_least_mu,
    below_average,
    counties,
    enterprise_land,
    group_averages,
    per_mu,
)
from mujun.analytics.logic import (
    below_share,
    every,
    recent_years,
    the_year,
)
from mujun.analytics.tables import attach, attach_by
from mujun.identification.formulas.idle import idle_parcels
from mujun.identification.formulas.subjects import (
    AVERAGE,
    NO_KEY,
    SAME_INDUSTRY,
    average_method,
    enterprise_years,
    land_contract,
    latest_construction,
    on_held_parcels,
    same_industry,
    with_compliance,
)
from mujun.identification.judgement import Context, Judgement, formula
from mujun.policy.profiles import SubjectType
from mujun.units import M2_PER_MU

PARCEL = SubjectType.PARCEL


@formula("ankang/low/1", parameters=("ankang.low1.kinds",))
def low_1(ctx: Context) -> Judgement:
    """Prohibited or to-be-eliminated industry, or failing energy, safety or environmental
    requirements: a compliance problem of those kinds open on the as-of date."""
    t = with_compliance(ctx, ctx.parameters.codes("ankang.low1.kinds"))
    return Judgement(
        table=on_held_parcels(t, ctx),
        evidence=("credit_code", "compliance_kinds", "compliance_since"),
        inputs=(),
        subject_type=PARCEL,
    )


@formula("ankang/low/2")
def low_2(ctx: Context) -> Judgement:
    """Land to be adjusted under park planning or industrial restructuring."""
    p = ctx.facts["parcels"]
    return Judgement(
        table=p.select(
            subject_id=p.parcel_id,
            fires=p.planning_adjustment,
            key=NO_KEY,
            planning_adjustment=p.planning_adjustment,
        ),
        evidence=("planning_adjustment",),
        inputs=("planning_adjustment",),
        subject_type=PARCEL,
    )


@formula("ankang/low/3", parameters=("ankang.low3.intensity_share",))
def low_3(ctx: Context) -> Judgement:
    """Fixed-asset investment per mu < 1/3 of the agreed intensity, and not idle."""
    share = ctx.parameters.number("ankang.low3.intensity_share")
    idle = idle_parcels(ctx).select("parcel_id", "idle", "agreed_start_date")
    p = ctx.facts["parcels"].select("parcel_id", "area_m2")
    contract = land_contract(ctx).select("parcel_id", "committed_investment_per_mu_yuan")
    record = latest_construction(ctx).select("parcel_id", "record_as_of", "invested_yuan")
    t = attach(attach(attach(p, contract, "parcel_id"), record, "parcel_id"), idle, "parcel_id")
    line = t.committed_investment_per_mu_yuan
    low = below_share(
        t.invested_yuan * float(M2_PER_MU.numerator),
        line * t.area_m2 * float(M2_PER_MU.denominator),
        share,
    )
    return Judgement(
        table=t.mutate(
            subject_id=t.parcel_id,
            fires=low & ~t.idle,
            key=NO_KEY,
            area_mu=area_mu(t.area_m2),
            investment_per_mu_yuan=per_mu(t.invested_yuan, t.area_m2),
        ),
        evidence=(
            "record_as_of",
            "invested_yuan",
            "area_mu",
            "investment_per_mu_yuan",
            "committed_investment_per_mu_yuan",
            "idle",
        ),
        inputs=("committed_investment_per_mu_yuan", "invested_yuan", "agreed_start_date"),
        subject_type=PARCEL,
    )


@formula("ankang/low/4", parameters=("ankang.low4.years",))
def low_4(ctx: Context) -> Judgement:
    """Halted, or operating tax zero, in each of the 3 most recent years. A negative net tax
    (refunds beyond payments) is no operating tax paid: it counts as zero."""
    years = recent_years(ctx.as_of, ctx.parameters.whole("ankang.low4.years"))
    t = enterprise_years(ctx, len(years), ("halted", "tax_yuan"))
    stopped = t.halted | (t.tax_yuan <= 0)
    figures = {}
    for year in years:
        figures[f"halted_{year}"] = t.halted.first(where=t.year == year)
        figures[f"tax_yuan_{year}"] = t.tax_yuan.first(where=t.year == year)
    verdict = t.group_by("credit_code").aggregate(fires=every(stopped), key=NO_KEY, **figures)
    return Judgement(
        table=on_held_parcels(verdict, ctx),
        evidence=("credit_code", *figures),
        inputs=tuple(figures),
        subject_type=PARCEL,
    )


def low_5_enterprises(ctx: Context) -> ir.Table:
    """Every enterprise's ankang/low/5 verdict (shared with ankang/abnormal/3)."""
    return ctx.once("ankang_low_5", _low_5_enterprises)


def _low_5_enterprises(ctx: Context) -> ir.Table:
    p = ctx.parameters
    year = the_year(ctx.as_of)
    e = ctx.facts["enterprises"].select(
        "credit_code", "above_scale", "industry_code", "park_code", "jurisdiction_code"
    )
    annual = ctx.facts["annual_metrics"]
    tax = annual.filter(annual.year == year).select("credit_code", "tax_yuan")
    t = attach(attach(e, enterprise_land(ctx.facts), "credit_code"), tax, "credit_code")
    t = attach_by(t, counties(ctx.facts), "jurisdiction_code", "code")
    t = t.mutate(industry_division=same_industry(ctx, t.industry_code))
    cohort = t.filter(t.above_scale == True)  # noqa: E712 (an Ibis expression)
    method = average_method(ctx)
    averages = {"park": ["park_code", "industry_division"], "county": ["county_code"]}
    for name, by in averages.items():
        average = group_averages(
            cohort, by, amounts=["tax_yuan"], land_m2="land_m2", method=method
        ).rename(
            {
                f"{name}_numerator": "tax_yuan_numerator",
                f"{name}_denominator": "tax_yuan_denominator",
            }
        )
        t = attach(t, average, by)
    has_land = t.land_m2 > 0
    low = below_average(
        t.tax_yuan, t.land_m2, t.park_numerator, t.park_denominator, p.number("ankang.low5.share")
    )
    below_county = below_average(
        t.tax_yuan,
        t.land_m2,
        t.county_numerator,
        t.county_denominator,
        p.number("ankang.low5.key_share"),
    )
    big = at_least_mu(t.land_m2, p.number("ankang.low5.key_area_mu"))
    mu = float(M2_PER_MU)
    return t.mutate(
        year=ibis.literal(year),
        fires=ibis.ifelse(has_land, low, ibis.null("boolean")),
        key=big & below_county,
        land_mu=area_mu(t.land_m2),
        tax_per_mu_yuan=per_mu(t.tax_yuan, t.land_m2),
        park_industry_avg_yuan=t.park_numerator / t.park_denominator * mu,
        county_avg_yuan=t.county_numerator / t.county_denominator * mu,
    )


@formula(
    "ankang/low/5",
    parameters=(
        "ankang.low5.share",
        "ankang.low5.key_share",
        "ankang.low5.key_area_mu",
        AVERAGE,
        SAME_INDUSTRY,
    ),
)
def low_5(ctx: Context) -> Judgement:
    """Per-mu tax of the year < 50 % of the park's same-industry above-scale average; key when
    the land is ≥ 20 mu and per-mu tax < 50 % of the county's above-scale average."""
    return Judgement(
        table=on_held_parcels(low_5_enterprises(ctx), ctx),
        evidence=(
            "credit_code",
            "year",
            "tax_yuan",
            "land_mu",
            "tax_per_mu_yuan",
            "park_code",
            "industry_division",
            "park_industry_avg_yuan",
            "county_code",
            "county_avg_yuan",
        ),
        inputs=("tax_yuan", "land_m2", "park_code", "industry_code", "park_industry_avg_yuan"),
        subject_type=PARCEL,
    )
