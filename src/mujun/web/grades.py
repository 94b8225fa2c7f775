"""综合评价结果: the grades of a kept evaluation run, in the API and as a page (scoped, filtered,
sortable, paginated, exported as shown).

Without a run asked for, the grades shown are those of record
(:func:`mujun.evaluation.runs.run_of_record`): never a what-if run.
"""

import datetime as dt
import json
from collections.abc import Mapping
from typing import Annotated, Any, Literal

import pyarrow as pa
from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import Session

from mujun.evaluation.engine import EXCLUDED_SCHEMA, RESULTS_SCHEMA, Evaluation
from mujun.evaluation.listing import write_evaluation_csv, write_evaluation_workbook
from mujun.evaluation.runs import run_of_record
from mujun.policy.profiles import ProfileError, load_profile
from mujun.policy.what_if import with_what_if
from mujun.records import EvaluationRun, ExcludedEnterprise, Grade, Jurisdiction
from mujun.records.industries import division_of, industry_name
from mujun.web.dependencies import MAX_ID, Database, Reader
from mujun.web.enterprises import ENTERPRISE_FILE
from mujun.web.gate import counties_read, require, restrict
from mujun.web.language import in_language, language_of
from mujun.web.listing import (
    BLANK,
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
    in_division,
    sorted_by,
    temporary_file,
    workbook_file,
)
from mujun.web.pages import PAGE, list_page
from mujun.web.permissions import Scope

router = APIRouter(tags=["grades"])
GradeLetter = Literal["A", "B", "C", "D"]
TEN_THOUSAND = 10_000


class GradeRow(BaseModel):
    credit_code: str
    name: str | None
    cohort: str
    rank: int
    cohort_size: int
    score: float
    grade: str
    land_mu: float | None
    tax_per_mu_yuan: float | None
    county_code: str | None
    park_code: str | None
    industry_code: str | None


class GradePage(BaseModel):
    run: int | None
    """The run listed; None when no evaluation has been kept."""
    profile: str | None
    year: int | None
    overrides: dict[str, str]
    """The run's what-if values (empty for a profile as published)."""
    total: int
    page: int
    page_size: int
    items: list[GradeRow]


GRADE_COLUMNS = (
    Column("cohort", "企业类别", "Cohort", Grade.cohort),
    Column("rank", "名次", "Rank", Grade.rank, number="{:d}"),
    Column(
        "credit_code", "统一社会信用代码", "Credit code", Grade.credit_code, link=ENTERPRISE_FILE
    ),
    Column("name", "企业名称", "Enterprise", Grade.name, link=ENTERPRISE_FILE),
    Column("score", "综合得分", "Score", Grade.score, number="{:.2f}"),
    Column("grade", "等级", "Grade", Grade.grade),
    Column("tax_per_mu", "亩均税收(万元/亩)", "Tax per mu (10k yuan)", number="{:,.2f}"),
    Column("land_mu", "用地(亩)", "Land (mu)", Grade.land_mu, number="{:,.2f}"),
    Column("county_code", "区县", "County", Grade.county_code),
    Column("park_code", "园区", "Park", Grade.park_code),
    Column("industry_code", "行业", "Industry", Grade.industry_code),
)
"""The columns of the grade list, on screen and in its export."""


def chosen_evaluation(db: Session, run: int | None) -> EvaluationRun | None:
    """Run ``run`` (404 if there is none), or without one the run of record."""
    if run is None:
        return run_of_record(session=db)
    found = db.get(EvaluationRun, run)
    if found is None:
        raise HTTPException(status_code=404, detail=f"没有评价批次 {run} / no evaluation run {run}")
    return found


def cohort_titles(profile_id: str) -> dict[str, tuple[str, str]]:
    """Each cohort's title in Chinese and English, as the profile names it (none for a profile
    no longer shipped: its cohorts go by their ids)."""
    try:
        spec = load_profile(profile_id).evaluation
    except ProfileError:
        return {}
    return {} if spec is None else {c.id: (c.title_zh, c.title_en) for c in spec.cohorts}


@router.get("/api/grades", response_model=GradePage, summary="综合评价结果 / grades of a run")
def list_grades(
    current: Reader,
    db: Database,
    run: Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="评价批次；默认为现行结果"), BLANK
    ] = None,
    county: CountyParam = None,
    park: ParkParam = None,
    industry: IndustryParam = None,
    grade: Annotated[GradeLetter | None, Query(description="等级"), BLANK] = None,
    cohort: Annotated[str | None, Query(max_length=32, description="企业类别"), BLANK] = None,
    q: Annotated[
        str | None, Query(max_length=64, description="企业名称中的字，或信用代码开头")
    ] = None,
    page: PageParam = 1,
    page_size: PageSizeParam = 50,
    sort: SortParam = None,
) -> GradePage:
    """A run's grades in the account's area (or in ``county``, or ``park``: refused outside
    the area), of an industry, a grade, a cohort, of enterprises named like ``q``; sorted by
    ``sort`` (a key of :data:`GRADE_COLUMNS`), then by cohort, rank and credit code."""
    kept = chosen_evaluation(db, run)
    query = grades_wanted(
        db,
        current.scope,
        0 if kept is None else kept.id,
        county=county,
        park=park,
        industry=industry,
        grade=grade,
        cohort=cohort,
        q=q,
    )
    if kept is None:
        return GradePage(
            run=None,
            profile=None,
            year=None,
            overrides={},
            total=0,
            page=page,
            page_size=page_size,
            items=[],
        )
    whole = counties_read(current.scope, county) is None and current.scope.units is None
    if whole and not (park or industry or grade or cohort or q):
        total = kept.graded_count  # every grade of the run, as the run counted them
    else:
        total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db.scalars(
        sorted_by(query, GRADE_COLUMNS, sort)
        .order_by(Grade.cohort, Grade.rank, Grade.credit_code)
        .offset((page - 1) * page_size)
        .limit(page_size)
    ).all()
    return GradePage(
        run=kept.id,
        profile=kept.profile,
        year=kept.year,
        overrides=kept.overrides,
        total=total,
        page=page,
        page_size=page_size,
        items=[_row(row) for row in rows],
    )


def grades_wanted(
    db: Session,
    scope: Scope,
    run: int,
    *,
    county: str | None,
    park: str | None,
    industry: str | None,
    grade: str | None,
    cohort: str | None,
    q: str | None,
) -> Select[Grade]:
    """The grades of run ``run`` a list's filters choose, unordered."""
    query = restrict(select(Grade), scope, Grade, county=county)
    if park:
        require(db, scope, Jurisdiction, park)
        query = query.where(Grade.park_code == park)
    query = query.where(Grade.run_id == run)
    if industry:
        query = query.where(in_division(Grade.industry_code, industry))
    if grade:
        query = query.where(Grade.grade == grade)
    if cohort:
        query = query.where(Grade.cohort == cohort)
    if q:
        query = query.where(
            or_(
                Grade.name.contains(q, autoescape=True),
                Grade.credit_code.startswith(q.upper(), autoescape=True),
            )
        )
    return query


def export_grades(
    request: Request,
    scope: Scope,
    db: Session,
    *,
    run: int | None,
    filters: Mapping[str, str | None],
    county: str | None,
) -> Response:
    """Every grade of the run the filters choose, in the layout ``mujun evaluate --out`` writes
    (the published notice: a sheet per cohort, 评分明细, 等级分布, 未参评;
    :func:`~mujun.evaluation.listing.write_evaluation_workbook`), or as its CSV when a sheet
    would be longer than a sheet holds. The enterprises left out are listed for the whole
    run only (city-wide, unfiltered): they have no grade to place them in an area."""
    kept = chosen_evaluation(db, run)
    if kept is None:
        raise HTTPException(status_code=404, detail="还没有评价批次 / no evaluation run yet")
    try:
        profile = with_what_if(
            load_profile(kept.profile), [f"{k}={v}" for k, v in kept.overrides.items()]
        )
    except ProfileError as error:
        raise HTTPException(
            status_code=404,
            detail=f"批次 {kept.id} 的评价配置已不再提供 / the profile of run {kept.id} is gone",
        ) from error
    wanted = grades_wanted(db, scope, kept.id, county=county, **filters)
    whole = scope.everywhere and county is None and not any(filters.values())
    evaluation = Evaluation(
        profile=profile,
        year=kept.year,
        fingerprint=kept.fingerprint,
        parameters={**profile.values(dt.date(kept.year, 12, 31)).in_force(), **kept.parameters},
        results=_results(db, wanted),
        excluded=_excluded(db, kept.id) if whole else EXCLUDED_SCHEMA.empty_table(),
    )
    lang = language_of(request)
    title = in_language(
        request,
        f"综合评价结果（{kept.year}年度，批次 {kept.id}，{evaluation.results.num_rows:,} 家）",
        f"Grades ({kept.year}, run {kept.id}, {evaluation.results.num_rows:,})",
    )
    try:
        return workbook_file(title, lambda path: write_evaluation_workbook(path, evaluation, lang))
    except ValueError:  # a sheet longer than a sheet holds: the CLI's CSV instead
        return temporary_file(
            f"{title}.csv", "text/csv", lambda path: write_evaluation_csv(path, evaluation, lang)
        )


def _results(db: Session, wanted: Select[Grade]) -> pa.Table:
    """The grades ``wanted`` chooses, as the evaluation gave them, by cohort, rank and code."""
    columns = [getattr(Grade, name) for name in RESULTS_SCHEMA.names]
    ordered = wanted.with_only_columns(*columns).order_by(
        Grade.cohort, Grade.rank, Grade.credit_code
    )
    batches = [
        pa.RecordBatch.from_pylist(
            [dict(zip(RESULTS_SCHEMA.names, row, strict=True)) for row in chunk],
            schema=RESULTS_SCHEMA,
        )
        for chunk in db.execute(ordered.execution_options(yield_per=EXPORT_BATCH)).partitions()
    ]
    return pa.Table.from_batches(batches, schema=RESULTS_SCHEMA)


def _excluded(db: Session, run: int) -> pa.Table:
    rows = db.execute(
        select(ExcludedEnterprise.credit_code, ExcludedEnterprise.name, ExcludedEnterprise.reason)
        .where(ExcludedEnterprise.run_id == run)
        .order_by(ExcludedEnterprise.credit_code)
    )
    return pa.Table.from_pylist(
        [dict(zip(EXCLUDED_SCHEMA.names, row, strict=True)) for row in rows],
        schema=EXCLUDED_SCHEMA,
    )


def _row(grade: Grade) -> GradeRow:
    indicators = json.loads(grade.indicators)
    return GradeRow(
        credit_code=grade.credit_code,
        name=grade.name,
        cohort=grade.cohort,
        rank=grade.rank,
        cohort_size=grade.cohort_size,
        score=grade.score,
        grade=grade.grade,
        land_mu=grade.land_mu,
        tax_per_mu_yuan=indicators.get("tax_per_mu_yuan"),
        county_code=grade.county_code,
        park_code=grade.park_code,
        industry_code=grade.industry_code,
    )


@router.get("/grades", include_in_schema=False)
def grades_page(
    request: Request,
    current: Reader,
    db: Database,
    run: Annotated[int | None, Query(ge=1, le=MAX_ID), BLANK] = None,
    county: CountyParam = None,
    park: ParkParam = None,
    industry: IndustryParam = None,
    grade: Annotated[GradeLetter | None, Query(), BLANK] = None,
    cohort: Annotated[str | None, Query(max_length=32), BLANK] = None,
    q: SearchParam = None,
    page: PageParam = 1,
    sort: SortParam = None,
    export: ExportParam = None,
) -> Response:
    """综合评价结果: a run's grades, fifty a page, sortable, each enterprise linked to its
    file; the page on screen as .xlsx with ``export=xlsx``, every grade the filters choose
    with ``export=all``."""
    if export == "all":
        return export_grades(
            request,
            current.scope,
            db,
            run=run,
            filters={"park": park, "industry": industry, "grade": grade, "cohort": cohort, "q": q},
            county=county,
        )
    listed = list_grades(
        current,
        db,
        run=run,
        county=county,
        park=park,
        industry=industry,
        grade=grade,
        cohort=cohort,
        q=q,
        page=page,
        page_size=PAGE,
        sort=sort,
    )
    titles = {} if listed.profile is None else cohort_titles(listed.profile)
    rows = [_shown(request, item, titles) for item in listed.items]
    return list_page(
        request,
        current,
        "grades.html",
        title=_title(request, listed),
        listed=listed,
        rows=rows,
        columns=GRADE_COLUMNS,
        sort=sort,
        export=export,
        cohorts=[(code, in_language(request, *title)) for code, title in titles.items()],
        grade_choices=[(letter, in_language(request, f"{letter} 类", letter)) for letter in "ABCD"],
        filters={
            "county": county,
            "park": park,
            "industry": industry,
            "grade": grade,
            "cohort": cohort,
            "q": q,
        },
        industries=[]
        if listed.run is None
        else industries_graded(db, current.scope, listed.run, county, language_of(request)),
    )


def industries_graded(
    db: Session, scope: Scope, run: int, county: str | None, lang: Literal["zh", "en"]
) -> list[tuple[str, str]]:
    """The industry divisions of the grades of run ``run`` in the area (or in ``county``),
    each with its name, in code order: what the industry filter offers. The run's distinct
    industry codes (a few dozen) are read by a recursive query, each the least code after the
    one before (an index probe on (run, industry code) each), not by reading every grade."""

    def least(after: ColumnElement[str | None] | None) -> ColumnElement[str | None]:
        query = select(func.min(Grade.industry_code)).where(Grade.run_id == run)
        if after is not None:
            query = query.where(Grade.industry_code > after)
        return restrict(query, scope, Grade, county=county).scalar_subquery()

    codes = select(least(None).label("code")).cte("codes", recursive=True)
    codes = codes.union_all(select(least(codes.c.code)).where(codes.c.code.is_not(None)))
    found = db.scalars(select(codes.c.code).where(codes.c.code.is_not(None))).all()
    divisions = {code[:3].upper() for code in found if code}
    known = sorted(d for d in divisions if division_of(d) == d)
    return [(code, industry_name(code, lang) or code) for code in known]


def _shown(request: Request, item: GradeRow, titles: dict[str, tuple[str, str]]) -> dict[str, Any]:
    """A grade as the list shows it: its cohort by title, tax per mu in 万元."""
    return {
        **item.model_dump(),
        "cohort": in_language(request, *titles.get(item.cohort, (item.cohort, item.cohort))),
        "tax_per_mu": None if item.tax_per_mu_yuan is None else item.tax_per_mu_yuan / TEN_THOUSAND,
    }


def _title(request: Request, listed: GradePage) -> str:
    """The export's title: the run listed."""
    title = in_language(request, "综合评价结果", "Grades")
    if listed.run is not None:
        title += in_language(
            request,
            f"（{listed.profile}，{listed.year}年度，批次 {listed.run}）",
            f" ({listed.profile}, {listed.year}, run {listed.run})",
        )
    return title
