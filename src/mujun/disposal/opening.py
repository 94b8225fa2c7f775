"""Opening cases from a kept run's findings (workflow.md §1; interface.md ``cases open``).

One case per subject and category: a finding whose subject and category already have an open
case joins it; one already in its case changes nothing, so opening twice opens nothing. A case
enters ``surveyed`` on the run's as-of date, or the date given.
"""

import datetime as dt
import json
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from itertools import groupby

from sqlalchemy import select
from sqlalchemy.orm import Session

from mujun.disposal.errors import CaseRefusedError
from mujun.disposal.moves import chunks, logged_as
from mujun.disposal.states import CaseState
from mujun.policy.profiles import load_profile
from mujun.records import Case, CaseFinding, CaseMove, Finding, IdentificationRun
from mujun.records.changes import KEY_SEPARATOR


@dataclass(frozen=True)
class Opened:
    """A case opened or joined, and the criteria of the run that brought it."""

    case: int
    subject_type: str
    subject_id: str
    category: str
    criteria: tuple[str, ...]

    def as_json(self) -> dict[str, object]:
        return {
            "case": self.case,
            "subject_type": self.subject_type,
            "subject_id": self.subject_id,
            "category": self.category,
            "criteria": list(self.criteria),
        }


@dataclass(frozen=True)
class Opening:
    run: int
    opened: list[Opened]
    joined: list[Opened]

    def as_json(self) -> dict[str, object]:
        return {
            "run": self.run,
            "opened": [o.as_json() for o in self.opened],
            "joined": [o.as_json() for o in self.joined],
        }


def open_key(subject_type: str, subject_id: str, category: str) -> str:
    """What makes a case unique while it is open: its subject and category."""
    return KEY_SEPARATOR.join((subject_type, subject_id, category))


def open_cases(
    db: Session,
    *,
    run_id: int,
    actor: str,
    criterion: str | None = None,
    subjects: Collection[str] | None = None,
    on: dt.date | None = None,
) -> Opening:
    """Open (or join) a case for each finding of run ``run_id``: all of them, those of
    ``criterion``, or those of the ``subjects`` named by id. The caller commits."""
    run = db.get(IdentificationRun, run_id)
    if run is None:
        raise CaseRefusedError(f"没有编号为 {run_id} 的认定批次", f"no run {run_id}")
    if run.overrides:
        raise CaseRefusedError(
            f"第 {run_id} 批是模拟测算（what-if），不能据以立案：请用按政策原文运行的批次",
            f"run {run_id} is a what-if run: cases open from a published run only",
        )
    if criterion is not None and criterion not in load_profile(run.profile).rules:
        raise CaseRefusedError(
            f"第 {run_id} 批所用的 {run.profile} 没有规则 {criterion}",
            f"run {run_id}'s profile {run.profile} has no rule {criterion}",
        )
    entered = on or run.as_of
    filed = _filed(db, run_id)
    findings = [
        f
        for f in _findings(db, run_id, criterion, subjects)
        if (f.subject_type, f.subject_id, f.category, f.criterion) not in filed
    ]
    keys = {open_key(f.subject_type, f.subject_id, f.category) for f in findings}
    cases = _open_cases(db, keys)
    opening = Opening(run=run_id, opened=[], joined=[])
    new: list[tuple[Case, list[Finding]]] = []
    joining: list[tuple[Case, list[Finding]]] = []
    for key, group in groupby(
        findings, lambda f: open_key(f.subject_type, f.subject_id, f.category)
    ):
        found = list(group)
        case = cases.get(key)
        if case is None:
            new.append((_new_case(run, found[0], key=key, entered=entered), found))
            continue
        _check_not_before(case, entered)
        joining.append((case, found))
    with logged_as(db, actor, f"据第 {run_id} 批认定结果立案"):
        db.add_all(case for case, _ in new)
        db.flush()  # one multi-row insert numbers the new cases
        for case, _ in new:
            db.add(_opening_move(case, run, actor))
        for bucket, pairs in ((opening.opened, new), (opening.joined, joining)):
            for case, found in pairs:
                db.add_all(_case_finding(case, run, finding) for finding in found)
                bucket.append(
                    Opened(
                        case.id,
                        case.subject_type,
                        case.subject_id,
                        case.category,
                        tuple(f.criterion for f in found),
                    )
                )
    return opening


def _case_finding(case: Case, run: IdentificationRun, finding: Finding) -> CaseFinding:
    return CaseFinding(
        case_id=case.id,
        run_id=run.id,
        criterion=finding.criterion,
        as_of=run.as_of,
        evidence=finding.evidence,
    )


def _findings(
    db: Session, run_id: int, criterion: str | None, subjects: Collection[str] | None
) -> list[Finding]:
    query = select(Finding).where(Finding.run_id == run_id)
    if criterion is not None:
        query = query.where(Finding.criterion == criterion)
    if subjects is not None:
        query = query.where(Finding.subject_id.in_(sorted(subjects)))
    return sorted(
        db.scalars(query), key=lambda f: (f.subject_type, f.subject_id, f.category, f.criterion)
    )


def _open_cases(db: Session, keys: Iterable[str]) -> dict[str, Case]:
    found: dict[str, Case] = {}
    for chunk in chunks(sorted(keys)):
        for case in db.scalars(select(Case).where(Case.open_key.in_(chunk))):
            assert case.open_key is not None
            found[case.open_key] = case
    return found


def _filed(db: Session, run_id: int) -> set[tuple[str, str, str, str]]:
    """The findings of run ``run_id`` already in a case, open or not (a dismissed case's
    finding stays dismissed): subject type and id, category, criterion."""
    rows = db.execute(
        select(Case.subject_type, Case.subject_id, Case.category, CaseFinding.criterion)
        .join(CaseFinding, CaseFinding.case_id == Case.id)
        .where(CaseFinding.run_id == run_id)
    )
    return {(t, i, c, k) for t, i, c, k in rows}


def _new_case(run: IdentificationRun, first: Finding, *, key: str, entered: dt.date) -> Case:
    evidence = json.loads(first.evidence)
    return Case(
        profile=run.profile,
        subject_type=first.subject_type,
        subject_id=first.subject_id,
        category=first.category,
        open_key=key,
        subject_name=first.subject_name,
        area_m2=first.area_m2,
        county_code=first.county_code,
        state=CaseState.SURVEYED.value,
        entered_on=entered,
        opened_on=entered,
        opened_by_run=run.id,
        idle_since=_date(evidence.get("idle_since")),
        land_price_yuan=evidence.get("land_price_yuan"),
    )


def _opening_move(case: Case, run: IdentificationRun, actor: str) -> CaseMove:
    return CaseMove(
        case_id=case.id,
        from_state=None,
        state=CaseState.SURVEYED.value,
        date=case.opened_on,
        actor=actor,
        reason=f"据第 {run.id} 批认定结果（{run.profile}，截至 {run.as_of.isoformat()}）立案",
    )


def _check_not_before(case: Case, day: dt.date) -> None:
    if day < case.opened_on:
        raise CaseRefusedError(
            f"案件 {case.id} 立案于 {case.opened_on.isoformat()}，新的认定结果不能早于此日并入",
            f"case {case.id} opened on {case.opened_on}: a finding cannot join it earlier",
        )


def _date(value: object) -> dt.date | None:
    return dt.date.fromisoformat(value) if isinstance(value, str) else None
