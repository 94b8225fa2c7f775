"""A case's plan (一地一策) and the tasks dispatched under it (派单、跟踪、销号; Tonglu §七(二)1).

A plan picks a disposal path the case's profile offers for its category (for idle land, for
its cause once recorded), and may agree a per-mu tax with the holder that the exit evaluation
then requires (:mod:`mujun.disposal.targets`). A task goes to a unit -- a department of the
duty table or a town or park by its jurisdiction code -- with a due date: dispatched →
accepted → done (with a note or an attached file). Overdue is read off the due date when asked,
never stored.
"""

import datetime as dt
import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy.orm import Session

from mujun.disposal import legal
from mujun.disposal.access import get_case, logged_as
from mujun.disposal.errors import CaseRefusedError
from mujun.disposal.idle_track import is_idle_land, legal_events_of
from mujun.disposal.states import CaseState
from mujun.policy import duties
from mujun.policy.profiles import Category, DisposalPath, load_profile
from mujun.records import Case, CaseFile, CasePlan, CaseTask, Jurisdiction
from mujun.records.changes import now

PLANNABLE = frozenset({CaseState.CONFIRMED, CaseState.PLANNED, CaseState.IN_PROGRESS})
"""A plan is made once the case is confirmed, and may be revised while work goes on."""
DISPATCHABLE = frozenset({CaseState.PLANNED, CaseState.IN_PROGRESS})


class TaskState(StrEnum):
    DISPATCHED = "dispatched"
    ACCEPTED = "accepted"
    DONE = "done"

    @property
    def label_zh(self) -> str:
        return {"dispatched": "已派单", "accepted": "已签收", "done": "已办结"}[self.value]

    @property
    def label_en(self) -> str:
        return self.value


def is_overdue(task: CaseTask, today: dt.date) -> bool:
    """A task not done by its due date is overdue from the day after."""
    return task.state != TaskState.DONE and today > task.due


@dataclass(frozen=True)
class Milestone:
    what: str
    due: dt.date


def paths_of(db: Session, case: Case) -> tuple[DisposalPath, ...]:
    """The disposal paths case ``case`` may plan."""
    return paths_after(case, legal_events_of(db, case) if is_idle_land(case) else [])


def paths_after(case: Case, events: Sequence[legal.LegalEvent]) -> tuple[DisposalPath, ...]:
    """The disposal paths of the case's category in its profile; for idle land, those of its
    cause once ``events`` (its legal events) record one."""
    cause = legal.cause_of(events)
    profile = load_profile(case.profile)
    return profile.paths_for(Category(case.category), cause.value if cause else None)


def unit_name(db: Session, code: str) -> tuple[str, str] | None:
    """A unit's name in Chinese and English: a department, or a jurisdiction; None if unknown."""
    department = duties.department(code)
    if department is not None:
        return department.label_zh, department.label_en
    jurisdiction = db.get(Jurisdiction, code)
    if jurisdiction is not None:
        return jurisdiction.name, jurisdiction.name
    return None


def plan_case(
    db: Session,
    case_id: int,
    *,
    path: str,
    due: dt.date,
    on: dt.date,
    actor: str,
    unit: str | None = None,
    measures: str = "",
    milestones: tuple[Milestone, ...] = (),
    tax_per_mu_target_yuan: float | None = None,
) -> CasePlan:
    """Record (or revise) the plan of case ``case_id``, with the per-mu tax (元/亩) agreed with
    the holder if there is one: the exit evaluation then requires it
    (:mod:`mujun.disposal.targets`). The caller commits."""
    case = get_case(db, case_id)
    state = CaseState(case.state)
    if state not in PLANNABLE:
        raise CaseRefusedError(
            f"案件 {case.id} 处于「{state.label_zh}」，审核认定后才能制定处置方案",
            f"case {case.id} is {state}: a plan is made once it is confirmed",
        )
    offered = paths_of(db, case)
    if path not in {p.id for p in offered}:
        raise _unknown_path(case, path, offered)
    if due < on:
        raise CaseRefusedError("完成时限不能早于制定日期", "the due date is before the plan")
    if unit is not None:
        _check_unit(db, unit)
    for milestone in milestones:
        if milestone.due < on or milestone.due > due:
            raise CaseRefusedError(
                f"节点「{milestone.what}」的时限须在 {on.isoformat()} 至 {due.isoformat()} 之间",
                f"milestone {milestone.what!r} must fall between {on} and {due}",
            )
    if tax_per_mu_target_yuan is not None:
        _check_tax_target(tax_per_mu_target_yuan)
    with logged_as(db, actor, "制定处置方案（一地一策）"):
        plan = db.get(CasePlan, case.id) or CasePlan(case_id=case.id)
        plan.path = path
        plan.due = due
        plan.unit = unit
        plan.measures = measures.strip()
        plan.milestones = [{"what": m.what, "due": m.due.isoformat()} for m in milestones]
        plan.tax_per_mu_target_yuan = tax_per_mu_target_yuan
        plan.recorded_on = on
        db.add(plan)
    return plan


def dispatch_task(
    db: Session, case_id: int, *, unit: str, what: str, due: dt.date, on: dt.date, actor: str
) -> CaseTask:
    """Dispatch a task of case ``case_id``'s plan to ``unit``. The caller commits."""
    case = get_case(db, case_id)
    state = CaseState(case.state)
    if state not in DISPATCHABLE:
        raise CaseRefusedError(
            f"案件 {case.id} 处于「{state.label_zh}」，处置方案审批后才能派单",
            f"case {case.id} is {state}: tasks are dispatched once its plan is approved",
        )
    _check_unit(db, unit)
    if not what.strip():
        raise CaseRefusedError("请写明任务内容", "say what the task is")
    if due < on:
        raise CaseRefusedError("完成时限不能早于派单日期", "the due date is before the dispatch")
    with logged_as(db, actor, "派单"):
        task = CaseTask(
            case_id=case.id,
            unit=unit,
            what=what.strip(),
            due=due,
            state=TaskState.DISPATCHED.value,
            dispatched_on=on,
        )
        db.add(task)
    return task


def get_task(db: Session, task_id: int) -> CaseTask:
    task = db.get(CaseTask, task_id)
    if task is None:
        raise CaseRefusedError(f"没有编号为 {task_id} 的任务", f"no task {task_id}")
    return task


def accept_task(db: Session, task_id: int, *, on: dt.date, actor: str) -> CaseTask:
    """The unit signs for the task (签收)."""
    task = get_task(db, task_id)
    if task.state != TaskState.DISPATCHED:
        raise _task_state(task, "签收", "accept")
    if on < task.dispatched_on:
        raise CaseRefusedError("签收日期不能早于派单日期", "accepted before it was dispatched")
    with logged_as(db, actor, "签收任务"):
        task.state = TaskState.ACCEPTED.value
        task.accepted_on = on
    return task


@dataclass(frozen=True)
class Attachment:
    name: str
    media_type: str
    content: bytes


def complete_task(
    db: Session,
    task_id: int,
    *,
    on: dt.date,
    actor: str,
    note: str = "",
    attachment: Attachment | None = None,
) -> CaseTask:
    """The unit reports the task done (办结), with a note or an attached file."""
    task = get_task(db, task_id)
    if task.state != TaskState.ACCEPTED:
        raise _task_state(task, "办结", "complete")
    if not note.strip() and attachment is None:
        raise CaseRefusedError(
            "办结须填写办理情况或上传佐证材料", "a done task needs a note or an attached file"
        )
    assert task.accepted_on is not None
    if on < task.accepted_on:
        raise CaseRefusedError("办结日期不能早于签收日期", "done before it was accepted")
    with logged_as(db, actor, "任务办结"):
        if attachment is not None:
            task.attachment_id = keep_file(db, task.case_id, attachment, actor=actor).id
        task.state = TaskState.DONE.value
        task.done_on = on
        task.note = note.strip() or None
    return task


def keep_file(db: Session, case_id: int, attachment: Attachment, *, actor: str) -> CaseFile:
    """Keep a file with a case: its bytes, and its name, size and hash in the change log."""
    kept = CaseFile(
        case_id=case_id,
        name=attachment.name,
        media_type=attachment.media_type,
        size=len(attachment.content),
        content=attachment.content,
        sha256=hashlib.sha256(attachment.content).hexdigest(),
        stored_at=now(),
        actor=actor,
    )
    db.add(kept)
    db.flush()
    return kept


def _check_unit(db: Session, unit: str) -> None:
    if unit_name(db, unit) is None:
        known = "、".join(d.code for d in duties.DEPARTMENTS)
        raise CaseRefusedError(
            f"承办单位 {unit} 既不是部门代码（{known}），也不是区划、园区代码",
            f"unit {unit} is neither a department ({known}) nor a jurisdiction code",
        )


def _check_tax_target(yuan_per_mu: float) -> None:
    """An agreed per-mu tax is a positive amount of yuan per mu."""
    if not (math.isfinite(yuan_per_mu) and yuan_per_mu > 0):
        raise CaseRefusedError(
            f"约定亩均税收须为正数（元/亩）：{yuan_per_mu:g}",
            f"the agreed per-mu tax must be a positive number of yuan per mu: {yuan_per_mu:g}",
        )


def _unknown_path(case: Case, path: str, offered: tuple[DisposalPath, ...]) -> CaseRefusedError:
    if not offered:
        return CaseRefusedError(
            f"{case.profile} 未规定「{Category(case.category).label_zh}」的处置路径",
            f"{case.profile} names no disposal path for {case.category}",
        )
    return CaseRefusedError(
        f"处置路径 {path} 不适用于本案；可选："
        + "、".join(f"{p.id}（{p.title_zh}）" for p in offered),
        f"path {path} does not apply to this case; it may plan: "
        + ", ".join(p.id for p in offered),
    )


def _task_state(task: CaseTask, zh: str, en: str) -> CaseRefusedError:
    state = TaskState(task.state)
    return CaseRefusedError(
        f"任务 {task.id} 处于「{state.label_zh}」，不能{zh}",
        f"task {task.id} is {state}: cannot {en}",
    )
