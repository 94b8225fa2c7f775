"""Land, and figures per mu of it (rules.md, "Per-mu figures").

An enterprise's land is the area it holds plus the area it leases in minus the area it leases
out, from ``land_occupancy``; an enterprise with no occupancy rows holds the parcels whose
``holder_credit_code`` it is. Its per-mu figure is unknown (not zero) without land. A group
average is the aggregate ratio Σ X / Σ land by default, or the mean of the members' ratios;
members with an unknown figure or no land are left out, their land too. Sums are taken in
fixed-point decimal so that the same data always give the same average, whatever order the
engine adds them in.
"""

from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Literal

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from mujun.analytics.facts import Facts
from mujun.analytics.in_memory import Tables, run_in_memory
from mujun.records.vocabulary import OccupancyKind
from mujun.units import M2_PER_MU

AverageMethod = Literal["aggregate", "mean"]
EXACT_SUM = "decimal(38, 6)"
COUNTY_DEPTH = 6
"""How many levels up from a town or park a county is looked for (city > county > town > park
is three)."""


def enterprise_land(facts: Facts) -> ir.Table:
    """``credit_code, land_m2`` for every enterprise that holds, leases in or leases out land;
    computed once for the facts, whoever asks (the rules, the subjects' descriptions, the
    evaluation)."""
    return facts.derived("enterprise_land", lambda: _land_by_enterprise(facts))


def _land_by_enterprise(facts: Facts) -> ir.Table:
    occupancy = facts["land_occupancy"]
    sign = ibis.cases((occupancy.kind == "leased_out", -1.0), else_=1.0)
    from_occupancy = occupancy.group_by("credit_code").aggregate(
        land_m2=(occupancy.area_m2 * sign).sum()
    )
    parcels = facts["parcels"]
    held = parcels.filter(parcels.holder_credit_code.notnull())
    from_parcels = held.group_by(credit_code=held.holder_credit_code).aggregate(
        land_m2=held.area_m2.sum()
    )
    only_held = from_parcels.anti_join(from_occupancy, "credit_code")
    return from_occupancy.union(only_held)


def holdings(facts: Facts) -> ir.Table:
    """``credit_code, parcel_id``: the parcels each enterprise holds (as ``holder_credit_code``
    or as an ``owned`` occupancy row)."""
    parcels = facts["parcels"]
    occupancy = facts["land_occupancy"]
    by_holder = parcels.filter(parcels.holder_credit_code.notnull()).select(
        credit_code=parcels.holder_credit_code, parcel_id=parcels.parcel_id
    )
    by_occupancy = occupancy.filter(occupancy.kind == "owned").select("credit_code", "parcel_id")
    return by_holder.union(by_occupancy, distinct=True)


HOLDER, BUILDING_OWNER = "holder", "building_owner"
RELATIONS: dict[str, tuple[str, str]] = {
    HOLDER: ("使用权人", "holder"),
    **{kind.value: (kind.label_zh, kind.value.replace("_", " ")) for kind in OccupancyKind},
    BUILDING_OWNER: ("厂房楼宇产权人", "owns a building on it"),
}
"""How an enterprise is on a parcel (:func:`on_parcels`), in the order shown, in Chinese and
English."""
ON_PARCELS_READS: dict[str, tuple[str, ...]] = {
    "parcels": ("holder_credit_code", "parcel_id"),
    "land_occupancy": ("credit_code", "parcel_id", "kind"),
    "buildings": ("owner_credit_code", "parcel_id"),
}
"""What :func:`on_parcels` reads: each table's columns, the first naming the enterprise (so
that one enterprise's rows can be read alone: :func:`on_parcels_of`)."""
ON_PARCELS_SCHEMAS = tuple(
    (name, tuple((column, "string") for column in columns))
    for name, columns in ON_PARCELS_READS.items()
)


def on_parcels(facts: Tables) -> ir.Table:
    """``credit_code, parcel_id, relation``: each parcel an enterprise is on, and how: it holds
    it (``holder``: ``holder_credit_code``), occupies it (its ``land_occupancy`` kind: ``owned``,
    ``leased_in`` or ``leased_out``) or owns a building on it (``building_owner``)."""
    parcels, occupancy, buildings = (facts[name] for name in ON_PARCELS_READS)
    held = parcels.filter(parcels.holder_credit_code.notnull())
    owned = buildings.filter(buildings.owner_credit_code.notnull())
    return held.select(
        credit_code=held.holder_credit_code, parcel_id=held.parcel_id, relation=ibis.literal(HOLDER)
    ).union(
        occupancy.select("credit_code", "parcel_id", relation=occupancy.kind),
        owned.select(
            credit_code=owned.owner_credit_code,
            parcel_id=owned.parcel_id,
            relation=ibis.literal(BUILDING_OWNER),
        ),
        distinct=True,
    )


def on_parcels_of(rows: Mapping[str, pa.Table]) -> pa.Table:
    """:func:`on_parcels` of a few rows in memory (say one enterprise's, read from the records
    by the first column of each table of :data:`ON_PARCELS_READS`), without loading the facts."""
    return run_in_memory(on_parcels, ON_PARCELS_SCHEMAS, rows)


def enterprise_places(facts: Facts) -> ir.Table:
    """``credit_code, jurisdiction_code``: where each enterprise is: where it is registered,
    and where each parcel lies that it is on in any way (:func:`on_parcels`)."""
    parcels = facts["parcels"].select("parcel_id", "jurisdiction_code")
    located = (
        on_parcels(facts).join(parcels, "parcel_id").select("credit_code", "jurisdiction_code")
    )
    registered = facts["enterprises"].select("credit_code", "jurisdiction_code")
    return registered.union(located)


def counties(facts: Facts) -> ir.Table:
    """``code, county_code``: the county (区县) each jurisdiction lies in, or is; computed once
    for the facts."""
    return facts.derived("counties", lambda: _walk_to_counties(facts))


def _walk_to_counties(facts: Facts) -> ir.Table:
    j = facts["jurisdictions"].select("code", "parent_code", "level")
    walk = j.select(
        code=j.code,
        at=j.parent_code,
        county_code=ibis.ifelse(j.level == "county", j.code, ibis.null("string")),
    )
    for _ in range(COUNTY_DEPTH):
        parent = j.view()
        up = parent.select(up_code=parent.code, up_parent=parent.parent_code, up_level=parent.level)
        step = walk.left_join(up, walk.at == up.up_code)
        walk = step.select(
            code=step.code,
            at=step.up_parent,
            county_code=step.county_code.fill_null(
                ibis.ifelse(step.up_level == "county", step.up_code, ibis.null("string"))
            ),
        )
    return walk.select("code", "county_code")


INDUSTRY_LEVELS = {"section": 1, "division": 3, "group": 4, "class": 5}
"""GB/T 4754 levels by the length of their code: C, C34, C348, C3489."""


def industry_at(industry_code: ir.StringValue, level: str) -> ir.StringValue:
    """The industry code cut to a GB/T 4754 level (``division``: C34 for C3489)."""
    return industry_code.substr(0, INDUSTRY_LEVELS[level])


def division(industry_code: ir.StringValue) -> ir.StringValue:
    """The GB/T 4754 division: the letter and first two digits (C34 for C3489)."""
    return industry_at(industry_code, "division")


def per_mu(amount: ir.NumericValue, land_m2: ir.NumericValue) -> ir.FloatingValue:
    """``amount`` per mu of ``land_m2``; unknown without land (for display and evidence)."""
    per_m2 = ibis.ifelse(land_m2 > 0, amount / land_m2, ibis.null("float64"))
    return per_m2 * float(M2_PER_MU)


def counted(amount: ir.NumericValue, land: ir.NumericValue) -> ir.BooleanValue:
    """Whether a member counts in its group's average of ``amount``: the amount is known and
    the member has land."""
    return amount.notnull() & (land > 0)


def _exact_sum(value: ir.NumericValue, where: ir.BooleanValue) -> ir.FloatingScalar:
    return value.cast(EXACT_SUM).sum(where=where).cast("float64")


def group_averages(
    members: ir.Table,
    by: list[str],
    *,
    amounts: list[str],
    land_m2: str,
    method: AverageMethod,
) -> ir.Table:
    """Per group and for each of ``amounts``: ``<amount>_numerator / <amount>_denominator``,
    the group's average amount per m², kept as a fraction so a comparison with it need not
    divide. Each average counts only the members whose amount is known and who have land."""
    land = members[land_m2]
    aggregates: dict[str, ir.Scalar] = {}
    for amount in amounts:
        value = members[amount]
        known = counted(value, land)
        if method == "aggregate":
            numerator, denominator = _exact_sum(value, known), _exact_sum(land, known)
        else:
            numerator = (value / land).mean(where=known)
            denominator = ibis.ifelse(known.any(), 1.0, ibis.null("float64"))
        aggregates[f"{amount}_numerator"] = numerator
        aggregates[f"{amount}_denominator"] = denominator
    return members.group_by(by).aggregate(**aggregates)


def group_per_mu(
    members: ir.Table,
    by: str,
    *,
    amounts: Sequence[str],
    land_mu: str = "land_mu",
    also: Mapping[str, ir.Scalar] | None = None,
) -> ir.Table:
    """Per group ``by`` of ``members`` (one row per enterprise, with its land in mu and each of
    ``amounts`` in yuan, e.g. ``tax_yuan``): ``enterprises`` and ``land_mu`` of all members;
    and for each amount ``X_yuan``, the group's ``X_per_mu_yuan`` (the aggregate ratio: Σ X /
    Σ land of the members that count, :func:`counted`), with the ``X_enterprises`` and
    ``X_land_mu`` counted (null where no member counts); and the aggregates ``also``."""
    land = members[land_mu]
    aggregates: dict[str, ir.Scalar] = {
        "enterprises": members.count(),
        "land_mu": land.sum(),
        **(also or {}),
    }
    for amount in amounts:
        known = counted(members[amount], land)
        name = amount.removesuffix("_yuan")
        aggregates[f"{name}_enterprises"] = members.count(where=known)
        aggregates[f"{name}_land_mu"] = _exact_sum(land, known)
        aggregates[f"{name}_sum"] = _exact_sum(members[amount], known)
    grouped = members.group_by(by).aggregate(**aggregates)
    ratios = {}
    for amount in amounts:
        name = amount.removesuffix("_yuan")
        counted_land = grouped[f"{name}_land_mu"]
        ratios[f"{name}_per_mu_yuan"] = ibis.ifelse(
            counted_land > 0, grouped[f"{name}_sum"] / counted_land, ibis.null("float64")
        )
    return grouped.mutate(**ratios).drop(*(f"{a.removesuffix('_yuan')}_sum" for a in amounts))


def below_average(
    amount: ir.NumericValue,
    land_m2: ir.NumericValue,
    numerator: ir.NumericValue,
    denominator: ir.NumericValue,
    share: Fraction,
) -> ir.BooleanValue:
    """``amount / land < share × numerator / denominator``, cross-multiplied (land > 0)."""
    return amount * denominator * share.denominator < numerator * land_m2 * share.numerator


def area_mu(area_m2: ir.NumericValue) -> ir.FloatingValue:
    """An area in mu (for display and evidence; compare with :func:`at_least_mu`)."""
    return area_m2 / float(M2_PER_MU)


def at_least_mu(area_m2: ir.NumericValue, mu: Fraction) -> ir.BooleanValue:
    """``area ≥ mu`` (以上), in m² and without rounding: 20 亩 is 40000/3 m²."""
    line = mu * M2_PER_MU
    return area_m2 * line.denominator >= line.numerator


def per_mu_below(
    amount: ir.NumericValue, land_m2: ir.NumericValue, line_per_mu: Fraction
) -> ir.BooleanValue:
    """``amount per mu of land < line`` (低于, 不足), cross-multiplied: amount·(m²/mu) <
    line·land. Unknown without land."""
    per_m2_line = line_per_mu / M2_PER_MU
    below = amount * per_m2_line.denominator < land_m2 * per_m2_line.numerator
    return ibis.ifelse(land_m2 > 0, below, ibis.null("boolean"))
