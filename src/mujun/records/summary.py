"""What the records hold: rows per table, and the main counts per county."""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Subquery,
    Table,
    and_,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.orm import InstrumentedAttribute, aliased

from mujun.records import DATA_MODELS, Enterprise, Jurisdiction, Parcel, bulk
from mujun.records.vocabulary import JurisdictionLevel
from mujun.units import m2_to_mu


@dataclass(frozen=True)
class CountyLine:
    code: str
    name: str
    enterprises: int
    parcels: int
    land_mu: float


def rows_per_table(conn: Connection) -> dict[str, int]:
    counts = {}
    for model in DATA_MODELS:
        table = model.__table__
        assert isinstance(table, Table)
        counts[table.name] = bulk.count_rows(conn, table)
    return counts


def per_county(conn: Connection) -> list[CountyLine]:
    """Enterprises, parcels and land per county; a town's or park's records count to its county."""
    enterprises = _by_county(
        Enterprise.jurisdiction_code, func.count(Enterprise.credit_code).label("n")
    )
    parcels = _by_county(
        Parcel.jurisdiction_code,
        func.count(Parcel.parcel_id).label("n"),
        func.coalesce(func.sum(Parcel.area_m2), 0).label("area_m2"),
    )
    query = (
        select(
            Jurisdiction.code,
            Jurisdiction.name,
            func.coalesce(enterprises.c.n, 0),
            func.coalesce(parcels.c.n, 0),
            func.coalesce(parcels.c.area_m2, 0),
        )
        .outerjoin(enterprises, enterprises.c.code == Jurisdiction.code)
        .outerjoin(parcels, parcels.c.code == Jurisdiction.code)
        .where(Jurisdiction.level == JurisdictionLevel.COUNTY)
        .order_by(Jurisdiction.code)
    )
    return [
        CountyLine(code, name, int(n_ent), int(n_par), m2_to_mu(float(area)))
        for code, name, n_ent, n_par, area in conn.execute(query)
    ]


def _by_county(
    jurisdiction_code: InstrumentedAttribute[str | None], *aggregates: ColumnElement[Any]
) -> Subquery:
    """``aggregates`` per county code, over records whose jurisdiction is the county itself or
    a town or park directly under it."""
    county = aliased(Jurisdiction)
    place = aliased(Jurisdiction)
    belongs = or_(
        place.code == county.code,
        and_(place.parent_code == county.code, place.level != literal(JurisdictionLevel.COUNTY)),
    )
    return (
        select(county.code, *aggregates)
        .join(place, belongs)
        .join(jurisdiction_code.class_, jurisdiction_code == place.code)
        .where(county.level == JurisdictionLevel.COUNTY)
        .group_by(county.code)
        .subquery()
    )
