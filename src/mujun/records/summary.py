"""What the records hold: rows per table, and the main counts per county."""

from dataclasses import dataclass

from sqlalchemy import Connection, Table, func, select
from sqlalchemy.orm import aliased

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
    """Enterprises (by where they are registered), parcels and land per county: a town's or
    park's records count to its county (:attr:`Jurisdiction.county_code`, derived from the
    facts at import)."""
    registered = aliased(Jurisdiction)
    enterprises = (
        select(registered.county_code.label("code"), func.count().label("n"))
        .select_from(Enterprise)
        .join(registered, registered.code == Enterprise.jurisdiction_code)
        .group_by(registered.county_code)
        .subquery()
    )
    parcels = (
        select(
            Parcel.county_code.label("code"),
            func.count().label("n"),
            func.sum(Parcel.area_m2).label("area_m2"),
        )
        .group_by(Parcel.county_code)
        .subquery()
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
