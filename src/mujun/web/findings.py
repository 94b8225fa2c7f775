"""Kept identification runs in the API: the findings of a run (scoped, filtered, paginated)
and the cockpit's summary of a run (findings and land by category and county)."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query
from pydantic import BaseModel
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from mujun.policy.profiles import Category
from mujun.records import Finding, IdentificationRun, Jurisdiction, Parcel
from mujun.units import m2_to_mu
from mujun.web.dependencies import Current, Database, gate
from mujun.web.geography import codes_in
from mujun.web.listing import Column, SortParam, sorted_by
from mujun.web.permissions import Action, Scope

router = APIRouter(prefix="/api", tags=["findings"])
Reader = Annotated[Current, Depends(gate(Action.READ))]
LAND_CATEGORIES = frozenset(
    {Category.IDLE_LAND, Category.LOW_EFFICIENCY_LAND, Category.NON_INDUSTRIAL_USE}
)


class FindingRow(BaseModel):
    criterion: str
    category: str
    subject_type: str
    subject_id: str
    subject_name: str | None
    area_m2: float | None
    county_code: str | None
    key: bool
    evidence: str
    source: str


FINDING_COLUMNS = (
    Column("criterion", "规则", "Rule", Finding.criterion),
    Column("category", "类别", "Category", Finding.category),
    Column("subject_id", "对象", "Subject", Finding.subject_id),
    Column("subject_name", "名称", "Name", Finding.subject_name),
    Column("county_code", "区县", "County", Finding.county_code),
    Column("area_mu", "面积(亩)", "Area (mu)", Finding.area_m2, number="{:,.2f}"),
    Column("key", "重点", "Key", Finding.key),
    Column("figures", "关键数据", "Key figures"),
    Column("source", "依据", "Basis"),
)
"""The columns of the findings list, on screen and in its export."""


class FindingPage(BaseModel):
    run: int
    total: int
    page: int
    page_size: int
    items: list[FindingRow]


class Tally(BaseModel):
    code: str
    label: str
    findings: int
    mu: float
    """Land in mu (parcels of land categories; buildings and enterprises count no land)."""


class Cockpit(BaseModel):
    run: int | None
    profile: str | None
    as_of: str | None
    parcels: int
    industrial_mu: float
    categories: list[Tally]
    counties: list[Tally]


def latest_run(db: Session) -> IdentificationRun | None:
    return db.scalars(select(IdentificationRun).order_by(IdentificationRun.id.desc())).first()


def chosen_run(db: Session, run: int | None) -> IdentificationRun | None:
    if run is None:
        return latest_run(db)
    found = db.get(IdentificationRun, run)
    if found is None:
        raise HTTPException(status_code=404, detail=f"没有认定批次 {run} / no run {run}")
    return found


@router.get("/findings", response_model=FindingPage, summary="认定结果 / findings of a run")
def list_findings(
    current: Reader,
    db: Database,
    run: Annotated[int | None, Query(ge=1, description="认定批次；默认最新")] = None,
    category: Annotated[Category | None, Query()] = None,
    county: Annotated[str | None, Query(max_length=32)] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=200)] = 50,
    sort: SortParam = None,
) -> FindingPage:
    """A run's findings in the account's area; a county outside it is refused. Sorted by
    ``sort`` (a key of :data:`FINDING_COLUMNS`), then by rule and subject."""
    if county is not None:
        current.scope.require(county, f"区县 {county}")
    kept = chosen_run(db, run)
    if kept is None:
        return FindingPage(run=0, total=0, page=page, page_size=page_size, items=[])
    query = _scoped(select(Finding).where(Finding.run_id == kept.id), current.scope, county)
    if category is not None:
        query = query.where(Finding.category == category.value)
    total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db.scalars(
        sorted_by(query, FINDING_COLUMNS, sort)
        .order_by(Finding.criterion, Finding.subject_type, Finding.subject_id)
        .offset((page - 1) * page_size)
        .limit(page_size)
    ).all()
    items = [FindingRow.model_validate(row, from_attributes=True) for row in rows]
    return FindingPage(run=kept.id, total=total, page=page, page_size=page_size, items=items)


@router.get("/cockpit", response_model=Cockpit, summary="驾驶舱 / cockpit figures")
def cockpit(
    current: Reader,
    db: Database,
    run: Annotated[int | None, Query(ge=1, description="认定批次；默认最新")] = None,
    county: Annotated[str | None, Query(max_length=32)] = None,
) -> Cockpit:
    """Industrial land, and a run's findings and their land by category and county."""
    kept = chosen_run(db, run)
    parcels, industrial_mu = _land(db, current.scope, county)
    if kept is None:
        return Cockpit(
            run=None,
            profile=None,
            as_of=None,
            parcels=parcels,
            industrial_mu=industrial_mu,
            categories=[],
            counties=[],
        )
    base = _scoped(select(Finding).where(Finding.run_id == kept.id), current.scope, county)
    found = base.subquery()
    land = func.sum(found.c.area_m2).filter(
        found.c.category.in_([c.value for c in LAND_CATEGORIES])
    )
    by_category = db.execute(
        select(found.c.category, func.count(), land).group_by(found.c.category)
    ).all()
    by_county = db.execute(
        select(found.c.county_code, func.count(), land).group_by(found.c.county_code)
    ).all()
    names = {code: name for code, name in db.execute(select(Jurisdiction.code, Jurisdiction.name))}
    return Cockpit(
        run=kept.id,
        profile=kept.profile,
        as_of=kept.as_of.isoformat(),
        parcels=parcels,
        industrial_mu=industrial_mu,
        categories=[
            _tally(code, Category(code).label_zh, count, m2)
            for code, count, m2 in sorted(
                by_category, key=lambda r: list(Category).index(Category(r[0]))
            )
        ],
        counties=[
            _tally(code or "", names.get(code or "", code or "—"), count, m2)
            for code, count, m2 in sorted(by_county, key=lambda r: r[0] or "")
        ],
    )


def _scoped(query: Select[Any], scope: Scope, county: str | None) -> Select[Any]:
    if county is not None:
        scope.require(county, f"区县 {county}")
        return query.where(Finding.county_code == county)
    if scope.counties is not None:
        return query.where(Finding.county_code.in_(scope.counties))
    return query


def _land(db: Session, scope: Scope, county: str | None) -> tuple[int, float]:
    query = select(func.count(), func.coalesce(func.sum(Parcel.area_m2), 0.0)).where(
        Parcel.land_use == "industrial"
    )
    if county is not None:
        scope.require(county, f"区县 {county}")
    counties = scope.counties if county is None else frozenset({county})
    if counties is not None:
        query = query.where(Parcel.jurisdiction_code.in_(codes_in(db, counties)))
    count, m2 = db.execute(query).one()
    return int(count), round(m2_to_mu(float(m2)), 2)


def _tally(code: str, label: str, count: int, m2: float | None) -> Tally:
    return Tally(code=code, label=label, findings=count, mu=round(m2_to_mu(m2 or 0.0), 2))
