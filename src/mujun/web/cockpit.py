"""驾驶舱: one's area at a glance, in the API and as a page of charts that click through to the
lists behind them. Industrial land; the identification run of record's findings (never a
what-if's: :func:`mujun.identification.runs.run_of_record`) and their land by category and
county; and the grades of record (:mod:`mujun.web.grades`): how many of each
grade per cohort, per-mu tax over the years, and the parks with the best and the worst per-mu
tax.

Per-mu tax is Σ tax / Σ land of graded enterprises (never a mean of their ratios), read from
the kept evaluation runs (:func:`mujun.evaluation.rankings.kept_tax_by_park`,
:func:`~mujun.evaluation.rankings.kept_tax_by_year`) rather than recomputed from the records:
the enterprises counted and their land are then the evaluation's own (in scope that year; land
as rules.md defines it, as it stood when the year was evaluated, where the records keep only
today's land), so the trend, the park table and the grade list agree with each other and with
the notice; and a page view costs one aggregate query instead of reading the records into
DuckDB. A year counts with its run of record; a year no run was kept for does not appear.
"""

from dataclasses import replace
from functools import lru_cache
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from mujun.evaluation.rankings import Within, kept_tax_by_park, kept_tax_by_year
from mujun.evaluation.runs import run_of_record
from mujun.identification.runs import run_of_record as run_of_record_found
from mujun.policy.evaluation import GRADES
from mujun.policy.profiles import Category
from mujun.records import EvaluationRun, Finding, Grade, IdentificationRun, Jurisdiction, Parcel
from mujun.units import m2_to_mu
from mujun.web.cases import names_of
from mujun.web.dependencies import MAX_ID, Current, Database, Reader
from mujun.web.findings import chosen_run
from mujun.web.gate import SelectT, counties_read, restrict
from mujun.web.grades import cohort_titles
from mujun.web.language import in_language, language_of
from mujun.web.listing import CountyParam
from mujun.web.pages import basemap_url, signed_in_page
from mujun.web.permissions import Scope
from mujun.web.warning_inbox import WarningFigures, warning_figures

router = APIRouter(tags=["cockpit"])
TREND_YEARS = 5
PARKS_SHOWN = 5
LAND_CATEGORIES = frozenset(
    {Category.IDLE_LAND, Category.LOW_EFFICIENCY_LAND, Category.NON_INDUSTRIAL_USE}
)
"""The categories whose findings count land (buildings and enterprises count none)."""


class Tally(BaseModel):
    code: str
    label: str
    findings: int
    mu: float
    """Land in mu (parcels of land categories; buildings and enterprises count no land)."""


class CohortGrades(BaseModel):
    cohort: str
    label: str
    counts: dict[str, int]
    """Enterprises graded A, B, C and D."""


class TaxYear(BaseModel):
    year: int
    run: int
    """The year's run of record."""
    enterprises: int
    """Graded enterprises with a tax figure: those the ratio counts."""
    land_mu: float
    tax_per_mu_yuan: float


class ParkTax(BaseModel):
    code: str
    name: str
    enterprises: int
    """Graded enterprises of the park with a tax figure: those the ratio counts."""
    land_mu: float
    tax_per_mu_yuan: float


class GradeFigures(BaseModel):
    run: int
    """The run of record."""
    profile: str
    year: int
    cohorts: list[CohortGrades]
    trend: list[TaxYear]
    """Per-mu tax of the last years with grades, oldest first."""
    top_parks: list[ParkTax]
    """The parks with the highest per-mu tax, best first."""
    bottom_parks: list[ParkTax]
    """The parks with the lowest per-mu tax (none of the top ones), worst first."""


class Cockpit(BaseModel):
    run: int | None
    profile: str | None
    as_of: str | None
    parcels: int
    industrial_mu: float
    categories: list[Tally]
    counties: list[Tally]
    grades: GradeFigures | None
    """None until an evaluation run is kept."""
    warnings: WarningFigures | None = None
    """The latest month monitored; None before any."""


@router.get("/api/cockpit", response_model=Cockpit, summary="驾驶舱 / cockpit figures")
def cockpit(
    request: Request,
    current: Reader,
    db: Database,
    run: Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="认定批次；默认为现行结果（不含假设批次）")
    ] = None,
    county: CountyParam = None,
) -> Cockpit:
    """Industrial land, a run's findings and their land by category and county, and the
    grades of record, in the account's area (or in ``county``: refused outside it); labels in
    the request's language."""
    parcels, industrial_mu = _land(db, current.scope, county)
    kept = chosen_run(db, run)
    categories, counties = (
        ([], []) if kept is None else _tallies(request, db, kept, current.scope, county)
    )
    record = run_of_record(session=db)
    grades = None if record is None else _grade_figures(request, db, record, current.scope, county)
    return Cockpit(
        run=None if kept is None else kept.id,
        profile=None if kept is None else kept.profile,
        as_of=None if kept is None else kept.as_of.isoformat(),
        parcels=parcels,
        industrial_mu=industrial_mu,
        categories=categories,
        counties=counties,
        grades=grades,
        warnings=warning_figures(
            db, current.scope, county, names_of(request), language_of(request)
        ),
    )


@router.get("/cockpit", response_class=HTMLResponse, include_in_schema=False)
def cockpit_page(
    request: Request,
    current: Reader,
    db: Database,
    run: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    county: CountyParam = None,
) -> HTMLResponse:
    """驾驶舱: the cockpit's figures as charts (ECharts) that click through to the findings and
    grades behind each bar, point and park."""
    return _cockpit_shown(
        request,
        current,
        db,
        "cockpit.html",
        run=run,
        county=county,
        land_categories=sorted(c.value for c in LAND_CATEGORIES),
    )


@router.get("/cockpit/wall", response_class=HTMLResponse, include_in_schema=False)
def cockpit_wall_page(
    request: Request,
    current: Reader,
    db: Database,
    run: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    county: CountyParam = None,
) -> HTMLResponse:
    """大屏: the cockpit's figures for a 1920×1080 wall screen, named after the area shown."""
    area = _area_name(db, current.scope, county)
    return _cockpit_shown(
        request, current, db, "cockpit_wall.html", run=run, county=county, area=area
    )


def _cockpit_shown(
    request: Request,
    current: Current,
    db: Session,
    template: str,
    *,
    run: int | None,
    county: str | None,
    **shown: Any,
) -> HTMLResponse:
    """The cockpit's figures and map in ``template``, with what else it ``shown``."""
    figures = cockpit(request, current, db, run=run, county=county)
    return signed_in_page(
        request,
        template,
        current,
        figures=figures,
        county=county or "",
        map=_map(db, current.scope, county, figures),
        **shown,
    )


class CockpitMap(BaseModel):
    """What the page says of the cockpit's map, which draws the area from ``/api/map``
    (cockpit_map.js): its boundaries, and its parcels coloured as 挂图作战 colours them, by
    their category in the identification run of record."""

    parcels: int
    """The area's parcels with a shape: none, and the map gives way to a sentence."""
    coloured_by: int | None
    """The run of record the colours come from, when the cockpit shows another run: the page
    says so; None when they are the cockpit's run."""
    basemap: str | None
    """MUJUN_BASEMAP_URL's tile URL, as on 挂图作战."""


def _map(db: Session, scope: Scope, county: str | None, figures: Cockpit) -> CockpitMap:
    shapes = select(func.count()).select_from(Parcel).where(Parcel.geometry_wkt.is_not(None))
    record = run_of_record_found(session=db)
    coloured_by = None if record is None or record.id == figures.run else record.id
    return CockpitMap(
        parcels=db.scalar(restrict(shapes, scope, Parcel, county=county)) or 0,
        coloured_by=coloured_by,
        basemap=basemap_url(),
    )


def _area_name(db: Session, scope: Scope, county: str | None) -> str:
    """The county read (asked for, or the only one the account reads), else the city."""
    read = counties_read(scope, county)
    only = next(iter(read)) if read is not None and len(read) == 1 else None
    level = (Jurisdiction.code == only) if only else (Jurisdiction.level == "city")
    return db.scalar(select(Jurisdiction.name).where(level).order_by(Jurisdiction.code)) or ""


def _land(db: Session, scope: Scope, county: str | None) -> tuple[int, float]:
    query = select(func.count(), func.coalesce(func.sum(Parcel.area_m2), 0.0)).where(
        Parcel.land_use == "industrial"
    )
    count, m2 = db.execute(restrict(query, scope, Parcel, county=county)).one()
    return int(count), round(m2_to_mu(float(m2)), 2)


def _tallies(
    request: Request, db: Session, kept: IdentificationRun, scope: Scope, county: str | None
) -> tuple[list[Tally], list[Tally]]:
    """The run's findings and their land by category (in the categories' order) and by
    county."""
    found = restrict(
        select(Finding).where(Finding.run_id == kept.id), scope, Finding, county=county
    ).subquery()
    land = func.sum(found.c.area_m2).filter(
        found.c.category.in_([c.value for c in LAND_CATEGORIES])
    )
    by_category = db.execute(
        select(found.c.category, func.count(), land).group_by(found.c.category)
    ).all()
    by_county = db.execute(
        select(found.c.county_code, func.count(), land).group_by(found.c.county_code)
    ).all()
    order = [category.value for category in Category]
    names = _names(db)
    categories = [
        _tally(code, in_language(request, Category(code).label_zh, Category(code).label_en), n, m2)
        for code, n, m2 in sorted(by_category, key=lambda r: order.index(r[0]))
    ]
    counties = [
        _tally(code or "", names.get(code or "", code or "—"), n, m2)
        for code, n, m2 in sorted(by_county, key=lambda r: r[0] or "")
    ]
    return categories, counties


def _tally(code: str, label: str, count: int, m2: float | None) -> Tally:
    return Tally(code=code, label=label, findings=count, mu=round(m2_to_mu(m2 or 0.0), 2))


def _names(db: Session) -> dict[str, str]:
    return {code: name for code, name in db.execute(select(Jurisdiction.code, Jurisdiction.name))}


# The grades of record.


def _grade_figures(
    request: Request, db: Session, record: EvaluationRun, scope: Scope, county: str | None
) -> GradeFigures:
    kept = db.execute(select(func.max(EvaluationRun.id), func.count(EvaluationRun.id))).one()
    engine = db.get_bind().engine
    reads = replace(scope, imports=None)  # what reading grades depends on, hashable
    trend, parks = _kept_tax(engine, tuple(kept), record.id, reads, county)
    return GradeFigures(
        run=record.id,
        profile=record.profile,
        year=record.year,
        cohorts=_distribution(request, db, record, scope, county),
        trend=list(trend),
        top_parks=list(parks[:PARKS_SHOWN]),
        bottom_parks=list(parks[PARKS_SHOWN:][-PARKS_SHOWN:][::-1]),
    )


@lru_cache(maxsize=32)
def _kept_tax(
    engine: Engine,
    evaluations: tuple[int | None, int],
    record: int,
    scope: Scope,
    county: str | None,
) -> tuple[tuple[TaxYear, ...], tuple[ParkTax, ...]]:
    """The per-mu tax trend and the parks by per-mu tax, kept for as long as the evaluation
    runs are the same (``evaluations``: the latest run's id and how many are kept). They read
    every grade of up to five kept runs (0.5 s each at 200,000 enterprises on PostgreSQL), and
    kept grades never change: a run kept or forgotten changes the key."""
    with Session(engine) as db:
        kept = db.get(EvaluationRun, record)
        assert kept is not None, record
        return tuple(_trend(db, scope, county)), tuple(_parks_by_tax(db, kept, scope, county))


def _distribution(
    request: Request, db: Session, record: EvaluationRun, scope: Scope, county: str | None
) -> list[CohortGrades]:
    """How many enterprises of each cohort took each grade, cohorts in the profile's order."""
    graded = restrict(
        select(Grade.cohort, Grade.grade, func.count())
        .where(Grade.run_id == record.id)
        .group_by(Grade.cohort, Grade.grade),
        scope,
        Grade,
        county=county,
    )
    counts: dict[str, dict[str, int]] = {}
    for cohort, grade, count in db.execute(graded):
        counts.setdefault(cohort, dict.fromkeys(GRADES, 0))[grade] = count
    titles = cohort_titles(record.profile)
    order = [*titles, *sorted(set(counts) - set(titles))]
    return [
        CohortGrades(
            cohort=cohort,
            label=in_language(request, *titles.get(cohort, (cohort, cohort))),
            counts=counts[cohort],
        )
        for cohort in order
        if cohort in counts
    ]


def _trend(db: Session, scope: Scope, county: str | None) -> list[TaxYear]:
    """Per-mu tax of each of the last :data:`TREND_YEARS` years whose run of record graded an
    enterprise of the area with a tax figure, oldest first."""
    per_year = kept_tax_by_year(session=db, years=TREND_YEARS, within=_within(scope, county))
    return [
        TaxYear(
            year=year,
            run=tax.run,
            enterprises=tax.enterprises,
            land_mu=round(tax.land_mu, 2),
            tax_per_mu_yuan=round(tax.tax_per_mu_yuan, 2),
        )
        for year, tax in per_year
    ]


def _parks_by_tax(
    db: Session, record: EvaluationRun, scope: Scope, county: str | None
) -> list[ParkTax]:
    """The parks of the run of record's graded enterprises, highest per-mu tax first."""
    names = _names(db)
    return [
        ParkTax(
            code=park,
            name=names.get(park, park),
            enterprises=tax.enterprises,
            land_mu=round(tax.land_mu, 2),
            tax_per_mu_yuan=round(tax.tax_per_mu_yuan, 2),
        )
        for park, tax in kept_tax_by_park(session=db, run=record.id, within=_within(scope, county))
    ]


def _within(scope: Scope, county: str | None) -> Within:
    """Grades kept to ``county`` or the scope (:func:`mujun.web.gate.restrict`)."""

    def within(query: SelectT, /) -> SelectT:
        return restrict(query, scope, Grade, county=county)

    return within
