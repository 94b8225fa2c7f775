"""Disposal cases in the API (``/api/cases``): the ledger, a case's file, and each move and
step, through the same service functions as the pages and the CLI (:mod:`mujun.disposal`).

A refusal of the service is answered 409 with the reason (:mod:`mujun.web.cases`); a case
outside the account's area 403 (audited); a case that does not exist 404.
"""

import datetime as dt
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, HTTPException
from fastapi import Path as PathParameter
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from mujun.disposal.case_file import case_file
from mujun.disposal.documents import DocumentKind
from mujun.disposal.errors import CaseRefusedError
from mujun.disposal.idle_track import record_event
from mujun.disposal.ledger import ledger
from mujun.disposal.legal import Cause, LegalEvent, LegalEventKind
from mujun.disposal.moves import move_case
from mujun.disposal.opening import open_cases
from mujun.disposal.paperwork import DOCX, issue_document
from mujun.disposal.plans import Milestone, dispatch_task, plan_case
from mujun.disposal.states import CaseState
from mujun.records import CaseFile
from mujun.web.cases import (
    REFUSED_RESPONSE,
    Filters,
    check_move,
    gated_cases,
    reach_case,
    refusal_json,
    today,
)
from mujun.web.dependencies import MAX_ID, Current, Database, Reader, gate
from mujun.web.listing import PageParam, PageSizeParam
from mujun.web.permissions import Action

router = APIRouter(prefix="/api", tags=["cases"], responses=REFUSED_RESPONSE)
Worker = Annotated[Current, Depends(gate(Action.WORK))]
Decider = Annotated[Current, Depends(gate(Action.DECIDE))]
CaseId = Annotated[int, PathParameter(ge=1, le=MAX_ID, description="案件编号 / case number")]
FileId = Annotated[int, PathParameter(ge=1, le=MAX_ID, description="文件编号 / file number")]
Text = Annotated[str, Field(max_length=4000)]


class CasePage(BaseModel):
    """A page of the ledger (interface.md ``cases list --format json``, paged)."""

    as_of: dt.date
    total: int
    page: int
    page_size: int
    cases: list[dict[str, Any]]


class OpenRequest(BaseModel):
    run: int = Field(ge=1, le=MAX_ID, description="认定批次 / the kept run")
    criterion: str | None = Field(default=None, max_length=64)
    subjects: list[Annotated[str, Field(max_length=64)]] | None = Field(
        default=None, max_length=10_000
    )
    date: dt.date | None = None


class MoveRequest(BaseModel):
    state: CaseState
    date: dt.date
    reason: Text


class MilestoneIn(BaseModel):
    what: Annotated[str, Field(min_length=1, max_length=500)]
    due: dt.date


class PlanRequest(BaseModel):
    path: str = Field(max_length=32)
    due: dt.date
    date: dt.date
    unit: str | None = Field(default=None, max_length=64)
    measures: Text = ""
    milestones: list[MilestoneIn] = Field(default_factory=list, max_length=50)
    tax_per_mu_target_yuan: float | None = Field(
        default=None,
        description="约定亩均税收（元/亩，非万元）/ the per-mu tax agreed with the holder, in yuan "
        "per mu: the exit evaluation requires it",
    )


class TaskRequest(BaseModel):
    unit: str = Field(max_length=64)
    what: Text
    due: dt.date
    date: dt.date


class EventRequest(BaseModel):
    kind: LegalEventKind
    date: dt.date
    cause: Cause | None = None
    until: dt.date | None = None
    note: Text | None = None


class DocumentRequest(BaseModel):
    kind: DocumentKind
    date: dt.date


@router.get("/cases", response_model=CasePage, summary="处置台账 / the cases")
def api_cases(
    current: Reader,
    db: Database,
    filters: Filters,
    page: PageParam = 1,
    page_size: PageSizeParam = 50,
) -> CasePage:
    """The cases of the account's area (or of ``county``: refused outside it) the filters keep,
    each with its next deadline as of today."""
    on = today()
    found = ledger(
        db,
        gated_cases(current.scope, filters, on),
        today=on,
        overdue=filters.overdue,
        offset=(page - 1) * page_size,
        limit=page_size,
    )
    listed = found.as_json()
    return CasePage(
        as_of=on, total=found.total, page=page, page_size=page_size, cases=listed["cases"]
    )


@router.get("/cases/{case_id}", summary="案件档案 / a case's file")
def api_case(case_id: CaseId, current: Reader, db: Database) -> dict[str, Any]:
    """The case as ``mujun cases show --format json`` gives it, as of today."""
    reach_case(db, current, case_id)
    return case_file(db, case_id, today()).as_json()


@router.post("/cases/open", summary="据认定批次立案 / open cases from a run")
def api_open(body: OpenRequest, current: Decider, db: Database) -> Response:
    """Open (or join) a case for each finding of a kept run (the task force)."""
    try:
        opening = open_cases(
            db,
            run_id=body.run,
            actor=current.account.username,
            criterion=body.criterion,
            subjects=body.subjects,
            on=body.date,
        )
    except CaseRefusedError as error:
        db.rollback()
        return refusal_json(error)
    return JSONResponse(opening.as_json())


def _refused(db: Database, error: CaseRefusedError) -> JSONResponse:
    db.rollback()
    return refusal_json(error)


@router.post("/cases/{case_id}/move", summary="变更状态 / move a case")
def api_move(case_id: CaseId, body: MoveRequest, current: Worker, db: Database) -> Response:
    """Move the case to ``state``; confirming, approving a plan and closing are the task
    force's (403 for another account)."""
    reach_case(db, current, case_id)
    check_move(current, body.state)
    try:
        move_case(
            db,
            case_id,
            body.state,
            on=body.date,
            reason=body.reason,
            actor=current.account.username,
        )
    except CaseRefusedError as error:
        return _refused(db, error)
    return JSONResponse(case_file(db, case_id, today()).as_json())


@router.post("/cases/{case_id}/plan", summary="处置方案 / record the plan")
def api_plan(case_id: CaseId, body: PlanRequest, current: Worker, db: Database) -> Response:
    """Record (or revise) the plan (一地一策): a path the case may take, its due date, the
    responsible unit, measures, milestones and the per-mu tax agreed (元/亩; refused, 409,
    unless positive)."""
    reach_case(db, current, case_id)
    try:
        plan_case(
            db,
            case_id,
            path=body.path,
            due=body.due,
            on=body.date,
            actor=current.account.username,
            unit=body.unit or None,
            measures=body.measures,
            milestones=tuple(Milestone(m.what, m.due) for m in body.milestones),
            tax_per_mu_target_yuan=body.tax_per_mu_target_yuan,
        )
    except CaseRefusedError as error:
        return _refused(db, error)
    return JSONResponse(case_file(db, case_id, today()).as_json())


@router.post("/cases/{case_id}/tasks", status_code=201, summary="派单 / dispatch a task")
def api_dispatch(case_id: CaseId, body: TaskRequest, current: Worker, db: Database) -> Response:
    """Dispatch a task of the plan to a unit (a department or a town or park)."""
    reach_case(db, current, case_id)
    try:
        task = dispatch_task(
            db,
            case_id,
            unit=body.unit,
            what=body.what,
            due=body.due,
            on=body.date,
            actor=current.account.username,
        )
    except CaseRefusedError as error:
        return _refused(db, error)
    db.flush()
    return JSONResponse({"task": task.id}, status_code=201)


@router.post("/cases/{case_id}/events", summary="记录处置程序 / record a legal step")
def api_record(case_id: CaseId, body: EventRequest, current: Worker, db: Database) -> Response:
    """Record a step of the idle-land legal track; refused, with the date it becomes
    possible, when the law does not allow it yet."""
    reach_case(db, current, case_id)
    event = LegalEvent(kind=body.kind, date=body.date, cause=body.cause, until=body.until)
    try:
        record_event(db, case_id, event, actor=current.account.username, note=body.note)
    except CaseRefusedError as error:
        return _refused(db, error)
    return JSONResponse(case_file(db, case_id, today()).as_json())


@router.post(
    "/cases/{case_id}/documents",
    summary="制发文书 / issue a document",
    response_class=Response,
    responses={200: {"content": {DOCX: {}}, "description": "the .docx, numbered and kept"}},
)
def api_document(case_id: CaseId, body: DocumentRequest, current: Worker, db: Database) -> Response:
    """Write the document (Word), number it and keep it with the case; the .docx is the
    answer."""
    reach_case(db, current, case_id)
    try:
        issued = issue_document(
            db, case_id, body.kind, on=body.date, actor=current.account.username
        )
    except CaseRefusedError as error:
        return _refused(db, error)
    return docx_response(issued.file_name, issued.content)


@router.get(
    "/cases/{case_id}/files/{file_id}",
    summary="案件文件 / a file of a case",
    response_class=Response,
)
def api_case_file(case_id: CaseId, file_id: FileId, current: Reader, db: Database) -> Response:
    """A document or attachment kept with the case, as it was kept."""
    return kept_file(db, current, case_id, file_id)


def kept_file(db: Database, current: Current, case_id: int, file_id: int) -> Response:
    reach_case(db, current, case_id)
    kept = db.get(CaseFile, file_id)
    if kept is None or kept.case_id != case_id:
        raise HTTPException(
            status_code=404,
            detail=f"案件 {case_id} 没有文件 {file_id} / case {case_id} has no file {file_id}",
        )
    return file_response(kept.name, kept.media_type, kept.content)


def file_response(name: str, media_type: str, content: bytes) -> Response:
    """A file to save, its Chinese name RFC 5987-encoded (an ASCII one for old clients)."""
    fallback = "".join(c if (c.isascii() and c.isalnum()) or c in "._-" else "_" for c in name)
    return Response(
        content,
        media_type=media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{fallback}"; '
            f"filename*=UTF-8''{quote(name)}"
        },
    )


def docx_response(name: str, content: bytes) -> Response:
    return file_response(name, DOCX, content)
