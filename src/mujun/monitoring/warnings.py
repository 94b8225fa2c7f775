"""A warning's life (workflow.md §3): raised by a run, continued while its signal keeps firing
(the same warning, ``since`` its first month), lifted (解除) when the signal stops; received
(签收), handled with feedback (处置反馈) and closed by the units it was routed to. A warning not
received within ``monitor.receipt_working_days`` working days of its issue escalates to the
city: computed when read (:func:`receipt`), never a timer.

The moves are a state machine (python-statemachine) bound to the warning's ``state`` column;
every write goes to the change log, with its actor and reason.
"""

import datetime as dt
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import pyarrow as pa
from sqlalchemy import select
from sqlalchemy.orm import Session
from statemachine import State, StateMachine

from mujun.disposal.access import logged_as
from mujun.disposal.periods import working_days_after
from mujun.policy.profiles import load_profile
from mujun.records import Case, EarlyWarning, MonitoringRun, WarningMonth
from mujun.records.changes import KEY_SEPARATOR, chunks, insert_logged, update_logged

RECEIPT = "monitor.receipt_working_days"


class WarningState(StrEnum):
    ISSUED = "issued"
    RECEIVED = "received"
    HANDLED = "handled"
    CLOSED = "closed"
    LIFTED = "lifted"

    @property
    def label_zh(self) -> str:
        return {
            "issued": "待签收",
            "received": "已签收",
            "handled": "已反馈",
            "closed": "已办结",
            "lifted": "已解除",
        }[self.value]

    @property
    def is_live(self) -> bool:
        return self not in (WarningState.CLOSED, WarningState.LIFTED)


class WarningLife(StateMachine):
    """The allowed moves, each named after what is done."""

    issued = State(initial=True, value=WarningState.ISSUED.value)
    received = State(value=WarningState.RECEIVED.value)
    handled = State(value=WarningState.HANDLED.value)
    closed = State(final=True, value=WarningState.CLOSED.value)
    lifted = State(final=True, value=WarningState.LIFTED.value)

    receive = issued.to(received)
    report = received.to(handled) | handled.to(handled)
    close = handled.to(closed)
    lift = issued.to(lifted) | received.to(lifted) | handled.to(lifted)


class WarningRefusedError(Exception):
    """A move the warning's state or dates do not allow: the reason in Chinese and English."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(en)
        self.zh = zh
        self.en = en


def open_key(signal: str, subject_type: str, subject_id: str) -> str:
    """What makes a warning unique while it is live: its signal and subject."""
    return KEY_SEPARATOR.join((signal, subject_type, subject_id))


@dataclass(frozen=True)
class Outcome:
    """What one run did to the warnings: raised, continued and lifted (their ids)."""

    raised: list[int]
    continued: list[int]
    lifted: list[int]


@dataclass(frozen=True)
class _Live:
    id: int
    last_month: str
    state: str
    case_id: int | None


def record_run(
    db: Session,
    *,
    run: MonitoringRun,
    fired: pa.Table,
    unjudged_keys: Collection[str],
    actor: str,
) -> Outcome:
    """Raise, continue and lift the warnings for what ``run`` found: ``fired`` (rows of
    :data:`~mujun.monitoring.engine.FIRED_SCHEMA`); a live warning whose signal the run judged
    and did not fire for is lifted, unless its subject is among ``unjudged_keys`` (open keys:
    never fired, never cleared) or it fired in a later month than the run's. The caller
    commits."""
    rows = fired.to_pylist()
    live = {
        key: _Live(number, last, state, case)
        for key, number, last, state, case in db.execute(
            select(
                EarlyWarning.open_key,
                EarlyWarning.id,
                EarlyWarning.last_month,
                EarlyWarning.state,
                EarlyWarning.case_id,
            ).where(EarlyWarning.open_key.is_not(None))
        )
        if key is not None
    }
    keys = [open_key(r["signal"], r["subject_type"], r["subject_id"]) for r in rows]
    reason = f"第 {run.id} 批监测（{run.month}）"
    cases = open_cases_of(db, {(r["subject_type"], r["subject_id"]) for r in rows})
    new = [(key, row) for key, row in zip(keys, rows, strict=True) if key not in live]
    raised = insert_logged(
        db.connection(),
        EarlyWarning,
        [_new_warning(run, key, row) | {"case_id": cases.get(_subject(row))} for key, row in new],
        actor=actor,
        reason=reason,
        numbered=True,
    )
    continuing = [(live[key], row) for key, row in zip(keys, rows, strict=True) if key in live]
    _continue(db, run, continuing, cases, actor=actor, reason=reason)
    ids = dict(zip((key for key, _ in new), raised, strict=True)) | {
        key: live[key].id for key in keys if key in live
    }
    insert_logged(
        db.connection(),
        WarningMonth,
        [
            {
                "warning_id": ids[key],
                "run_id": run.id,
                "month": run.month,
                "level": row["level"],
                "evidence": row["evidence"],
            }
            for key, row in zip(keys, rows, strict=True)
        ],
        actor=actor,
        reason=reason,
    )
    quiet = set(keys) | set(unjudged_keys)
    lifting = [w for key, w in live.items() if key not in quiet and w.last_month <= run.month]
    _lift(db, lifting, month=run.month, actor=actor, reason=reason)
    return Outcome(
        raised=raised,
        continued=[w.id for w, _ in continuing],
        lifted=[w.id for w in lifting],
    )


def _new_warning(run: MonitoringRun, key: str, row: dict[str, Any]) -> dict[str, Any]:
    return {
        "profile": run.profile,
        "signal": row["signal"],
        "level": row["level"],
        "subject_type": row["subject_type"],
        "subject_id": row["subject_id"],
        "subject_name": row["subject_name"],
        "county_code": row["county_code"],
        "routed_to": row["routed_to"],
        "open_key": key,
        "state": WarningState.ISSUED.value,
        "since": run.month,
        "last_month": run.month,
        "evidence": row["evidence"],
        "raised_by_run": run.id,
        "issued_on": run.issued_on,
    }


def _continue(
    db: Session,
    run: MonitoringRun,
    continuing: list[tuple[_Live, dict[str, Any]]],
    cases: Mapping[tuple[str, str], int],
    *,
    actor: str,
    reason: str,
) -> None:
    """A live warning fired again in a later month: its latest month, level and evidence, and
    the case its subject has had opened since, if it had none (in bulk, logged)."""
    update_logged(
        db.connection(),
        EarlyWarning,
        {
            w.id: {
                "last_month": run.month,
                "level": row["level"],
                "evidence": row["evidence"],
                "case_id": w.case_id or cases.get(_subject(row)),
            }
            for w, row in continuing
            if w.last_month < run.month
        },
        actor=actor,
        reason=reason,
    )


def _subject(row: Mapping[str, Any]) -> tuple[str, str]:
    return row["subject_type"], row["subject_id"]


def open_cases_of(db: Session, subjects: Collection[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """The disposal case each subject belongs to: its open case (the first opened, where it
    has several categories open). A warning shows it; a case is opened from an identification
    run's findings (:mod:`mujun.disposal.opening`) or from a warning
    (:mod:`mujun.disposal.warned`), which then shows the case it opened or joined."""
    wanted = set(subjects)
    found: dict[tuple[str, str], int] = {}
    for chunk in chunks(sorted({subject_id for _, subject_id in wanted})):
        rows = db.execute(
            select(Case.subject_type, Case.subject_id, Case.id)
            .where(Case.open_key.is_not(None), Case.subject_id.in_(chunk))
            .order_by(Case.id)
        )
        for kind, subject_id, case_id in rows:
            if (kind, subject_id) in wanted:
                found.setdefault((kind, subject_id), case_id)
    return found


def _lift(db: Session, lifting: list[_Live], *, month: str, actor: str, reason: str) -> None:
    """The warnings whose signal stopped firing, lifted (in bulk, logged): each moves as the
    state machine moves it on ``lift``, which every state of theirs must allow."""
    moves = _moves("lift")
    refused = next((w for w in lifting if w.state not in moves), None)
    if refused is not None:
        raise _refused(refused.id, WarningState(refused.state), "lift")
    update_logged(
        db.connection(),
        EarlyWarning,
        {w.id: {"state": moves[w.state], "lifted_month": month, "open_key": None} for w in lifting},
        actor=actor,
        reason=f"{reason}：信号不再触发，预警解除",
    )


def get_warning(db: Session, warning_id: int) -> EarlyWarning:
    warning = db.get(EarlyWarning, warning_id)
    if warning is None:
        raise WarningRefusedError(f"没有编号为 {warning_id} 的预警", f"no warning {warning_id}")
    return warning


def _move(
    db: Session, warning: EarlyWarning, event: str, *, on: dt.date, actor: str, reason: str
) -> None:
    """One move of the state machine, dated no earlier than the warning's previous step."""
    if warning.state not in _moves(event):
        raise _refused(warning.id, WarningState(warning.state), event)
    previous = max(d for d in (warning.issued_on, warning.received_on, warning.feedback_on) if d)
    if on < previous:
        raise WarningRefusedError(
            f"预警 {warning.id} 上一步办理于 {previous.isoformat()}，日期不能早于此日",
            f"warning {warning.id} was last acted on {previous}: a step cannot be dated before",
        )
    with logged_as(db, actor, reason):
        WarningLife(model=warning, state_field="state").send(event)
        if event == "receive":
            warning.received_on, warning.received_by = on, actor
        elif event == "report":
            warning.feedback, warning.feedback_on, warning.feedback_by = reason, on, actor
        else:
            warning.closed_on, warning.closed_by, warning.close_reason = on, actor, reason
            warning.open_key = None


_EVENT_ZH = {"receive": "签收", "report": "反馈处置情况", "close": "办结", "lift": "解除"}


def _moves(event: str) -> dict[str, str]:
    """The state machine's transitions on ``event``: the state each allowed state moves to."""
    return {
        t.source.value: t.target.value
        for state in WarningLife.states
        for t in state.transitions
        if str(t.event) == event
    }


def _refused(warning_id: int, current: WarningState, event: str) -> WarningRefusedError:
    return WarningRefusedError(
        f"预警 {warning_id} 处于「{current.label_zh}」，不能{_EVENT_ZH[event]}",
        f"warning {warning_id} is {current}: it cannot {event}",
    )


def receive(db: Session, warning_id: int, *, on: dt.date, actor: str) -> EarlyWarning:
    """签收: the warning is taken up. The caller commits."""
    warning = get_warning(db, warning_id)
    _move(db, warning, "receive", on=on, actor=actor, reason="签收")
    return warning


def report(db: Session, warning_id: int, *, on: dt.date, text: str, actor: str) -> EarlyWarning:
    """处置反馈: what was done about it (again as often as there is news). The caller
    commits."""
    if not text.strip():
        raise WarningRefusedError("请写明处置情况", "the feedback is empty")
    warning = get_warning(db, warning_id)
    _move(db, warning, "report", on=on, actor=actor, reason=text.strip())
    return warning


def close(db: Session, warning_id: int, *, on: dt.date, reason: str, actor: str) -> EarlyWarning:
    """办结: handled, with a reason. The caller commits."""
    if not reason.strip():
        raise WarningRefusedError("请写明办结理由", "a reason is required")
    warning = get_warning(db, warning_id)
    _move(db, warning, "close", on=on, actor=actor, reason=reason.strip())
    return warning


@dataclass(frozen=True)
class Receipt:
    """When a warning had to be received by, and whether it has escalated to the city (not
    received by then, as of the day read)."""

    due: dt.date
    escalated: bool


def receipt(warning: EarlyWarning, *, today: dt.date) -> Receipt:
    """The receipt deadline of ``warning`` (its profile's working days after its issue, the
    day of issue not counted) and whether it was missed: received after it, or still live and
    not received as of ``today``."""
    days = load_profile(warning.profile).values(warning.issued_on).whole(RECEIPT)
    due = working_days_after(warning.issued_on, days)
    received = warning.received_on
    if received is not None:
        escalated = received > due
    else:
        escalated = today > due and WarningState(warning.state).is_live
    return Receipt(due=due, escalated=escalated)
