"""监测预警 in the browser: the warning inbox (预警收件箱), filtered by level, signal, county,
state, month and escalation, paged, exported whole as the bureau's titled list; and a warning's
page with its subject, where it was routed, its evidence as a small chart of the months
compared, its timeline and the forms that receive it (签收), report on it (处置反馈) and close it
(办结); and the task force's form that opens the case of its subject (立案处置), answered with
the case's file.

Every route asks the service (:mod:`mujun.monitoring.warnings`); a form posts with the session's
CSRF token and is answered with a redirect saying what was done, or the page again (409) with
the service's reason at the top of the form it came from (422 for a form filled in wrongly).
"""

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mujun.disposal.errors import CaseRefusedError
from mujun.disposal.periods import CalendarError
from mujun.disposal.warned import case_category_of, open_case_from_warning
from mujun.monitoring.bulletin import BulletinError, bulletin_download
from mujun.monitoring.warnings import WarningRefusedError, WarningState, close, receive, report
from mujun.records import Case, EarlyWarning, MonitoringRun
from mujun.web import cases
from mujun.web.case_api import file_response
from mujun.web.cases import category_label, may, names_of, refusal_words
from mujun.web.dependencies import Current, Database, Reader, gate
from mujun.web.forms import acted, required_day
from mujun.web.gate import restrict
from mujun.web.language import in_language, language_of
from mujun.web.listing import EXPORT_BATCH, ExportParam, PageParam, workbook_file
from mujun.web.pages import PAGE, page_count, signed_in_page
from mujun.web.permissions import Action, RefusedError
from mujun.web.warning_book import write_inbox
from mujun.web.warning_inbox import (
    Filters,
    WarningId,
    WarningReader,
    counted,
    evidence_chart,
    evidence_lines,
    filter_values,
    fired_months,
    gated_warnings,
    level_choices,
    may_act,
    month_label,
    reach_warning,
    shown_warning,
    signal_choices,
    state_choices,
    timeline,
)

router = APIRouter(include_in_schema=False)
Tasker = Annotated[Current, Depends(gate(Action.TASK))]
Decider = Annotated[Current, Depends(gate(Action.DECIDE))]
Done = Annotated[str | None, Query(max_length=32)]
Short = Annotated[str, Form(max_length=64)]
Long = Annotated[str, Form(max_length=4000)]
DONE = {
    "received": ("已签收。", "Received."),
    "reported": ("处置情况已反馈。", "The feedback was kept."),
    "closed": ("已办结。", "Closed."),
}


# -- the inbox -----------------------------------------------------------------------------------


@router.get("/warnings", response_class=HTMLResponse)
def warnings_page(
    request: Request,
    current: WarningReader,
    db: Database,
    filters: Filters,
    page: PageParam = 1,
    export: ExportParam = None,
) -> Response:
    """预警收件箱: the warnings of the account's reach the filters keep, fifty a page, newest
    first; with ``export=all`` (or ``xlsx``) every one of them as the bureau's titled list."""
    on = cases.today()
    lang = language_of(request)
    names = names_of(request)
    query = gated_warnings(db, current, filters, on)
    if export is not None:
        every = (
            shown_warning(w, names, lang, on)
            for w in db.scalars(query.execution_options(yield_per=EXPORT_BATCH))
        )
        title = in_language(request, "监测预警清单", "Early warnings")
        return workbook_file(
            title, lambda path: write_inbox(path, every, today=on, lang=language_of(request))
        )
    total = counted(db, query)
    rows = [
        shown_warning(w, names, lang, on)
        for w in db.scalars(query.offset((page - 1) * PAGE).limit(PAGE))
    ]
    return signed_in_page(
        request,
        "warnings.html",
        current,
        rows=rows,
        total=total,
        page=page,
        pages=page_count(total),
        offset=(page - 1) * PAGE,
        filters=filter_values(filters),
        levels=level_choices(lang),
        signals=signal_choices(lang),
        states=state_choices(lang),
        any_warnings=bool(total) or _in_reach(db, current) > 0,
        as_of=on,
        bulletin_months=bulletin_months(db, current, lang),
    )


@router.get("/warnings/bulletin")
def bulletin_file(
    request: Request,
    current: Reader,
    db: Database,
    month: Annotated[str, Query(pattern=r"^\d{4}-\d{2}$")],
    kind: Annotated[Literal["xlsx", "docx"], Query()] = "docx",
) -> Response:
    """预警通报: the month's bulletin the joint office sends (a Word notice or the workbook of
    every warning). It sums up every county, so only an account that reads them all has it
    (403 and audited otherwise); a month not monitored is a 404."""
    if not current.scope.everywhere:
        raise RefusedError(
            "预警通报汇总全市各县（市、区），县区账号无权下载",
            "the bulletin sums up every county: a county's account may not download it",
        )
    try:
        made = bulletin_download(db, month=month, kind=kind, today=cases.today(), lang="zh")
    except BulletinError as error:
        raise HTTPException(status_code=404, detail=f"{error.zh} / {error}") from None
    return file_response(made.filename, made.media_type, made.content)


def bulletin_months(db: Session, current: Current, lang: str) -> list[tuple[str, str]]:
    """The months monitored, newest first and by name, for the bulletin's form (none for a
    county's account, which may not have it)."""
    if not current.scope.everywhere:
        return []
    months = select(MonitoringRun.month).distinct().order_by(MonitoringRun.month.desc())
    return [(month, month_label(month, lang)) for month in db.scalars(months)]


def _in_reach(db: Session, current: Current) -> int:
    """How many warnings the account may read (the empty state tells none from filtered)."""
    query = restrict(select(func.count()).select_from(EarlyWarning), current.scope, EarlyWarning)
    return db.scalar(query) or 0


# -- a warning -----------------------------------------------------------------------------------


@router.get("/warnings/{warning_id}", response_class=HTMLResponse)
def warning_page(
    request: Request, warning_id: WarningId, current: WarningReader, db: Database, done: Done = None
) -> HTMLResponse:
    """预警详情: its subject, signal, level and where it went; the evidence as the months
    compared; its timeline; and the forms the account may use."""
    reach_warning(db, current, warning_id)
    words = DONE.get(done or "")
    notice = None if words is None else in_language(request, *words)
    return _warning(request, current, db, warning_id, notice=notice)


def _warning(
    request: Request,
    current: Current,
    db: Session,
    warning_id: int,
    *,
    status_code: int = 200,
    notice: str | None = None,
    refusal: tuple[str, str] | None = None,
    values: dict[str, str] | None = None,
) -> HTMLResponse:
    on = cases.today()
    lang = language_of(request)
    warning = reach_warning(db, current, warning_id)
    fired = fired_months(db, warning_id)
    shown = shown_warning(warning, names_of(request), lang, on)
    state = WarningState(warning.state)
    acts = may_act(current)
    category = _category_to_open(db, current, warning, on)
    forms = {
        "receive": acts and state is WarningState.ISSUED,
        "report": acts and state in (WarningState.RECEIVED, WarningState.HANDLED),
        "close": acts and state is WarningState.HANDLED,
        "case": category is not None,
    }
    return signed_in_page(
        request,
        "warning.html",
        current,
        status_code=status_code,
        w=shown,
        evidence=evidence_lines(warning.evidence, lang),
        evidence_month=month_label(warning.last_month, lang),
        chart=evidence_chart([month.evidence for month, _ in fired] or [warning.evidence], lang),
        timeline=timeline(db, warning, fired, lang),
        feedback=warning.feedback,
        forms=forms,
        case_category=None if category is None else category_label(category, lang),
        notice=notice,
        refusal=None if refusal is None else {"form": refusal[0], "text": refusal[1]},
        values=values or {},
        today=on.isoformat(),
    )


def _category_to_open(
    db: Session, current: Current, warning: EarlyWarning, on: dt.date
) -> str | None:
    """The category of the case the account may open from the warning (the task force, on a
    live warning not yet in a case of that category), else None."""
    if not may(current, Action.DECIDE) or not WarningState(warning.state).is_live:
        return None
    category = case_category_of(warning, on)
    if category is None:
        return None
    case = db.get(Case, warning.case_id) if warning.case_id else None
    if case is not None and case.category == category.value and case.open_key is not None:
        return None
    return category.value


WarningRefusal = WarningRefusedError | CalendarError | CaseRefusedError
"""What the service refuses a warning's form with: its state or dates, a working day that
cannot be counted, or the case it would open."""
REFUSALS: tuple[type[WarningRefusal], ...] = (WarningRefusedError, CalendarError, CaseRefusedError)


def _reason(request: Request, error: WarningRefusal) -> str:
    if isinstance(error, CaseRefusedError):
        return refusal_words(request, error)
    return in_language(request, error.zh, error.en)


def _back(warning_id: int, done: str) -> RedirectResponse:
    return RedirectResponse(f"/warnings/{warning_id}?done={done}", status_code=303)


def _act_on_warning(
    request: Request,
    current: Current,
    db: Session,
    warning_id: int,
    form: str,
    values: dict[str, str],
    act: Callable[[], Response],
) -> Response:
    """What ``act`` answers; or the warning's page again with the reason at the top of
    ``form``, its values kept (:func:`~mujun.web.forms.acted`)."""
    reach_warning(db, current, warning_id)

    def again(status: int, text: str) -> Response:
        refusal = (form, text)
        return _warning(
            request, current, db, warning_id, status_code=status, refusal=refusal, values=values
        )

    return acted(request, db, act, again, REFUSALS, _reason)


@router.post("/warnings/{warning_id}/receive")
def receive_form(
    request: Request, warning_id: WarningId, current: Tasker, db: Database, date: Short = ""
) -> Response:
    """签收."""

    def act() -> Response:
        on = required_day(date, "日期", "the date")
        receive(db, warning_id, on=on, actor=current.account.username)
        return _back(warning_id, "received")

    return _act_on_warning(request, current, db, warning_id, "receive", {"date": date}, act)


@router.post("/warnings/{warning_id}/feedback")
def feedback_form(
    request: Request,
    warning_id: WarningId,
    current: Tasker,
    db: Database,
    date: Short = "",
    text: Long = "",
) -> Response:
    """处置反馈 (again as often as there is news)."""

    def act() -> Response:
        on = required_day(date, "日期", "the date")
        report(db, warning_id, on=on, text=text, actor=current.account.username)
        return _back(warning_id, "reported")

    values = {"date": date, "text": text}
    return _act_on_warning(request, current, db, warning_id, "report", values, act)


@router.post("/warnings/{warning_id}/close")
def close_form(
    request: Request,
    warning_id: WarningId,
    current: Tasker,
    db: Database,
    date: Short = "",
    reason: Long = "",
) -> Response:
    """办结, with a reason."""

    def act() -> Response:
        on = required_day(date, "日期", "the date")
        close(db, warning_id, on=on, reason=reason, actor=current.account.username)
        return _back(warning_id, "closed")

    values = {"date": date, "reason": reason}
    return _act_on_warning(request, current, db, warning_id, "close", values, act)


@router.post("/warnings/{warning_id}/case")
def case_form(
    request: Request, warning_id: WarningId, current: Decider, db: Database, date: Short = ""
) -> Response:
    """立案处置 (the task force): open the case of the warning's subject, or join its open
    case of the category, and show the case's file."""

    def act() -> Response:
        on = required_day(date, "立案日期", "the date")
        opening = open_case_from_warning(db, warning_id, on=on, actor=current.account.username)
        done = "from_warning" if opening.opened else "joined_warning"
        return RedirectResponse(f"/cases/{opening.case}?done={done}", status_code=303)

    return _act_on_warning(request, current, db, warning_id, "case", {"date": date}, act)
