"""A case as one reads it (interface.md ``cases show``): its subject, findings with evidence,
history, plan, tasks, legal track and documents, and its deadlines, as of a day.

The same view serves a page of the case list: :func:`case_files` reads every case asked for in
a handful of queries, whatever their number.
"""

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from mujun.disposal import legal
from mujun.disposal.access import chunks, get_case
from mujun.disposal.deadlines import Due, deadlines_of, possible_steps
from mujun.disposal.errors import CaseRefusedError
from mujun.disposal.idle_track import (
    ON_THE_TRACK,
    idle_facts_for,
    is_idle_land,
    legal_events_for,
    terms_of,
)
from mujun.disposal.legal import Cause, LegalEventKind, LegalStatus, LegalStep, legal_status
from mujun.disposal.periods import CalendarError
from mujun.disposal.plans import is_overdue, paths_after
from mujun.disposal.states import CaseState, next_states
from mujun.policy.profiles import Category, DisposalPath, load_profile
from mujun.records import (
    Case,
    CaseDocument,
    CaseEvent,
    CaseFinding,
    CaseMove,
    CasePlan,
    CaseTask,
    EarlyWarning,
)


@dataclass(frozen=True)
class CaseFile:
    case: Case
    as_of: dt.date
    findings: list[CaseFinding]
    history: list[CaseMove]
    plan: CasePlan | None
    tasks: list[CaseTask]
    events: list[CaseEvent]
    documents: list[CaseDocument]
    legal: LegalStatus | None
    """The idle-land track (None for other categories)."""
    legal_problem: CaseRefusedError | None
    idle_since: dt.date | None
    """For idle land, the date it is idle since (an extension's new start date replaces the
    finding's)."""
    cause: Cause | None
    """Why the track cannot be read as of the day (a date beyond the holiday calendar)."""
    possible: list[LegalEventKind]
    deadlines: list[Due]
    paths: tuple[DisposalPath, ...]
    """The paths the case may plan now (none once it is finished)."""
    plan_path: DisposalPath | None
    """The path its plan took, by name, whatever the case's state."""
    warning: EarlyWarning | None = None
    """The warning that opened it, if one did: its signal is a criterion."""

    @property
    def state(self) -> CaseState:
        return CaseState(self.case.state)

    @property
    def criteria(self) -> list[str]:
        warned = {self.warning.signal} if self.warning else set()
        return sorted({f.criterion for f in self.findings} | warned)

    @property
    def next_deadline(self) -> Due | None:
        return self.deadlines[0] if self.deadlines else None

    @property
    def overdue(self) -> bool:
        return any(d.overdue for d in self.deadlines)

    @property
    def next_states(self) -> list[CaseState]:
        return next_states(self.state)

    def heading_json(self) -> dict[str, Any]:
        """What a list row and the file both say of the case first."""
        case = self.case
        due = self.next_deadline
        return {
            "case": case.id,
            "subject_type": case.subject_type,
            "subject_id": case.subject_id,
            "subject_name": case.subject_name,
            "category": case.category,
            "county_code": case.county_code,
            "state": case.state,
            "next_deadline": due.date.isoformat() if due else None,
            "next_deadline_what": due.what if due else None,
            "overdue": self.overdue,
        }

    def as_json(self) -> dict[str, Any]:
        """The document of interface.md ``cases show --format json``."""
        case = self.case
        status = self.legal
        return {
            **self.heading_json(),
            "profile": case.profile,
            "as_of": self.as_of.isoformat(),
            "criteria": self.criteria,
            "warning": self.case.opened_by_warning,
            "findings": [
                {
                    "run": f.run_id,
                    "criterion": f.criterion,
                    "as_of": f.as_of.isoformat(),
                    "evidence": json.loads(f.evidence),
                }
                for f in self.findings
            ],
            "idle": (
                {
                    "since": _iso(self.idle_since),
                    "cause": self.cause.value if self.cause else None,
                }
                if is_idle_land(case)
                else None
            ),
            "legal_problem": (
                {"zh": self.legal_problem.zh, "en": self.legal_problem.en}
                if self.legal_problem
                else None
            ),
            "legal": [_step_json(s) for s in status.steps] if status else [],
            "hearing": _hearing_json(status),
            "mortgagee_copy": status.mortgagee_copy if status else False,
            "possible_steps": [k.value for k in self.possible],
            "paths": [p.id for p in self.paths],
            "plan": _plan_json(self.plan),
            "tasks": [_task_json(t, self.as_of) for t in self.tasks],
            "documents": [
                {
                    "kind": d.kind,
                    "number": d.number,
                    "issued_on": d.issued_on.isoformat(),
                    "served_on": _iso(d.served_on),
                }
                for d in self.documents
            ],
            "deadlines": [
                {"what": d.what, "date": d.date.isoformat(), "overdue": d.overdue}
                for d in self.deadlines
            ],
            "history": [
                {
                    "state": m.state,
                    "date": m.date.isoformat(),
                    "actor": m.actor,
                    "reason": m.reason,
                }
                for m in self.history
            ],
        }


def case_file(db: Session, case_id: int, as_of: dt.date) -> CaseFile:
    """The file of case ``case_id`` as of ``as_of``."""
    return case_files(db, [get_case(db, case_id)], as_of)[0]


def case_files(db: Session, cases: Sequence[Case], as_of: dt.date) -> list[CaseFile]:
    """The files of ``cases``, in their order, read together."""
    ids = [c.id for c in cases]
    findings = _by_case(db, CaseFinding, ids, CaseFinding.run_id, CaseFinding.criterion)
    history = _by_case(db, CaseMove, ids, CaseMove.date, CaseMove.id)
    tasks = _by_case(db, CaseTask, ids, CaseTask.due, CaseTask.id)
    events = _by_case(db, CaseEvent, ids, CaseEvent.date, CaseEvent.id)
    documents = _by_case(db, CaseDocument, ids, CaseDocument.issued_on, CaseDocument.id)
    plans = {p.case_id: p for p in _rows(db, CasePlan, ids)}
    warnings = _opening_warnings(db, cases)
    idle = [c for c in cases if is_idle_land(c)]
    facts = idle_facts_for(db, idle)
    legal_events = legal_events_for(db, [c.id for c in idle])
    files = []
    for case in cases:
        status, problem, possible = None, None, []
        mine = legal_events.get(case.id, [])
        if case.id in facts:
            terms = terms_of(case, as_of)
            try:
                status = legal_status(facts[case.id], mine, terms, as_of)
            except CalendarError as error:
                problem = CaseRefusedError(error.zh, error.en)
            if CaseState(case.state) in ON_THE_TRACK:
                possible = possible_steps(facts[case.id], mine, terms, as_of)
        state = CaseState(case.state)
        files.append(
            CaseFile(
                case=case,
                as_of=as_of,
                findings=findings.get(case.id, []),
                history=history.get(case.id, []),
                plan=plans.get(case.id),
                tasks=tasks.get(case.id, []),
                events=events.get(case.id, []),
                documents=documents.get(case.id, []),
                legal=status,
                legal_problem=problem,
                idle_since=legal.idle_since(facts[case.id], mine) if case.id in facts else None,
                cause=legal.cause_of(mine),
                possible=possible,
                deadlines=deadlines_of(
                    state, plans.get(case.id), tasks.get(case.id, []), status, as_of
                ),
                paths=paths_after(case, mine) if state.is_open else (),
                plan_path=_plan_path(case, plans.get(case.id)),
                warning=warnings.get(case.id),
            )
        )
    return files


M = TypeVar("M", CaseFinding, CaseMove, CaseTask, CaseEvent, CaseDocument, CasePlan)


def _rows(db: Session, model: type[M], ids: Sequence[int], *order: Any) -> list[M]:
    found: list[M] = []
    for chunk in chunks(ids):
        found.extend(db.scalars(select(model).where(model.case_id.in_(chunk)).order_by(*order)))
    return found


def _by_case(db: Session, model: type[M], ids: Sequence[int], *order: Any) -> dict[int, list[M]]:
    grouped: dict[int, list[M]] = {}
    for row in _rows(db, model, ids, *order):
        grouped.setdefault(row.case_id, []).append(row)
    return grouped


def _opening_warnings(db: Session, cases: Sequence[Case]) -> dict[int, EarlyWarning]:
    """Per case opened from a warning, that warning."""
    by_warning = {c.opened_by_warning: c.id for c in cases if c.opened_by_warning is not None}
    found: dict[int, EarlyWarning] = {}
    for chunk in chunks(sorted(by_warning)):
        for warning in db.scalars(select(EarlyWarning).where(EarlyWarning.id.in_(chunk))):
            found[by_warning[warning.id]] = warning
    return found


def _plan_path(case: Case, plan: CasePlan | None) -> DisposalPath | None:
    if plan is None:
        return None
    offered = load_profile(case.profile).paths_for(Category(case.category))
    return next((p for p in offered if p.id == plan.path), None)


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def _step_json(step: LegalStep) -> dict[str, Any]:
    return {
        "step": step.step.value,
        "available_from": _iso(step.available_from),
        "available": step.available,
        "amount_yuan": step.amount_yuan,
        "decided_on": _iso(step.decided_on),
        "due_by": _iso(step.due_by),
        "done_on": _iso(step.done_on),
    }


def _hearing_json(status: LegalStatus | None) -> dict[str, Any] | None:
    if status is None or status.hearing is None:
        return None
    hearing = status.hearing
    return {
        "served": hearing.served.isoformat(),
        "request_by": hearing.request_by.isoformat(),
        "requested": _iso(hearing.requested),
        "held": _iso(hearing.held),
    }


def _plan_json(plan: CasePlan | None) -> dict[str, Any] | None:
    if plan is None:
        return None
    return {
        "path": plan.path,
        "measures": plan.measures,
        "unit": plan.unit,
        "due": plan.due.isoformat(),
        "milestones": plan.milestones,
        "tax_per_mu_target_yuan": plan.tax_per_mu_target_yuan,
        "recorded_on": plan.recorded_on.isoformat(),
    }


def _task_json(task: CaseTask, today: dt.date) -> dict[str, Any]:
    return {
        "task": task.id,
        "unit": task.unit,
        "what": task.what,
        "due": task.due.isoformat(),
        "state": task.state,
        "overdue": is_overdue(task, today),
        "dispatched_on": task.dispatched_on.isoformat(),
        "accepted_on": _iso(task.accepted_on),
        "done_on": _iso(task.done_on),
        "note": task.note,
    }
