"""Opening cases from a kept run's findings (workflow.md §1; interface.md ``cases open``).

One case per subject and category: a finding whose subject and category already have an open
case joins it; one already in its case changes nothing, so opening twice opens nothing. A case
enters ``surveyed`` on the run's as-of date, or the date given.
"""

import datetime as dt
import json
from collections.abc import Collection
from dataclasses import dataclass
from itertools import groupby
from typing import Any

from sqlalchemy import Row, func, select
from sqlalchemy.orm import Session

from mujun.disposal.access import chunks, logged_as
from mujun.disposal.errors import CaseRefusedError
from mujun.disposal.states import CaseState
from mujun.policy.profiles import Category, load_profile
from mujun.records import (
    Case,
    CaseFinding,
    CaseMove,
    Change,
    Finding,
    IdentificationRun,
    bulk,
    table_of,
)
from mujun.records.changes import KEY_SEPARATOR, insert_logged

ANALYZE_AFTER = 100_000
"""Cases opened at once from which PostgreSQL's statistics of the case tables are refreshed, so
that the case lists are planned on what the tables now hold (a province's run opens 270,000)."""


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
    cases = open_cases_by_key(db, keys)
    new: list[list[Row[Any]]] = []
    joining: list[tuple[OpenCase, list[Row[Any]]]] = []
    for key, group in groupby(
        findings, lambda f: open_key(f.subject_type, f.subject_id, f.category)
    ):
        found = list(group)
        case = cases.get(key)
        if case is None:
            new.append(found)
        else:
            check_not_before(case, entered)
            joining.append((case, found))
    conn = db.connection()
    reason = f"据第 {run_id} 批认定结果立案"
    numbers = insert_logged(
        conn,
        Case,
        [_new_case(run, found[0], entered=entered) for found in new],
        actor=actor,
        reason=reason,
        numbered=True,
    )
    insert_logged(
        conn,
        CaseMove,
        [opening_move(number, entered, actor, _opened_by_run(run)) for number in numbers],
        actor=actor,
        reason=reason,
        numbered=True,
    )
    opened = [
        OpenCase(number, found[0].subject_type, found[0].subject_id, found[0].category, entered)
        for number, found in zip(numbers, new, strict=True)
    ]
    _refresh_idle_facts(db, run, joining, actor=actor, reason=reason)
    filing = [*zip(opened, new, strict=True), *joining]
    insert_logged(
        conn,
        CaseFinding,
        [_case_finding(case.id, run, finding) for case, found in filing for finding in found],
        actor=actor,
        reason=reason,
    )
    if len(new) >= ANALYZE_AFTER:
        bulk.analyze(conn, [table_of(m) for m in (Case, CaseMove, CaseFinding, Change)])
    return Opening(
        run=run_id,
        opened=[case.filed(found) for case, found in zip(opened, new, strict=True)],
        joined=[case.filed(found) for case, found in joining],
    )


@dataclass(frozen=True)
class OpenCase:
    """What opening needs of an open case: its number, subject, category and opening date."""

    id: int
    subject_type: str
    subject_id: str
    category: str
    opened_on: dt.date

    def filed(self, found: list[Row[Any]]) -> Opened:
        return Opened(
            self.id,
            self.subject_type,
            self.subject_id,
            self.category,
            tuple(f.criterion for f in found),
        )


def _refresh_idle_facts(
    db: Session,
    run: IdentificationRun,
    joining: list[tuple[OpenCase, list[Row[Any]]]],
    *,
    actor: str,
    reason: str,
) -> None:
    """A finding no older than the case's others brings what it knows of the idle land (the
    idle date, a land price recorded since) to the open idle-land case it joins."""
    idle = [(case, found) for case, found in joining if case.category == Category.IDLE_LAND]
    latest: dict[int, dt.date] = {}
    for chunk in chunks([case.id for case, _ in idle]):
        rows = db.execute(
            select(CaseFinding.case_id, func.max(CaseFinding.as_of))
            .where(CaseFinding.case_id.in_(chunk))
            .group_by(CaseFinding.case_id)
        )
        latest.update((case_id, as_of) for case_id, as_of in rows)
    with logged_as(db, actor, reason):
        for case, found in idle:
            if run.as_of < latest.get(case.id, run.as_of):
                continue
            evidence = json.loads(found[0].evidence)
            row = db.get(Case, case.id)
            assert row is not None
            row.idle_since = _date(evidence.get("idle_since")) or row.idle_since
            if evidence.get("land_price_yuan") is not None:
                row.land_price_yuan = evidence["land_price_yuan"]


def _case_finding(case_id: int, run: IdentificationRun, finding: Row[Any]) -> dict[str, Any]:
    return {
        "case_id": case_id,
        "run_id": run.id,
        "criterion": finding.criterion,
        "as_of": run.as_of,
        "evidence": finding.evidence,
    }


def _findings(
    db: Session, run_id: int, criterion: str | None, subjects: Collection[str] | None
) -> list[Row[Any]]:
    query = select(
        Finding.subject_type,
        Finding.subject_id,
        Finding.category,
        Finding.criterion,
        Finding.subject_name,
        Finding.area_m2,
        Finding.county_code,
        Finding.evidence,
    ).where(Finding.run_id == run_id)
    if criterion is not None:
        query = query.where(Finding.criterion == criterion)
    if subjects is not None:
        query = query.where(Finding.subject_id.in_(sorted(subjects)))
    return sorted(
        db.execute(query), key=lambda f: (f.subject_type, f.subject_id, f.category, f.criterion)
    )


def _filed(db: Session, run_id: int) -> set[tuple[str, str, str, str]]:
    """The findings of run ``run_id`` already in a case, open or not (a dismissed case's
    finding stays dismissed): subject type and id, category, criterion."""
    rows = db.execute(
        select(Case.subject_type, Case.subject_id, Case.category, CaseFinding.criterion)
        .join(CaseFinding, CaseFinding.case_id == Case.id)
        .where(CaseFinding.run_id == run_id)
    )
    return {(t, i, c, k) for t, i, c, k in rows}


MANY_KEYS = 5_000
"""Above this many subjects, every open case is read at once rather than by key."""


def open_cases_by_key(db: Session, keys: set[str]) -> dict[str, OpenCase]:
    """The open cases of these subjects and categories, by key."""
    columns = select(
        Case.open_key,
        Case.id,
        Case.subject_type,
        Case.subject_id,
        Case.category,
        Case.opened_on,
    )
    if len(keys) > MANY_KEYS:
        rows = list(db.execute(columns.where(Case.open_key.is_not(None))))
    else:
        rows = [
            row
            for chunk in chunks(sorted(keys))
            for row in db.execute(columns.where(Case.open_key.in_(chunk)))
        ]
    return {row[0]: OpenCase(*row[1:]) for row in rows if row[0] in keys}


def _new_case(run: IdentificationRun, first: Row[Any], *, entered: dt.date) -> dict[str, Any]:
    evidence = json.loads(first.evidence)
    return new_case(
        NewCase(
            profile=run.profile,
            subject_type=first.subject_type,
            subject_id=first.subject_id,
            category=first.category,
            subject_name=first.subject_name,
            area_m2=first.area_m2,
            county_code=first.county_code,
            idle_since=_date(evidence.get("idle_since")),
            land_price_yuan=evidence.get("land_price_yuan"),
        ),
        entered=entered,
    ) | {"opened_by_run": run.id}


@dataclass(frozen=True)
class NewCase:
    """What a case is opened with: its profile, subject, category and, for idle land, the
    idle date and land price its opening finding (or warning) read."""

    profile: str
    subject_type: str
    subject_id: str
    category: str
    subject_name: str | None
    area_m2: float | None
    county_code: str | None
    idle_since: dt.date | None
    land_price_yuan: float | None


def new_case(case: NewCase, *, entered: dt.date) -> dict[str, Any]:
    """The row of a case entering ``surveyed`` on ``entered`` (the caller says what opened
    it: ``opened_by_run`` or ``opened_by_warning``)."""
    return {
        "profile": case.profile,
        "subject_type": case.subject_type,
        "subject_id": case.subject_id,
        "category": case.category,
        "open_key": open_key(case.subject_type, case.subject_id, case.category),
        "subject_name": case.subject_name,
        "area_m2": case.area_m2,
        "county_code": case.county_code,
        "state": CaseState.SURVEYED.value,
        "entered_on": entered,
        "opened_on": entered,
        "idle_since": case.idle_since,
        "land_price_yuan": case.land_price_yuan,
    }


def _opened_by_run(run: IdentificationRun) -> str:
    return f"据第 {run.id} 批认定结果（{run.profile}，截至 {run.as_of.isoformat()}）立案"


def opening_move(case_id: int, entered: dt.date, actor: str, reason: str) -> dict[str, Any]:
    """The row of a case's first move, into ``surveyed``."""
    return {
        "case_id": case_id,
        "from_state": None,
        "state": CaseState.SURVEYED.value,
        "date": entered,
        "actor": actor,
        "reason": reason,
        "evidence": None,
    }


def check_not_before(case: OpenCase, day: dt.date) -> None:
    """Nothing joins an open case dated before it was opened."""
    if day < case.opened_on:
        raise CaseRefusedError(
            f"案件 {case.id} 立案于 {case.opened_on.isoformat()}，"
            "新的认定结果或预警不能早于此日并入",
            f"case {case.id} opened on {case.opened_on}: nothing can join it earlier",
        )


def _date(value: object) -> dt.date | None:
    return dt.date.fromisoformat(value) if isinstance(value, str) else None
