"""Values derived from the facts, kept in the records for the web's lists to read on every
request: a jurisdiction's and a parcel's county, an enterprise's land and the counties an
enterprise is in. They are computed here, by the functions the rules use
(:mod:`mujun.analytics.land`), never in another query language; the importer refreshes them in
the transaction that changed the facts (:func:`refresh`), and so does an ORM session that
wrote facts, once :func:`follow_orm_writes` has plugged :func:`refresh` into the records
(:mod:`mujun.records.derived`) at start-up. They are no facts: not imported, exported or logged.
"""

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass

import ibis
import ibis.expr.types as ir
import pyarrow as pa
from sqlalchemy import Connection, Table

from mujun.analytics.facts import Facts, facts_from_arrow
from mujun.analytics.land import counties, enterprise_land, enterprise_places
from mujun.records import (
    Building,
    Enterprise,
    EnterpriseCounty,
    Jurisdiction,
    LandOccupancy,
    Parcel,
    bulk,
    table_of,
)
from mujun.records.derived import refresh_derived_with

SOURCES: Mapping[Table, tuple[str, ...]] = {
    table_of(Jurisdiction): ("code", "parent_code", "level"),
    table_of(Enterprise): ("credit_code", "jurisdiction_code"),
    table_of(Parcel): ("parcel_id", "area_m2", "jurisdiction_code", "holder_credit_code"),
    table_of(LandOccupancy): ("credit_code", "parcel_id", "kind", "area_m2"),
    table_of(Building): ("building_id", "parcel_id", "owner_credit_code"),
}
"""The facts the derived values are computed from (the tables of
:data:`mujun.records.DERIVED_FROM`), each table with the columns read."""


def parcel_counties(facts: Facts) -> ir.Table:
    """``parcel_id, county_code`` for every parcel (null where its jurisdiction has none)."""
    parcels, of = facts["parcels"], counties(facts)
    joined = parcels.left_join(of, parcels.jurisdiction_code == of.code)
    return joined.select(parcel_id=joined.parcel_id, county_code=joined.county_code)


def enterprise_land_m2(facts: Facts) -> ir.Table:
    """``credit_code, land_m2`` for every enterprise (null without land)."""
    enterprises, land = facts["enterprises"], enterprise_land(facts)
    joined = enterprises.left_join(land, enterprises.credit_code == land.credit_code)
    return joined.select(credit_code=joined.credit_code, land_m2=joined.land_m2)


def enterprise_counties(facts: Facts) -> ir.Table:
    """``credit_code, county_code``: each county an enterprise is in (where it is registered,
    and where its land and buildings lie: :func:`~mujun.analytics.land.enterprise_places`)."""
    places, of = enterprise_places(facts), counties(facts)
    joined = places.join(of, places.jurisdiction_code == of.code)
    return (
        joined.filter(joined.county_code.notnull())
        .select(credit_code=joined.credit_code, county_code=joined.county_code)
        .distinct()
    )


@dataclass(frozen=True)
class DerivedColumn:
    """A derived column of a facts table, with the expression giving it for every row."""

    table: Table
    key: str
    column: str
    values: Callable[[Facts], ir.Table]
    """``key, column`` for every row of the table."""


COLUMNS = (
    DerivedColumn(table_of(Jurisdiction), "code", "county_code", counties),
    DerivedColumn(table_of(Parcel), "parcel_id", "county_code", parcel_counties),
    DerivedColumn(table_of(Enterprise), "credit_code", "land_m2", enterprise_land_m2),
)
ENTERPRISE_COUNTIES = table_of(EnterpriseCounty)
FILLED = (ENTERPRISE_COUNTIES,)
"""The tables the refresh writes rows of (the others' values it sets in their rows)."""


def refresh(
    conn: Connection, facts: Facts | None = None, *, written_whole: Collection[Table] = ()
) -> None:
    """Bring every derived value up to date with the facts, inside the caller's transaction,
    writing only the values that changed. ``facts`` are the facts as the transaction holds
    them (of :data:`SOURCES`), where the caller has them (an import: what it compared and
    wrote); else they are read from the records. ``written_whole`` are tables whose every row
    the caller has just written with its values (of ``facts``): none of theirs can differ, and
    they are not read back (an import into empty records: 400,000 rows)."""
    if facts is None:
        read = facts_from_arrow(
            {table.name: bulk.read_rows(conn, table, columns) for table, columns in SOURCES.items()}
        )
        try:
            refresh(conn, read)
        finally:
            read.close()
        return
    for derived in COLUMNS:
        if derived.table not in written_whole:
            _refresh_column(conn, facts, derived)
    _refresh_enterprise_counties(conn, facts)


def columns_of(table: Table) -> list[DerivedColumn]:
    """The derived columns of ``table``."""
    return [derived for derived in COLUMNS if derived.table is table]


def values(facts: Facts, derived: DerivedColumn) -> ir.Table:
    """``derived.key, derived.column`` for every row of its table, computed once for
    ``facts``: an import writes its new rows with them, and the refresh after finds them
    current."""
    name = f"derived_{derived.table.name}_{derived.column}"
    return facts.derived(name, lambda: derived.values(facts))


def follow_orm_writes() -> None:
    """Have every ORM session that writes facts refresh the derived values before it commits.
    Called where a process starts using the records: the command line's engine, the web
    application, the tests; calling it again changes nothing."""
    refresh_derived_with(refresh)


def _refresh_column(conn: Connection, facts: Facts, derived: DerivedColumn) -> None:
    stored = _stored(conn, derived.table, [derived.key, derived.column])
    changed = values(facts, derived).difference(stored)
    bulk.update_rows(conn, derived.table, _batches(changed), key=[derived.key])


def _refresh_enterprise_counties(conn: Connection, facts: Facts) -> None:
    stored = _stored(conn, ENTERPRISE_COUNTIES, ["credit_code", "county_code"])
    computed = facts.keep("enterprise_counties", enterprise_counties(facts))
    key = ["credit_code", "county_code"]
    bulk.delete_rows(conn, ENTERPRISE_COUNTIES, _batches(stored.difference(computed)), key=key)
    bulk.insert_rows(conn, ENTERPRISE_COUNTIES, _batches(computed.difference(stored)))


def _stored(conn: Connection, table: Table, columns: list[str]) -> ir.Table:
    return ibis.memtable(bulk.read_rows(conn, table, columns))


def _batches(expression: ir.Table) -> list[pa.RecordBatch]:
    batches: list[pa.RecordBatch] = expression.to_pyarrow().to_batches(bulk.BATCH_ROWS)
    return batches
