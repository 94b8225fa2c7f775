"""Kept identification runs in the API: the findings of a run (scoped, filtered, paginated)."""

import json
from collections.abc import Mapping
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mujun.identification.evidence import format_evidence
from mujun.identification.listing import cited_source
from mujun.identification.runs import run_of_record
from mujun.interchange.problems import Language
from mujun.policy.profiles import Category, SubjectType
from mujun.records import Finding, IdentificationRun
from mujun.web.dependencies import MAX_ID, Database, Reader
from mujun.web.gate import restrict
from mujun.web.listing import Column, CountyParam, PageParam, PageSizeParam, SortParam, sorted_by

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
        int | None, Query(ge=1, le=MAX_ID, description="认定批次；默认为现行结果（不含假设批次）")
    ] = None,
    category: Annotated[Category | None, Query()] = None,
    county: CountyParam = None,
    page: PageParam = 1,
    page_size: PageSizeParam = 50,
    sort: SortParam = None,
) -> FindingPage:
    """A run's findings in the account's area; a county outside it is refused. Sorted by
    ``sort`` (a key of :data:`FINDING_COLUMNS`), then by rule and subject."""
    query = restrict(select(Finding), current.scope, Finding, county=county)
    kept = chosen_run(db, run)
    if kept is None:
        return FindingPage(run=0, total=0, page=page, page_size=page_size, items=[])
    query = query.where(Finding.run_id == kept.id)
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
