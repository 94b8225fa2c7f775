"""Kept identification runs in the API: the findings of a run (scoped, filtered, paginated)."""

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

import pyarrow as pa
from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import Session

from mujun.identification.evidence import format_evidence
from mujun.identification.listing import cited_source, write_findings_workbook
from mujun.identification.runs import run_of_record
from mujun.interchange.problems import Language
from mujun.policy.profiles import Category, ProfileError, SubjectType, load_profile
from mujun.records import Building, Enterprise, Finding, IdentificationRun, Jurisdiction, Parcel
from mujun.web.dependencies import MAX_ID, Current, Database, Reader
from mujun.web.gate import counties_read, require, restrict
from mujun.web.language import in_language, language_of
from mujun.web.listing import (
    BLANK,
    EXPORT_BATCH,
    Column,
    CountyParam,
    PageParam,
    PageSizeParam,
    ParkParam,
    SearchParam,
    SortParam,
    sorted_by,
    workbook_file,
)
from mujun.web.permissions import Scope

router = APIRouter(prefix="/api", tags=["findings"])


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
    Column("subject_id", "对象", "Subject", Finding.subject_id, link="{file}"),
    Column("subject_name", "名称", "Name", Finding.subject_name, under="subject_id"),
    Column("county_code", "区县", "County", Finding.county_code),
    Column("area_mu", "面积(亩)", "Area (mu)", Finding.area_m2, number="{:,.2f}"),
    Column("key", "重点", "Key", Finding.key),
    Column("figures", "关键数据", "Key figures"),
    Column("source", "依据", "Basis", under="criterion"),
)
"""The columns of the findings list, on screen and in its export (on screen, the basis under
the rule and the name under the subject)."""


class FindingPage(BaseModel):
    run: int
    total: int
    page: int
    page_size: int
    items: list[FindingRow]


def chosen_run(db: Session, run: int | None) -> IdentificationRun | None:
    """Run ``run`` (404 if there is none), or without one the run of record (never a
    what-if: :func:`mujun.identification.runs.run_of_record`)."""
    if run is None:
        return run_of_record(session=db)
    found = db.get(IdentificationRun, run)
    if found is None:
        raise HTTPException(status_code=404, detail=f"没有认定批次 {run} / no run {run}")
    return found


@router.get("/findings", response_model=FindingPage, summary="认定结果 / findings of a run")
def list_findings(
    current: Reader,
    db: Database,
    run: Annotated[
        int | None,
        Query(ge=1, le=MAX_ID, description="认定批次；默认为现行结果（不含假设批次）"),
        BLANK,
    ] = None,
    category: Annotated[Category | None, Query(), BLANK] = None,
    county: CountyParam = None,
    park: ParkParam = None,
    q: SearchParam = None,
    page: PageParam = 1,
    page_size: PageSizeParam = 50,
    sort: SortParam = None,
) -> FindingPage:
    """A run's findings in the account's area (or in ``county``, or about a subject in
    ``park``: refused outside the area), of a category, about a subject whose id begins with
    ``q`` or whose name holds it. Sorted by ``sort`` (a key of :data:`FINDING_COLUMNS`), then
    by rule and subject."""
    kept = chosen_run(db, run)
    query = findings_wanted(
        db, current.scope, 0 if kept is None else kept.id, category, county, park, q
    )
    if kept is None:
        return FindingPage(run=0, total=0, page=page, page_size=page_size, items=[])
    whole = counties_read(current.scope, county) is None and current.scope.units is None
    if whole and category is None and not (park or q):
        total = kept.finding_count  # every finding of the run, as the run counted them
    else:
        total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db.scalars(
        sorted_by(query, FINDING_COLUMNS, sort)
        .order_by(Finding.criterion, Finding.subject_type, Finding.subject_id)
        .offset((page - 1) * page_size)
        .limit(page_size)
    ).all()
    items = [FindingRow.model_validate(row, from_attributes=True) for row in rows]
    return FindingPage(run=kept.id, total=total, page=page, page_size=page_size, items=items)


def findings_wanted(
    db: Session,
    scope: Scope,
    run: int,
    category: Category | None,
    county: str | None,
    park: str | None,
    q: str | None,
) -> Select[Finding]:
    """The findings of run ``run`` a list's filters choose, unordered."""
    query = restrict(select(Finding), scope, Finding, county=county)
    if park:
        require(db, scope, Jurisdiction, park)
        query = query.where(_in_park(park))
    query = query.where(Finding.run_id == run)
    if category is not None:
        query = query.where(Finding.category == category.value)
    if q:
        query = query.where(
            or_(
                Finding.subject_id.startswith(q.upper() if q.isascii() else q, autoescape=True),
                Finding.subject_id.startswith(q, autoescape=True),
                Finding.subject_name.contains(q, autoescape=True),
            )
        )
    return query


def _in_park(park: str) -> ColumnElement[bool]:
    """The finding's subject lies in ``park``: a parcel there, an enterprise registered
    there, a building on a parcel there (an approval has no park)."""
    parcels = select(Parcel.parcel_id).where(Parcel.park_code == park)
    return or_(
        and_(Finding.subject_type == SubjectType.PARCEL, Finding.subject_id.in_(parcels)),
        and_(
            Finding.subject_type == SubjectType.ENTERPRISE,
            Finding.subject_id.in_(
                select(Enterprise.credit_code).where(Enterprise.park_code == park)
            ),
        ),
        and_(
            Finding.subject_type == SubjectType.BUILDING,
            Finding.subject_id.in_(
                select(Building.building_id).where(Building.parcel_id.in_(parcels))
            ),
        ),
    )


EXPORTED = (
    "criterion",
    "category",
    "subject_type",
    "subject_id",
    "subject_name",
    "area_m2",
    "key",
    "evidence",
    "source",
)
"""The columns of a finding the bureau's list (:mod:`mujun.identification.listing`) reads."""


def export_findings(
    request: Request,
    current: Current,
    db: Session,
    *,
    run: int | None,
    category: Category | None,
    county: str | None,
    park: str | None,
    q: str | None,
) -> Response:
    """Every finding of the run the filters choose, in the layout ``mujun identify --out``
    writes (认定清单, 认定汇总 and 无法判定; :func:`write_findings_workbook`), read from the
    database a batch at a time and written in constant memory."""
    kept = chosen_run(db, run)
    if kept is None:
        raise HTTPException(status_code=404, detail="还没有认定批次 / no identification run yet")
    try:
        profile = load_profile(kept.profile)
    except ProfileError as error:
        raise HTTPException(
            status_code=404,
            detail=f"批次 {kept.id} 的规则集已不再提供 / the profile of run {kept.id} is gone",
        ) from error
    wanted = findings_wanted(db, current.scope, kept.id, category, county, park, q)
    columns = [getattr(Finding, name) for name in EXPORTED]
    batches = [
        pa.RecordBatch.from_pylist([dict(zip(EXPORTED, row, strict=True)) for row in chunk])
        for chunk in db.execute(
            wanted.with_only_columns(*columns).execution_options(yield_per=EXPORT_BATCH)
        ).partitions()
    ]
    findings = pa.Table.from_batches(batches) if batches else _no_findings()
    lang = language_of(request)
    title = in_language(
        request,
        f"认定清单（批次 {kept.id}，{findings.num_rows:,} 条）",
        f"Findings (run {kept.id}, {findings.num_rows:,})",
    )

    def write(path: Path) -> None:
        write_findings_workbook(
            path,
            profile=profile,
            as_of=kept.as_of,
            findings=findings,
            unjudged_summary=list(kept.unjudged or []),
            lang=lang,
        )

    return workbook_file(title, write)


def _no_findings() -> pa.Table:
    strings = pa.string()
    types = [strings] * 5 + [pa.float64(), pa.bool_(), strings, strings]
    return pa.table({name: pa.array([], type) for name, type in zip(EXPORTED, types, strict=True)})


SUBJECT_PAGES = {SubjectType.PARCEL: "/parcels/", SubjectType.ENTERPRISE: "/enterprises/"}
"""The subjects with a page of their own, and the address of one less its id."""


def shown_finding(finding: Mapping[str, Any], lang: Language) -> dict[str, Any]:
    """A finding as a page shows it, in ``lang``: its category's name, 重点 as yes or blank,
    the figures compared in words, the clause with the documents' titles, and the address of
    its subject's page (``file``, None for a subject without one)."""
    category = Category(finding["category"])
    evidence = finding["evidence"]
    page = SUBJECT_PAGES.get(finding["subject_type"])
    return {
        **finding,
        "file": None if page is None else page + quote(finding["subject_id"]),
        "category": category.label_zh if lang == "zh" else category.label_en,
        "key": ("是" if lang == "zh" else "yes") if finding["key"] else "",
        "figures": format_evidence(
            json.loads(evidence) if isinstance(evidence, str) else evidence, lang
        ),
        "source": cited_source(finding["source"], lang),
    }
