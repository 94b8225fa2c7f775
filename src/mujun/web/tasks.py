"""我的任务: the tasks dispatched to the account's unit (a department's account) or, for one who
works cases, to the units of its area; signing for one (签收) and reporting it done (办结) with
a note or an attached file. Every task is reached through the gate (``Action.TASK``); the
service (:mod:`mujun.disposal.plans`) decides, and refuses with its reason (409).
"""

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, HTTPException, Query, Request, UploadFile
from fastapi import Path as PathParameter
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from mujun.disposal.errors import CaseRefusedError
from mujun.disposal.plans import Attachment, TaskState, accept_task, complete_task, is_overdue
from mujun.records import Case, CaseTask
from mujun.web.cases import (
    CONFLICT,
    REFUSED_RESPONSE,
    may,
    names_of,
    reach_task,
    refusal_json,
    refusal_words,
    subject_label,
    today,
)
from mujun.web.dependencies import MAX_ID, Current, Database, gate
from mujun.web.gate import restrict
from mujun.web.language import in_language, language_of
from mujun.web.pages import signed_in_page
from mujun.web.permissions import Action

router = APIRouter(tags=["tasks"])
Tasker = Annotated[Current, Depends(gate(Action.TASK))]
TaskId = Annotated[int, PathParameter(ge=1, le=MAX_ID, description="任务编号 / task number")]
MAX_UPLOAD = 20 * 1024 * 1024
"""The largest file a task may be reported done with (20 MB)."""
DONE = {
    "accepted": ("任务已签收。", "The task was accepted."),
    "completed": ("任务已办结。", "The task was reported done."),
}


class TaskView(BaseModel):
    task: int
    case: int
    subject_type: str
    subject_id: str
    subject_name: str | None
    county_code: str | None
    unit: str
    what: str
    due: dt.date
    state: str
    overdue: bool
    dispatched_on: dt.date
    accepted_on: dt.date | None
    done_on: dt.date | None
    note: str | None


class DateBody(BaseModel):
    date: dt.date | None = None


def my_tasks(db: Session, current: Current, *, with_done: bool) -> list[tuple[CaseTask, Case]]:
    """The tasks of the account's units (or area), overdue first, then by due date."""
    query = restrict(
        select(CaseTask, Case).join(Case, Case.id == CaseTask.case_id), current.scope, CaseTask
    )
    if not with_done:
        query = query.where(CaseTask.state != TaskState.DONE.value)
    on = today()
    found = [(task, case) for task, case in db.execute(query.order_by(CaseTask.due, CaseTask.id))]
    return sorted(
        found, key=lambda pair: (not is_overdue(pair[0], on), pair[0].state == TaskState.DONE.value)
    )


def _view(task: CaseTask, case: Case, on: dt.date) -> TaskView:
    return TaskView(
        task=task.id,
        case=case.id,
        subject_type=case.subject_type,
        subject_id=case.subject_id,
        subject_name=case.subject_name,
        county_code=case.county_code,
        unit=task.unit,
        what=task.what,
        due=task.due,
        state=task.state,
        overdue=is_overdue(task, on),
        dispatched_on=task.dispatched_on,
        accepted_on=task.accepted_on,
        done_on=task.done_on,
        note=task.note,
    )


# -- API ----------------------------------------------------------------------------------------


@router.get("/api/tasks", response_model=list[TaskView], summary="我的任务 / my tasks")
def api_tasks(
    current: Tasker, db: Database, done: Annotated[bool, Query(description="含已办结")] = False
) -> list[TaskView]:
    """The tasks of the account's units (a department's account) or area, overdue first."""
    on = today()
    return [_view(task, case, on) for task, case in my_tasks(db, current, with_done=done)]


@router.post(
    "/api/tasks/{task_id}/accept",
    response_model=TaskView,
    summary="签收 / accept",
    responses=REFUSED_RESPONSE,
)
def api_accept(task_id: TaskId, body: DateBody, current: Tasker, db: Database) -> Response:
    reach_task(db, current, task_id)
    try:
        task = accept_task(db, task_id, on=body.date or today(), actor=current.account.username)
    except CaseRefusedError as error:
        db.rollback()
        return refusal_json(error)
    case = db.get(Case, task.case_id)
    assert case is not None
    return JSONResponse(_view(task, case, today()).model_dump(mode="json"))


@router.post(
    "/api/tasks/{task_id}/complete",
    response_model=TaskView,
    summary="办结 / report done",
    responses={**REFUSED_RESPONSE, 413: {"description": "文件过大 / the file is too large"}},
)
async def api_complete(
    task_id: TaskId,
    current: Tasker,
    db: Database,
    note: Annotated[str, Form(max_length=4000)] = "",
    date: Annotated[dt.date | None, Form()] = None,
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Report the task done with a note or an attached file (at most 20 MB, not empty)."""
    reach_task(db, current, task_id)
    attachment = await _attachment(file)
    try:
        task = complete_task(
            db,
            task_id,
            on=date or today(),
            actor=current.account.username,
            note=note,
            attachment=attachment,
        )
    except CaseRefusedError as error:
        db.rollback()
        return refusal_json(error)
    case = db.get(Case, task.case_id)
    assert case is not None
    return JSONResponse(_view(task, case, today()).model_dump(mode="json"))


async def _attachment(file: UploadFile | None) -> Attachment | None:
    """The uploaded file, or None when none was chosen; refused when empty or too large."""
    if file is None or not file.filename:
        return None
    content = await file.read(MAX_UPLOAD + 1)
    if len(content) > MAX_UPLOAD:
        raise HTTPException(
            status_code=413, detail="文件超过 20 MB / the file is larger than 20 MB"
        )
    if not content:
        raise HTTPException(
            status_code=422, detail=f"上传的文件是空的：{file.filename} / the file is empty"
        )
    return Attachment(
        file.filename[-255:], file.content_type or "application/octet-stream", content
    )


# -- pages --------------------------------------------------------------------------------------


@router.get("/tasks", response_class=HTMLResponse, include_in_schema=False)
def tasks_page(
    request: Request,
    current: Tasker,
    db: Database,
    done: Annotated[str | None, Query(max_length=32)] = None,
    all: Annotated[bool, Query()] = False,
) -> HTMLResponse:
    words = DONE.get(done or "")
    return _page(
        request,
        current,
        db,
        notice=None if words is None else in_language(request, *words),
        with_done=all,
    )


def _page(
    request: Request,
    current: Current,
    db: Session,
    *,
    notice: str | None = None,
    refusal: dict[str, Any] | None = None,
    status_code: int = 200,
    with_done: bool = False,
) -> HTMLResponse:
    on = today()
    lang = language_of(request)
    names = names_of(request)
    rows = []
    for task, case in my_tasks(db, current, with_done=with_done):
        state = TaskState(task.state)
        rows.append(
            {
                "id": task.id,
                "case": case.id,
                "subject": subject_label(case, lang),
                "name": case.subject_name or "—",
                "county": names.places.get(case.county_code or "", case.county_code or "—"),
                "unit": names.unit(task.unit, lang),
                "what": task.what,
                "dispatched_on": task.dispatched_on,
                "due": task.due,
                "overdue": is_overdue(task, on),
                "state": state.value,
                "state_label": state.label_zh if lang == "zh" else state.value,
                "note": task.note,
                "done_on": task.done_on,
            }
        )
    return signed_in_page(
        request,
        "tasks.html",
        current,
        status_code=status_code,
        rows=rows,
        notice=notice,
        refusal=refusal,
        reads_cases=may(current, Action.READ),
        with_done=with_done,
        today=on.isoformat(),
    )


@router.post("/tasks/{task_id}/accept", include_in_schema=False)
def accept_form(
    request: Request,
    task_id: TaskId,
    current: Tasker,
    db: Database,
    date: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    reach_task(db, current, task_id)
    try:
        on = _form_day(date)
        accept_task(db, task_id, on=on, actor=current.account.username)
    except CaseRefusedError as error:
        db.rollback()
        return _page(
            request,
            current,
            db,
            refusal={"task": task_id, "text": refusal_words(request, error)},
            status_code=CONFLICT,
        )
    return RedirectResponse("/tasks?done=accepted", status_code=303)


@router.post("/tasks/{task_id}/complete", include_in_schema=False)
async def complete_form(
    request: Request,
    task_id: TaskId,
    current: Tasker,
    db: Database,
    note: Annotated[str, Form(max_length=4000)] = "",
    date: Annotated[str, Form(max_length=32)] = "",
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    reach_task(db, current, task_id)
    try:
        attachment = await _attachment(file)
        complete_task(
            db,
            task_id,
            on=_form_day(date),
            actor=current.account.username,
            note=note,
            attachment=attachment,
        )
    except HTTPException as error:
        zh, _, en = str(error.detail).partition(" / ")
        return _page(
            request,
            current,
            db,
            refusal={"task": task_id, "text": in_language(request, zh, en or zh)},
            status_code=error.status_code,
        )
    except CaseRefusedError as error:
        db.rollback()
        return _page(
            request,
            current,
            db,
            refusal={"task": task_id, "text": refusal_words(request, error)},
            status_code=CONFLICT,
        )
    return RedirectResponse("/tasks?done=completed", status_code=303)


def _form_day(text: str) -> dt.date:
    if not text.strip():
        return today()
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise CaseRefusedError(f"日期无效：{text[:20]}", f"not a date: {text[:20]}") from None
