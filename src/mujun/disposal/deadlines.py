"""A case's deadlines as of a day, read off its plan, tasks and legal track when asked (never
kept as timers), and the legal steps the law now allows."""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from mujun.disposal import legal
from mujun.disposal.legal import IdleFacts, LegalEvent, LegalEventKind, LegalStatus, LegalTerms
from mujun.disposal.periods import CalendarError
from mujun.disposal.plans import TaskState
from mujun.disposal.states import CaseState
from mujun.records import CasePlan, CaseTask

PLAN_RUNS = frozenset({CaseState.PLANNED, CaseState.IN_PROGRESS})
DECISIONS = (
    LegalEventKind.HEARING_NOTICE,
    LegalEventKind.FEE_DECISION,
    LegalEventKind.REVOCATION_DECISION,
)
"""The steps an official takes when the law allows them (the others are the holder's)."""


@dataclass(frozen=True)
class Due:
    """One deadline of a case: what, when, and whether it has passed undone."""

    what: str
    date: dt.date
    label_zh: str
    label_en: str
    overdue: bool
    task_id: int | None = None


def deadlines_of(
    state: CaseState,
    plan: CasePlan | None,
    tasks: Sequence[CaseTask],
    status: LegalStatus | None,
    today: dt.date,
) -> list[Due]:
    """Every open deadline of a case, earliest first."""
    if not state.is_open:
        return []
    found: list[Due] = []
    if plan is not None and state in PLAN_RUNS:
        found.append(Due("plan", plan.due, "处置方案完成时限", "plan due", today > plan.due))
    for task in tasks:
        if task.state != TaskState.DONE:
            found.append(
                Due(
                    "task",
                    task.due,
                    f"任务：{task.what}",
                    f"task: {task.what}",
                    today > task.due,
                    task_id=task.id,
                )
            )
    if status is not None:
        found.extend(
            Due(
                d.what,
                d.date,
                d.label_zh,
                d.label_en,
                today > d.date and d.what in ("fee_payment", "deregistration"),
            )
            for d in status.deadlines
        )
    return sorted(found, key=lambda due: (due.date, due.what))


def possible_steps(
    facts: IdleFacts, events: Sequence[LegalEvent], terms: LegalTerms, today: dt.date
) -> list[LegalEventKind]:
    """The official's steps the law allows today: those :func:`legal.check_event` admits; a new
    hearing notice only while no decision may be made and no notice served is still running."""
    possible = []
    for kind in DECISIONS:
        try:
            legal.check_event(facts, events, terms, LegalEvent(kind=kind, date=today))
        except (legal.StepRefused, CalendarError):
            continue
        possible.append(kind)
    notice = LegalEventKind.HEARING_NOTICE
    if notice in possible and (len(possible) > 1 or _notice_running(events, terms, today)):
        possible.remove(notice)
    return possible


def _notice_running(events: Sequence[LegalEvent], terms: LegalTerms, today: dt.date) -> bool:
    """A hearing notice whose request window is still open (or cannot be counted yet), or
    whose hearing is yet to be held."""
    try:
        hearing = legal.hearing_of(events, terms)
    except CalendarError:
        return True
    if hearing is None:
        return False
    return today <= hearing.request_by or (hearing.requested is not None and hearing.held is None)
