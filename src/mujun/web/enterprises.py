"""企业画像: the enterprises of the account's area in a list, and everything known about one.

Where an enterprise is (its counties, :func:`mujun.analytics.land.enterprise_places`, derived at
import into :class:`~mujun.records.EnterpriseCounty`): the county of its registered
jurisdiction (所在区划, where the identification and evaluation runs place it) and the county of
every parcel it holds (使用权人), occupies (用地情况: owned, leased in or leased out) or owns a
building on (产权人). An enterprise registered in one county that uses land in another is the
business of both. An account reads an enterprise when one of its counties is in the account's
scope (:mod:`mujun.web.gate`): the list shows those, and the file of any other is refused (403,
and a line in the audit log), never silently emptied. An enterprise in no county (no
registration, no land) is read by city-wide accounts alone. The file of an enterprise one may
read is whole, its land in other counties included (the files of those parcels stay refused).

Its land in mu follows the evaluation's rule (:func:`mujun.analytics.land.enterprise_land`,
derived at import into :attr:`~mujun.records.Enterprise.land_m2`): held plus leased in less
leased out, from its occupancy rows; without any, the parcels it holds.
Its latest grade is its grade in the run of record of the latest year it was graded in
(:func:`mujun.evaluation.runs.runs_of_record`): a what-if run (with overrides) is shown in its
file but is no grade of record. Its file is its portrait (:mod:`mujun.evaluation.portrait`, which
``mujun enterprise`` prints): its land, and how it fared in the latest run of record (points,
rank, standing in its park and industry, the policy it faces).
"""

from collections.abc import Collection, Sequence
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel
from sqlalchemy import ColumnElement, Select, Subquery, func, literal, or_, select
from sqlalchemy.orm import Session

from mujun.analytics.land import RELATIONS
from mujun.evaluation.indicators import INDICATORS
from mujun.evaluation.listing import reason_in, unit_in
from mujun.evaluation.portrait import Portrait, Standing, portrait
from mujun.evaluation.runs import runs_of_record
from mujun.interchange.history import Entry, history_of
from mujun.interchange.schema import table
from mujun.records import (
    Building,
    Enterprise,
    Grade,
    Jurisdiction,
    MonthlyMetric,
)
from mujun.records.industries import industry_name
from mujun.records.vocabulary import ActualUse, Coded, EnterpriseStatus, LandUse
from mujun.units import m2_to_mu
from mujun.web.dependencies import Database, Reader
from mujun.web.findings import shown_finding
from mujun.web.gate import require, restrict
from mujun.web.language import in_language, language_of
from mujun.web.listing import (
    EXPORT_BATCH,
    Column,
    CountyParam,
    ExportParam,
    IndustryParam,
    PageParam,
    PageSizeParam,
    ParkParam,
    SearchParam,
    SortParam,
    divisions_present,
    export_all_response,
    in_division,
    sorted_by,
)
from mujun.web.pages import PAGE, list_page, named_each, signed_in_page
from mujun.web.permissions import Scope
from mujun.web.record_file import Section, annual_figures, findings_about, section

router = APIRouter(tags=["enterprises"])
CHART_FIGURES = ("tax_yuan", "revenue_yuan", "value_added_yuan", "output_yuan", "profit_yuan")
MONTHS_CHARTED = 24


def _latest(codes: Collection[str] | None) -> Subquery:
    """``credit_code, grade, year``: each enterprise's latest grade of record."""
    record = runs_of_record()
    ranked = select(
        Grade.credit_code,
        Grade.grade,
        record.c.year,
        func.row_number()
        .over(partition_by=Grade.credit_code, order_by=record.c.year.desc())
        .label("nth"),
    ).join(record, record.c.id == Grade.run_id)
    if codes is not None:
        ranked = ranked.where(Grade.credit_code.in_(codes))
    inner = ranked.subquery("ranked")
    return (
        select(inner.c.credit_code, inner.c.grade, inner.c.year)
        .where(inner.c.nth == 1)
        .subquery("latest")
    )


def listed(codes: Collection[str]) -> Select[Any]:
    """The enterprises of ``codes`` with the county they are registered in and their latest
    grade: ``Enterprise, county_code, grade, year``; only their grades are ranked."""
    latest = _latest(codes)
    return (
        select(Enterprise, Jurisdiction.county_code, latest.c.grade, latest.c.year)
        .outerjoin(Jurisdiction, Jurisdiction.code == Enterprise.jurisdiction_code)
        .outerjoin(latest, latest.c.credit_code == Enterprise.credit_code)
        .where(Enterprise.credit_code.in_(codes))
    )


EVERY_LATEST = _latest(None)
SORTED_BY_AGGREGATE = {"grade": EVERY_LATEST, "grade_year": EVERY_LATEST}
"""Sort keys that need every enterprise's latest grade first; the other keys (land among them,
derived at import: :attr:`~mujun.records.Enterprise.land_m2`) page the enterprises table
itself, from its indexes. Either way only the page's rows are then aggregated."""


ENTERPRISE_FILE = "/enterprises/{credit_code}"
"""An enterprise's page (企业画像), filled from a row with its credit code."""
ENTERPRISE_COLUMNS = (
    Column(
        "credit_code",
        "统一社会信用代码",
        "Credit code",
        Enterprise.credit_code,
        link=ENTERPRISE_FILE,
    ),
    Column("name", "企业名称", "Name", Enterprise.name, link=ENTERPRISE_FILE),
    Column("county_code", "区县", "County"),
    Column("park_code", "园区", "Park", Enterprise.park_code),
    Column("industry_code", "行业", "Industry", Enterprise.industry_code),
    Column("above_scale", "规上", "Above scale", Enterprise.above_scale),
    Column("status", "经营状态", "Status", Enterprise.status),
    Column("land_mu", "用地(亩)", "Land (mu)", Enterprise.land_m2, number="{:,.2f}"),
    Column("grade", "最新等级", "Latest grade", EVERY_LATEST.c.grade),
    Column("grade_year", "评价年度", "Year graded", EVERY_LATEST.c.year),
)
"""The columns of the enterprise list, on screen and in its export."""


class EnterpriseSummary(BaseModel):
    credit_code: str
    name: str
    county_code: str | None
    """The county of its registered jurisdiction."""
    park_code: str | None
    industry_code: str | None
    above_scale: bool | None
    status: str | None
    land_mu: float | None
    grade: str | None
    grade_year: int | None


class EnterprisePage(BaseModel):
    total: int
    page: int
    page_size: int
    items: list[EnterpriseSummary]


class LandRow(BaseModel):
    """A parcel the enterprise is on, and how (:data:`RELATIONS`)."""

    parcel_id: str
    county_code: str | None
    relations: list[str]
    area_mu: float
    land_use: str | None
    actual_use: str | None


class GradeRow(BaseModel):
    run: int
    year: int
    profile: str
    what_if: bool
    of_record: bool
    cohort: str
    score: float
    grade: str
    rank: int
    cohort_size: int
    land_mu: float | None


class IndicatorPoints(BaseModel):
    key: str
    label_zh: str
    label_en: str
    unit_zh: str
    unit_en: str
    value: float | None
    benchmark: float | None
    weight: float | None
    points: float | None
    imputed: bool


class StandingRow(BaseModel):
    """A group's per-mu tax in the run shown (its park's, its industry's)."""

    group: str | None
    enterprises: int
    tax_per_mu_yuan: float | None


class EvaluationShown(BaseModel):
    """Its grade in the run shown (the latest run of record), where it stands, and the policy
    it faces: :func:`mujun.evaluation.portrait.portrait`, as ``mujun enterprise`` has it."""

    run: int
    year: int
    profile: str
    cohort: str | None
    score: float | None
    grade: str | None
    rank: int | None
    cohort_size: int | None
    percentile: float | None
    """The share of its cohort it scores above, in percent."""
    excluded_reason: str | None
    """Why the run left it out, if it did (null when graded)."""
    park: StandingRow | None
    industry: StandingRow | None
    policy_zh: str | None
    policy_en: str | None


class EnterpriseFile(BaseModel):
    credit_code: str
    name: str
    county_code: str | None
    """The county of its registered jurisdiction."""
    counties: list[str]
    """Every county it is in (see the module's docstring)."""
    land_mu: float | None
    grade: str | None
    grade_year: int | None
    land: list[LandRow]
    sections: list[Section]
    years: list[int]
    """Its figures by year, for the chart: ``figures[name][i]`` is of ``years[i]``."""
    figures: dict[str, list[float | None]]
    months: list[str]
    """The 24 months up to its latest on record; ``electricity_kwh[i]`` is of ``months[i]``."""
    electricity_kwh: list[float | None]
    findings: list[dict[str, Any]]
    grades: list[GradeRow]
    """Its grades in every kept evaluation run, the latest first."""
    points: list[IndicatorPoints]
    """Per indicator, its points in the latest run of record (:attr:`evaluation`)."""
    evaluation: EvaluationShown | None
    """The latest run of record, as the enterprise fared in it."""
    history: list[Entry]


@router.get("/api/enterprises", response_model=EnterprisePage, summary="企业清单 / enterprises")
def list_enterprises(
    current: Reader,
    db: Database,
    county: CountyParam = None,
    park: ParkParam = None,
    industry: IndustryParam = None,
    q: Annotated[
        str | None, Query(max_length=64, description="企业名称中的字，或信用代码开头")
    ] = None,
    page: PageParam = 1,
    page_size: PageSizeParam = 50,
    sort: SortParam = None,
) -> EnterprisePage:
    """Enterprises in the account's area (or in ``county``, or ``park``: refused outside the
    area), of an industry (its code's beginning), named like ``q``; sorted by ``sort`` (a key of
    :data:`ENTERPRISE_COLUMNS`), then by credit code."""
    wanted = enterprises_wanted(db, current.scope, county=county, park=park, industry=industry, q=q)
    # Filtered, the total comes with the page: one pass over the filtered enterprises, not
    # two. Unfiltered, counting is cheap and the page is read from an index in its order.
    filtered = wanted.whereclause is not None
    total = None if filtered else _count(db, wanted)
    codes = wanted.add_columns(func.count().over() if filtered else literal(0))
    aggregate = SORTED_BY_AGGREGATE.get((sort or "").removeprefix("-"))
    if aggregate is not None:
        codes = codes.outerjoin(aggregate, aggregate.c.credit_code == Enterprise.credit_code)
    found = db.execute(
        sorted_by(codes, ENTERPRISE_COLUMNS, sort)
        .order_by(Enterprise.credit_code)
        .offset((page - 1) * page_size)
        .limit(page_size)
    ).all()
    shown = [code for code, _ in found]
    if total is None:  # a page past the end has no row to carry the total
        total = found[0][1] if found else _count(db, wanted)
    return _page_of(db, shown, total=total, page=page, page_size=page_size)


def enterprises_wanted(
    db: Session,
    scope: Scope,
    *,
    county: str | None,
    park: str | None,
    industry: str | None,
    q: str | None,
) -> Select[str]:
    """The credit codes a list's filters choose, unordered."""
    wanted = restrict(select(Enterprise.credit_code), scope, Enterprise, county=county)
    if park:
        require(db, scope, Jurisdiction, park)
        wanted = wanted.where(Enterprise.park_code == park)
    if industry:
        wanted = wanted.where(in_division(Enterprise.industry_code, industry))
    if q:
        wanted = wanted.where(_named_like(q))
    return wanted


def _page_of(
    db: Session, shown: Sequence[str], *, total: int, page: int, page_size: int
) -> EnterprisePage:
    """The enterprises of ``shown``, in that order, with their land and latest grade."""
    rows = {row[0].credit_code: row for row in db.execute(listed(shown))}
    items = [_summary(*rows[code]) for code in shown]
    return EnterprisePage(total=total, page=page, page_size=page_size, items=items)


def _count(db: Session, wanted: Select[str]) -> int:
    return db.scalar(select(func.count()).select_from(wanted.subquery())) or 0


def _named_like(q: str) -> ColumnElement[bool]:
    return or_(
        Enterprise.name.contains(q, autoescape=True),
        Enterprise.credit_code.startswith(q.upper(), autoescape=True),
    )


def _summary(
    enterprise: Enterprise, county_code: str | None, grade: str | None, grade_year: int | None
) -> EnterpriseSummary:
    land_m2 = enterprise.land_m2
    return EnterpriseSummary(
        credit_code=enterprise.credit_code,
        name=enterprise.name,
        county_code=county_code,
        park_code=enterprise.park_code,
        industry_code=enterprise.industry_code,
        above_scale=enterprise.above_scale,
        status=enterprise.status,
        land_mu=None if land_m2 is None else round(m2_to_mu(land_m2), 2),
        grade=grade,
        grade_year=grade_year,
    )


@router.get(
    "/api/enterprises/{credit_code}/file",
    response_model=EnterpriseFile,
    summary="企业画像 / enterprise file",
)
def get_enterprise_file(credit_code: str, current: Reader, db: Database) -> EnterpriseFile:
    """Everything about one enterprise: registration, land, contracts, construction, buildings,
    figures by year and month, legal events, compliance, the latest run's findings about it and
    its land, its grades and its change history. 404 for an unknown credit code; refused (403)
    unless it is in the account's area (see the module's docstring)."""
    row = db.execute(listed([credit_code])).first()
    if row is None:
        raise HTTPException(
            status_code=404, detail=f"没有企业 {credit_code} / no enterprise {credit_code}"
        )
    require(db, current.scope, Enterprise, credit_code)
    summary = _summary(*row)
    shown = portrait(session=db, credit_code=credit_code)
    land = [_land_row(p) for p in shown.land]
    parcel_ids = [p.parcel_id for p in land]
    buildings = _buildings(db, credit_code, parcel_ids)
    years, figures = annual_figures(db, credit_code, CHART_FIGURES)
    months, electricity = _electricity(db, credit_code)
    points = [] if shown.result is None else _points(shown.result["points"])
    return EnterpriseFile(
        credit_code=credit_code,
        name=summary.name,
        county_code=summary.county_code,
        counties=shown.enterprise["counties"],
        land_mu=summary.land_mu,
        grade=summary.grade,
        grade_year=summary.grade_year,
        land=land,
        sections=_sections(db, credit_code, parcel_ids, buildings),
        years=years,
        figures=figures,
        months=months,
        electricity_kwh=electricity,
        findings=findings_about(
            db, {"enterprise": [credit_code], "parcel": parcel_ids, "building": buildings}
        ),
        grades=[GradeRow.model_validate(g) for g in shown.grades],
        points=points,
        evaluation=_evaluation_shown(shown),
        history=history_of(db, "enterprises", credit_code),
    )


def _land_row(parcel: dict[str, Any]) -> LandRow:
    return LandRow(
        parcel_id=parcel["parcel_id"],
        county_code=parcel["county_code"],
        relations=parcel["relations"],
        area_mu=round(m2_to_mu(parcel["area_m2"]), 2),
        land_use=parcel["land_use"],
        actual_use=parcel["actual_use"],
    )


def _buildings(db: Session, credit_code: str, parcel_ids: list[str]) -> list[str]:
    """The buildings standing on its land, and those it owns."""
    return list(
        db.scalars(
            select(Building.building_id)
            .where(
                or_(Building.parcel_id.in_(parcel_ids), Building.owner_credit_code == credit_code)
            )
            .order_by(Building.building_id)
        )
    )


def _sections(
    db: Session, credit_code: str, parcel_ids: list[str], buildings: list[str]
) -> list[Section]:
    """Its records, each table as the interchange format names its columns; construction is
    of the parcels it is on."""

    def of_enterprise(name: str) -> Section:
        return section(db, name, table(name).table.c.credit_code == credit_code)

    return [
        of_enterprise("enterprises"),
        of_enterprise("land_occupancy"),
        of_enterprise("land_contracts"),
        section(db, "construction", table("construction").table.c.parcel_id.in_(parcel_ids)),
        section(db, "buildings", table("buildings").table.c.building_id.in_(buildings)),
        of_enterprise("annual_metrics"),
        of_enterprise("legal_events"),
        of_enterprise("compliance"),
    ]


def _electricity(db: Session, credit_code: str) -> tuple[list[str], list[float | None]]:
    """Its electricity in each of the :data:`MONTHS_CHARTED` months up to its latest month on
    record (None for a month without a figure); nothing without any."""
    latest = db.scalar(
        select(func.max(MonthlyMetric.month)).where(MonthlyMetric.credit_code == credit_code)
    )
    if latest is None:
        return [], []
    end = int(latest[:4]) * 12 + int(latest[5:7]) - 1
    months = [f"{i // 12:04d}-{i % 12 + 1:02d}" for i in range(end - MONTHS_CHARTED + 1, end + 1)]
    rows = db.execute(
        select(MonthlyMetric.month, MonthlyMetric.electricity_kwh).where(
            MonthlyMetric.credit_code == credit_code, MonthlyMetric.month.in_(months)
        )
    )
    found = {month: kwh for month, kwh in rows}
    return months, [found.get(month) for month in months]


def _evaluation_shown(shown: Portrait) -> EvaluationShown | None:
    if shown.run is None or shown.year is None or shown.profile is None:
        return None
    result = shown.result or {}

    def standing(of: Standing | None) -> StandingRow | None:
        return None if of is None else StandingRow(**vars(of))

    return EvaluationShown(
        run=shown.run,
        year=shown.year,
        profile=shown.profile,
        cohort=result.get("cohort"),
        score=result.get("score"),
        grade=result.get("grade"),
        rank=result.get("rank"),
        cohort_size=result.get("cohort_size"),
        percentile=shown.percentile,
        excluded_reason=shown.excluded_reason,
        park=standing(shown.park),
        industry=standing(shown.industry),
        policy_zh=None if shown.policy is None else shown.policy.zh,
        policy_en=None if shown.policy is None else shown.policy.en,
    )


def _points(points: dict[str, dict[str, Any]]) -> list[IndicatorPoints]:
    """A grade's points per indicator, labelled (an indicator no longer defined by its key)."""
    shown = []
    for key, detail in points.items():
        indicator = INDICATORS.get(key)
        shown.append(
            IndicatorPoints(
                key=key,
                label_zh=indicator.label_zh if indicator else key,
                label_en=indicator.label_en if indicator else key,
                unit_zh=indicator.unit_zh if indicator else "",
                unit_en=unit_in(indicator.unit_zh, "en") if indicator else "",
                value=detail.get("value"),
                benchmark=detail.get("benchmark"),
                weight=detail.get("weight"),
                points=detail.get("points"),
                imputed=bool(detail.get("imputed")),
            )
        )
    return shown


@router.get("/enterprises", response_class=HTMLResponse, include_in_schema=False)
def enterprises_page(
    request: Request,
    current: Reader,
    db: Database,
    county: CountyParam = None,
    park: ParkParam = None,
    industry: IndustryParam = None,
    q: SearchParam = None,
    page: PageParam = 1,
    sort: SortParam = None,
    export: ExportParam = None,
) -> Response:
    """企业清单: the enterprises of the account's area, fifty a page, sortable; the page on
    screen as .xlsx with ``export=xlsx``, every enterprise the filters choose with
    ``export=all`` (read and written a batch at a time)."""
    if export == "all":
        wanted = enterprises_wanted(
            db, current.scope, county=county, park=park, industry=industry, q=q
        )
        aggregate = SORTED_BY_AGGREGATE.get((sort or "").removeprefix("-"))
        if aggregate is not None:
            wanted = wanted.outerjoin(aggregate, aggregate.c.credit_code == Enterprise.credit_code)
        codes = list(
            db.scalars(sorted_by(wanted, ENTERPRISE_COLUMNS, sort).order_by(Enterprise.credit_code))
        )
        every = (
            _shown_summary(request, item)
            for start in range(0, len(codes), EXPORT_BATCH)
            for item in _page_of(
                db, codes[start : start + EXPORT_BATCH], total=0, page=1, page_size=1
            ).items
        )
        return export_all_response(
            request,
            in_language(request, "企业清单（全部）", "Enterprises (all)"),
            ENTERPRISE_COLUMNS,
            named_each(request, every),
        )
    listed = list_enterprises(
        current,
        db,
        county=county,
        park=park,
        industry=industry,
        q=q,
        page=page,
        page_size=PAGE,
        sort=sort,
    )
    return list_page(
        request,
        current,
        "enterprises.html",
        title=in_language(request, "企业清单", "Enterprises"),
        listed=listed,
        rows=[_shown_summary(request, item) for item in listed.items],
        columns=ENTERPRISE_COLUMNS,
        sort=sort,
        export=export,
        filters={"county": county, "park": park, "industry": industry, "q": q},
        industries=divisions_present(
            db,
            restrict(select(Enterprise.industry_code), current.scope, Enterprise, county=county),
            language_of(request),
        ),
    )


def _shown_summary(request: Request, item: EnterpriseSummary) -> dict[str, Any]:
    """A row of the list as the page shows it: yes or no, a status by its name."""
    yes_no = {True: in_language(request, "是", "yes"), False: in_language(request, "否", "no")}
    statuses = _labels(request, EnterpriseStatus)
    return {
        **item.model_dump(),
        "above_scale": None if item.above_scale is None else yes_no[item.above_scale],
        "status": None if item.status is None else statuses.get(item.status, item.status),
    }


def _labels(request: Request, vocabulary: type[Coded]) -> dict[str, str]:
    """A vocabulary's codes by their name in the request's language (in English, the code)."""
    return {
        code.value: in_language(request, code.label_zh, code.value.replace("_", " "))
        for code in vocabulary
    }


@router.get("/enterprises/{credit_code}", response_class=HTMLResponse, include_in_schema=False)
def enterprise_file_page(
    request: Request, credit_code: str, current: Reader, db: Database
) -> HTMLResponse:
    """企业画像: one enterprise's file."""
    file = get_enterprise_file(credit_code, current, db)
    lang = language_of(request)
    findings = [shown_finding(f, lang) for f in file.findings]
    shown = file.evaluation
    return signed_in_page(
        request,
        "enterprise_file.html",
        current,
        file=file,
        findings=findings,
        excluded=reason_in(shown.excluded_reason, lang)
        if shown and shown.excluded_reason
        else None,
        industry=industry_name(shown.industry.group, lang) if shown and shown.industry else None,
        land_uses=_labels(request, LandUse),
        actual_uses=_labels(request, ActualUse),
        relations={key: in_language(request, zh, en) for key, (zh, en) in RELATIONS.items()},
    )
