"""The list of cases (处置台账): filters by state, county, category, unit and overdue, each case
with its next deadline; the page, the JSON API, the CLI's ``cases list`` and the whole-list
export read it from here.

The query is plain SQL over the cases; a caller that serves an account passes it through the
permission gate before :func:`ledger` reads it. "Overdue" is a fact of the deadlines as of a day,
computed with them (:mod:`mujun.disposal.deadlines`): the SQL keeps only the cases that can be
overdue, and the deadlines decide.
"""

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.orm import Session

from mujun.disposal.case_file import CaseFile, case_files
from mujun.disposal.legal import LegalEventKind
from mujun.disposal.plans import TaskState
from mujun.disposal.states import CaseState
from mujun.records import Case, CaseEvent, CasePlan, CaseTask

OPEN_STATES = [s.value for s in CaseState if s.is_open]
READ_TOGETHER = 2000
"""Cases whose files are read together when every case of a list is (:func:`every_file`)."""


@dataclass(frozen=True)
class CaseFilters:
    """What the list is narrowed to; None (or False) is no filter."""

    state: CaseState | None = None
    county: str | None = None
    category: str | None = None
    unit: str | None = None
    """A case whose plan or any of whose tasks names this unit."""
    overdue: bool = False
    q: str | None = None
    """Part of the subject's id or name."""


def cases_query(filters: CaseFilters, today: dt.date) -> Select[Case]:
    """The cases the filters keep, in the order of their numbers."""
    query = select(Case).order_by(Case.id)
    if filters.state is not None:
        query = query.where(Case.state == filters.state.value)
    if filters.county is not None:
        query = query.where(Case.county_code == filters.county)
    if filters.category is not None:
        query = query.where(Case.category == filters.category)
    if filters.unit is not None:
        query = query.where(
            or_(
                exists().where(CasePlan.case_id == Case.id, CasePlan.unit == filters.unit),
                exists().where(CaseTask.case_id == Case.id, CaseTask.unit == filters.unit),
            )
        )
    if filters.q:
        pattern = f"%{filters.q}%"
        query = query.where(or_(Case.subject_id.like(pattern), Case.subject_name.like(pattern)))
    if filters.overdue:
        query = query.where(Case.state.in_(OPEN_STATES), _may_be_overdue(today))
    return query


def _may_be_overdue(today: dt.date) -> Any:
    """A task or plan past its due date, or a decision whose payment or deregistration may
    have come due: the candidates the deadlines then decide on."""
    return or_(
        exists().where(
            CaseTask.case_id == Case.id,
            CaseTask.state != TaskState.DONE.value,
            CaseTask.due < today,
        ),
        exists().where(CasePlan.case_id == Case.id, CasePlan.due < today),
        exists().where(
            CaseEvent.case_id == Case.id,
            CaseEvent.kind.in_(
                [LegalEventKind.FEE_DECISION.value, LegalEventKind.REVOCATION_DECISION.value]
            ),
        ),
    )


@dataclass(frozen=True)
class Ledger:
    total: int
    files: list[CaseFile]

    def as_json(self) -> dict[str, Any]:
        """The document of interface.md ``cases list --format json``."""
        return {"total": self.total, "cases": [f.heading_json() for f in self.files]}


def ledger(
    db: Session,
    query: Select[Case],
    *,
    today: dt.date,
    overdue: bool = False,
    offset: int = 0,
    limit: int | None = None,
) -> Ledger:
    """The cases of ``query`` (already gated) as of ``today``: one page, or all of them."""
    if overdue:
        files = [f for f in case_files(db, list(db.scalars(query)), today) if f.overdue]
        end = None if limit is None else offset + limit
        return Ledger(total=len(files), files=files[offset:end])
    total = db.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    page = query.offset(offset)
    if limit is not None:
        page = page.limit(limit)
    return Ledger(total=total, files=case_files(db, list(db.scalars(page)), today))


def every_file(
    db: Session, query: Select[Case], *, today: dt.date, overdue: bool = False
) -> Iterator[CaseFile]:
    """Every case of ``query`` (already gated) as of ``today``, in its order, for the whole-list
    export to write as they come: the cases are streamed from one query and their files read
    :data:`READ_TOGETHER` at a time, so one batch at most is held in memory."""
    cases = db.scalars(query.execution_options(yield_per=READ_TOGETHER))
    for batch in cases.partitions():
        yield from (f for f in case_files(db, batch, today) if f.overdue or not overdue)
