"""What the case pages (:mod:`mujun.web.case_pages`), the case API (:mod:`mujun.web.case_api`)
and the task inbox (:mod:`mujun.web.tasks`) share: the day deadlines are read on, the list's
filters kept to the account's area, a case or a task reached through the gate, a refusal of the
service said in words, names for codes, and the workbench's to-dos.

Every rule is the service's (:mod:`mujun.disposal`): the routes only ask it. A refusal of the
service (:class:`~mujun.disposal.errors.CaseRefusedError`) is answered **409 Conflict**: the
request was understood and allowed, but the case's state or the law does not allow it (yet); the
API says why in ``detail`` (``中文 / English``), ``zh``, ``en`` and ``possible_from``; a page shows
the reason at the top of the form it came from.
"""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from mujun.disposal.case_file import CaseFile, case_files
from mujun.disposal.errors import CaseRefusedError
from mujun.disposal.ledger import OPEN_STATES, CaseFilters, cases_query
from mujun.disposal.legal import LegalEventKind
from mujun.disposal.plans import TaskState, is_overdue
from mujun.disposal.states import DECIDED_BY_TASK_FORCE, CaseState
from mujun.policy import duties
from mujun.policy.profiles import Category, SubjectType
from mujun.records import Case, CaseTask, Jurisdiction
from mujun.units import m2_to_mu
from mujun.web.dependencies import Current
from mujun.web.formatting import BEIJING, day
from mujun.web.gate import require, restrict
from mujun.web.language import in_language, language_of
from mujun.web.listing import BLANK, CountyParam, SearchParam
from mujun.web.permissions import ALLOWED, Action, RefusedError, Role, Scope
from mujun.web.permissions import restrict as permitted
from mujun.web.places import places
from mujun.web.worklist import Item

CONFLICT = 409
"""The status of a request the case's state or the law refuses (see the module's text)."""
REFUSED_RESPONSE: dict[int | str, dict[str, Any]] = {
    CONFLICT: {
        "description": "案件状态或法定程序不允许（附理由与可办理日期）/ refused by the case's "
        "state or the law, with the reason and the date it becomes possible"
    }
}
SUBJECT_PAGES = {
    SubjectType.PARCEL.value: "/parcels/",
    SubjectType.ENTERPRISE.value: "/enterprises/",
}
STATE_COLOURS = {
    CaseState.SURVEYED: "azure",
    CaseState.CONFIRMED: "blue",
    CaseState.DISMISSED: "secondary",
    CaseState.PLANNED: "indigo",
    CaseState.IN_PROGRESS: "orange",
    CaseState.EVALUATING: "purple",
    CaseState.CLOSED: "green",
}
BOARD_STATES = (
    CaseState.SURVEYED,
    CaseState.CONFIRMED,
    CaseState.PLANNED,
    CaseState.IN_PROGRESS,
    CaseState.EVALUATING,
    CaseState.CLOSED,
    CaseState.DISMISSED,
)
"""The board's columns, in the order a case goes (核实不予认定 last)."""
TODO_WINDOW = 30
WORKED_STATES = [s for s in OPEN_STATES if s != CaseState.SURVEYED.value]
"""The cases the to-dos read: those being worked (confirmed and on). A case still being
surveyed has no plan, task or legal step yet, and most cases of a run wait there: leaving them
out keeps the workbench cheap."""
TODO_LIMIT = 12
StateParam = Annotated[CaseState | None, Query(description="状态 / state"), BLANK]
CategoryParam = Annotated[Category | None, Query(description="类别 / category"), BLANK]
UnitParam = Annotated[
    str | None, Query(max_length=64, description="承办单位代码 / unit code"), BLANK
]
OverdueParam = Annotated[bool, Query(description="只看逾期 / overdue only")]


def case_filters(
    state: StateParam = None,
    county: CountyParam = None,
    category: CategoryParam = None,
    unit: UnitParam = None,
    overdue: OverdueParam = False,
    q: SearchParam = None,
) -> CaseFilters:
    """The case list's filters from the query, for the pages and the API alike."""
    return CaseFilters(
        state=state,
        county=county,
        category=None if category is None else category.value,
        unit=unit,
        overdue=overdue,
        q=q,
    )


Filters = Annotated[CaseFilters, Depends(case_filters)]
"""The case list's filters (``state``, ``county``, ``category``, ``unit``, ``overdue``, ``q``)
as a route's parameter."""


def today() -> dt.date:
    """The day deadlines are read on: today in Beijing."""
    return dt.datetime.now(BEIJING).date()


# -- the gate ------------------------------------------------------------------------------------


def gated_cases(scope: Scope, filters: CaseFilters, on: dt.date) -> Select[Case]:
    """The cases the filters keep, within the account's area (a county outside it refused)."""
    return restrict(cases_query(filters, on), scope, Case, county=filters.county)


def reach_case(db: Session, current: Current, case_id: int) -> Case:
    """Case ``case_id``: 404 when there is none, 403 (audited) outside the account's area."""
    case = db.get(Case, case_id)
    if case is None:
        raise HTTPException(status_code=404, detail=f"没有案件 {case_id} / no case {case_id}")
    require(db, current.scope, Case, case_id)
    return case


def reach_task(db: Session, current: Current, task_id: int) -> CaseTask:
    """Task ``task_id``: 404 when there is none, 403 (audited) outside the account's units or
    area."""
    task = db.get(CaseTask, task_id)
    if task is None:
        raise HTTPException(status_code=404, detail=f"没有任务 {task_id} / no task {task_id}")
    require(db, current.scope, CaseTask, task_id)
    return task


def may(current: Current, action: Action) -> bool:
    return action in ALLOWED[Role(current.account.role)]


def check_move(current: Current, target: CaseState) -> None:
    """A move the task force decides (confirm, approve a plan, close) needs its right: refused
    (403, audited) for any other account."""
    if target in DECIDED_BY_TASK_FORCE:
        permitted(current.account, Action.DECIDE)


def movable(current: Current, file: CaseFile) -> list[CaseState]:
    """The states the account may move the case to."""
    decides = may(current, Action.DECIDE)
    return [s for s in file.next_states if decides or s not in DECIDED_BY_TASK_FORCE]


# -- refusals ------------------------------------------------------------------------------------


def refusal_json(error: CaseRefusedError) -> JSONResponse:
    return JSONResponse(
        {
            "detail": f"{error.zh} / {error.en}",
            "zh": error.zh,
            "en": error.en,
            "possible_from": error.possible_from.isoformat() if error.possible_from else None,
            "evidence": error.evidence,
        },
        status_code=CONFLICT,
    )


def refusal_words(request: Request, error: CaseRefusedError) -> str:
    """The refusal as a page says it, with the date the step becomes possible."""
    text = in_language(request, error.zh, error.en)
    if error.possible_from is not None:
        text += in_language(
            request,
            f"（{day(error.possible_from, 'zh')}起可办理）",
            f" (possible from {day(error.possible_from, 'en')})",
        )
    return text


# -- names ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Names:
    """The names codes stand for: jurisdictions, departments."""

    places: dict[str, str]

    def unit(self, code: str | None, lang: str) -> str:
        if not code:
            return "—"
        department = duties.department(code)
        if department is not None:
            return department.label_zh if lang == "zh" else department.label_en
        return self.places.get(code, code)


def names_of(request: Request) -> Names:
    """The names of the jurisdictions as the records hold them now (kept per data version)."""
    return Names(places(request).names)


def unit_choices(db: Session, scope: Scope, lang: str) -> list[tuple[str, str]]:
    """The units a plan or a task may name: the departments, then the towns and parks of the
    account's area."""
    departments = [(d.code, d.label_zh if lang == "zh" else d.label_en) for d in duties.DEPARTMENTS]
    query = restrict(
        select(Jurisdiction.code, Jurisdiction.name).where(
            Jurisdiction.level.in_(["town", "park"])
        ),
        scope,
        Jurisdiction,
    )
    places = [(code, name) for code, name in db.execute(query.order_by(Jurisdiction.code))]
    return departments + places


def subject_label(case: Case, lang: str) -> str:
    """``宗地 330122…`` / ``parcel 330122…``."""
    try:
        kind = SubjectType(case.subject_type)
    except ValueError:
        return case.subject_id
    return f"{kind.label_zh if lang == 'zh' else kind.value} {case.subject_id}"


def subject_page(case: Case) -> str | None:
    page = SUBJECT_PAGES.get(case.subject_type)
    return None if page is None else page + case.subject_id


def category_label(code: str, lang: str) -> str:
    try:
        category = Category(code)
    except ValueError:
        return code
    return category.label_zh if lang == "zh" else category.label_en


def state_label(code: str, lang: str) -> str:
    state = CaseState(code)
    return state.label_zh if lang == "zh" else state.label_en


def ledger_rows(request: Request, files: Sequence[CaseFile], names: Names) -> list[dict[str, Any]]:
    """The rows of the list (and the cards of the board) as a page shows them."""
    lang = language_of(request)
    rows = []
    for file in files:
        case = file.case
        due = file.next_deadline
        rows.append(
            {
                "case": case.id,
                "county": names.places.get(case.county_code or "", case.county_code or "—"),
                "subject_id": case.subject_id,
                "subject": subject_label(case, lang),
                "subject_page": subject_page(case),
                "name": case.subject_name or "—",
                "category": category_label(case.category, lang),
                "area_mu": None if case.area_m2 is None else m2_to_mu(case.area_m2),
                "state": case.state,
                "state_label": state_label(case.state, lang),
                "colour": STATE_COLOURS[CaseState(case.state)],
                "due": None if due is None else due.date,
                "due_what": None
                if due is None
                else (due.label_zh if lang == "zh" else due.label_en),
                "due_overdue": False if due is None else due.overdue,
                "overdue": file.overdue,
            }
        )
    return rows


# -- the workbench's to-dos ----------------------------------------------------------------------

_STEP_ZH = {
    LegalEventKind.HEARING_NOTICE: "送达听证告知书",
    LegalEventKind.FEE_DECISION: "送达征缴土地闲置费决定书",
    LegalEventKind.REVOCATION_DECISION: "送达收回国有建设用地使用权决定书",
}


def case_todos(db: Session, current: Current) -> list[Item]:
    """What the disposal cases ask of the account: for a unit's account its tasks not done
    (overdue ones first, as danger); for one that works cases, the overdue deadlines, those of
    the next 30 days and the legal steps now possible of the cases being worked in its area."""
    role = Role(current.account.role)
    if Action.WORK in ALLOWED[role]:
        return _case_items(db, current.scope)
    if Action.TASK in ALLOWED[role]:
        try:
            scope = permitted(current.account, Action.TASK)
        except RefusedError:
            return []
        return _task_items(db, scope)
    return []


def _case_items(db: Session, scope: Scope) -> list[Item]:

    on = today()
    query = restrict(select(Case).where(Case.state.in_(WORKED_STATES)), scope, Case)
    files = case_files(db, list(db.scalars(query.order_by(Case.id))), on)
    overdue: list[Item] = []
    coming: list[Item] = []
    possible: list[Item] = []
    horizon = on + dt.timedelta(days=TODO_WINDOW)
    for file in files:
        case = file.case
        href = f"/cases/{case.id}"
        who_zh = f"案件 {case.id}（{subject_label(case, 'zh')}）"
        who_en = f"Case {case.id} ({subject_label(case, 'en')})"
        for due in file.deadlines:
            if due.overdue:
                overdue.append(
                    Item(
                        level="danger",
                        zh=f"{who_zh}已逾期：{due.label_zh}（{day(due.date, 'zh')}）",
                        en=f"{who_en} is overdue: {due.label_en} ({day(due.date, 'en')})",
                        href=href,
                    )
                )
            elif on <= due.date <= horizon:
                coming.append(
                    Item(
                        level="warning",
                        zh=f"{who_zh}：{day(due.date, 'zh')} {due.label_zh}",
                        en=f"{who_en}: {due.label_en} on {day(due.date, 'en')}",
                        href=href,
                    )
                )
        for kind in file.possible:
            possible.append(
                Item(
                    level="info",
                    zh=f"{who_zh}现可{_STEP_ZH.get(kind, kind.label_zh)}",
                    en=f"{who_en} may now have: {kind.label_en}",
                    href=href,
                )
            )
    items = overdue + coming + possible
    if len(items) > TODO_LIMIT:
        rest = len(items) - TODO_LIMIT + 1
        items = [
            *items[: TODO_LIMIT - 1],
            Item(
                level="info",
                zh="另有处置事项（见处置台账）：",
                en="More disposal items (see the case list):",
                href="/cases?overdue=1" if overdue else "/cases",
                count=rest,
            ),
        ]
    return items


def _task_items(db: Session, scope: Scope) -> list[Item]:

    on = today()
    query = restrict(
        select(CaseTask).where(CaseTask.state != TaskState.DONE.value), scope, CaseTask
    )
    tasks = list(db.scalars(query.order_by(CaseTask.due, CaseTask.id)))
    items = [
        Item(
            level="danger" if is_overdue(task, on) else "warning",
            zh=f"任务 {task.id}（{day(task.due, 'zh')}前）：{task.what}"
            + ("，已逾期" if is_overdue(task, on) else ""),
            en=f"Task {task.id} (due {day(task.due, 'en')}): {task.what}"
            + (", overdue" if is_overdue(task, on) else ""),
            href="/tasks",
        )
        for task in tasks[:TODO_LIMIT]
    ]
    if len(tasks) > TODO_LIMIT:
        items.append(
            Item(
                level="info",
                zh="另有待办任务：",
                en="More tasks:",
                href="/tasks",
                count=len(tasks) - TODO_LIMIT,
            )
        )
    return items
