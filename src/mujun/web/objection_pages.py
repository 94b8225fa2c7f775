"""公示与异议 in the browser: the publications of the runs' preliminary lists with the form that
publishes one (the task force); a publication's objections, filtered and paged, with the run
repeated after corrections; the form that lodges an objection to one figure, showing the value
stored and the department that supplied it; and a department's objections awaiting its answer
(异议答复), each answered by the import that corrected the value or by the reason it stands.

Every route asks the service (:mod:`mujun.disposal.objections`); a form posts with the session's
CSRF token and is answered with a redirect saying what was done, or the page again (409) with
the service's reason at the top of the form it came from (422 for a form filled in wrongly).
"""

import datetime as dt
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from mujun.disposal.errors import CaseRefusedError
from mujun.disposal.objections import (
    ObjectionFilters,
    ObjectionState,
    publish,
    repeat_run,
    source_of,
    stored_value,
)
from mujun.records import Finding, IdentificationRun, Publication
from mujun.web import cases
from mujun.web.cases import may, names_of, refusal_words
from mujun.web.dependencies import Current, Database, Reader, gate
from mujun.web.forms import Again, FormError, acted, required_day
from mujun.web.language import in_language, language_of
from mujun.web.listing import BLANK, CountyParam, PageParam
from mujun.web.objections import (
    ObjectionId,
    PublicationId,
    answered,
    counted,
    department_choices,
    department_label,
    field_groups,
    gated_objections,
    import_label,
    lodged_in_scope,
    now_of,
    objection_counts,
    publishable_runs,
    reach_publication,
    shown_objection,
    shown_value,
    spec_of,
    state_choices,
)
from mujun.web.pages import PAGE, page_count, signed_in_page
from mujun.web.permissions import Action

router = APIRouter(include_in_schema=False)
Worker = Annotated[Current, Depends(gate(Action.WORK))]
Decider = Annotated[Current, Depends(gate(Action.DECIDE))]
Starter = Annotated[Current, Depends(gate(Action.RUN))]
Tasker = Annotated[Current, Depends(gate(Action.TASK))]
Short = Annotated[str, Form(max_length=64)]
Long = Annotated[str, Form(max_length=4000)]
StateParam = Annotated[ObjectionState | None, Query(description="状态 / state"), BLANK]
DepartmentParam = Annotated[
    str | None, Query(max_length=32, description="答复部门 / department"), BLANK
]
Done = Annotated[str | None, Query(max_length=32)]
DONE = {
    "published": ("已公示。", "Published."),
    "lodged": ("异议已登记，已转数据报送部门答复。", "The objection was lodged and routed."),
    "corrected": ("已答复：数据已更正。", "Answered: the value was corrected."),
    "upheld": ("已答复：维持原值。", "Answered: the value stands."),
}


def _notice(request: Request, done: str | None) -> str | None:
    words = DONE.get(done or "")
    return None if words is None else in_language(request, *words)


# -- the publications ----------------------------------------------------------------------------


@router.get("/publications", response_class=HTMLResponse)
def publications_page(
    request: Request, current: Reader, db: Database, page: PageParam = 1, done: Done = None
) -> HTMLResponse:
    """公示: every publication of a run's preliminary list, the latest first, with its period,
    whether it is still open and how many objections it has in the account's area."""
    return _publications(request, current, db, page=page, notice=_notice(request, done))


def _publications(
    request: Request,
    current: Current,
    db: Session,
    *,
    page: int = 1,
    notice: str | None = None,
    status_code: int = 200,
    refusal: str | None = None,
    values: dict[str, str] | None = None,
) -> HTMLResponse:
    on = cases.today()
    total = counted(db, select(Publication))
    found = db.execute(
        select(Publication, IdentificationRun)
        .join(IdentificationRun, IdentificationRun.id == Publication.run_id)
        .order_by(Publication.id.desc())
        .offset((page - 1) * PAGE)
        .limit(PAGE)
    ).all()
    counts = objection_counts(db, current, [p.id for p, _ in found])
    rows = [
        {
            "id": p.id,
            "run": run.id,
            "profile": run.profile,
            "as_of": run.as_of,
            "published_on": p.published_on,
            "ends_on": p.ends_on,
            "working_days": p.working_days,
            "open": p.published_on <= on <= p.ends_on,
            "ended": on > p.ends_on,
            "objections": counts.get(p.id, 0),
            "note": p.note,
            "repeated": p.repeated_run_id,
        }
        for p, run in found
    ]
    decides = may(current, Action.DECIDE)
    return signed_in_page(
        request,
        "publications.html",
        current,
        status_code=status_code,
        rows=rows,
        total=total,
        page=page,
        pages=page_count(total),
        offset=(page - 1) * PAGE,
        runs=publishable_runs(db) if decides else [],
        notice=notice,
        refusal=refusal,
        values=values or {},
        today=on.isoformat(),
    )


@router.post("/publications")
def publish_form(
    request: Request,
    current: Decider,
    db: Database,
    run: Short = "",
    date: Short = "",
    note: Long = "",
) -> Response:
    """Publish a kept run's list for the profile's period of working days (the task force)."""
    values = {"run": run, "date": date, "note": note}

    def act() -> Response:
        if not run.strip().isdigit():
            raise FormError("请选择认定批次", "choose the run")
        on = required_day(date, "公示日期", "the date")
        publication = publish(db, int(run), on, current.account.username, note=note)
        db.flush()
        return RedirectResponse(f"/publications/{publication.id}?done=published", status_code=303)

    def again(status: int, text: str) -> Response:
        return _publications(request, current, db, status_code=status, refusal=text, values=values)

    return acted(request, db, act, again, (CaseRefusedError,), refusal_words)


# -- a publication and its objections ------------------------------------------------------------


@router.get("/publications/{publication_id}", response_class=HTMLResponse)
def publication_page(
    request: Request,
    publication_id: PublicationId,
    current: Reader,
    db: Database,
    state: StateParam = None,
    department: DepartmentParam = None,
    county: CountyParam = None,
    page: PageParam = 1,
    done: Done = None,
) -> HTMLResponse:
    """公示第 N 号: its run and period, its objections (filtered by state, department and county,
    fifty a page) with the value disputed, the department answering and the answer."""
    filters = ObjectionFilters(
        publication=publication_id, state=state, department=department, county=county
    )
    return _publication(
        request, current, db, publication_id, filters, page=page, notice=_notice(request, done)
    )


def _publication(
    request: Request,
    current: Current,
    db: Session,
    publication_id: int,
    filters: ObjectionFilters,
    *,
    page: int = 1,
    notice: str | None = None,
    status_code: int = 200,
    refusal: str | None = None,
) -> HTMLResponse:
    publication = reach_publication(db, publication_id)
    run = db.get(IdentificationRun, publication.run_id)
    query = gated_objections(current, filters)
    total = counted(db, query)
    everything = counted(db, gated_objections(current, ObjectionFilters(publication_id)))
    lang = language_of(request)
    names = names_of(request)
    on = cases.today()
    return signed_in_page(
        request,
        "publication.html",
        current,
        status_code=status_code,
        p=publication,
        run=run,
        open=publication.published_on <= on <= publication.ends_on,
        ended=on > publication.ends_on,
        rows=[
            shown_objection(o, names, lang)
            for o in db.scalars(query.offset((page - 1) * PAGE).limit(PAGE))
        ],
        total=total,
        any_objections=everything > 0,
        page=page,
        pages=page_count(total),
        offset=(page - 1) * PAGE,
        filters={
            "state": filters.state.value if filters.state else "",
            "department": filters.department or "",
            "county": filters.county or "",
        },
        states=state_choices(lang),
        departments=department_choices(lang),
        may_lodge=may(current, Action.WORK),
        may_repeat=may(current, Action.RUN),
        notice=notice,
        refusal=refusal,
    )


@router.post("/publications/{publication_id}/repeat")
def repeat_form(
    request: Request, publication_id: PublicationId, current: Starter, db: Database
) -> Response:
    """Repeat the published run on the current data as of the same date, and show what it
    finds that the published one did not (and the reverse) on the runs' difference page."""
    reach_publication(db, publication_id)

    def act() -> Response:
        engine = request.app.state.engine
        repeated = repeat_run(engine, publication_id, current.account.username)
        query = urlencode({"a": repeated.published_run, "b": repeated.run_id})
        return RedirectResponse(f"/runs/diff?{query}", status_code=303)

    def again(status: int, text: str) -> Response:
        return _publication(
            request,
            current,
            db,
            publication_id,
            ObjectionFilters(publication_id),
            status_code=status,
            refusal=text,
        )

    return acted(request, db, act, again, (CaseRefusedError,), refusal_words)


# -- lodging -------------------------------------------------------------------------------------


@router.get("/publications/{publication_id}/lodge", response_class=HTMLResponse)
def lodge_page(
    request: Request,
    publication_id: PublicationId,
    current: Worker,
    db: Database,
    field: Annotated[str | None, Query(max_length=130), BLANK] = None,
    key: Annotated[str | None, Query(max_length=500), BLANK] = None,
    subject: Annotated[str | None, Query(max_length=64), BLANK] = None,
) -> HTMLResponse:
    """登记异议: the figure objected to chosen by its names; with a record's key, the value
    stored now and the department (and import) that supplied it, which will answer."""
    values = {"field": field or "", "key": key or "", "subject": subject or ""}
    return _lodge(request, current, db, publication_id, values)


def _lodge(
    request: Request,
    current: Current,
    db: Session,
    publication_id: int,
    values: dict[str, str],
    *,
    status_code: int = 200,
    refusal: str | None = None,
) -> HTMLResponse:
    publication = reach_publication(db, publication_id)
    lang = language_of(request)
    if not values.get("subject") and values.get("key"):
        values = values | {"subject": _subject_of(db, publication.run_id, values["key"])}
    return signed_in_page(
        request,
        "objection_lodge.html",
        current,
        status_code=status_code,
        p=publication,
        groups=field_groups(lang),
        values=values,
        preview=_preview(db, values, lang),
        refusal=refusal,
        today=cases.today().isoformat(),
    )


def _subject_of(db: Session, run_id: int, key: str) -> str:
    """The subject of the list a record's key begins with (a parcel's or an enterprise's
    records are keyed by it first), to fill in; blank when none is."""
    first = key.split("|", 1)[0].strip()
    found = db.scalar(
        select(Finding.subject_id)
        .where(Finding.run_id == run_id, Finding.subject_id == first)
        .limit(1)
    )
    return found or ""


def _preview(db: Session, values: dict[str, str], lang: str) -> dict[str, Any] | None:
    """The value the figure chosen holds now and who supplied it; or why it cannot be read."""
    table, _, column = values.get("field", "").partition(".")
    key = values.get("key", "").strip()
    spec = spec_of(table)
    if spec is None or not key or column not in spec.column_names:
        return None
    try:
        value = stored_value(db, spec, key, column)
    except CaseRefusedError as error:
        return {"problem": error.zh if lang == "zh" else error.en}
    if type(value) is object:  # the service's marker: no record has the key
        return {
            "problem": f"{spec.label_zh}中没有主键为 {key} 的记录"
            if lang == "zh"
            else f"{spec.name} has no record keyed {key}"
        }
    source = source_of(db, spec.name, key, column)
    written = value.isoformat() if isinstance(value, dt.date) else value
    return {
        "figure": f"{spec.label_zh} · {spec.column(column).label_zh}"
        if lang == "zh"
        else f"{spec.name} · {column}",
        "value": shown_value(None if written is None else str(written), lang),
        "department": department_label(source.department, lang),
        "import": import_label(db, source.import_id, lang),
        "actor": source.actor,
    }


@router.post("/publications/{publication_id}/objections")
def lodge_form(
    request: Request,
    publication_id: PublicationId,
    current: Worker,
    db: Database,
    field: Annotated[str, Form(max_length=130)] = "",
    key: Annotated[str, Form(max_length=500)] = "",
    subject: Short = "",
    claimed: Long = "",
    reason: Long = "",
    lodged_by: Annotated[str, Form(max_length=256)] = "",
    date: Short = "",
) -> Response:
    """Lodge the objection; it goes to the department that supplied the value."""
    reach_publication(db, publication_id)
    values = {
        "field": field,
        "key": key,
        "subject": subject,
        "claimed": claimed,
        "reason": reason,
        "lodged_by": lodged_by,
        "date": date,
    }

    def act() -> Response:
        if not subject.strip():
            raise FormError("请填写异议涉及的对象（宗地号或统一社会信用代码）", "name the subject")
        lodged_in_scope(
            db,
            current,
            publication_id,
            field=field,
            key=key,
            reason=reason,
            lodged_by=lodged_by,
            on=required_day(date, "异议日期", "the date"),
            claimed=claimed,
            subject_id=subject,
        )
        return RedirectResponse(f"/publications/{publication_id}?done=lodged", status_code=303)

    def again(status: int, text: str) -> Response:
        return _lodge(
            request, current, db, publication_id, values, status_code=status, refusal=text
        )

    return acted(request, db, act, again, (CaseRefusedError,), refusal_words)


# -- answering -----------------------------------------------------------------------------------


@router.get("/objections", response_class=HTMLResponse)
def objections_page(
    request: Request,
    current: Tasker,
    db: Database,
    state: StateParam = ObjectionState.OPEN,
    page: PageParam = 1,
    done: Done = None,
) -> HTMLResponse:
    """异议答复: the objections routed to the account's department (or, for one who works cases,
    those of its area), awaiting an answer first; each open one with the value stored now and
    the forms that answer it."""
    return _inbox(request, current, db, state, page=page, notice=_notice(request, done))


def _inbox(
    request: Request,
    current: Current,
    db: Session,
    state: ObjectionState | None,
    *,
    page: int = 1,
    notice: str | None = None,
    status_code: int = 200,
    refusal: tuple[int, str] | None = None,
    values: dict[str, str] | None = None,
) -> HTMLResponse:
    lang = language_of(request)
    names = names_of(request)
    query = gated_objections(current, ObjectionFilters(state=state))
    total = counted(db, query)
    rows = []
    for o in db.scalars(query.offset((page - 1) * PAGE).limit(PAGE)):
        row = shown_objection(o, names, lang)
        now = now_of(db, o, lang) if row["open"] else None
        row["now"] = now
        row["now_import"] = None if now is None else import_label(db, now.import_id, lang)
        row["source"] = import_label(db, o.source_import_id, lang)
        rows.append(row)
    return signed_in_page(
        request,
        "objections.html",
        current,
        status_code=status_code,
        rows=rows,
        total=total,
        page=page,
        pages=page_count(total),
        offset=(page - 1) * PAGE,
        state=state.value if state else "",
        states=state_choices(lang),
        notice=notice,
        refusal=None if refusal is None else {"objection": refusal[0], "text": refusal[1]},
        values=values or {},
        today=cases.today().isoformat(),
    )


@router.post("/objections/{objection_id}/corrected")
def corrected_form(
    request: Request,
    objection_id: ObjectionId,
    current: Tasker,
    db: Database,
    import_id: Short = "",
    date: Short = "",
) -> Response:
    """Answer: the value was corrected by the import named."""
    values = {"import_id": import_id, "date": date}

    def act() -> Response:
        if not import_id.strip().isdigit():
            raise FormError("请填写更正数据的导入编号", "give the import that corrected the value")
        answered(
            db,
            current,
            objection_id,
            on=required_day(date, "答复日期", "the date"),
            corrected_by=int(import_id),
        )
        return RedirectResponse(f"/objections?done=corrected#objection-{objection_id}", 303)

    again = _answer_again(request, current, db, objection_id, values)
    return acted(request, db, act, again, (CaseRefusedError,), refusal_words)


@router.post("/objections/{objection_id}/upheld")
def upheld_form(
    request: Request,
    objection_id: ObjectionId,
    current: Tasker,
    db: Database,
    reason: Long = "",
    date: Short = "",
) -> Response:
    """Answer: the value stands, and why."""
    values = {"reason": reason, "date": date}

    def act() -> Response:
        answered(
            db, current, objection_id, on=required_day(date, "答复日期", "the date"), upheld=reason
        )
        return RedirectResponse(f"/objections?done=upheld#objection-{objection_id}", 303)

    again = _answer_again(request, current, db, objection_id, values)
    return acted(request, db, act, again, (CaseRefusedError,), refusal_words)


def _answer_again(
    request: Request, current: Current, db: Session, objection_id: int, values: dict[str, str]
) -> Again:
    def again(status: int, text: str) -> Response:
        return _inbox(
            request,
            current,
            db,
            None,
            status_code=status,
            refusal=(objection_id, text),
            values=values,
        )

    return again
