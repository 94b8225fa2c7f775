"""Early warnings in the API (``/api/warnings``): the inbox with the same filters as the page, a
warning with its months and timeline, and receiving (签收), reporting on (处置反馈) and closing
(办结) it, through the same service functions as the pages and the CLI
(:mod:`mujun.monitoring.warnings`); and opening the case of its subject (立案处置, the task
force's, :mod:`mujun.disposal.warned`).

A refusal of the service is answered 409 with the reason (``detail``, ``zh``, ``en``); a warning
outside the account's reach 403 (audited); one that does not exist 404.
"""

import datetime as dt
import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from mujun.disposal.errors import CaseRefusedError
from mujun.disposal.periods import CalendarError
from mujun.disposal.warned import open_case_from_warning
from mujun.monitoring.inbox import WarningView, receipt_of
from mujun.monitoring.routing import city_of
from mujun.monitoring.warnings import (
    Receipt,
    WarningRefusedError,
    close,
    receive,
    report,
)
from mujun.records import EarlyWarning
from mujun.web import cases
from mujun.web.cases import CONFLICT, REFUSED_RESPONSE, refusal_json
from mujun.web.dependencies import Current, Database, gate
from mujun.web.language import language_of
from mujun.web.listing import PageParam, PageSizeParam
from mujun.web.permissions import Action
from mujun.web.warning_inbox import (
    Filters,
    WarningId,
    WarningReader,
    counted,
    fired_months,
    gated_warnings,
    reach_warning,
    timeline,
)

router = APIRouter(prefix="/api", tags=["warnings"], responses=REFUSED_RESPONSE)
Tasker = Annotated[Current, Depends(gate(Action.TASK))]
Decider = Annotated[Current, Depends(gate(Action.DECIDE))]
Text = Annotated[str, Field(max_length=4000)]


class ReceiveRequest(BaseModel):
    date: dt.date = Field(description="签收日期 / received on")


class FeedbackRequest(BaseModel):
    date: dt.date = Field(description="反馈日期 / reported on")
    text: Text = Field(description="处置情况 / what was done")


class CloseRequest(BaseModel):
    date: dt.date = Field(description="办结日期 / closed on")
    reason: Text = Field(description="办结理由 / why it is closed")


class CaseRequest(BaseModel):
    date: dt.date | None = Field(
        default=None, description="立案日期（默认预警发出日）/ opened on (default: issued on)"
    )


class WarningPage(BaseModel):
    total: int
    page: int
    page_size: int
    as_of: dt.date
    warnings: list[dict[str, Any]]


def _view(
    db: Session, warning: EarlyWarning, on: dt.date, cities: dict[str | None, str | None]
) -> dict[str, Any]:
    """A warning as the CLI's ``warnings list --format json`` gives it, with the dates of its
    steps (``cities``: the city above each county, filled as read)."""
    found = receipt_of(warning, on)
    due = found or Receipt(due=warning.issued_on, escalated=False)
    escalated_to = None
    if due.escalated:
        if warning.county_code not in cities:
            cities[warning.county_code] = city_of(db, warning.county_code)
        escalated_to = cities[warning.county_code]
    return WarningView(warning, due, escalated_to).as_json() | {
        "receive_by": None if found is None else found.due.isoformat(),
        "escalated": due.escalated,
        "received_on": None if warning.received_on is None else warning.received_on.isoformat(),
        "closed_on": None if warning.closed_on is None else warning.closed_on.isoformat(),
        "lifted_month": warning.lifted_month,
    }


def _refused(db: Session, error: WarningRefusedError | CalendarError) -> JSONResponse:
    db.rollback()
    return JSONResponse(
        {"detail": f"{error.zh} / {error.en}", "zh": error.zh, "en": error.en},
        status_code=CONFLICT,
    )


@router.get("/warnings", response_model=WarningPage, summary="预警 / warnings")
def api_warnings(
    current: WarningReader,
    db: Database,
    filters: Filters,
    page: PageParam = 1,
    page_size: PageSizeParam = 50,
) -> WarningPage:
    """The warnings of the account's reach (a department's account: those routed to its
    department) the filters keep, newest first, each with its receipt deadline and whether
    it escalated as of today."""
    on = cases.today()
    query = gated_warnings(db, current, filters, on)
    cities: dict[str | None, str | None] = {}
    return WarningPage(
        total=counted(db, query),
        page=page,
        page_size=page_size,
        as_of=on,
        warnings=[
            _view(db, w, on, cities)
            for w in db.scalars(query.offset((page - 1) * page_size).limit(page_size))
        ],
    )


@router.get("/warnings/{warning_id}", summary="一条预警 / a warning")
def api_warning(
    request: Request, warning_id: WarningId, current: WarningReader, db: Database
) -> dict[str, Any]:
    """A warning with the evidence of each month it fired and its timeline."""
    on = cases.today()
    warning = reach_warning(db, current, warning_id)
    fired = fired_months(db, warning_id)
    return _view(db, warning, on, {}) | {
        "evidence": json.loads(warning.evidence),
        "months": [
            {
                "month": m.month,
                "run": m.run_id,
                "level": m.level,
                "evidence": json.loads(m.evidence),
            }
            for m, _ in fired
        ],
        "feedback": warning.feedback,
        "close_reason": warning.close_reason,
        "timeline": [
            e | {"date": e["date"].isoformat()}
            for e in timeline(db, warning, fired, language_of(request))
        ],
    }


def _acted(db: Session, warning_id: int, current: Current, act: Any) -> Response:
    reach_warning(db, current, warning_id)
    try:
        warning = act()
        db.flush()
    except (WarningRefusedError, CalendarError) as error:
        return _refused(db, error)
    return JSONResponse(_view(db, warning, cases.today(), {}))


@router.post("/warnings/{warning_id}/receive", summary="签收 / receive a warning")
def api_receive(
    warning_id: WarningId, body: ReceiveRequest, current: Tasker, db: Database
) -> Response:
    return _acted(
        db,
        warning_id,
        current,
        lambda: receive(db, warning_id, on=body.date, actor=current.account.username),
    )


@router.post("/warnings/{warning_id}/feedback", summary="处置反馈 / report on a warning")
def api_feedback(
    warning_id: WarningId, body: FeedbackRequest, current: Tasker, db: Database
) -> Response:
    """What was done about a received warning (again as often as there is news)."""
    return _acted(
        db,
        warning_id,
        current,
        lambda: report(
            db, warning_id, on=body.date, text=body.text, actor=current.account.username
        ),
    )


@router.post("/warnings/{warning_id}/close", summary="办结 / close a warning")
def api_close(warning_id: WarningId, body: CloseRequest, current: Tasker, db: Database) -> Response:
    """Close a warning that has been reported on, with a reason."""
    return _acted(
        db,
        warning_id,
        current,
        lambda: close(
            db, warning_id, on=body.date, reason=body.reason, actor=current.account.username
        ),
    )


@router.post("/warnings/{warning_id}/case", summary="据预警立案 / open a case from a warning")
def api_open_case(
    warning_id: WarningId, current: Decider, db: Database, body: CaseRequest | None = None
) -> Response:
    """Open the case of the warning's subject in the category its profile gives the signal, or
    join the subject's open case of that category (the task force), as ``mujun cases open
    --warning --format json`` prints it."""
    reach_warning(db, current, warning_id)
    try:
        opening = open_case_from_warning(
            db, warning_id, on=body.date if body else None, actor=current.account.username
        )
        db.flush()
    except CaseRefusedError as error:
        db.rollback()
        return refusal_json(error)
    return JSONResponse(opening.as_json())
