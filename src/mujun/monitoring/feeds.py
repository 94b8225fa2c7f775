"""The data feeds the monitoring reads: for each department of the duty table that sends monthly
figures, the latest month it sent one (the 工作台's 各部门最近报送月份). The columns are the ones
the ``monitor/feed-missing`` signal watches (:func:`~mujun.monitoring.signals.department_figures`),
so the workbench and the signal agree on what a department sends."""

import functools
import operator
from dataclasses import dataclass

from sqlalchemy import ColumnElement, false, func, select
from sqlalchemy.orm import Session

from mujun.monitoring.signals import department_figures
from mujun.records import MonthlyMetric, table_of


@dataclass(frozen=True)
class Feed:
    """A department that sends monthly figures: its code, the columns it sends and the latest
    month any enterprise has one of them (None: never)."""

    department: str
    columns: tuple[str, ...]
    last_month: str | None


def last_months_received(db: Session) -> list[Feed]:
    """Each department's latest month with a monthly figure of its columns, in the duty
    table's order: one aggregate over the monthly figures (a month's row with every one of the
    department's cells blank is not a month received)."""
    figures = department_figures()
    if not figures:
        return []
    latest = [
        func.max(MonthlyMetric.month).filter(_present(sent)).label(code)
        for code, sent in figures.items()
    ]
    row = db.execute(select(*latest)).one()
    return [
        Feed(department=code, columns=sent, last_month=row[index])
        for index, (code, sent) in enumerate(figures.items())
    ]


def _present(sent: tuple[str, ...]) -> ColumnElement[bool]:
    """Any of the columns ``sent`` holds a figure (none sent: never)."""
    table = table_of(MonthlyMetric)
    cells = [table.c[name].is_not(None) for name in sent]
    return functools.reduce(operator.or_, cells) if cells else false()
