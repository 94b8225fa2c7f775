"""处置 in the browser: the case list (处置台账), the board by state, a case's file with the forms
for each move and step the account may take, and the files kept with a case.

Every route asks the service (:mod:`mujun.disposal`); a form posts with the session's CSRF
token and is answered with a redirect back to the file saying what was done, or the file again
(409) with the service's reason, and the date the step becomes possible, at the top of the form.
"""

import json
from collections.abc import Callable
from dataclasses import replace
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mujun.disposal.case_file import CaseFile, case_file, case_files
from mujun.disposal.documents import DocumentKind
from mujun.disposal.errors import CaseRefusedError
from mujun.disposal.idle_track import ON_THE_TRACK, is_idle_land, record_event
from mujun.disposal.ledger import CaseFilters, every_file, ledger
from mujun.disposal.ledger_book import write_ledger
from mujun.disposal.legal import Cause, LegalEvent, LegalEventKind, Step
from mujun.disposal.moves import Dispute, move_case
from mujun.disposal.opening import open_cases
from mujun.disposal.paperwork import issue_document
from mujun.disposal.plans import (
    DISPATCHABLE,
    PLANNABLE,
    Milestone,
    TaskState,
    dispatch_task,
    is_overdue,
    plan_case,
)
from mujun.disposal.states import CaseState
from mujun.disposal.targets import TAX_PER_MU_TARGET, unknown_words, unmet_words
from mujun.identification.evidence import format_evidence
from mujun.identification.runs import run_of_record
from mujun.interchange.problems import Language
from mujun.monitoring.months import last_day
from mujun.policy.parameters import Unit
from mujun.policy.profiles import Category, load_profile
from mujun.records import Case, EarlyWarning
from mujun.units import m2_to_mu
from mujun.web.case_api import CaseId, FileId, docx_response, kept_file
from mujun.web.cases import (
    BOARD_STATES,
    STATE_COLOURS,
    Filters,
    Names,
    category_label,
    check_move,
    gated_cases,
    ledger_rows,
    may,
    movable,
    names_of,
    reach_case,
    refusal_words,
    subject_label,
    subject_page,
    today,
    unit_choices,
)
from mujun.web.dependencies import Current, Database, Reader, gate
from mujun.web.formatting import rule_title
from mujun.web.forms import FormError, acted, form_day, form_yuan, required_day
from mujun.web.gate import restrict
from mujun.web.language import in_language, language_of
from mujun.web.listing import ExportParam, PageParam, workbook_file
from mujun.web.objections import field_groups
from mujun.web.pages import PAGE, page_count, signed_in_page
from mujun.web.permissions import Action
from mujun.web.warning_inbox import evidence_lines, figure_label, signal_title

router = APIRouter(include_in_schema=False)
Worker = Annotated[Current, Depends(gate(Action.WORK))]
Decider = Annotated[Current, Depends(gate(Action.DECIDE))]
Done = Annotated[str | None, Query(max_length=32)]
Short = Annotated[str, Form(max_length=64)]
Long = Annotated[str, Form(max_length=4000)]
BOARD_CARDS = 30
"""Cards shown per column of the board (the count says how many there are)."""
DONE = {
    "moved": ("状态已变更。", "The case was moved."),
    "planned": ("处置方案已记录。", "The plan was recorded."),
    "dispatched": ("已派单。", "The task was dispatched."),
    "recorded": ("处置程序已记录。", "The step was recorded."),
    "from_warning": ("已据预警立案。", "The case was opened from the warning."),
    "joined_warning": (
        "该对象已有同类在办案件，预警已并入本案。",
        "The subject already had an open case of this category: the warning joined it.",
    ),
}


# -- the list ------------------------------------------------------------------------------------


@router.get("/cases", response_class=HTMLResponse)
def cases_page(
    request: Request,
    current: Reader,
    db: Database,
    filters: Filters,
    page: PageParam = 1,
    export: ExportParam = None,
    opened: Annotated[int | None, Query(ge=0)] = None,
    joined: Annotated[int | None, Query(ge=0)] = None,
) -> Response:
    """处置台账: the cases the filters keep, fifty a page, each with its next deadline; with
    ``export=all`` every one of them as the ledger workbook bureaus keep."""
    on = today()
    overdue = filters.overdue
    query = gated_cases(current.scope, filters, on)
    lang = language_of(request)
    if export == "all":
        files = every_file(db, query, today=on, overdue=overdue)
        title = in_language(request, "处置台账", "Disposal ledger")
        return workbook_file(
            title,
            lambda path: write_ledger(db, path, files, today=on, lang=lang),
        )
    found = ledger(db, query, today=on, overdue=overdue, offset=(page - 1) * PAGE, limit=PAGE)
    names = names_of(request)
    notice = None
    if opened is not None and joined is not None:
        notice = in_language(
            request,
            f"新立案 {opened} 件，并入已有案件 {joined} 件。",
            f"{opened} cases opened, {joined} joined.",
        )
    return signed_in_page(
        request,
        "cases.html",
        current,
        rows=ledger_rows(request, found.files, names),
        total=found.total,
        page=page,
        pages=page_count(found.total),
        offset=(page - 1) * PAGE,
        filters=_filter_values(filters),
        **_filter_choices(request, db, current),
        notice=notice,
        run=run_of_record(session=db) if may(current, Action.DECIDE) else None,
        any_cases=bool(found.total) or cases_in_scope(db, current) > 0,
        as_of=on,
    )


def _filter_values(filters: CaseFilters) -> dict[str, Any]:
    return {
        "state": filters.state.value if filters.state else "",
        "county": filters.county or "",
        "category": filters.category or "",
        "unit": filters.unit or "",
        "overdue": filters.overdue,
        "q": filters.q or "",
    }


def _filter_choices(request: Request, db: Session, current: Current) -> dict[str, Any]:
    lang = language_of(request)
    return {
        "states": [(s.value, s.label_zh if lang == "zh" else s.label_en) for s in BOARD_STATES],
        "categories": [(c.value, c.label_zh if lang == "zh" else c.label_en) for c in Category],
        "units": unit_choices(db, current.scope, lang),
    }


@router.post("/cases/open")
def open_form(
    request: Request, current: Decider, db: Database, run: Annotated[int, Form(ge=1)]
) -> Response:
    """Open (or join) a case for every finding of the run (the task force's button)."""

    def act() -> Response:
        opening = open_cases(db, run_id=run, actor=current.account.username)
        opened, joined = len(opening.opened), len(opening.joined)
        return RedirectResponse(f"/cases?opened={opened}&joined={joined}", status_code=303)

    def again(status: int, text: str) -> Response:
        return signed_in_page(
            request,
            "cases.html",
            current,
            status_code=status,
            rows=[],
            total=0,
            page=1,
            pages=1,
            offset=0,
            filters=_filter_values(CaseFilters()),
            **_filter_choices(request, db, current),
            error=text,
            run=run_of_record(session=db),
            any_cases=cases_in_scope(db, current) > 0,
            as_of=today(),
        )

    return acted(request, db, act, again, (CaseRefusedError,), refusal_words)


# -- the board -----------------------------------------------------------------------------------


@router.get("/cases/board", response_class=HTMLResponse)
def board_page(request: Request, current: Reader, db: Database, filters: Filters) -> HTMLResponse:
    """处置看板: a column per state (a state asked for is ignored: each column is one), each
    with its count and the cards of its first cases."""
    on = today()
    names = names_of(request)
    lang = language_of(request)
    overdue = filters.overdue
    base = replace(filters, state=None)
    counts: dict[str, int] = {}
    if not overdue:
        counted = gated_cases(current.scope, base, on).order_by(None)
        sub = counted.subquery()
        rows = db.execute(select(sub.c.state, func.count()).group_by(sub.c.state))
        counts = {state: count for state, count in rows}
    columns = []
    for state in BOARD_STATES:
        query = gated_cases(current.scope, replace(base, state=state), on)
        if overdue:
            found = ledger(db, query, today=on, overdue=True, limit=BOARD_CARDS)
            files, total = found.files, found.total
        else:  # counted above, all states at once
            files = case_files(db, list(db.scalars(query.limit(BOARD_CARDS))), on)
            total = counts.get(state.value, 0)
        columns.append(
            {
                "state": state.value,
                "label": state.label_zh if lang == "zh" else state.label_en,
                "colour": STATE_COLOURS[state],
                "total": total,
                "cards": ledger_rows(request, files, names),
            }
        )
    return signed_in_page(
        request,
        "cases_board.html",
        current,
        columns=columns,
        filters=_filter_values(base),
        **_filter_choices(request, db, current),
    )


# -- a case's file -------------------------------------------------------------------------------


@router.get("/cases/{case_id}", response_class=HTMLResponse)
def case_page(
    request: Request, case_id: CaseId, current: Reader, db: Database, done: Done = None
) -> HTMLResponse:
    """案件档案: the subject, findings with their evidence, the timeline, the plan, the tasks,
    the legal track, the documents, and the forms the account may use."""
    reach_case(db, current, case_id)
    words = DONE.get(done or "")
    return _file_page(
        request,
        current,
        db,
        case_id,
        notice=None if words is None else in_language(request, *words),
    )


def _file_page(
    request: Request,
    current: Current,
    db: Session,
    case_id: int,
    *,
    status_code: int = 200,
    notice: str | None = None,
    refusal: tuple[str, str] | None = None,
    values: dict[str, str] | None = None,
) -> HTMLResponse:
    on = today()
    file = case_file(db, case_id, on)
    lang = language_of(request)
    names = names_of(request)
    return signed_in_page(
        request,
        "case_file.html",
        current,
        status_code=status_code,
        c=shown_case(db, file, names, lang),
        forms=_forms(db, current, file, names, lang),
        notice=notice,
        refusal=None if refusal is None else {"form": refusal[0], "text": refusal[1]},
        values=values or {},
        today=on.isoformat(),
    )


def shown_case(db: Session, file: CaseFile, names: Names, lang: str) -> dict[str, Any]:
    """The case file as a page shows it: names for codes, figures in words."""
    zh = lang == "zh"
    case = file.case
    profile = load_profile(case.profile)
    paths = {p.id: p for p in profile.disposal_paths.get(Category(case.category), ())}
    state = file.state
    files = {d.file_id for d in file.documents}
    plan = file.plan
    path = paths.get(plan.path) if plan else None
    status = file.legal
    steps = []
    if status is not None:
        for step in status.steps:
            fee = step.step is Step.IDLE_FEE
            steps.append(
                {
                    "label": {
                        Step.IDLE_FEE: ("征缴土地闲置费", "Idle-land fee"),
                        Step.REVOCATION: ("无偿收回国有建设用地使用权", "Revocation"),
                    }[step.step][0 if zh else 1],
                    "available_from": step.available_from,
                    # Only a case on the legal track may take a step (not one closed).
                    "available": step.available and state in ON_THE_TRACK,
                    "fee": fee,
                    "amount": step.amount_yuan,
                    "decided_on": step.decided_on,
                    "due_by": step.due_by,
                    "done_on": step.done_on,
                }
            )
    return {
        "id": case.id,
        "subject": subject_label(case, lang),
        "subject_id": case.subject_id,
        "subject_page": subject_page(case),
        "name": case.subject_name or "—",
        "category": category_label(case.category, lang),
        "idle": is_idle_land(case),
        "county": names.places.get(case.county_code or "", case.county_code or "—"),
        "area_mu": None if case.area_m2 is None else m2_to_mu(case.area_m2),
        "state": state.value,
        "state_label": state.label_zh if zh else state.label_en,
        "colour": STATE_COLOURS[state],
        "profile": case.profile,
        "opened_on": case.opened_on,
        "opened_by_run": case.opened_by_run,
        "warning": _opening_warning(file.warning, lang),
        "entered_on": case.entered_on,
        "findings": [
            {
                "run": f.run_id,
                "rule": rule_title(f.criterion, "zh" if zh else "en"),
                "criterion": f.criterion,
                "as_of": f.as_of,
                "figures": format_evidence(json.loads(f.evidence), "zh" if zh else "en"),
            }
            for f in file.findings
        ],
        "timeline": _timeline(file, lang),
        "plan": None
        if plan is None
        else {
            "path": (path.title_zh if zh else path.title_en) if path else plan.path,
            "measures": [line for line in plan.measures.splitlines() if line.strip()],
            "unit": names.unit(plan.unit, lang),
            "due": plan.due,
            "recorded_on": plan.recorded_on,
            "milestones": plan.milestones,
            "tax_per_mu_target_yuan": plan.tax_per_mu_target_yuan,
        },
        "tasks": [
            {
                "id": t.id,
                "unit": names.unit(t.unit, lang),
                "what": t.what,
                "due": t.due,
                "state": t.state,
                "state_label": TaskState(t.state).label_zh if zh else t.state,
                "overdue": state.is_open and is_overdue(t, file.as_of),
                "dispatched_on": t.dispatched_on,
                "done_on": t.done_on,
                "note": t.note,
                "attachment": t.attachment_id if t.attachment_id not in files else None,
            }
            for t in file.tasks
        ],
        "legal": None
        if status is None
        else {
            "idle_since": status.idle_since,
            "cause": None
            if status.cause is None
            else (status.cause.label_zh if zh else status.cause.value),
            "steps": steps,
            "hearing": status.hearing,
            "mortgagee_copy": status.mortgagee_copy,
        },
        "legal_problem": None
        if file.legal_problem is None
        else (file.legal_problem.zh if zh else file.legal_problem.en),
        "possible": [k.label_zh if zh else k.label_en for k in file.possible],
        "deadlines": [
            {"date": d.date, "what": d.label_zh if zh else d.label_en, "overdue": d.overdue}
            for d in file.deadlines
        ],
        "documents": [
            {
                "kind": DocumentKind(d.kind).label_zh if zh else DocumentKind(d.kind).label_en,
                "number": d.number,
                "issued_on": d.issued_on,
                "served_on": d.served_on,
                "file": d.file_id,
            }
            for d in file.documents
        ],
    }


def _opening_warning(warning: EarlyWarning | None, lang: str) -> dict[str, Any] | None:
    """The warning that opened the case, as its file shows it: its signal by name and the
    figures of its latest month."""
    if warning is None:
        return None
    separator = "；" if lang == "zh" else "; "
    return {
        "id": warning.id,
        "signal": warning.signal,
        "title": signal_title(warning.signal, lang),
        "as_of": last_day(warning.last_month),
        "figures": separator.join(
            f"{label}: {text}" for label, text in evidence_lines(warning.evidence, lang)
        ),
    }


def _timeline(file: CaseFile, lang: str) -> list[dict[str, Any]]:
    zh = lang == "zh"
    entries: list[dict[str, Any]] = []
    for m in file.history:
        label = CaseState(m.state).label_zh if zh else CaseState(m.state).label_en
        entries.append(
            {
                "date": m.date,
                "kind": "after_exit" if m.from_state == CaseState.EVALUATING else "move",
                "what": (f"转为「{label}」" if zh else f"moved to {label}")
                if m.from_state
                else (f"立案（{label}）" if zh else f"opened ({label})"),
                "actor": m.actor,
                "text": m.reason,
            }
        )
    for e in file.events:
        if e.kind == "exit_failed":
            entries.append(
                {
                    "date": e.date,
                    "kind": "exit_failed",
                    "what": "出库评估未通过" if zh else "exit evaluation failed",
                    "actor": e.actor,
                    "text": _failed_exit(json.loads(e.note or "{}"), "zh" if zh else "en"),
                }
            )
            continue
        try:
            kind = LegalEventKind(e.kind)
        except ValueError:
            continue
        extra = []
        if e.cause:
            extra.append(Cause(e.cause).label_zh if zh else e.cause)
        if e.until:
            extra.append(("延至 " if zh else "until ") + e.until.isoformat())
        if e.note:
            extra.append(e.note)
        entries.append(
            {
                "date": e.date,
                "kind": "event",
                "what": kind.label_zh if zh else kind.label_en,
                "actor": e.actor,
                "text": "；".join(extra) if zh else "; ".join(extra),
            }
        )
    for d in file.documents:
        kind_label = DocumentKind(d.kind).label_zh if zh else DocumentKind(d.kind).label_en
        entries.append(
            {
                "date": d.issued_on,
                "kind": "document",
                "what": (f"制发{kind_label}" if zh else f"issued: {kind_label}"),
                "actor": "",
                "text": d.number,
            }
        )
    # On one day: the moves, the legal steps, the documents, a failed exit evaluation, then a
    # move out of 评估出库 (closed, or back to work), which can only follow it.
    order = {"move": 0, "event": 1, "document": 2, "exit_failed": 3, "after_exit": 4}
    return sorted(entries, key=lambda x: (x["date"], order[x["kind"]]))


def _failed_exit(verdict: dict[str, Any], lang: Language) -> str:
    """What a refused exit evaluation kept, in words: the rules that still fire, the plan's
    per-mu tax not reached (target against actual), what could not be judged."""
    zh = lang == "zh"
    still = verdict.get("still_found", {})
    unjudged = verdict.get("unjudged", {})
    rules = ", ".join(rule_title(c, lang) for c in still if c != TAX_PER_MU_TARGET)
    missing = ("；" if zh else "; ").join(
        _unjudged(c, figures, lang) for c, figures in unjudged.items() if c != TAX_PER_MU_TARGET
    )
    parts = []
    if rules:
        parts.append(f"仍符合：{rules}" if zh else f"still found: {rules}")
    if TAX_PER_MU_TARGET in still:
        parts.append(unmet_words(still[TAX_PER_MU_TARGET], lang))
    if missing:
        parts.append(f"无法判定：{missing}" if zh else f"cannot judge: {missing}")
    if TAX_PER_MU_TARGET in unjudged:
        parts.append(unknown_words(unjudged[TAX_PER_MU_TARGET], lang))
    return ("；" if zh else "; ").join(parts)


def _unjudged(criterion: str, figures: str, lang: Language) -> str:
    """A criterion that could not judge the subject, with the figures it lacked, by name."""
    names = ("、" if lang == "zh" else ", ").join(
        figure_label(f, lang) for f in figures.split(",") if f
    )
    title = rule_title(criterion, lang)
    return f"{title}（缺少{names}）" if lang == "zh" else f"{title} (missing {names})"


def _forms(
    db: Session, current: Current, file: CaseFile, names: Names, lang: str
) -> dict[str, Any]:
    """The forms the account may use on the case now (the server checks again)."""
    zh = lang == "zh"
    if not may(current, Action.WORK):
        return {}
    state = file.state
    forms: dict[str, Any] = {}
    targets = movable(current, file)
    if targets:
        forms["move"] = [(s.value, s.label_zh if zh else s.label_en) for s in targets]
    if CaseState.DISMISSED in targets and file.case.opened_by_run is not None:
        forms["disputes"] = field_groups(lang)  # objections are to a run's figures
    units = unit_choices(db, current.scope, lang)
    if state in PLANNABLE and file.paths:
        forms["plan"] = {
            "paths": [(p.id, p.title_zh if zh else p.title_en) for p in file.paths],
            "units": units,
        }
    if state in DISPATCHABLE:
        forms["dispatch"] = units
    idle = is_idle_land(file.case)
    if idle and state in ON_THE_TRACK:
        forms["record"] = [(k.value, k.label_zh if zh else k.label_en) for k in LegalEventKind]
        forms["causes"] = [(c.value, c.label_zh if zh else c.value) for c in Cause]
    if state.is_open:
        kinds = [k for k in DocumentKind if idle or not k.idle_land_only]
        forms["document"] = [(k.value, k.label_zh if zh else k.label_en) for k in kinds]
    return forms


def _back(case_id: int, done: str) -> RedirectResponse:
    return RedirectResponse(f"/cases/{case_id}?done={quote(done)}", status_code=303)


def _act_on_file(
    request: Request,
    current: Current,
    db: Session,
    case_id: int,
    form: str,
    values: dict[str, str],
    act: Callable[[], Response],
) -> Response:
    """What ``act`` answers; or the file again with the reason at the top of ``form``, its
    values kept (:func:`~mujun.web.forms.acted`)."""

    def again(status: int, text: str) -> Response:
        refusal = (form, text)
        return _file_page(
            request, current, db, case_id, status_code=status, refusal=refusal, values=values
        )

    return acted(request, db, act, again, (CaseRefusedError,), refusal_words)


@router.post("/cases/{case_id}/move")
def move_form(
    request: Request,
    case_id: CaseId,
    current: Worker,
    db: Database,
    state: Annotated[CaseState, Form()],
    date: Short = "",
    reason: Long = "",
    dispute_field: Annotated[list[str], Form()] = [],  # noqa: B006 (FastAPI copies it)
    dispute_key: Annotated[list[str], Form()] = [],  # noqa: B006
    dispute_claimed: Annotated[list[str], Form()] = [],  # noqa: B006
) -> Response:
    """Move the case; a dismissal (核实不予认定) may name the figures found wrong, each
    ``table.column`` of the record keyed ``key`` and the value claimed: they are kept as
    objections naming the case, routed to the departments that supplied them."""
    reach_case(db, current, case_id)
    check_move(current, state)
    values = {"state": state.value, "date": date, "reason": reason}
    for i, (field, key, claimed) in enumerate(_rows(dispute_field, dispute_key, dispute_claimed)):
        values |= {f"dispute_field_{i}": field, f"dispute_key_{i}": key}
        values[f"dispute_claimed_{i}"] = claimed

    def act() -> Response:
        on = required_day(date, "日期", "the date")
        disputes = _disputes(dispute_field, dispute_key, dispute_claimed)
        actor = current.account.username
        move_case(db, case_id, state, on=on, reason=reason, actor=actor, disputes=disputes)
        return _back(case_id, "moved")

    return _act_on_file(request, current, db, case_id, "move", values, act)


DISPUTES = 5
"""The disputed figures a dismissal may name at most (the form shows two rows)."""


def _rows(fields: list[str], keys: list[str], claimed: list[str]) -> list[tuple[str, str, str]]:
    """The rows of disputed figures as posted (a missing cell blank)."""
    count = max(len(fields), len(keys), len(claimed))

    def cell(cells: list[str], i: int) -> str:
        return cells[i][:500] if i < len(cells) else ""

    return [(cell(fields, i), cell(keys, i), cell(claimed, i)) for i in range(count)]


def _disputes(fields: list[str], keys: list[str], claimed: list[str]) -> list[Dispute]:
    """The disputed figures filled in; a row left blank is none."""
    found = []
    for field, key, value in _rows(fields, keys, claimed):
        if not (field.strip() or key.strip() or value.strip()):
            continue
        table, _, column = field.strip().partition(".")
        if not column or not key.strip():
            raise FormError(
                "有误的数据须选择数据项并填写记录主键",
                "a disputed figure needs the figure and the key",
            )
        found.append(Dispute(table, key.strip(), column, value.strip() or None))
    if len(found) > DISPUTES:
        raise FormError(f"有误的数据最多填写 {DISPUTES} 项", f"at most {DISPUTES} disputed figures")
    return found


@router.post("/cases/{case_id}/plan")
def plan_form(
    request: Request,
    case_id: CaseId,
    current: Worker,
    db: Database,
    path: Short = "",
    due: Short = "",
    date: Short = "",
    unit: Short = "",
    measures: Long = "",
    milestones: Long = "",
    tax_per_mu_target: Short = "",
) -> Response:
    """The plan; milestones one a line, ``内容@YYYY-MM-DD`` (as the CLI takes them); the per-mu
    tax agreed in 万元/亩, as officials write it (the CLI and the API take 元/亩)."""
    reach_case(db, current, case_id)
    values = {
        "path": path,
        "due": due,
        "date": date,
        "unit": unit,
        "measures": measures,
        "milestones": milestones,
        "tax_per_mu_target": tax_per_mu_target,
    }

    def act() -> Response:
        plan_case(
            db,
            case_id,
            path=path,
            due=required_day(due, "完成时限", "the due date"),
            on=required_day(date, "制定日期", "the date"),
            actor=current.account.username,
            unit=unit.strip() or None,
            measures=measures,
            milestones=tuple(_milestones(milestones)),
            tax_per_mu_target_yuan=form_yuan(
                tax_per_mu_target, Unit.WAN_YUAN_PER_MU, "约定亩均税收", "the agreed tax per mu"
            ),
        )
        return _back(case_id, "planned")

    return _act_on_file(request, current, db, case_id, "plan", values, act)


def _milestones(text: str) -> list[Milestone]:
    found = []
    for line in text.splitlines():
        if not line.strip():
            continue
        what, _, day = line.rpartition("@")
        if not what.strip():
            raise FormError(
                f"节点应写作 内容@YYYY-MM-DD：{line[:40]}",
                f"a milestone is WHAT@YYYY-MM-DD: {line[:40]}",
            )
        found.append(Milestone(what.strip(), required_day(day, "节点时限", "a milestone's date")))
    return found


@router.post("/cases/{case_id}/tasks")
def dispatch_form(
    request: Request,
    case_id: CaseId,
    current: Worker,
    db: Database,
    unit: Short = "",
    what: Long = "",
    due: Short = "",
    date: Short = "",
) -> Response:
    reach_case(db, current, case_id)
    values = {"unit": unit, "what": what, "due": due, "date": date}

    def act() -> Response:
        dispatch_task(
            db,
            case_id,
            unit=unit,
            what=what,
            due=required_day(due, "完成时限", "the due date"),
            on=required_day(date, "派单日期", "the date"),
            actor=current.account.username,
        )
        return _back(case_id, "dispatched")

    return _act_on_file(request, current, db, case_id, "dispatch", values, act)


@router.post("/cases/{case_id}/events")
def record_form(
    request: Request,
    case_id: CaseId,
    current: Worker,
    db: Database,
    kind: Annotated[LegalEventKind, Form()],
    date: Short = "",
    cause: Short = "",
    until: Short = "",
    note: Long = "",
) -> Response:
    reach_case(db, current, case_id)
    values = {"kind": kind.value, "date": date, "cause": cause, "until": until, "note": note}

    def act() -> Response:
        if kind is LegalEventKind.CAUSE and cause not in {c.value for c in Cause}:
            raise FormError("请选择闲置原因", "choose the cause")
        if kind is LegalEventKind.EXTENSION and not until.strip():
            raise FormError("延长动工期限须填写新的约定动工日期", "an extension needs the new date")
        event = LegalEvent(
            kind=kind,
            date=required_day(date, "日期", "the date"),
            cause=Cause(cause) if kind is LegalEventKind.CAUSE else None,
            until=form_day(until, "延至日期", "the new date")
            if kind is LegalEventKind.EXTENSION
            else None,
        )
        record_event(db, case_id, event, actor=current.account.username, note=note.strip() or None)
        return _back(case_id, "recorded")

    return _act_on_file(request, current, db, case_id, "record", values, act)


@router.post("/cases/{case_id}/documents")
def document_form(
    request: Request,
    case_id: CaseId,
    current: Worker,
    db: Database,
    kind: Annotated[DocumentKind, Form()],
    date: Short = "",
) -> Response:
    """Issue the document: it is numbered, kept with the case, and downloaded."""
    reach_case(db, current, case_id)
    values = {"kind": kind.value, "date": date}

    def act() -> Response:
        on = required_day(date, "成文日期", "the date")
        issued = issue_document(db, case_id, kind, on=on, actor=current.account.username)
        return docx_response(issued.file_name, issued.content)

    return _act_on_file(request, current, db, case_id, "document", values, act)


@router.get("/cases/{case_id}/files/{file_id}")
def case_file_download(case_id: CaseId, file_id: FileId, current: Reader, db: Database) -> Response:
    """A document or attachment kept with the case."""
    return kept_file(db, current, case_id, file_id)


def cases_in_scope(db: Session, current: Current) -> int:
    """How many cases the account may read (the list's empty state tells none from filtered)."""
    return db.scalar(restrict(select(func.count()).select_from(Case), current.scope, Case)) or 0
