"""Each enterprise's year as the evaluation sees it: its figures, its land, its electricity,
how many tenants it lets to, and whether it is in scope."""

import datetime as dt

import ibis
import ibis.expr.types as ir

from mujun.analytics.facts import Facts
from mujun.analytics.land import counties, enterprise_land, holdings
from mujun.analytics.tables import attach, attach_by
from mujun.evaluation.indicators import ANNUAL_FIGURES
from mujun.units import M2_PER_MU

MONTHS = 12


def enterprise_year(facts: Facts, year: int) -> ir.Table:
    """One row per enterprise: identity, land (mu), the year's figures, the year's electricity
    (known only when all twelve months are), the date its first parcel was supplied, and the
    number of tenants it lets land to."""
    e = facts["enterprises"].select(
        "credit_code",
        "name",
        "above_scale",
        "status",
        "industry_code",
        "park_code",
        "jurisdiction_code",
        "registered_date",
    )
    land = enterprise_land(facts)
    annual = facts["annual_metrics"]
    figures = annual.filter(annual.year == year).select(
        "credit_code", *ANNUAL_FIGURES, has_figures=ibis.literal(True)
    )
    t = attach(attach(e, land, "credit_code"), figures, "credit_code")
    t = attach(t, electricity(facts, year), "credit_code")
    t = attach(t, first_supplied(facts), "credit_code")
    t = attach(t, tenants(facts), "credit_code")
    t = attach_by(t, counties(facts), "jurisdiction_code", "code")
    return t.mutate(land_mu=t.land_m2 / float(M2_PER_MU), tenants=t.tenants.fill_null(0))


def year_kept(facts: Facts, year: int) -> ir.Table:
    """:func:`enterprise_year`, computed once per facts and year and kept."""
    return facts.derived(f"enterprise_year_{year}", lambda: enterprise_year(facts, year))


def electricity(facts: Facts, year: int) -> ir.Table:
    monthly = facts["monthly_metrics"]
    of_year = monthly.filter(monthly.month.startswith(f"{year}-"))
    totals = of_year.group_by("credit_code").aggregate(
        kwh=of_year.electricity_kwh.sum(), months=of_year.electricity_kwh.count()
    )
    return totals.select(
        "credit_code",
        electricity_kwh=ibis.ifelse(totals.months == MONTHS, totals.kwh, ibis.null("float64")),
    )


def first_supplied(facts: Facts) -> ir.Table:
    """``credit_code, first_supplied``: when the earliest of an enterprise's parcels was
    supplied (unknown if any of them has no supply date)."""
    parcels = facts["parcels"].select("parcel_id", "supply_date")
    held = holdings(facts).join(parcels, "parcel_id")
    return held.group_by("credit_code").aggregate(
        first_supplied=ibis.ifelse(
            held.supply_date.isnull().any(), ibis.null("date"), held.supply_date.min()
        )
    )


def tenants(facts: Facts) -> ir.Table:
    """``credit_code, tenants``: how many enterprises lease land in on the parcels an
    enterprise leases out."""
    occupancy = facts["land_occupancy"]
    lets = occupancy.filter(occupancy.kind == "leased_out").select(
        lessor="credit_code", parcel_id="parcel_id"
    )
    takes = occupancy.filter(occupancy.kind == "leased_in").select(
        tenant="credit_code", parcel_id="parcel_id"
    )
    pairs = lets.join(takes, "parcel_id")
    pairs = pairs.filter(pairs.tenant != pairs.lessor)
    return pairs.group_by(credit_code=pairs.lessor).aggregate(tenants=pairs.tenant.nunique())


def out_of_scope(
    t: ir.Table, *, year_end: dt.date, new_enterprise_years: int, new_land_years: int
) -> ir.StringValue:
    """Why an enterprise is not evaluated, or null: deregistered, no land, no figures for the
    year, scale unknown, registered within ``new_enterprise_years`` of the year's end, or all
    its land supplied within ``new_land_years``. (An unknown registration date exempts
    nothing. The cohort's own scope, its minimum land, is the engine's.)"""
    end = ibis.literal(year_end)
    return ibis.cases(
        (t.status == "deregistered", "deregistered"),
        (t.land_m2.isnull() | (t.land_m2 <= 0), "no_land"),
        (t.has_figures.isnull(), "no_figures"),
        (t.above_scale.isnull(), "scale_unknown"),
        (t.registered_date > end - ibis.interval(years=new_enterprise_years), "new_enterprise"),
        (t.first_supplied > end - ibis.interval(years=new_land_years), "new_land"),
        else_=ibis.null("string"),
    )
