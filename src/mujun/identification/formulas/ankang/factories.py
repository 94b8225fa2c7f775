"""Ankang 2024 §二(三): idle and low-efficiency factories (园区动态储备厂房 excluded)."""

import ibis
import ibis.expr.types as ir

from mujun.analytics.land import below_average, group_averages
from mujun.analytics.logic import below_share, the_year, years_after
from mujun.analytics.tables import attach
from mujun.identification.formulas.subjects import (
    AVERAGE,
    NO_KEY,
    SAME_INDUSTRY,
    average_method,
    same_industry,
)
from mujun.identification.judgement import Context, Judgement, formula
from mujun.policy.profiles import SubjectType

BUILDING = SubjectType.BUILDING
FIGURES = ("investment", "output", "tax")


@formula(
    "ankang/building/1",
    parameters=(
        "ankang.building1.cutoff",
        "ankang.building1.idle_years",
        "ankang.building1.used_share",
        "ankang.building1.vacant_years",
        "ankang.building1.key_floor_m2",
    ),
)
def idle_factory(ctx: Context) -> Judgement:
    """Completed ≥ 2 years before the cut-off and not producing (建而未投), or producing with
    used area < 1/3 (投而未尽); or vacant ≥ 2 years after relocation, bankruptcy or halt. Key
    when ≥ 2,000 m². Production and vacancy are judged on the cut-off date."""
    p = ctx.parameters
    cutoff = ibis.literal(p.date("ankang.building1.cutoff"))
    b = ctx.facts["buildings"]
    aged = years_after(b.completed_date, p.whole("ankang.building1.idle_years")) <= cutoff
    vacant = b.vacant_since.notnull() & (b.vacant_since <= cutoff)
    producing = b.production_start_date.notnull() & (b.production_start_date <= cutoff)
    never = aged & ~producing
    partly = (
        producing
        & ~vacant
        & aged
        & below_share(b.used_area_m2, b.floor_area_m2, p.number("ankang.building1.used_share"))
    )
    long_vacant = vacant & (
        years_after(b.vacant_since, p.whole("ankang.building1.vacant_years")) <= cutoff
    )
    counted = (b.kind == "factory") & ~b.dynamic_reserve.fill_null(False)
    key_floor = p.number("ankang.building1.key_floor_m2")
    return Judgement(
        table=b.mutate(
            subject_id=b.building_id,
            fires=counted & (never | partly | long_vacant),
            key=b.floor_area_m2 * key_floor.denominator >= key_floor.numerator,
            cutoff=cutoff,
            idle_kind=ibis.cases(
                (never, "built_not_producing"),
                (partly, "partly_used"),
                (long_vacant, "vacant"),
                else_=ibis.null("string"),
            ),
        ),
        evidence=(
            "kind",
            "floor_area_m2",
            "completed_date",
            "production_start_date",
            "used_area_m2",
            "vacant_since",
            "vacancy_reason",
            "cutoff",
            "idle_kind",
        ),
        inputs=("completed_date", "used_area_m2"),
        subject_type=BUILDING,
    )


def factory_intensities(ctx: Context) -> ir.Table:
    """Every factory with its investment, output and tax of the year (output and tax are its
    owner's, spread over the owner's factory floor), its park and its owner's industry."""
    return ctx.once("factory_intensities", _factory_intensities)


def _factory_intensities(ctx: Context) -> ir.Table:
    year = the_year(ctx.as_of)
    b = ctx.facts["buildings"]
    factories = b.filter(b.kind == "factory").select(
        "building_id", "parcel_id", "owner_credit_code", "floor_area_m2", "investment_yuan"
    )
    owner_floor = factories.group_by("owner_credit_code").aggregate(
        owner_floor_m2=factories.floor_area_m2.sum()
    )
    annual = ctx.facts["annual_metrics"]
    figures = annual.filter(annual.year == year).select(
        owner_credit_code=annual.credit_code,
        output_yuan=annual.output_yuan,
        tax_yuan=annual.tax_yuan,
    )
    owners = ctx.facts["enterprises"].select(
        owner_credit_code="credit_code", industry_code="industry_code"
    )
    parks = ctx.facts["parcels"].select("parcel_id", "park_code")
    t = attach(attach(factories, owner_floor, "owner_credit_code"), figures, "owner_credit_code")
    t = attach(attach(t, owners, "owner_credit_code"), parks, "parcel_id")
    share = t.floor_area_m2 / t.owner_floor_m2
    return t.mutate(
        year=ibis.literal(year),
        industry_division=same_industry(ctx, t.industry_code),
        investment_amount=t.investment_yuan,
        output_amount=t.output_yuan * share,
        tax_amount=t.tax_yuan * share,
    )


@formula("ankang/building/2", parameters=("ankang.building2.share", AVERAGE, SAME_INDUSTRY))
def low_efficiency_factory(ctx: Context) -> Judgement:
    """Investment, output or tax per m² of floor < 50 % of the park's same-industry average."""
    share = ctx.parameters.number("ankang.building2.share")
    t = factory_intensities(ctx)
    by = ["park_code", "industry_division"]
    amounts = [f"{figure}_amount" for figure in FIGURES]
    averages = group_averages(
        t, by, amounts=amounts, land_m2="floor_area_m2", method=average_method(ctx)
    )
    t = attach(t, averages, by)
    below: ir.BooleanValue = ibis.literal(False)
    figures: dict[str, ir.Value] = {}
    for figure, amount in zip(FIGURES, amounts, strict=True):
        numerator, denominator = t[f"{amount}_numerator"], t[f"{amount}_denominator"]
        below = below | below_average(t[amount], t.floor_area_m2, numerator, denominator, share)
        figures[f"{figure}_per_m2_yuan"] = t[amount] / t.floor_area_m2
        figures[f"park_industry_{figure}_per_m2_yuan"] = numerator / denominator
    return Judgement(
        table=t.mutate(subject_id=t.building_id, fires=below, key=NO_KEY, **figures),
        evidence=("year", "park_code", "industry_division", "floor_area_m2", *figures),
        inputs=("investment_yuan", "output_yuan", "tax_yuan", "park_code", "industry_code"),
        subject_type=BUILDING,
    )
