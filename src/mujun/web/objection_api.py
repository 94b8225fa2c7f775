"""Publication and objections in the API (``/api/publications``, ``/api/objections``): publish a
run's list, lodge an objection, answer it, repeat the run, through the same service functions as
the pages and the CLI (:mod:`mujun.disposal.objections`).

A refusal of the service is answered 409 with the reason (:mod:`mujun.web.cases`); an objection
outside the account's area (or, for a department's account, routed elsewhere) 403 (audited);
one that does not exist 404.
"""

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field, model_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from mujun.disposal.errors import CaseRefusedError
from mujun.disposal.objections import (
    ObjectionFilters,
    ObjectionState,
    objection_json,
    publication_json,
    publish,
    repeat_run,
)
from mujun.records import Publication
from mujun.web.cases import REFUSED_RESPONSE, refusal_json
from mujun.web.dependencies import MAX_ID, Current, Database, Reader, gate
from mujun.web.listing import BLANK, CountyParam, PageParam, PageSizeParam
from mujun.web.objections import (
    ObjectionId,
    PublicationId,
    answered,
    counted,
    gated_objections,
    lodged_in_scope,
    objection_counts,
    reach_objection,
    reach_publication,
)
from mujun.web.permissions import Action

router = APIRouter(prefix="/api", tags=["objections"], responses=REFUSED_RESPONSE)
Worker = Annotated[Current, Depends(gate(Action.WORK))]
Decider = Annotated[Current, Depends(gate(Action.DECIDE))]
Starter = Annotated[Current, Depends(gate(Action.RUN))]
Tasker = Annotated[Current, Depends(gate(Action.TASK))]
Text = Annotated[str, Field(max_length=4000)]


class PublishRequest(BaseModel):
    run: int = Field(ge=1, le=MAX_ID, description="认定批次 / the kept run")
    date: dt.date = Field(description="公示日期 / published on")
    note: Text | None = None


class LodgeRequest(BaseModel):
    table: str = Field(max_length=64, description="数据表 / table")
    key: str = Field(max_length=500, description="记录主键，多项以 | 分隔 / the record's key")
    column: str = Field(max_length=64, description="字段 / column")
    reason: Text
    lodged_by: str = Field(max_length=256, description="提出异议的企业或属地 / who objects")
    date: dt.date
    claimed: Text | None = None
    subject: str | None = Field(
        default=None, max_length=64, description="名单中的对象 / the subject on the list"
    )


class AnswerRequest(BaseModel):
    """One of ``corrected_by`` (the import that corrected the value) or ``upheld`` (why the
    value stands)."""

    date: dt.date
    corrected_by: int | None = Field(default=None, ge=1, le=MAX_ID)
    upheld: Text | None = None

    @model_validator(mode="after")
    def one_answer(self) -> "AnswerRequest":
        if (self.corrected_by is None) == (self.upheld is None):
            raise ValueError("give one of corrected_by or upheld / 请二选一：已更正或维持原值")
        return self


class ObjectionPage(BaseModel):
    total: int
    page: int
    page_size: int
    objections: list[dict[str, Any]]


def _refused(db: Session, error: CaseRefusedError) -> JSONResponse:
    db.rollback()
    return refusal_json(error)


@router.get("/publications", summary="公示 / publications")
def api_publications(
    current: Reader, db: Database, page: PageParam = 1, page_size: PageSizeParam = 50
) -> dict[str, Any]:
    """The publications, the latest first, each with how many objections it has in the
    account's area."""
    total = counted(db, select(Publication))
    found = list(
        db.scalars(
            select(Publication)
            .order_by(Publication.id.desc())
            .offset((page - 1) * page_size)
            .limit(page_size)
        )
    )
    counts = objection_counts(db, current, [p.id for p in found])
    return {
        "total": total,
        "page": page,
        "page_size": page_size,
        "publications": [publication_json(p) | {"objections": counts.get(p.id, 0)} for p in found],
    }


@router.post("/publications", status_code=201, summary="公示初步名单 / publish a run's list")
def api_publish(body: PublishRequest, current: Decider, db: Database) -> Response:
    """Publish a kept run's list for the profile's period of working days (the task force)."""
    try:
        publication = publish(db, body.run, body.date, current.account.username, note=body.note)
        db.flush()
    except CaseRefusedError as error:
        return _refused(db, error)
    return JSONResponse(publication_json(publication), status_code=201)


@router.get("/publications/{publication_id}", summary="一次公示 / a publication")
def api_publication(publication_id: PublicationId, current: Reader, db: Database) -> dict[str, Any]:
    publication = reach_publication(db, publication_id)
    counts = objection_counts(db, current, [publication_id])
    return publication_json(publication) | {"objections": counts.get(publication_id, 0)}


@router.get("/objections", response_model=ObjectionPage, summary="异议 / objections")
def api_objections(
    current: Reader,
    db: Database,
    publication: Annotated[int | None, Query(ge=1, le=MAX_ID, description="公示")] = None,
    state: Annotated[ObjectionState | None, Query(description="状态 / state"), BLANK] = None,
    department: Annotated[
        str | None, Query(max_length=32, description="答复部门 / department"), BLANK
    ] = None,
    county: CountyParam = None,
    page: PageParam = 1,
    page_size: PageSizeParam = 50,
) -> ObjectionPage:
    """The objections of the account's area (or of ``county``: refused outside it) the filters
    keep, oldest first."""
    filters = ObjectionFilters(
        publication=publication, state=state, department=department, county=county
    )
    query = gated_objections(current, filters)
    return ObjectionPage(
        total=counted(db, query),
        page=page,
        page_size=page_size,
        objections=[
            objection_json(o)
            for o in db.scalars(query.offset((page - 1) * page_size).limit(page_size))
        ],
    )


@router.get("/objections/{objection_id}", summary="一项异议 / an objection")
def api_objection(objection_id: ObjectionId, current: Reader, db: Database) -> dict[str, Any]:
    return objection_json(reach_objection(db, current, objection_id))


@router.post(
    "/publications/{publication_id}/objections",
    status_code=201,
    summary="登记异议 / lodge an objection",
)
def api_lodge(
    publication_id: PublicationId, body: LodgeRequest, current: Worker, db: Database
) -> Response:
    """Lodge an objection to one figure within the publication's period; it goes to the
    department that supplied the value. A subject outside the account's area is refused (403)."""
    reach_publication(db, publication_id)
    try:
        objection = lodged_in_scope(
            db,
            current,
            publication_id,
            field=f"{body.table}.{body.column}",
            key=body.key,
            reason=body.reason,
            lodged_by=body.lodged_by,
            on=body.date,
            claimed=body.claimed,
            subject_id=body.subject,
        )
    except CaseRefusedError as error:
        return _refused(db, error)
    return JSONResponse(objection_json(objection), status_code=201)


@router.post("/objections/{objection_id}/answer", summary="答复异议 / answer an objection")
def api_answer(
    objection_id: ObjectionId, body: AnswerRequest, current: Tasker, db: Database
) -> Response:
    """Answer: corrected by the import that changed the value, or upheld with a reason (the
    department it is routed to, or one who works cases in its area)."""
    try:
        objection = answered(
            db,
            current,
            objection_id,
            on=body.date,
            corrected_by=body.corrected_by,
            upheld=body.upheld,
        )
    except CaseRefusedError as error:
        return _refused(db, error)
    return JSONResponse(objection_json(objection))


@router.post("/publications/{publication_id}/repeat", summary="重新认定 / repeat the run")
def api_repeat(
    request: Request, publication_id: PublicationId, current: Starter, db: Database
) -> Response:
    """Repeat the published run on the current data as of the same date, keep it, and answer
    the difference: the findings added, dropped and changed (starting a run is the city's:
    the accounts that may read every county)."""
    reach_publication(db, publication_id)
    try:
        repeated = repeat_run(request.app.state.engine, publication_id, current.account.username)
    except CaseRefusedError as error:
        return _refused(db, error)
    return JSONResponse(repeated.as_json())
