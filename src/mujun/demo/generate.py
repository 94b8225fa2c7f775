"""Putting the demo together: geography, enterprises, land, development and figures."""

import pyarrow as pa

from mujun.demo.columns import schema_of, table_names
from mujun.demo.development import draw_development
from mujun.demo.figures import (
    draw_annual,
    draw_approvals,
    draw_compliance,
    draw_legal_events,
    draw_monthly,
)
from mujun.demo.geography import build_geography, with_park_outlines
from mujun.demo.population import draw_enterprises, draw_land
from mujun.interchange.schema import table


def generate(*, enterprises: int, seed: int) -> dict[str, pa.Table]:
    """A synthetic province, city or county of ``enterprises`` enterprises.

    One Arrow table per interchange table (in reference order), with exactly the columns of
    the table's spec, typed by kind. The same seed gives byte-identical tables.
    """
    if enterprises < 1:
        raise ValueError("enterprises: at least 1")
    geo = build_geography(enterprises=enterprises, seed=seed)
    ent = draw_enterprises(geo, enterprises, seed)
    land = draw_land(geo, ent, seed)
    development = draw_development(geo, ent, land, seed)
    annual = draw_annual(ent, land, seed)
    drawn = {
        "jurisdictions": with_park_outlines(geo, land.park_outline),
        "enterprises": ent.table,
        "parcels": land.parcels,
        "land_occupancy": land.occupancy,
        "land_contracts": development.contracts,
        "construction": development.construction,
        "buildings": development.buildings,
        "annual_metrics": annual.table,
        "monthly_metrics": draw_monthly(ent, annual, seed),
        "legal_events": draw_legal_events(geo, ent, annual, seed),
        "compliance": draw_compliance(ent, seed),
        "land_approvals": draw_approvals(geo, seed),
    }
    result: dict[str, pa.Table] = {}
    for name in table_names():
        data = drawn[name].combine_chunks()
        if data.schema != schema_of(table(name)):  # pragma: no cover - a bug guard
            raise TypeError(f"{name}: schema drifted")
        result[name] = data
    return result


def summary(tables: dict[str, pa.Table]) -> dict[str, int]:
    """Rows per table, in the order given."""
    return {name: data.num_rows for name, data in tables.items()}
