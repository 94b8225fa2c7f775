"""The signals of workflow.md §3, each an Ibis expression over the monthly figures, the legal
events or the land records of one month: a :class:`~mujun.identification.judgement.Judgement`
like an identification rule's, one row per subject with ``fires`` true, false or unknown.

"Each of the last N months" is the month judged and the N − 1 before it. A month's figure is
unknown where the month has no row or the cell is blank (zero is a figure, not unknown), and
an unknown month leaves the subject unjudged for the signal (never fired, never cleared, even
where a known month does not meet the line: :func:`each`), listed with the figures missing
(``<figure>_<YYYY-MM>``).

Parcels are judged as of the month's last day on the idle-land reading of the national rules
(:func:`~mujun.identification.formulas.idle.idle_parcels`), whose parameters the profile
inherits; departments by the duty table (:mod:`mujun.policy.duties`).
"""

import functools
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

import ibis
import ibis.expr.types as ir

from mujun.analytics.logic import below_share, years_after
from mujun.analytics.tables import attach
from mujun.identification.formulas.idle import STALLED_INPUTS, idle_parcels
from mujun.identification.formulas.subjects import NO_KEY
from mujun.identification.judgement import (
    Context,
    Judgement,
    missing_among,
    names_of_missing,
)
from mujun.monitoring.months import last_months, shifted
from mujun.policy.duties import DEPARTMENTS, EVERY_COLUMN
from mujun.policy.profiles import SubjectType
from mujun.records import MonthlyMetric, table_of

DEPARTMENT = "department"
"""The subject type of a signal that judges the departments sending figures."""
MONTHLY_FIGURES = tuple(
    c.name for c in table_of(MonthlyMetric).columns if c.name not in ("credit_code", "month")
)


class Level(StrEnum):
    """How urgent a warning is: 黄 / 橙 / 红."""

    YELLOW = "yellow"
    ORANGE = "orange"
    RED = "red"

    @property
    def label_zh(self) -> str:
        return {"yellow": "黄色", "orange": "橙色", "red": "红色"}[self.value]


Compute = Callable[[Context], Judgement]


@dataclass(frozen=True)
class Signal:
    """One signal: its id, what it judges, its title, the parameters and monthly columns it
    reads, and its expression."""

    id: str
    subject_type: str
    title_zh: str
    title_en: str
    parameters: tuple[str, ...]
    monthly: tuple[str, ...]
    compute: Compute

    @property
    def level_parameter(self) -> str:
        """The parameter giving the signal's level: ``monitor.level.<name>``."""
        return f"monitor.level.{self.id.removeprefix('monitor/')}"


SIGNALS: dict[str, Signal] = {}


def signal(
    signal_id: str,
    subject_type: str,
    title_zh: str,
    title_en: str,
    *,
    parameters: tuple[str, ...] = (),
    monthly: tuple[str, ...] = (),
) -> Callable[[Compute], Compute]:
    """Register the expression of ``signal_id``."""

    def register(compute: Compute) -> Compute:
        SIGNALS[signal_id] = Signal(
            signal_id, subject_type, title_zh, title_en, parameters, monthly, compute
        )
        return compute

    return register


def month_of(ctx: Context) -> str:
    """The month a context judges (its as-of date is the month's last day)."""
    return f"{ctx.as_of.year:04d}-{ctx.as_of.month:02d}"


def figure(column: str, month: str) -> str:
    """The name of one month's figure, as evidence and missing lists give it."""
    return f"{column}_{month}"


def by_month(ctx: Context, column: str, months: Sequence[str]) -> ir.Table:
    """``credit_code`` and ``<column>_<month>`` for each of ``months``, for every enterprise
    (null where the month has no row or the cell is blank)."""
    m = ctx.facts["monthly_metrics"]
    m = m.filter(m.month.isin(list(months)))
    pivot = m.group_by("credit_code").aggregate(
        **{figure(column, month): m[column].max(where=m.month == month) for month in months}
    )
    return attach(ctx.facts["enterprises"].select("credit_code"), pivot, "credit_code")


def each(verdicts: Sequence[ir.BooleanValue]) -> ir.BooleanValue:
    """In each month: unknown as soon as one month is, else whether all are true.

    Stricter than SQL's AND, where a month known false decides whatever the others are:
    workflow.md §3 leaves a subject with an unknown month unjudged (never fired, never
    cleared), so that a warning is not lifted on a month missing from the feed."""
    known = functools.reduce(operator.and_, [v.notnull() for v in verdicts])
    return ibis.ifelse(known, functools.reduce(operator.and_, verdicts), ibis.null("boolean"))


def _enterprises(t: ir.Table, fires: ir.BooleanValue, evidence: tuple[str, ...]) -> Judgement:
    return Judgement(
        table=t.mutate(subject_id=t.credit_code, fires=fires, key=NO_KEY),
        evidence=evidence,
        inputs=evidence,
        subject_type=SubjectType.ENTERPRISE,
    )


def _dropped(ctx: Context, column: str) -> Judgement:
    """Each of the last ``monitor.drop_months`` months below ``monitor.drop_share`` of the
    same month a year earlier, both known."""
    p = ctx.parameters
    share = p.number("monitor.drop_share")
    pairs = [
        (m, shifted(m, -12)) for m in last_months(month_of(ctx), p.whole("monitor.drop_months"))
    ]
    months = [m for pair in pairs for m in pair]
    t = by_month(ctx, column, months)
    fires = each(
        [
            below_share(t[figure(column, now)], t[figure(column, before)], share)
            for now, before in pairs
        ]
    )
    return _enterprises(t, fires, tuple(figure(column, m) for m in months))


def _zero_each(ctx: Context, column: str, months_parameter: str) -> Judgement:
    """The figure 0 in each of the last months the parameter counts."""
    months = last_months(month_of(ctx), ctx.parameters.whole(months_parameter))
    t = by_month(ctx, column, months)
    fires = each([t[figure(column, m)] == 0 for m in months])
    return _enterprises(t, fires, tuple(figure(column, m) for m in months))


DROP = ("monitor.drop_share", "monitor.drop_months")


@signal(
    "monitor/electricity-drop",
    SubjectType.ENTERPRISE,
    "用电量连续骤降",
    "Electricity below half of the same month a year earlier, months in a row",
    parameters=DROP,
    monthly=("electricity_kwh",),
)
def electricity_drop(ctx: Context) -> Judgement:
    return _dropped(ctx, "electricity_kwh")


@signal(
    "monitor/electricity-stopped",
    SubjectType.ENTERPRISE,
    "连续零用电",
    "No electricity used, months in a row",
    parameters=("monitor.stopped_months",),
    monthly=("electricity_kwh",),
)
def electricity_stopped(ctx: Context) -> Judgement:
    return _zero_each(ctx, "electricity_kwh", "monitor.stopped_months")


@signal(
    "monitor/sales-drop",
    SubjectType.ENTERPRISE,
    "开票销售额连续骤降",
    "Invoiced sales below half of the same month a year earlier, months in a row",
    parameters=DROP,
    monthly=("invoiced_sales_yuan",),
)
def sales_drop(ctx: Context) -> Judgement:
    return _dropped(ctx, "invoiced_sales_yuan")


@signal(
    "monitor/tax-zero",
    SubjectType.ENTERPRISE,
    "连续零税收",
    "No tax paid, months in a row",
    parameters=("monitor.tax_zero_months",),
    monthly=("tax_yuan",),
)
def tax_zero(ctx: Context) -> Judgement:
    return _zero_each(ctx, "tax_yuan", "monitor.tax_zero_months")


@signal(
    "monitor/loan-overdue",
    SubjectType.ENTERPRISE,
    "贷款逾期",
    "A loan overdue in the month",
    monthly=("loan_overdue",),
)
def loan_overdue(ctx: Context) -> Judgement:
    name = figure("loan_overdue", month_of(ctx))
    t = by_month(ctx, "loan_overdue", [month_of(ctx)])
    return _enterprises(t, t[name], (name,))


@signal(
    "monitor/loan-withdrawn",
    SubjectType.ENTERPRISE,
    "贷款余额骤降（抽贷）",
    "Loan balance below half of its value some months earlier",
    parameters=("monitor.loan_withdrawn_share", "monitor.loan_withdrawn_months"),
    monthly=("loan_balance_yuan",),
)
def loan_withdrawn(ctx: Context) -> Judgement:
    p = ctx.parameters
    now = month_of(ctx)
    before = shifted(now, -p.whole("monitor.loan_withdrawn_months"))
    t = by_month(ctx, "loan_balance_yuan", [now, before])
    now_name, before_name = figure("loan_balance_yuan", now), figure("loan_balance_yuan", before)
    fires = below_share(t[now_name], t[before_name], p.number("monitor.loan_withdrawn_share"))
    return _enterprises(t, fires, (now_name, before_name))


@signal(
    "monitor/litigation",
    SubjectType.ENTERPRISE,
    "新发查封、强制执行或破产事件",
    "A seizure, enforcement or bankruptcy event dated in the month",
    parameters=("monitor.litigation_kinds",),
)
def litigation(ctx: Context) -> Judgement:
    """A legal event of ``monitor.litigation_kinds`` dated in the month (events are recorded
    as they happen: no row is no event, never unknown)."""
    events = ctx.facts["legal_events"]
    first = ctx.as_of.replace(day=1)
    found = events.filter(
        events.kind.isin(list(ctx.parameters.codes("monitor.litigation_kinds")))
        & (events.date >= ibis.literal(first))
        & (events.date <= ctx.day)
    )
    dated = found.group_by("credit_code").aggregate(
        legal_event_kinds=found.kind.collect(distinct=True).sort(),
        legal_event_dates=found.date.cast("string").collect(distinct=True).sort(),
        case_nos=found.case_no.collect(distinct=True).sort(),
    )
    t = attach(ctx.facts["enterprises"].select("credit_code"), dated, "credit_code")
    return Judgement(
        table=t.mutate(subject_id=t.credit_code, fires=t.legal_event_kinds.notnull(), key=NO_KEY),
        evidence=("legal_event_kinds", "legal_event_dates", "case_nos"),
        inputs=(),
        subject_type=SubjectType.ENTERPRISE,
    )


LAND = ("idle.after_years",)


def idle_day(since: ir.DateValue, after_years: int) -> ir.DateValue:
    """The day land idle since ``since`` has been idle ``after_years`` (Civil Code reading)."""
    return years_after(since, after_years).cast("timestamp").date()


def _parcels(
    t: ir.Table, fires: ir.BooleanValue, evidence: tuple[str, ...], missing: ir.StringValue
) -> Judgement:
    return Judgement(
        table=t.mutate(subject_id=t.parcel_id, fires=fires, key=NO_KEY),
        evidence=evidence,
        inputs=(),
        subject_type=SubjectType.PARCEL,
        missing=missing,
    )


@signal(
    "monitor/start-due",
    SubjectType.PARCEL,
    "超过约定动工日期未动工（尚未构成闲置）",
    "Agreed start date passed, not started, not idle yet",
    parameters=LAND,
)
def start_due(ctx: Context) -> Judgement:
    t = idle_parcels(ctx)
    t = t.mutate(idle_date=idle_day(t.agreed_start_date, ctx.parameters.whole("idle.after_years")))
    fires = (t.agreed_start_date < ctx.day) & ~t.started & ~t.idle
    return _parcels(
        t,
        fires,
        ("agreed_start_date", "record_as_of", "started_date", "idle_date"),
        t.start_missing,
    )


@signal(
    "monitor/idle-imminent",
    SubjectType.PARCEL,
    "即将构成闲置土地",
    "Not started or suspended, and idle within the coming days",
    parameters=(*LAND, "monitor.idle_imminent_days"),
)
def idle_imminent(ctx: Context) -> Judgement:
    """Not idle yet, and the day it becomes idle (a year after the agreed start, or after the
    suspension of a development still short of the national lines) after the month's last day
    and at most ``monitor.idle_imminent_days`` days after it."""
    p = ctx.parameters
    after = p.whole("idle.after_years")
    t = idle_parcels(ctx)
    as_of = ctx.day
    horizon = as_of + ibis.interval(days=p.whole("monitor.idle_imminent_days"))
    not_started_idle = idle_day(t.agreed_start_date, after)
    stalled_idle = idle_day(t.suspended_since, after)

    def within(day: ir.DateValue) -> ir.BooleanValue:
        return (day > as_of) & (day <= horizon)

    from_start = ~t.started & within(not_started_idle)
    from_stall = t.started & t.suspended_since.notnull() & t.developed_little & within(stalled_idle)
    t = t.mutate(
        from_start=from_start,
        from_stall=from_stall,
        idle_date=ibis.cases(
            (~t.started, not_started_idle),
            (t.started & t.suspended_since.notnull(), stalled_idle),
            else_=ibis.null("date"),
        ),
    )
    t = t.mutate(days_to_idle=t.idle_date.delta(as_of, unit="day"))
    missing = names_of_missing(
        ibis.ifelse(t.from_start.isnull(), t.start_missing, ibis.null("string")),
        ibis.ifelse(t.from_stall.isnull(), missing_among(t, STALLED_INPUTS), ibis.null("string")),
    )
    return _parcels(
        t,
        ~t.idle & (t.from_start | t.from_stall),
        ("agreed_start_date", "started_date", "suspended_since", "idle_date", "days_to_idle"),
        missing,
    )


@signal(
    "monitor/completion-overdue",
    SubjectType.PARCEL,
    "超过约定竣工日期未竣工",
    "Agreed completion date passed without completion",
)
def completion_overdue(ctx: Context) -> Judgement:
    t = idle_parcels(ctx)
    as_of = ctx.day
    completed = ibis.ifelse(
        t.unrecorded,
        ibis.null("boolean"),
        t.completed_date.notnull() & (t.completed_date <= as_of),
    )
    missing = names_of_missing(
        missing_among(t, ("agreed_completion_date",)),
        ibis.ifelse(t.unrecorded, "record_as_of", ibis.null("string")),
    )
    return _parcels(
        t,
        (t.agreed_completion_date < as_of) & ~completed,
        ("agreed_completion_date", "record_as_of", "completed_date"),
        missing,
    )


def department_figures() -> dict[str, tuple[str, ...]]:
    """Per department of the duty table that sends monthly figures, the columns it sends."""
    found: dict[str, tuple[str, ...]] = {}
    for department in DEPARTMENTS:
        if "monthly_metrics" in department.duties:
            columns = department.duties["monthly_metrics"]
            found[department.code] = (
                MONTHLY_FIGURES if columns is EVERY_COLUMN else tuple(sorted(columns or ()))
            )
    return found


@signal(
    "monitor/feed-missing",
    DEPARTMENT,
    "月度数据断供",
    "A department's monthly figures stopped arriving",
    parameters=("monitor.feed_months",),
    monthly=tuple(sorted({c for cs in department_figures().values() for c in cs})),
)
def feed_missing(ctx: Context) -> Judgement:
    """A department's figures present for at least one enterprise in each of the
    ``monitor.feed_months`` months before, and for none in this month."""
    month = month_of(ctx)
    before = last_months(shifted(month, -1), ctx.parameters.whole("monitor.feed_months"))
    m = ctx.facts["monthly_metrics"]
    m = m.filter(m.month.isin([month, *before]))
    per_department: list[ir.Table] = []
    for code, columns in department_figures().items():
        present = functools.reduce(operator.or_, [m[c].notnull() for c in columns])
        counts = m.aggregate(
            **{
                f"enterprises_{one}": m.credit_code.count(where=(m.month == one) & present)
                for one in [month, *before]
            }
        )
        per_department.append(
            counts.mutate(subject_type=ibis.literal(DEPARTMENT), subject_id=ibis.literal(code))
        )
    t = ibis.union(*per_department)
    fires = each([t[f"enterprises_{one}"] > 0 for one in before]) & (t[f"enterprises_{month}"] == 0)
    return Judgement(
        table=t.mutate(fires=fires, key=NO_KEY),
        evidence=tuple(f"enterprises_{one}" for one in [month, *before]),
        inputs=(),
    )


def signals() -> list[Signal]:
    """Every signal, by id."""
    return [SIGNALS[key] for key in sorted(SIGNALS)]


def monthly_columns() -> tuple[str, ...]:
    """The monthly figures the signals read."""
    return tuple(sorted({c for s in SIGNALS.values() for c in s.monthly}))
