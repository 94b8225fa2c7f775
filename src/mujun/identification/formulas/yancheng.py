"""Yancheng 2021 (000_8933512392dcf451.txt §三, annex): the stock lists and the resource
supervision database (资源监管库)."""

import ibis
import ibis.expr.types as ir

from mujun.analytics.land import area_mu, at_least_mu, counties
from mujun.analytics.logic import months_before, years_after
from mujun.analytics.tables import attach, attach_by
from mujun.identification.formulas.idle import CONSEQUENCE_EVIDENCE, idle_parcels
from mujun.identification.formulas.subjects import NO_KEY
from mujun.identification.judgement import Context, Judgement, formula, missing_among
from mujun.policy.profiles import SubjectType

PARCEL = SubjectType.PARCEL
BUILDING = SubjectType.BUILDING
BUILDING_EVIDENCE = (
    "kind",
    "floor_area_m2",
    "completed_date",
    "production_start_date",
    "vacant_since",
)


def listed_land(ctx: Context) -> ir.Table:
    t = idle_parcels(ctx)
    large = at_least_mu(t.area_m2, ctx.parameters.number("yancheng.list.land_area_mu"))
    return t.mutate(
        subject_id=t.parcel_id, fires=large & t.idle, key=NO_KEY, area_mu=area_mu(t.area_m2)
    )


def listed(ctx: Context, b: ir.Table, kind: str, line_parameter: str) -> ir.BooleanValue:
    """Whether each of buildings ``b`` is on the list of idle buildings of ``kind`` of at
    least the floor area ``line_parameter``: vacant, or (factories) never producing a year or
    more after completion (both as of the as-of date)."""
    p = ctx.parameters
    as_of = ctx.day
    vacant = b.vacant_since.notnull() & (b.vacant_since <= as_of)
    producing = b.production_start_date.notnull() & (b.production_start_date <= as_of)
    never = ~producing & (
        years_after(b.completed_date, p.whole("yancheng.list.idle_years")) <= as_of
    )
    idle = vacant if kind == "office" else never | vacant
    return (b.kind == kind) & idle & (b.floor_area_m2 >= float(p.number(line_parameter)))


def listed_buildings(ctx: Context, kind: str, line_parameter: str) -> ir.Table:
    b = ctx.facts["buildings"]
    return b.mutate(
        subject_id=b.building_id, fires=listed(ctx, b, kind, line_parameter), key=NO_KEY
    )


@formula(
    "yancheng/list/land",
    parameters=("yancheng.list.land_area_mu",),
)
def list_land(ctx: Context) -> Judgement:
    """Idle or under-used land of 30 mu or more."""
    t = listed_land(ctx)
    return Judgement(
        table=t,
        evidence=("area_mu", *CONSEQUENCE_EVIDENCE),
        inputs=(),
        subject_type=PARCEL,
        missing=t.idle_missing,
    )


@formula(
    "yancheng/list/factory",
    parameters=("yancheng.list.factory_floor_m2", "yancheng.list.idle_years"),
)
def list_factory(ctx: Context) -> Judgement:
    """Idle factories of 10,000 m² or more."""
    return Judgement(
        table=listed_buildings(ctx, "factory", "yancheng.list.factory_floor_m2"),
        evidence=BUILDING_EVIDENCE,
        inputs=("completed_date",),
        subject_type=BUILDING,
    )


@formula(
    "yancheng/list/building",
    parameters=("yancheng.list.building_floor_m2", "yancheng.list.idle_years"),
)
def list_building(ctx: Context) -> Judgement:
    """Idle office and commercial buildings of 10,000 m² or more."""
    return Judgement(
        table=listed_buildings(ctx, "office", "yancheng.list.building_floor_m2"),
        evidence=BUILDING_EVIDENCE,
        inputs=(),
        subject_type=BUILDING,
    )


@formula(
    "yancheng/db/land",
    parameters=("yancheng.db.land_area_mu", "yancheng.db.new_within_months"),
)
def database_land(ctx: Context) -> Judgement:
    """Newly transferred land of 30 mu or more (new: supplied in the months before as-of)."""
    p = ctx.parameters
    t = ctx.facts["parcels"]
    new = (t.supply_date > months_before(ctx.day, p.whole("yancheng.db.new_within_months"))) & (
        t.supply_date <= ctx.day
    )
    large = at_least_mu(t.area_m2, p.number("yancheng.db.land_area_mu"))
    return Judgement(
        table=t.mutate(
            subject_id=t.parcel_id,
            fires=(t.supply_method == "transfer") & new & large,
            key=NO_KEY,
            area_mu=area_mu(t.area_m2),
        ),
        evidence=("supply_method", "supply_date", "area_mu"),
        inputs=("supply_method", "supply_date"),
        subject_type=PARCEL,
    )


@formula(
    "yancheng/db/factory",
    parameters=("yancheng.db.factory_floor_m2", "yancheng.db.new_within_months"),
)
def database_factory(ctx: Context) -> Judgement:
    """New factory construction of 10,000 m² or more (completed in the months before as-of)."""
    p = ctx.parameters
    b = ctx.facts["buildings"]
    new = (b.completed_date > months_before(ctx.day, p.whole("yancheng.db.new_within_months"))) & (
        b.completed_date <= ctx.day
    )
    large = b.floor_area_m2 >= float(p.number("yancheng.db.factory_floor_m2"))
    return Judgement(
        table=b.mutate(
            subject_id=b.building_id, fires=(b.kind == "factory") & new & large, key=NO_KEY
        ),
        evidence=BUILDING_EVIDENCE,
        inputs=("completed_date",),
        subject_type=BUILDING,
    )


@formula(
    "yancheng/db/building",
    parameters=("yancheng.db.building_floor_m2", "yancheng.db.urban_suffixes"),
)
def database_building(ctx: Context) -> Judgement:
    """Office and commercial buildings of 10,000 m² or more developed in an urban district
    (a county-level jurisdiction whose name ends in 区)."""
    p = ctx.parameters
    b = ctx.facts["buildings"]
    where = ctx.facts["parcels"].select("parcel_id", "jurisdiction_code")
    names = ctx.facts["jurisdictions"].select(county_code="code", county_name="name")
    t = attach_by(attach(b, where, "parcel_id"), counties(ctx.facts), "jurisdiction_code", "code")
    t = attach(t, names, "county_code")
    urban = ibis.literal(False)
    for suffix in p.codes("yancheng.db.urban_suffixes"):
        urban = urban | t.county_name.endswith(suffix)
    large = t.floor_area_m2 >= float(p.number("yancheng.db.building_floor_m2"))
    return Judgement(
        table=t.mutate(
            subject_id=t.building_id, fires=(t.kind == "office") & urban & large, key=NO_KEY
        ),
        evidence=("kind", "floor_area_m2", "county_name"),
        inputs=("county_name",),
        subject_type=BUILDING,
    )


@formula(
    "yancheng/db/stock",
    parameters=(
        "yancheng.list.land_area_mu",
        "yancheng.list.factory_floor_m2",
        "yancheng.list.building_floor_m2",
        "yancheng.list.idle_years",
    ),
)
def database_stock(ctx: Context) -> Judgement:
    """Every item on a yancheng/list/* list."""
    land = listed_land(ctx).select(
        subject_type=ibis.literal(PARCEL.value),
        subject_id="subject_id",
        fires="fires",
        listed_as=ibis.literal("yancheng/list/land"),
        area_mu="area_mu",
        floor_area_m2=ibis.null("float64"),
        missing="idle_missing",
    )
    b = ctx.facts["buildings"]
    factory = listed(ctx, b, "factory", "yancheng.list.factory_floor_m2")
    office = listed(ctx, b, "office", "yancheng.list.building_floor_m2")
    buildings = b.select(
        subject_type=ibis.literal(BUILDING.value),
        subject_id=b.building_id,
        fires=factory | office,
        listed_as=ibis.cases(
            (factory, "yancheng/list/factory"),
            (office, "yancheng/list/building"),
            else_=ibis.null("string"),
        ),
        area_mu=ibis.null("float64"),
        floor_area_m2=b.floor_area_m2,
        missing=missing_among(b, ("completed_date",)),
    )
    t = land.union(buildings)
    return Judgement(
        table=t.mutate(key=NO_KEY),
        evidence=("listed_as", "area_mu", "floor_area_m2"),
        inputs=(),
        subject_type=None,
        missing=t.missing,
    )
