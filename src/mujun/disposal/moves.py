"""Moving a case between states (workflow.md §1): the one transition function, and the exit
evaluation that decides whether a case may close (Tonglu §六(五) 评估出库)."""

import datetime as dt
import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from mujun.analytics.facts import load_facts
from mujun.disposal.errors import CaseNotFoundError, CaseRefusedError
from mujun.disposal.states import CaseState, Lifecycle, event_to, next_states
from mujun.identification.engine import identify, monthly_columns
from mujun.policy.profiles import Rule, load_profile
from mujun.records import Case, CaseEvent, CaseFinding, CaseMove, CasePlan

T = TypeVar("T")


def chunks(items: Sequence[T], size: int = 500) -> Iterator[Sequence[T]]:
    """``items`` in slices small enough for one ``IN (…)``."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def get_case(db: Session, case_id: int) -> Case:
    case = db.get(Case, case_id)
    if case is None:
        raise CaseNotFoundError(case_id)
    return case


@contextmanager
def logged_as(db: Session, actor: str, reason: str | None) -> Iterator[None]:
    """Changes flushed inside are written to the change log with this actor and reason."""
    saved = dict(db.info)
    db.info.update(actor=actor, reason=reason)
    try:
        yield
        db.flush()
    finally:
        db.info.clear()
        db.info.update(saved)


def move_case(
    db: Session, case_id: int, target: CaseState, *, on: dt.date, reason: str, actor: str
) -> CaseMove:
    """Move case ``case_id`` to ``target`` on ``on``, or refuse with the reason. A move to
    ``closed`` runs the exit evaluation first. The caller commits."""
    case = get_case(db, case_id)
    current = CaseState(case.state)
    event = event_to(current, target)
    if event is None:
        raise _not_allowed(case, current, target)
    if not reason.strip():
        raise CaseRefusedError("请写明理由", "a reason is required")
    if on < case.entered_on:
        raise CaseRefusedError(
            f"案件 {case.id} 于 {case.entered_on.isoformat()} 进入「{current.label_zh}」，"
            f"变更日期不能早于此日",
            f"case {case.id} entered {current} on {case.entered_on}: a move cannot be dated before",
            possible_from=case.entered_on,
        )
    if target is CaseState.PLANNED and db.get(CasePlan, case.id) is None:
        raise CaseRefusedError(
            f"案件 {case.id} 尚未制定处置方案（一地一策），不能审批",
            f"case {case.id} has no plan to approve",
        )
    evidence = None
    if target is CaseState.CLOSED:
        verdict = evaluate_exit(db, case, on)
        if not verdict.passed:
            _keep_failed_exit(db, case, verdict, on=on, actor=actor)
            rules = load_profile(case.profile).rules
            raise CaseRefusedError(
                f"出库评估未通过：截至 {on.isoformat()}，{verdict.summary_zh(rules)}",
                f"the exit evaluation fails as of {on}: {verdict.summary_en()}",
                evidence=verdict.as_json(),
            )
        evidence = verdict.as_json()
    with logged_as(db, actor, reason):
        Lifecycle(model=case, state_field="state").send(event)
        case.entered_on = on
        if not target.is_open:
            case.open_key = None
        move = CaseMove(
            case_id=case.id,
            from_state=current.value,
            state=target.value,
            date=on,
            actor=actor,
            reason=reason.strip(),
            evidence=evidence,
        )
        db.add(move)
    return move


@dataclass(frozen=True)
class ExitVerdict:
    """What the case's rules say of its subject as of the evaluation date."""

    as_of: dt.date
    still_found: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Per criterion that still fires, the figures compared."""
    unjudged: dict[str, str] = field(default_factory=dict)
    """Per criterion that could not judge the subject, the figures missing."""

    @property
    def passed(self) -> bool:
        """Closed only when no criterion fires and every one could judge: unknown never
        passes."""
        return not self.still_found and not self.unjudged

    def summary_zh(self, rules: Mapping[str, Rule]) -> str:
        """What still fails, each rule by its title."""

        def title(criterion: str) -> str:
            return f"「{rules[criterion].title_zh}」" if criterion in rules else criterion

        parts = [f"仍符合{title(c)}" for c in self.still_found]
        parts += [f"{title(c)}无法判定（缺少 {m}）" for c, m in self.unjudged.items()]
        return "；".join(parts)

    def summary_en(self) -> str:
        parts = [f"{c} still fires" for c in self.still_found]
        parts += [f"{c} cannot judge (missing {m})" for c, m in self.unjudged.items()]
        return "; ".join(parts)

    def as_json(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "passed": self.passed,
            "still_found": self.still_found,
            "unjudged": self.unjudged,
        }


def evaluate_exit(db: Session, case: Case, on: dt.date) -> ExitVerdict:
    """Run the case's criteria again on the data as of ``on`` and read its subject's
    verdicts."""
    criteria = sorted(
        set(db.scalars(select(CaseFinding.criterion).where(CaseFinding.case_id == case.id)))
    )
    profile = load_profile(case.profile).only(criteria)
    bind = db.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    facts = load_facts(engine, monthly=monthly_columns(profile))
    try:
        result = identify(facts=facts, profile=profile, as_of=on)
    finally:
        facts.close()
    still = {
        row["criterion"]: json.loads(row["evidence"])
        for row in result.findings.to_pylist()
        if _is_subject(case, row)
    }
    unjudged = {
        row["criterion"]: row["missing"]
        for row in result.unjudged.to_pylist()
        if _is_subject(case, row)
    }
    return ExitVerdict(as_of=on, still_found=still, unjudged=unjudged)


def _is_subject(case: Case, row: dict[str, Any]) -> bool:
    return bool(row["subject_type"] == case.subject_type and row["subject_id"] == case.subject_id)


def _keep_failed_exit(
    db: Session, case: Case, verdict: ExitVerdict, *, on: dt.date, actor: str
) -> None:
    """A refused exit is part of the file: the evidence that still fails is kept."""
    with logged_as(db, actor, "出库评估未通过"):
        db.add(
            CaseEvent(
                case_id=case.id,
                kind="exit_failed",
                date=on,
                actor=actor,
                note=json.dumps(verdict.as_json(), ensure_ascii=False),
            )
        )
    db.commit()


def _not_allowed(case: Case, current: CaseState, target: CaseState) -> CaseRefusedError:
    allowed = next_states(current)
    if allowed:
        zh_next = "可转为：" + "、".join(f"「{s.label_zh}」" for s in allowed)
        en_next = "it may move to " + ", ".join(s.value for s in allowed)
    else:
        zh_next, en_next = "该案件已办结", "the case is finished"
    return CaseRefusedError(
        f"案件 {case.id} 处于「{current.label_zh}」，不能转为「{target.label_zh}」；{zh_next}",
        f"case {case.id} is {current}: it cannot move to {target}; {en_next}",
    )
