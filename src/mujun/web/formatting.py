"""How the pages write dates, areas and amounts: one module, used by the templates as filters.

Dates as notices write them (2025年12月31日; in English 31 Dec 2025), times in Beijing time;
areas in 亩 and amounts in 万元 (and 万元/亩 per mu, as the evaluation notices give them),
with thousands separators and the unit after the figure. A missing value is a dash.
"""

import datetime as dt
from functools import cache
from typing import Any

from jinja2 import pass_context
from jinja2.runtime import Context

from mujun.interchange import schema
from mujun.interchange.problems import Language
from mujun.monitoring.signals import SIGNALS
from mujun.policy.profiles import ProfileError, all_profiles, load_profile
from mujun.web.language import language_of
from mujun.writing import chinese_date

BEIJING = dt.timezone(dt.timedelta(hours=8), "CST")
MISSING = "—"
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def day(value: dt.date | str | None, lang: Language = "zh") -> str:
    """2025年12月31日, or 31 Dec 2025 (an ISO text is read first; a time drops its hours)."""
    if value is None or value == "":
        return MISSING
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value[:10])
        except ValueError:
            return str(value)
    if isinstance(value, dt.datetime):
        value = _local(value).date()
    if lang == "zh":
        return chinese_date(value)
    return f"{value.day} {MONTHS[value.month - 1]} {value.year}"


def moment(value: dt.datetime | str | None, lang: Language = "zh") -> str:
    """A time to the minute, in Beijing time: 2025年12月31日 14:05, or 31 Dec 2025 14:05."""
    if value is None or value == "":
        return MISSING
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return str(value)
    local = _local(value)
    return f"{day(local.date(), lang)} {local:%H:%M}"


def _local(value: dt.datetime) -> dt.datetime:
    """A stored time (aware, or naive UTC as SQLite gives it back) in Beijing time."""
    aware = value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
    return aware.astimezone(BEIJING)


def figure(value: float | None, digits: int = 2) -> str:
    """A number with thousands separators and ``digits`` decimals (a dash when missing)."""
    if value is None:
        return MISSING
    return f"{value:,.{digits}f}"


def with_unit(value: float | None, unit_zh: str, unit_en: str, lang: Language, digits: int) -> str:
    if value is None:
        return MISSING
    return f"{figure(value, digits)} {unit_zh if lang == 'zh' else unit_en}"


def _lang(context: Context) -> Language:
    return language_of(context["request"])


@pass_context
def day_filter(context: Context, value: Any) -> str:
    """``{{ run.as_of | day }}``."""
    return day(value, _lang(context))


@pass_context
def moment_filter(context: Context, value: Any) -> str:
    """``{{ job.created_at | moment }}``."""
    return moment(value, _lang(context))


@pass_context
def mu_filter(context: Context, value: float | None, digits: int = 2) -> str:
    """An area already in mu: ``{{ 12.5 | mu }}`` is 12.50 亩."""
    return with_unit(value, "亩", "mu", _lang(context), digits)


@pass_context
def wan_filter(context: Context, yuan: float | None, digits: int = 2) -> str:
    """An amount in yuan, written in 10,000 yuan: ``{{ 123456 | wan }}`` is 12.35 万元."""
    return with_unit(
        None if yuan is None else yuan / 10_000, "万元", "10k yuan", _lang(context), digits
    )


@pass_context
def wan_per_mu_filter(context: Context, yuan_per_mu: float | None, digits: int = 2) -> str:
    """Yuan per mu, written as the notices do: ``{{ 52000 | wan_per_mu }}`` is 5.20 万元/亩."""
    per_mu = None if yuan_per_mu is None else yuan_per_mu / 10_000
    return with_unit(per_mu, "万元/亩", "10k yuan/mu", _lang(context), digits)


def count_filter(value: int | None) -> str:
    """A count with thousands separators: ``{{ 12345 | count }}`` is 12,345."""
    return MISSING if value is None else f"{value:,}"


TABLES_EN = {
    "jurisdictions": "administrative divisions",
    "enterprises": "enterprises",
    "parcels": "parcels",
    "land_occupancy": "land occupancy",
    "land_contracts": "land supply contracts",
    "construction": "development and construction",
    "buildings": "factory buildings",
    "annual_metrics": "annual figures",
    "monthly_metrics": "monthly figures",
    "legal_events": "lawsuits and debts",
    "compliance": "compliance problems",
    "land_approvals": "farmland conversion approvals",
}
"""The tables of the records by name in English (their Chinese names are the interchange
format's sheet names)."""


@pass_context
def table_filter(context: Context, name: str | None) -> str:
    """A table of the records by its name in the page's language: ``parcels`` is 宗地, or
    parcels; ``annual_metrics`` is 年度指标, or annual figures."""
    if not name:
        return MISSING
    return table_title(name, _lang(context))


def table_title(name: str, lang: Language) -> str:
    """A table's name in ``lang``; the name itself for a table the format does not know."""
    if lang == "zh":
        return _table_labels().get(name, name)
    return TABLES_EN.get(name, name)


@cache
def _table_labels() -> dict[str, str]:
    return {spec.name: spec.label_zh for spec in schema.tables()}


@pass_context
def rule_filter(context: Context, rule_id: str | None) -> str:
    """A rule by its title in the page's language (``idle/not-started`` is 动工开发未满…);
    the id itself when no shipped profile has it."""
    return rule_title(rule_id, _lang(context))


def rule_title(rule_id: str | None, lang: Language) -> str:
    """A rule's title in ``lang`` (or a monitoring signal's, the criterion of a case opened
    from a warning), or its id when no shipped profile has it."""
    if not rule_id:
        return MISSING
    titles = _rule_titles().get(rule_id)
    if titles is None:
        return rule_id
    return titles[0] if lang == "zh" else titles[1]


@cache
def _rule_titles() -> dict[str, tuple[str, str]]:
    titles: dict[str, tuple[str, str]] = {}
    for profile in all_profiles():
        for rule in profile.rules.values():
            titles.setdefault(rule.id, (rule.title_zh, rule.title_en))
    for signal in SIGNALS.values():
        titles.setdefault(signal.id, (signal.title_zh, signal.title_en))
    return titles


@pass_context
def profile_filter(context: Context, profile_id: str | None) -> str:
    """A profile by its title in the page's language; its id when it is not shipped."""
    if not profile_id:
        return MISSING
    titles = _profile_titles().get(profile_id)
    if titles is None:
        return profile_id
    return titles[0] if _lang(context) == "zh" else titles[1]


@cache
def _profile_titles() -> dict[str, tuple[str, str]]:
    return {p.id: (p.title_zh, p.title_en) for p in all_profiles() if p.title_zh}


@pass_context
def cohort_filter(context: Context, cohort: str | None, profile_id: str) -> str:
    """An evaluation cohort by its title in the page's language: ``{{ g.cohort |
    cohort(g.profile) }}`` is 规上工业企业; its id for a profile no longer shipped."""
    if not cohort:
        return MISSING
    titles = _cohort_titles(profile_id).get(cohort)
    if titles is None:
        return cohort
    return titles[0] if _lang(context) == "zh" else titles[1]


@cache
def _cohort_titles(profile_id: str) -> dict[str, tuple[str, str]]:
    try:
        spec = load_profile(profile_id).evaluation
    except ProfileError:
        return {}
    return {} if spec is None else {c.id: (c.title_zh, c.title_en) for c in spec.cohorts}


_STAGES = {
    "read": ("数据已读取", "records read"),
    "findings": ("汇总认定结果", "collecting the findings"),
    "graded": ("汇总评价等级", "collecting the grades"),
    "warnings": ("汇总预警", "collecting the warnings"),
}
"""The stages a run reports besides reading a table and judging by a rule, signal or cohort."""


def stage_titles(stage: str | None, profile_id: str | None) -> tuple[str, str] | None:
    """What a job reports doing, by name in Chinese and English: reading a table of the
    records (读取「宗地」), judging by a rule or a signal, grading a cohort; None before it
    starts; the stage itself when it is none of these."""
    if not stage:
        return None
    if stage in _STAGES:
        return _STAGES[stage]
    table = stage.removeprefix("read ")
    if table != stage:
        return f"读取「{table_title(table, 'zh')}」", f"reading {table_title(table, 'en')}"
    if stage in _rule_titles():
        zh, en = _rule_titles()[stage]
        return f"判定：{zh}", f"judging: {en}"
    cohorts = _cohort_titles(profile_id) if profile_id else {}
    if stage in cohorts:
        zh, en = cohorts[stage]
        return f"评价：{zh}", f"grading: {en}"
    return stage, stage


FILTERS = {
    "cohort": cohort_filter,
    "profile": profile_filter,
    "rule": rule_filter,
    "table_name": table_filter,
    "day": day_filter,
    "moment": moment_filter,
    "figure": figure,
    "count": count_filter,
    "mu": mu_filter,
    "wan": wan_filter,
    "wan_per_mu": wan_per_mu_filter,
}
"""The filters every template may use (installed by :mod:`mujun.web.pages`)."""
