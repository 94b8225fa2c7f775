"""What the warning pages (:mod:`mujun.web.warning_pages`), the warning API
(:mod:`mujun.web.warning_api`) and the 工作台 share: the inbox's filters built in one place, a
warning reached through the gate, a warning as a page shows it (names for codes, its evidence as
the months compared, its timeline), and the workbench's warnings to receive.

Who sees which warnings: an account that reads records sees those of its area (a county
officer its county's; the city every county's, escalated ones among them); a department's
account (which reads no records) those routed to its department, as the gate's
:data:`~mujun.web.gate.IN_UNITS` keeps it. Receiving, reporting and closing are the task right
(:data:`~mujun.web.permissions.Action.TASK`) within the same reach.

Every rule is the service's (:mod:`mujun.monitoring.warnings`): the routes only ask it; a
refusal of the service (:class:`~mujun.monitoring.warnings.WarningRefusedError`) is answered 409
with the reason, like a case's.
"""

import datetime as dt
import json
import re
from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Query
from fastapi import Path as PathParameter
from pydantic import BaseModel
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from mujun.identification.evidence import evidence_label, evidence_value
from mujun.monitoring.inbox import LIVE, WarningFilters, receipt_of, warnings_query
from mujun.monitoring.months import shifted
from mujun.monitoring.signals import DEPARTMENT, SIGNALS, Level
from mujun.monitoring.warnings import WarningState
from mujun.policy import duties
from mujun.policy.profiles import SubjectType
from mujun.records import Case, Change, EarlyWarning, MonitoringRun, WarningMonth
from mujun.records.accounts import Account, WebSession
from mujun.web import cases
from mujun.web.cases import SUBJECT_PAGES, Names
from mujun.web.dependencies import MAX_ID, Current, signed_in
from mujun.web.formatting import day
from mujun.web.gate import require, restrict
from mujun.web.listing import BLANK, CountyParam
from mujun.web.objections import column_label
from mujun.web.permissions import ALLOWED, Action, RefusedError, Role, Scope
from mujun.web.permissions import restrict as permitted
from mujun.web.worklist import Item

WarningId = Annotated[int, PathParameter(ge=1, le=MAX_ID, description="预警编号 / warning number")]
LEVEL_COLOURS = {Level.RED: "red", Level.ORANGE: "orange", Level.YELLOW: "yellow"}
LEVEL_SHORT = {
    Level.RED: ("红", "red"),
    Level.ORANGE: ("橙", "orange"),
    Level.YELLOW: ("黄", "yellow"),
}
LEVEL_ORDER = (Level.RED, Level.ORANGE, Level.YELLOW)
STATE_COLOURS = {
    WarningState.ISSUED: "orange",
    WarningState.RECEIVED: "blue",
    WarningState.HANDLED: "indigo",
    WarningState.CLOSED: "green",
    WarningState.LIFTED: "secondary",
}
STATE_EN = {
    WarningState.ISSUED: "to receive",
    WarningState.RECEIVED: "received",
    WarningState.HANDLED: "reported on",
    WarningState.CLOSED: "closed",
    WarningState.LIFTED: "lifted",
}
TODO_LIMIT = 12
MONTH_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"
_OF_MONTH = re.compile(r"^(?P<figure>.+)_(?P<month>\d{4}-\d{2})$")


# -- the filters ---------------------------------------------------------------------------------


def warning_filters(
    level: Annotated[Level | None, Query(description="等级 / level"), BLANK] = None,
    signal: Annotated[
        str | None, Query(max_length=64, description="信号 / signal id"), BLANK
    ] = None,
    county: CountyParam = None,
    state: Annotated[WarningState | None, Query(description="状态 / state"), BLANK] = None,
    month: Annotated[
        str | None,
        Query(pattern=MONTH_PATTERN, description="触发月份 YYYY-MM / a month it fired in"),
        BLANK,
    ] = None,
    escalated: Annotated[bool, Query(description="只看逾期未签收报市 / escalated only")] = False,
) -> WarningFilters:
    """The inbox's filters from the query, for the pages and the API alike (an unknown signal
    is refused, 422)."""
    if signal is not None and signal not in SIGNALS:
        raise HTTPException(
            status_code=422, detail=f"没有信号 {signal[:64]} / no signal {signal[:64]}"
        )
    return WarningFilters(
        level=level, signal=signal, county=county, state=state, month=month, escalated=escalated
    )


Filters = Annotated[WarningFilters, Depends(warning_filters)]


def filter_values(filters: WarningFilters) -> dict[str, Any]:
    return {
        "level": filters.level.value if filters.level else "",
        "signal": filters.signal or "",
        "county": filters.county or "",
        "state": filters.state.value if filters.state else "",
        "month": filters.month or "",
        "escalated": filters.escalated,
    }


def gated_warnings(
    db: Session, current: Current, filters: WarningFilters, on: dt.date
) -> Select[EarlyWarning]:
    """The warnings the filters keep within the account's reach (a county outside it
    refused, 403)."""
    return restrict(
        warnings_query(db, filters, on), current.scope, EarlyWarning, county=filters.county
    )


def counted(db: Session, query: Select[Any]) -> int:
    return db.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0


# -- the gate ------------------------------------------------------------------------------------


def warning_reader(found: Annotated[tuple[Account, WebSession], Depends(signed_in)]) -> Current:
    """The permission gate of the warnings' reads: an account that reads records reads those
    of its area; a department's account, which reads no records, those routed to its
    department (its task scope); any other is refused (403, audited)."""
    account, web_session = found
    role = Role(account.role)
    action = Action.READ if Action.READ in ALLOWED[role] else Action.TASK
    return Current(account=account, session=web_session, scope=permitted(account, action))


warning_reader.gated_action = Action.READ  # type: ignore[attr-defined]
WarningReader = Annotated[Current, Depends(warning_reader)]


def reach_warning(db: Session, current: Current, warning_id: int) -> EarlyWarning:
    """Warning ``warning_id``: 404 when there is none, 403 (audited) outside the account's
    reach."""
    warning = db.get(EarlyWarning, warning_id)
    if warning is None:
        raise HTTPException(
            status_code=404, detail=f"没有预警 {warning_id} / no warning {warning_id}"
        )
    require(db, current.scope, EarlyWarning, warning_id)
    return warning


def may_act(current: Current) -> bool:
    """Whether the account may receive, report on and close warnings (within its reach)."""
    return Action.TASK in ALLOWED[Role(current.account.role)]


# -- names ---------------------------------------------------------------------------------------


def month_label(month: str | None, lang: str) -> str:
    """``2025年6月`` or ``Jun 2025``."""
    if not month:
        return "—"
    year, number = month.split("-")
    if lang == "zh":
        return f"{year}年{int(number)}月"
    return dt.date(int(year), int(number), 1).strftime("%b %Y")


def months_running(since: str, last: str) -> int:
    """How many months a warning has fired, from its first month to its latest."""
    first_year, first_month = (int(p) for p in since.split("-"))
    last_year, last_month = (int(p) for p in last.split("-"))
    return (last_year - first_year) * 12 + last_month - first_month + 1


def level_label(level: str, lang: str) -> str:
    found = Level(level)
    return found.label_zh if lang == "zh" else found.value


def state_label(state: str, lang: str) -> str:
    found = WarningState(state)
    return found.label_zh if lang == "zh" else STATE_EN[found]


def signal_title(signal: str, lang: str) -> str:
    found = SIGNALS.get(signal)
    if found is None:
        return signal
    return found.title_zh if lang == "zh" else found.title_en


def signal_choices(lang: str) -> list[tuple[str, str]]:
    return [(s.id, signal_title(s.id, lang)) for s in sorted(SIGNALS.values(), key=lambda s: s.id)]


def level_choices(lang: str) -> list[tuple[str, str]]:
    return [(level.value, level_label(level.value, lang)) for level in LEVEL_ORDER]


def state_choices(lang: str) -> list[tuple[str, str]]:
    return [(s.value, state_label(s.value, lang)) for s in WarningState]


def subject_of(warning: EarlyWarning, lang: str) -> dict[str, Any]:
    """The subject by its names: an enterprise's name, a parcel's id with its holder, a
    department's name; with the page of its own where it has one."""
    zh = lang == "zh"
    kind = warning.subject_type
    page = SUBJECT_PAGES.get(kind)
    href = None if page is None else page + warning.subject_id
    if kind == DEPARTMENT:
        found = duties.department(warning.subject_id)
        name = warning.subject_name or warning.subject_id
        if found is not None:
            name = found.label_zh if zh else found.label_en
        return {"name": name, "detail": "", "href": None}
    if kind == SubjectType.PARCEL.value:
        holder = warning.subject_name
        return {
            "name": (f"宗地 {warning.subject_id}" if zh else f"parcel {warning.subject_id}"),
            "detail": (f"使用权人：{holder}" if zh else f"holder: {holder}") if holder else "",
            "href": href,
        }
    return {
        "name": warning.subject_name or warning.subject_id,
        "detail": warning.subject_id if warning.subject_name else "",
        "href": href,
    }


def shown_warning(warning: EarlyWarning, names: Names, lang: str, on: dt.date) -> dict[str, Any]:
    """A warning as the inbox shows it: names for codes, its receipt as of ``on``."""
    due = receipt_of(warning, on)
    level = Level(warning.level)
    state = WarningState(warning.state)
    return {
        "id": warning.id,
        "level": level.value,
        "level_label": level_label(level.value, lang),
        "level_short": LEVEL_SHORT[level][0 if lang == "zh" else 1],
        "level_colour": LEVEL_COLOURS[level],
        "signal": warning.signal,
        "signal_title": signal_title(warning.signal, lang),
        "subject": subject_of(warning, lang),
        "county": names.places.get(warning.county_code or "", warning.county_code or "—"),
        "since": month_label(warning.since, lang),
        "last_month": month_label(warning.last_month, lang),
        "months": months_running(warning.since, warning.last_month),
        "state": state.value,
        "state_label": state_label(state.value, lang),
        "state_colour": STATE_COLOURS[state],
        "live": state.is_live,
        "receive_by": None if due is None else due.due,
        "awaiting": warning.received_on is None and state.is_live,
        "escalated": due is not None and due.escalated,
        "case": warning.case_id,
        "routed_to": [names.unit(code, lang) for code in warning.routed_to],
        "issued_on": warning.issued_on,
    }


# -- the evidence --------------------------------------------------------------------------------

_LABELS = {
    "idle_date": ("构成闲置日期", "Idle from"),
    "days_to_idle": ("距构成闲置（天）", "Days until idle"),
    "legal_event_kinds": ("事件类型", "Events"),
    "legal_event_dates": ("事件日期", "Event dates"),
    "case_nos": ("案号", "Case numbers"),
    "enterprises": ("报送企业数", "Enterprises reported"),
}


def _figure_label(figure: str, lang: str) -> str:
    if figure in _LABELS:
        return _LABELS[figure][0 if lang == "zh" else 1]
    label = column_label("monthly_metrics", figure, lang)
    return label if label != figure else evidence_label(figure, "zh" if lang == "zh" else "en")


def figure_label(key: str, lang: str) -> str:
    """A figure of a signal's evidence, or missing, by name: a month's figure with its month
    (``用电量(千瓦时)（2025年3月）``)."""
    found = _OF_MONTH.match(key)
    if found is None:
        return _figure_label(key, lang)
    figure, month = _figure_label(found["figure"], lang), month_label(found["month"], lang)
    return f"{figure}（{month}）" if lang == "zh" else f"{figure} ({month})"


def evidence_lines(evidence: str, lang: str) -> list[tuple[str, str]]:
    """The figures of the latest month compared, each named (``用电量(千瓦时)（2025年3月）``)."""
    shown = []
    for key, value in json.loads(evidence).items():
        label = figure_label(key, lang)
        if isinstance(value, list):
            text = "、".join(str(v) for v in value) if lang == "zh" else ", ".join(map(str, value))
        elif isinstance(value, bool):
            text = ("是" if value else "否") if lang == "zh" else ("yes" if value else "no")
        elif isinstance(value, int | float):
            text = f"{value:,.2f}".rstrip("0").rstrip(".")
        elif value is None:
            text = "—"
        else:
            text = evidence_value(key, value, "zh" if lang == "zh" else "en")
        shown.append((label, text))
    return shown


def evidence_chart(evidences: Sequence[str], lang: str) -> dict[str, Any] | None:
    """The months compared, for a small chart: every month's figure of the evidence of each
    month the warning fired (later months win). Where months a year apart are both there, the
    chart sets each month against the same month a year earlier; else it shows the months in
    order. None when the evidence has no monthly figure (a parcel's dates, a court event)."""
    values: dict[str, dict[str, float]] = {}
    for evidence in evidences:
        for key, value in json.loads(evidence).items():
            found = _OF_MONTH.match(key)
            if found is None or isinstance(value, bool) or not isinstance(value, int | float):
                continue
            values.setdefault(found["figure"], {})[found["month"]] = float(value)
    if not values:
        return None
    figure = sorted(values, key=lambda f: -len(values[f]))[0]
    by_month = values[figure]
    paired = sorted(m for m in by_month if shifted(m, -12) in by_month)
    zh = lang == "zh"
    if paired:
        return {
            "unit": _figure_label(figure, lang),
            "paired": True,
            "rows": [
                {
                    "month": month_label(m, lang),
                    "now": by_month[m],
                    "before": by_month[shifted(m, -12)],
                    "share": None
                    if not by_month[shifted(m, -12)]
                    else round(by_month[m] * 100 / by_month[shifted(m, -12)], 1),
                }
                for m in paired
            ],
            "months": [month_label(m, lang) for m in paired],
            "series": [
                {"name": "本期" if zh else "This year", "data": [by_month[m] for m in paired]},
                {
                    "name": "上年同期" if zh else "A year earlier",
                    "data": [by_month[shifted(m, -12)] for m in paired],
                },
            ],
        }
    months = sorted(by_month)
    return {
        "unit": _figure_label(figure, lang),
        "paired": False,
        "rows": [{"month": month_label(m, lang), "now": by_month[m]} for m in months],
        "months": [month_label(m, lang) for m in months],
        "series": [{"name": _figure_label(figure, lang), "data": [by_month[m] for m in months]}],
    }


def fired_months(db: Session, warning_id: int) -> list[tuple[WarningMonth, MonitoringRun]]:
    """Each month the warning fired, with the run that judged it, oldest first."""
    return [
        (month, run)
        for month, run in db.execute(
            select(WarningMonth, MonitoringRun)
            .join(MonitoringRun, MonitoringRun.id == WarningMonth.run_id)
            .where(WarningMonth.warning_id == warning_id)
            .order_by(WarningMonth.month, WarningMonth.run_id)
        ).all()
    ]


# -- the timeline --------------------------------------------------------------------------------


def timeline(
    db: Session,
    warning: EarlyWarning,
    fired: Sequence[tuple[WarningMonth, MonitoringRun]],
    lang: str,
) -> list[dict[str, Any]]:
    """What happened to the warning, in order: issued, continued month by month, received,
    each feedback (the earlier ones read from the change log), the case it opened, closed or
    lifted."""
    zh = lang == "zh"
    entries: list[dict[str, Any]] = []
    for index, (month, run) in enumerate(fired):
        label = month_label(month.month, lang)
        entries.append(
            {
                "date": run.issued_on,
                "kind": "issued" if index == 0 else "continued",
                "what": (
                    f"发出预警（第 {run.id} 批监测，{label}）"
                    if zh
                    else f"issued (run {run.id}, {label})"
                )
                if index == 0
                else (
                    f"{label}信号持续触发（第 {run.id} 批监测）"
                    if zh
                    else f"still firing in {label} (run {run.id})"
                ),
                "actor": run.actor,
                "text": "",
            }
        )
    if not fired:
        entries.append(
            {
                "date": warning.issued_on,
                "kind": "issued",
                "what": "发出预警" if zh else "issued",
                "actor": "",
                "text": "",
            }
        )
    if warning.received_on is not None:
        entries.append(
            {
                "date": warning.received_on,
                "kind": "received",
                "what": "签收" if zh else "received",
                "actor": warning.received_by or "",
                "text": "",
            }
        )
    changes = db.scalars(
        select(Change)
        .where(
            Change.table_name == EarlyWarning.__tablename__, Change.object_key == str(warning.id)
        )
        .order_by(Change.id)
    )
    lifted_on: dt.date | None = None
    for change in changes:
        before, after = change.before or {}, change.after or {}
        reported = any(before.get(key) != after.get(key) for key in ("feedback", "feedback_on"))
        if reported and after.get("feedback"):
            when = after.get("feedback_on")
            entries.append(
                {
                    "date": dt.date.fromisoformat(when)
                    if isinstance(when, str)
                    else change.changed_at.date(),
                    "kind": "feedback",
                    "what": "处置反馈" if zh else "feedback",
                    "actor": change.actor,
                    "text": str(after["feedback"]),
                }
            )
        lifted = WarningState.LIFTED.value
        if after.get("state") == lifted and before.get("state") != lifted:
            lifted_on = change.changed_at.date()
    case = db.get(Case, warning.case_id) if warning.case_id is not None else None
    if case is not None and case.opened_by_warning == warning.id:
        entries.append(
            {
                "date": case.opened_on,
                "kind": "case",
                "what": f"立案处置（处置案件 第{case.id}号）" if zh else f"case {case.id} opened",
                "actor": "",
                "text": "",
            }
        )
    if warning.closed_on is not None:
        entries.append(
            {
                "date": warning.closed_on,
                "kind": "closed",
                "what": "办结" if zh else "closed",
                "actor": warning.closed_by or "",
                "text": warning.close_reason or "",
            }
        )
    if warning.state == WarningState.LIFTED.value:
        label = month_label(warning.lifted_month, lang)
        entries.append(
            {
                "date": lifted_on or warning.issued_on,
                "kind": "lifted",
                "what": f"解除（{label}信号不再触发）" if zh else f"lifted (not firing in {label})",
                "actor": "",
                "text": "",
            }
        )
    order = {
        "issued": 0,
        "continued": 1,
        "received": 2,
        "feedback": 3,
        "case": 4,
        "closed": 5,
        "lifted": 6,
    }
    return sorted(entries, key=lambda e: (e["date"], order[e["kind"]]))


# -- the workbench -------------------------------------------------------------------------------


def warning_items(db: Session, current: Current) -> list[Item]:
    """What the account should watch: the warnings awaiting its receipt (for the city, those
    escalated to it), and how many red warnings are live in its reach."""
    role = Role(current.account.role)
    if Action.TASK not in ALLOWED[role]:
        return []
    try:
        scope = permitted(current.account, Action.TASK)
    except RefusedError:
        return []
    on = cases.today()
    reach = Current(account=current.account, session=current.session, scope=scope)
    city = scope.everywhere and scope.units is None
    filters = WarningFilters(state=WarningState.ISSUED, escalated=city)
    query = gated_warnings(db, reach, filters, on)
    found = list(db.scalars(query.limit(TODO_LIMIT + 1)))
    items: list[Item] = []
    red = counted(
        db,
        restrict(
            select(EarlyWarning.id).where(
                EarlyWarning.level == Level.RED.value, EarlyWarning.state.in_(LIVE)
            ),
            scope,
            EarlyWarning,
        ),
    )
    if red:
        items.append(
            Item(
                level="danger",
                zh="在办红色预警：",
                en="Red warnings live:",
                href="/warnings?level=red",
                count=red,
            )
        )
    for warning in found[:TODO_LIMIT]:
        due = receipt_of(warning, on)
        level = Level(warning.level)
        late = due is not None and due.escalated
        if due is None:
            when_zh, when_en = "请尽快签收（签收期限待节假日安排公布后计算）", "receive it soon"
        elif late:
            when_zh = f"已逾期未签收（{day(due.due, 'zh')}前应签收）"
            when_en = f"not received by {day(due.due, 'en')}"
        else:
            when_zh = f"请于{day(due.due, 'zh')}前签收"
            when_en = f"receive by {day(due.due, 'en')}"
        items.append(
            Item(
                level="danger" if level is Level.RED or late else "warning",
                zh=f"{level.label_zh}预警 {warning.id}：{subject_of(warning, 'zh')['name']}"
                f"{signal_title(warning.signal, 'zh')}，{when_zh}",
                en=f"{level.value.capitalize()} warning {warning.id}: "
                f"{subject_of(warning, 'en')['name']}, "
                f"{signal_title(warning.signal, 'en').lower()}; {when_en}",
                href=f"/warnings/{warning.id}",
            )
        )
    if len(found) > TODO_LIMIT:
        items.append(
            Item(
                level="info",
                zh="另有待签收预警：",
                en="More warnings to receive:",
                href="/warnings?state=issued" + ("&escalated=true" if city else ""),
                count=counted(db, query) - TODO_LIMIT,
            )
        )
    return items


# -- the cockpit ---------------------------------------------------------------------------------

COCKPIT_RED = 5


class RedWarning(BaseModel):
    id: int
    subject: str
    signal: str
    county: str
    since: str
    state: str


class WarningFigures(BaseModel):
    """The latest month monitored: how many warnings fired in it at each level, and the live
    red warnings (the newest few), in the area read."""

    month: str
    month_label: str
    counts: dict[str, int]
    """Warnings that fired in the month, by level (red, orange, yellow)."""
    red_live: int
    red: list[RedWarning]


def warning_figures(
    db: Session, scope: Scope, county: str | None, names: Names, lang: str
) -> WarningFigures | None:
    """The cockpit's warnings in ``scope`` (or ``county``: refused outside it); None before any
    month is monitored."""
    month = db.scalar(select(func.max(WarningMonth.month)))
    if month is None:
        return None
    by_level = restrict(
        select(WarningMonth.level, func.count())
        .join(EarlyWarning, EarlyWarning.id == WarningMonth.warning_id)
        .where(WarningMonth.month == month)
        .group_by(WarningMonth.level),
        scope,
        EarlyWarning,
        county=county,
    )
    counts = {level.value: 0 for level in LEVEL_ORDER}
    counts.update({level: count for level, count in db.execute(by_level).all()})
    red = restrict(
        select(EarlyWarning)
        .where(EarlyWarning.level == Level.RED.value, EarlyWarning.state.in_(LIVE))
        .order_by(EarlyWarning.id.desc()),
        scope,
        EarlyWarning,
        county=county,
    )
    return WarningFigures(
        month=month,
        month_label=month_label(month, lang),
        counts=counts,
        red_live=counted(db, red),
        red=[
            RedWarning(
                id=w.id,
                subject=subject_of(w, lang)["name"],
                signal=signal_title(w.signal, lang),
                county=names.places.get(w.county_code or "", w.county_code or "—"),
                since=month_label(w.since, lang),
                state=state_label(w.state, lang),
            )
            for w in db.scalars(red.limit(COCKPIT_RED))
        ],
    )
