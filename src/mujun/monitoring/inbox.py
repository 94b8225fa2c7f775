"""Which warnings a list holds: the filters every list applies (the web's inbox and its API, the
CLI's ``mujun warnings list``), escalation as a condition of the query, and a warning's receipt
as lists read it.

Escalation is computed when read (:func:`~mujun.monitoring.warnings.receipt`): the deadline is
one per profile and day of issue, so a list counts the working days once for each of those and
compares the days received in the query.
"""

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, false, or_, select
from sqlalchemy.orm import Session

from mujun.disposal.periods import CalendarError
from mujun.monitoring.routing import city_of
from mujun.monitoring.signals import Level
from mujun.monitoring.warnings import Receipt, WarningState, receipt
from mujun.records import EarlyWarning, WarningMonth

LIVE = [s.value for s in WarningState if s.is_live]


@dataclass(frozen=True)
class WarningFilters:
    """What a list keeps: a level, a signal (its id), a county, a state, a month it fired in,
    and whether it escalated (as of the day read)."""

    level: Level | None = None
    signal: str | None = None
    county: str | None = None
    state: WarningState | None = None
    month: str | None = None
    escalated: bool = False


def receipt_of(warning: EarlyWarning, on: dt.date) -> Receipt | None:
    """The warning's receipt as of ``on`` (:func:`receipt`); None while its deadline cannot be
    counted (it falls in a year whose official holidays are not published yet): not escalated
    then. Read once per profile, day of issue, day received, state and day read: everything
    the receipt reads (the working days are counted day by day, a few milliseconds each; a
    list or an export repeats them)."""
    return _receipt(warning.profile, warning.issued_on, warning.received_on, warning.state, on)


@lru_cache(maxsize=4096)
def _receipt(
    profile: str, issued_on: dt.date, received_on: dt.date | None, state: str, on: dt.date
) -> Receipt | None:
    read = EarlyWarning(profile=profile, issued_on=issued_on, received_on=received_on, state=state)
    try:
        return receipt(read, today=on)
    except CalendarError:
        return None


def escalated_condition(db: Session, on: dt.date) -> ColumnElement[bool]:
    """The warnings escalated as of ``on``, as SQL: the receipt deadline of each profile and
    day of issue (:func:`receipt`), then compared in the query."""
    conditions = []
    issues = db.execute(select(EarlyWarning.profile, EarlyWarning.issued_on).distinct()).all()
    for profile, issued_on in issues:
        found = receipt_of(
            EarlyWarning(profile=profile, issued_on=issued_on, state=WarningState.ISSUED.value),
            on,
        )
        if found is None:
            continue
        due = found.due
        late = EarlyWarning.received_on > due
        if on > due:
            late = or_(late, and_(EarlyWarning.received_on.is_(None), EarlyWarning.state.in_(LIVE)))
        conditions.append(
            and_(EarlyWarning.profile == profile, EarlyWarning.issued_on == issued_on, late)
        )
    return or_(*conditions) if conditions else false()


def warnings_query(db: Session, filters: WarningFilters, on: dt.date) -> Select[EarlyWarning]:
    """The warnings the filters keep, newest first. A caller that serves an account passes it
    through the permission gate, which keeps it to the account's area."""
    query = select(EarlyWarning).order_by(EarlyWarning.id.desc())
    if filters.level is not None:
        query = query.where(EarlyWarning.level == filters.level.value)
    if filters.signal is not None:
        query = query.where(EarlyWarning.signal == filters.signal)
    if filters.county is not None:
        query = query.where(EarlyWarning.county_code == filters.county)
    if filters.state is not None:
        query = query.where(EarlyWarning.state == filters.state.value)
    if filters.month is not None:
        fired = select(WarningMonth.warning_id).where(WarningMonth.month == filters.month)
        query = query.where(EarlyWarning.id.in_(fired))
    if filters.escalated:
        query = query.where(escalated_condition(db, on))
    return query


@dataclass(frozen=True)
class WarningView:
    """A warning as the CLI lists it, with its receipt deadline and where it escalated."""

    warning: EarlyWarning
    receipt: Receipt
    escalated_to: str | None

    def as_json(self) -> dict[str, Any]:
        w = self.warning
        return {
            "warning": w.id,
            "signal": w.signal,
            "level": w.level,
            "subject_type": w.subject_type,
            "subject_id": w.subject_id,
            "subject_name": w.subject_name,
            "county_code": w.county_code,
            "routed_to": list(w.routed_to),
            "state": w.state,
            "since": w.since,
            "last_month": w.last_month,
            "issued_on": w.issued_on.isoformat(),
            "receive_by": self.receipt.due.isoformat(),
            "escalated_to": self.escalated_to,
            "case": w.case_id,
        }


def list_warnings(db: Session, filters: WarningFilters, *, today: dt.date) -> list[WarningView]:
    """The warnings the filters keep, newest first, each with its receipt as of ``today``
    (a deadline beyond the holiday calendar's years is refused: :class:`CalendarError`)."""
    views = []
    cities: dict[str | None, str | None] = {}
    for warning in db.scalars(warnings_query(db, filters, today)):
        due = receipt(warning, today=today)
        if warning.county_code not in cities:
            cities[warning.county_code] = city_of(db, warning.county_code)
        views.append(
            WarningView(warning, due, cities[warning.county_code] if due.escalated else None)
        )
    return views
