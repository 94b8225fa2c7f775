"""Moving a case between states (workflow.md §1): the one transition function, and the exit
evaluation that decides whether a case may close (Tonglu §六(五) 评估出库)."""

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from mujun.analytics.facts import load_facts
from mujun.disposal.access import get_case, logged_as
from mujun.disposal.errors import CaseRefusedError
from mujun.disposal.objections import lodge
from mujun.disposal.plans import paths_of
from mujun.disposal.states import CaseState, Lifecycle, event_to, next_states
from mujun.disposal.targets import (
    TAX_PER_MU_TARGET,
    TargetJudgement,
    judge_tax_per_mu,
    unknown_words,
    unmet_words,
)
from mujun.disposal.warned import criterion_title, warning_exit
from mujun.identification.engine import identify, monthly_columns
from mujun.policy.profiles import Rule, load_profile
from mujun.records import Case, CaseEvent, CaseFinding, CaseMove, CasePlan, IdentificationRun


@dataclass(frozen=True)
class Dispute:
    """A figure the verification found wrong: the column of the record of ``table`` keyed
    ``key`` (its key parts joined by ``|``), and the value claimed instead, if known."""

    table: str
    key: str
    column: str
    claimed: str | None = None


def move_case(
    db: Session,
    case_id: int,
    target: CaseState,
    *,
    on: dt.date,
    reason: str,
    actor: str,
    disputes: Sequence[Dispute] = (),
) -> CaseMove:
    """Move case ``case_id`` to ``target`` on ``on``, or refuse with the reason. A move to
    ``closed`` runs the exit evaluation first; a dismissal records the figures it disputes as
    data objections (workflow.md §1, §6), each routed to the department that supplied it. The
    caller commits."""
    case = get_case(db, case_id)
    if disputes and target is not CaseState.DISMISSED:
        raise CaseRefusedError(
            "只有核实不予认定时才登记有异议的数据", "figures are disputed on a dismissal only"
        )
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
    if target is CaseState.PLANNED:
        _check_plan(db, case)
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
    for dispute in disputes:
        lodge(
            db,
            case_id=case.id,
            table=dispute.table,
            key=dispute.key,
            column=dispute.column,
            claimed=dispute.claimed,
            reason=reason.strip(),
            lodged_by=f"{actor}（核实）",
            on=on,
            actor=actor,
        )
    return move


@dataclass(frozen=True)
class ExitVerdict:
    """What the case's rules say of its subject as of the evaluation date, and whether it
    reaches its plan's target (judged beside the criteria under
    :data:`~mujun.disposal.targets.TAX_PER_MU_TARGET`)."""

    as_of: dt.date
    still_found: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Per criterion that still fires (or target not reached), the figures compared."""
    unjudged: dict[str, str] = field(default_factory=dict)
    """Per criterion (or target) that could not judge the subject, the figures missing."""

    @property
    def passed(self) -> bool:
        """Closed only when no criterion fires and every one could judge: unknown never
        passes."""
        return not self.still_found and not self.unjudged

    def summary_zh(self, rules: Mapping[str, Rule]) -> str:
        """What still fails, each rule by its title."""

        def title(criterion: str) -> str:
            return f"「{criterion_title(rules, criterion)}」"

        parts = [
            unmet_words(figures, "zh") if c == TAX_PER_MU_TARGET else f"仍符合{title(c)}"
            for c, figures in self.still_found.items()
        ]
        parts += [
            unknown_words(m, "zh") if c == TAX_PER_MU_TARGET else f"{title(c)}无法判定（缺少 {m}）"
            for c, m in self.unjudged.items()
        ]
        return "；".join(parts)

    def summary_en(self) -> str:
        parts = [
            unmet_words(figures, "en") if c == TAX_PER_MU_TARGET else f"{c} still fires"
            for c, figures in self.still_found.items()
        ]
        parts += [
            unknown_words(m, "en") if c == TAX_PER_MU_TARGET else f"{c} cannot judge (missing {m})"
            for c, m in self.unjudged.items()
        ]
        return "; ".join(parts)

    def as_json(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "passed": self.passed,
            "still_found": self.still_found,
            "unjudged": self.unjudged,
        }


def evaluate_exit(db: Session, case: Case, on: dt.date) -> ExitVerdict:
    """Run the case's criteria again, each under the profile of the run that found it, on the
    data as of ``on``, and read its subject's verdicts; judge its plan's target, if the plan
    agreed one (:mod:`mujun.disposal.targets`)."""
    by_profile: dict[str, set[str]] = {}
    for profile_id, criterion in db.execute(
        select(IdentificationRun.profile, CaseFinding.criterion)
        .join(IdentificationRun, IdentificationRun.id == CaseFinding.run_id, isouter=True)
        .where(CaseFinding.case_id == case.id)
    ):
        by_profile.setdefault(profile_id or case.profile, set()).add(criterion)
    if case.opened_by_warning is not None:
        by_profile.setdefault(case.profile, set()).update(_category_rules(case))
    bind = db.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    still: dict[str, dict[str, Any]] = {}
    unjudged: dict[str, str] = {}
    for profile_id, criteria in sorted(by_profile.items()):
        profile = load_profile(profile_id).only(criteria)
        facts = load_facts(engine, monthly=monthly_columns(profile))
        try:
            result = identify(facts=facts, profile=profile, as_of=on)
        finally:
            facts.close()
        still |= {
            row["criterion"]: json.loads(row["evidence"])
            for row in result.findings.to_pylist()
            if _is_subject(case, row)
        }
        unjudged |= {
            row["criterion"]: row["missing"]
            for row in result.unjudged.to_pylist()
            if _is_subject(case, row)
        }
    target = _plan_target(db, engine, case, on)
    if target is not None and target.below is not None:
        still[TAX_PER_MU_TARGET] = target.below
    if target is not None and target.missing is not None:
        unjudged[TAX_PER_MU_TARGET] = target.missing
    warned = warning_exit(db, case, on)  # a case opened from a warning: its signal, again
    still |= warned.fired
    unjudged |= warned.unjudged
    return ExitVerdict(as_of=on, still_found=still, unjudged=unjudged)


def _category_rules(case: Case) -> set[str]:
    """The rules by which the profile of a case opened from a warning finds subjects in the
    case's category: the exit asks that the subject be found by none of them, as well as that
    the signal stopped (an imminent idle date stops warning once the land is idle)."""
    rules = load_profile(case.profile).rules.values()
    return {rule.id for rule in rules if rule.category.value == case.category}


def _plan_target(db: Session, engine: Engine, case: Case, on: dt.date) -> TargetJudgement | None:
    """The per-mu tax the case's plan agreed, judged on the data as of ``on``; None without
    one."""
    plan = db.get(CasePlan, case.id)
    if plan is None or plan.tax_per_mu_target_yuan is None:
        return None
    facts = load_facts(engine)
    try:
        return judge_tax_per_mu(facts, case, plan.tax_per_mu_target_yuan, on)
    finally:
        facts.close()


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


def _check_plan(db: Session, case: Case) -> None:
    """A plan is approved only if there is one and its path is still one the case may take
    (a cause recorded after it may rule it out)."""
    plan = db.get(CasePlan, case.id)
    if plan is None:
        raise CaseRefusedError(
            f"案件 {case.id} 尚未制定处置方案（一地一策），不能审批",
            f"case {case.id} has no plan to approve",
        )
    offered = paths_of(db, case)
    if plan.path not in {p.id for p in offered}:
        raise CaseRefusedError(
            f"方案所选处置路径 {plan.path} 已不适用于本案（闲置原因已认定），请重新制定方案；可选："
            + "、".join(p.title_zh for p in offered),
            f"the plan's path {plan.path} no longer applies (the cause was recorded): plan again",
        )


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
