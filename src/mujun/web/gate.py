"""The one gate every read of records goes through, after the permission gate
(:func:`mujun.web.permissions.restrict`) has given the account's scope: NetBox's
``RestrictedQuerySet.restrict``, Netflix Dispatch's ``restricted_*_filter``.

Each record that lies in a county says how, once, in :data:`IN_COUNTIES`: its county column,
derived from the facts at import (:mod:`mujun.analytics.derived`) or kept with a run. A list,
count, chart, export or map tile is :func:`restrict` ed to the account's area, or to the county
it asks for, which is refused when it lies outside the area (403 and a line in the audit log),
never filtered into an empty answer. One record asked for by its key passes :func:`require`.
Rows already in memory (the map's parcel index, a run difference) pass :func:`admitted`.
"""

from collections.abc import Callable, Collection, Mapping
from typing import Any, TypeVar

import numpy as np
from sqlalchemy import ColumnElement, Select, Text, cast, literal, or_, select
from sqlalchemy.orm import Session

from mujun.records import (
    Base,
    Case,
    CaseTask,
    EarlyWarning,
    Enterprise,
    EnterpriseCounty,
    Finding,
    Grade,
    Jurisdiction,
    Objection,
    Parcel,
    table_of,
)
from mujun.web.permissions import RefusedError, Scope

SelectT = TypeVar("SelectT", bound="Select[*tuple[Any, ...]]")
InCounties = Callable[[Collection[str]], ColumnElement[bool]]


def _enterprise_in(counties: Collection[str]) -> ColumnElement[bool]:
    """An enterprise is in every county :class:`~mujun.records.EnterpriseCounty` names."""
    there = select(EnterpriseCounty.credit_code).where(EnterpriseCounty.county_code.in_(counties))
    return Enterprise.credit_code.in_(there)


def _task_in(counties: Collection[str]) -> ColumnElement[bool]:
    """A task lies in the county of its case."""
    return CaseTask.case_id.in_(select(Case.id).where(Case.county_code.in_(counties)))


def _warning_to(units: Collection[str]) -> ColumnElement[bool]:
    """A warning is one of the units' when its ``routed_to`` (a JSON list of codes, kept as
    the run wrote it) names one of them."""
    routed = cast(EarlyWarning.routed_to, Text)
    return or_(*(routed.contains(f'"{unit}"', autoescape=True) for unit in sorted(units)))


IN_COUNTIES: Mapping[type[Base], InCounties] = {
    Jurisdiction: Jurisdiction.county_code.in_,
    Case: Case.county_code.in_,
    CaseTask: _task_in,
    Parcel: Parcel.county_code.in_,
    Enterprise: _enterprise_in,
    Finding: Finding.county_code.in_,
    Grade: Grade.county_code.in_,
    Objection: Objection.county_code.in_,
    EarlyWarning: EarlyWarning.county_code.in_,
}
"""Each scoped model, and the condition that one of its rows lies in some counties."""
IN_UNITS: Mapping[type[Base], InCounties] = {
    CaseTask: CaseTask.unit.in_,
    Objection: Objection.routed_to.in_,
    EarlyWarning: _warning_to,
}
"""Each model a unit's account is kept to, and the condition that a row is one of its units'
(an objection: the department it is routed to; a warning: the departments it is routed to)."""
NAMES: Mapping[type[Base], tuple[str, str]] = {
    Jurisdiction: ("区划", "jurisdiction"),
    Case: ("案件", "case"),
    CaseTask: ("任务", "task"),
    Parcel: ("宗地", "parcel"),
    Enterprise: ("企业", "enterprise"),
    Objection: ("异议", "objection"),
    EarlyWarning: ("预警", "warning"),
}
"""What a record asked for by its key is called, in Chinese and English."""


def counties_read(scope: Scope, county: str | None = None) -> frozenset[str] | None:
    """The counties a request reads: ``county`` (refused outside the scope), else the
    scope's; None for every county."""
    if county is None:
        return scope.counties
    if scope.counties is not None and county not in scope.counties:
        raise _refused("区县", "county", county)
    return frozenset({county})


def restrict(
    query: SelectT, scope: Scope, model: type[Base], *, county: str | None = None
) -> SelectT:
    """``query`` (of ``model``'s rows) kept to ``county`` or, without one, to the scope."""
    counties = counties_read(scope, county)
    if counties is not None:
        query = query.where(IN_COUNTIES[model](sorted(counties)))
    if scope.units is not None:
        query = query.where(IN_UNITS[model](sorted(scope.units)))
    return query


def require(db: Session, scope: Scope, model: type[Base], key: str | int) -> None:
    """Refuse the record of ``model`` keyed ``key`` unless it lies in the scope (an unknown
    key too: the caller answers 404 first where it may say so)."""
    conditions = []
    if scope.counties is not None:
        conditions.append(IN_COUNTIES[model](sorted(scope.counties)))
    if scope.units is not None:
        conditions.append(IN_UNITS[model](sorted(scope.units)))
    if not conditions:
        return
    (column,) = table_of(model).primary_key.columns
    if db.scalar(select(literal(True)).where(column == key, *conditions)) is None:
        raise _refused(*NAMES[model], str(key))


def admitted(
    scope: Scope, counties: np.ndarray[Any, Any], *, county: str | None = None
) -> np.ndarray[Any, Any]:
    """Of rows in memory, given by their counties, which lie in ``county`` (refused outside
    the scope) or, without one, in the scope: a mask."""
    read = counties_read(scope, county)
    if read is None:
        return np.ones(len(counties), dtype=bool)
    mask: np.ndarray[Any, Any] = np.isin(counties, sorted(read))
    return mask


def _refused(zh: str, en: str, key: str) -> RefusedError:
    return RefusedError(
        f"无权查看{zh} {key}（不在本账号辖区内）", f"{en} {key} is outside your area"
    )
