"""Parcels in the API: a scoped, paginated list and one parcel's summary."""

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel
from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import Session, defer

from mujun.records import Enterprise, Jurisdiction, Parcel
from mujun.units import m2_to_mu
from mujun.web.dependencies import Database, Reader
from mujun.web.gate import require, restrict
from mujun.web.listing import (
    Column,
    CountyParam,
    PageParam,
    PageSizeParam,
    ParkParam,
    SearchParam,
    SortParam,
    sorted_by,
)
from mujun.web.permissions import Scope

router = APIRouter(prefix="/api/parcels", tags=["parcels"])


class ParcelSummary(BaseModel):
    parcel_id: str
    area_m2: float
    area_mu: float
    county_code: str | None
    jurisdiction_code: str | None
    park_code: str | None
    land_use: str | None
    actual_use: str | None
    holder_credit_code: str | None
    holder_name: str | None


PARCEL_COLUMNS = (
    Column("parcel_id", "宗地号", "Parcel", Parcel.parcel_id, link="/parcels/{parcel_id}"),
    Column("area_mu", "面积(亩)", "Area (mu)", Parcel.area_m2, number="{:,.2f}"),
    Column("county_code", "区县", "County"),
    Column("park_code", "园区", "Park", Parcel.park_code),
    Column("land_use", "规划用途", "Planned use", Parcel.land_use),
    Column("actual_use", "实际用途", "Actual use", Parcel.actual_use),
    Column(
        "holder_name",
        "使用权人",
        "Holder",
        Enterprise.name,
        link="/enterprises/{holder_credit_code}",
    ),
)
"""The columns of the parcel list, on screen and in its export."""


SORTED_AT_MOST = 20_000
"""Up to this many parcels (a county's, a park's, those found) are joined to their holders and
sorted by name in one query; more (a city's) are read in the order of the names' index
(:func:`by_holder`). Walking the names for a county's parcels would pass every holder of the
city in name order (0.1 s for a county of 4,640 parcels of 212,000), sorting a city's would
join and sort them all (0.8 s)."""


class ParcelPage(BaseModel):
    total: int
    page: int
    page_size: int
    items: list[ParcelSummary]


@router.get("", response_model=ParcelPage, summary="宗地清单 / parcels")
def list_parcels(
    current: Reader,
    db: Database,
    county: CountyParam = None,
    park: ParkParam = None,
    q: SearchParam = None,
    page: PageParam = 1,
    page_size: PageSizeParam = 50,
    sort: SortParam = None,
) -> ParcelPage:
    """Parcels in the account's area (or in ``county``, or ``park``: refused outside the
    area) whose id begins with ``q`` or whose holder is named like it, sorted by ``sort`` (a
    key of :data:`PARCEL_COLUMNS`), then by parcel id."""
    query = parcels_wanted(db, current.scope, county=county, park=park, q=q)
    total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
    start = (page - 1) * page_size
    if sort is not None and sort.removeprefix("-") == "holder_name" and total > SORTED_AT_MOST:
        rows = by_holder(db, query, descending=sort.startswith("-"), start=start, size=page_size)
    else:
        ordered = sorted_by(query, PARCEL_COLUMNS, sort).order_by(Parcel.parcel_id)
        rows = [(p, name) for p, name in db.execute(ordered.offset(start).limit(page_size))]
    items = [parcel_summary(parcel, name) for parcel, name in rows]
    return ParcelPage(total=total, page=page, page_size=page_size, items=items)


def parcels_wanted(
    db: Session, scope: Scope, *, county: str | None, park: str | None, q: str | None
) -> Select[Parcel, str | None]:
    """The parcels a list's filters choose, with their holder's name, unordered."""
    query = restrict(
        select(Parcel, Enterprise.name)
        .outerjoin(Enterprise, Enterprise.credit_code == Parcel.holder_credit_code)
        .options(defer(Parcel.geometry_wkt)),  # the list shows no shapes
        scope,
        Parcel,
        county=county,
    )
    if park:
        require(db, scope, Jurisdiction, park)
        query = query.where(Parcel.park_code == park)
    if q:
        query = query.where(_parcel_like(q))
    return query


def by_holder(
    db: Session,
    query: Select[Parcel, str | None],
    *,
    descending: bool,
    start: int,
    size: int,
) -> list[tuple[Parcel, str | None]]:
    """``size`` rows from ``start`` of the parcels ``query`` chooses in their holders' name
    order (a parcel without a named holder last going up, first going down, then by parcel id),
    as :func:`~mujun.web.listing.sorted_by` orders them, read in two parts: the parcels with a
    named holder, in the order of the names' index (an inner join walked from it), and the
    others, in parcel order."""
    name = Enterprise.name.desc() if descending else Enterprise.name.asc()
    named = query.where(Enterprise.name.is_not(None)).order_by(name, Parcel.parcel_id)
    unnamed = query.where(Enterprise.name.is_(None)).order_by(Parcel.parcel_id)
    return _pages_of(db, [unnamed, named] if descending else [named, unnamed], start, size)


def _pages_of(
    db: Session, parts: list[Select[Parcel, str | None]], start: int, size: int
) -> list[tuple[Parcel, str | None]]:
    """``size`` rows from ``start`` of ``parts`` (each ordered) read one after another. A
    part is counted only when the page begins past its end."""
    rows: list[tuple[Parcel, str | None]] = []
    for part in parts:
        if len(rows) == size:
            break
        found = [(p, name) for p, name in db.execute(part.offset(start).limit(size - len(rows)))]
        if not found and start > 0:
            start -= db.scalar(select(func.count()).select_from(part.subquery())) or 0
            start = max(start, 0)
        else:
            start = 0
        rows += found
    return rows


def _parcel_like(q: str) -> ColumnElement[bool]:
    return or_(
        Parcel.parcel_id.startswith(q, autoescape=True),
        Enterprise.name.contains(q, autoescape=True),
    )


@router.get("/{parcel_id}", response_model=ParcelSummary, summary="宗地概况 / one parcel")
def get_parcel(parcel_id: str, current: Reader, db: Database) -> ParcelSummary:
    """One parcel; refused (403) if it lies outside the account's area."""
    row = db.execute(
        select(Parcel, Enterprise.name)
        .outerjoin(Enterprise, Enterprise.credit_code == Parcel.holder_credit_code)
        .where(Parcel.parcel_id == parcel_id)
    ).first()
    if row is None:
        raise HTTPException(status_code=404, detail=f"没有宗地 {parcel_id} / no parcel {parcel_id}")
    require(db, current.scope, Parcel, parcel_id)
    return parcel_summary(row[0], row[1])


def parcel_summary(parcel: Parcel, holder_name: str | None) -> ParcelSummary:
    return ParcelSummary(
        parcel_id=parcel.parcel_id,
        area_m2=parcel.area_m2,
        area_mu=round(m2_to_mu(parcel.area_m2), 2),
        county_code=parcel.county_code,
        jurisdiction_code=parcel.jurisdiction_code,
        park_code=parcel.park_code,
        land_use=parcel.land_use,
        actual_use=parcel.actual_use,
        holder_credit_code=parcel.holder_credit_code,
        holder_name=holder_name,
    )
