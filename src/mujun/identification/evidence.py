"""Labels for a finding's evidence: every figure a rule formula compares, in Chinese and English
with its unit, and the coded values those figures take.

A figure recorded for several years is named ``<name>_<year>`` (``tax_per_mu_yuan_2023``); its
label is the base figure's with the year (``2023年亩均税收（元/亩）``). A key no formula uses is
labelled by itself, so nothing is ever hidden.

Values are written as a person reads them: amounts of money and areas with two decimals and
thousands separators, days whole, shares as percentages (the label says %), dates ISO, true and
false as 是 and 否, codes by their label and lists joined with 、.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import Enum
from functools import lru_cache
from typing import Any

from mujun.interchange.problems import Language
from mujun.interchange.workbooks.styles import FALSE_ZH, TRUE_ZH
from mujun.records.vocabulary import (
    ActualUse,
    BuildingKind,
    Coded,
    ComplianceKind,
    LandUse,
    LegalEventKind,
    SupplyMethod,
    UseChange,
    VacancyReason,
)


class Unit(Enum):
    """What a figure measures: its label in each language and how a number is written."""

    YUAN = ("元", "yuan")
    YUAN_PER_MU = ("元/亩", "yuan/mu")
    YUAN_PER_M2 = ("元/平方米", "yuan/m²")
    MU = ("亩", "mu")
    M2 = ("平方米", "m²")
    DAYS = ("天", "days")
    PERCENT = ("%", "%")

    def label(self, lang: Language) -> str:
        zh, en = self.value
        return zh if lang == "zh" else en

    def number(self, value: float) -> str:
        if self is Unit.DAYS:
            return f"{round(value):,}"
        if self is Unit.PERCENT:
            return f"{value * 100:,.2f}"
        return f"{value:,.2f}"


CodeLabels = Mapping[str, tuple[str, str]]
"""A coded value's label in Chinese and in English, by code."""


@dataclass(frozen=True)
class Figure:
    """One evidence figure: its name in each language, unit and, when coded, its values."""

    zh: str
    en: str
    unit: Unit | None = None
    codes: CodeLabels | None = None

    def label(self, lang: Language, year: str | None = None) -> str:
        if lang == "zh":
            name = f"{year}年{self.zh}" if year else self.zh
            return f"{name}（{self.unit.label(lang)}）" if self.unit else name
        name = f"{self.en} in {year}" if year else self.en
        return f"{name} ({self.unit.label(lang)})" if self.unit else name


def _coded(vocabulary: type[Coded], en: Mapping[str, str]) -> CodeLabels:
    """The labels of a vocabulary of the records: its own Chinese, and English from ``en``."""
    return {member.value: (member.label_zh, en[member.value]) for member in vocabulary}


_CONSEQUENCES: CodeLabels = {
    "idle_fee": ("征缴土地闲置费", "idle-land fee levied"),
    "revocation": ("无偿收回", "revoked without compensation"),
}
_IDLE_KINDS: CodeLabels = {
    "built_not_producing": ("建而未投", "built, not producing"),
    "partly_used": ("投而未尽", "producing, largely unused"),
    "vacant": ("停产搬迁闲置", "vacant after a halt, relocation or bankruptcy"),
}
_LISTS: CodeLabels = {
    "yancheng/list/land": ("闲置低效土地清单", "list of idle and under-used land"),
    "yancheng/list/factory": ("闲置厂房清单", "list of idle factories"),
    "yancheng/list/building": ("闲置楼宇清单", "list of idle office buildings"),
}
_COMPLIANCE_KINDS = _coded(
    ComplianceKind,
    {
        "prohibited_industry": "prohibited industry",
        "eliminated_industry": "industry to be eliminated",
        "energy": "energy use not up to standard",
        "safety": "safety not up to standard",
        "environment": "environmental protection not up to standard",
        "quality": "quality not up to standard",
    },
)
_LEGAL_KINDS = _coded(
    LegalEventKind,
    {
        "debt_dispute": "debt dispute",
        "mortgage": "assets mortgaged",
        "seizure": "assets seized by a court",
        "bankruptcy": "bankruptcy",
        "enforcement": "enforcement",
    },
)
_LAND_USES = {
    "industrial": "industrial",
    "warehouse": "warehousing",
    "commercial": "commercial",
    "residential": "residential",
    "other": "other",
}

_FIGURES: dict[str, Figure] = {
    # subjects and where they are
    "credit_code": Figure("统一社会信用代码", "Credit code"),
    "county_code": Figure("所在县（市、区）代码", "County code"),
    "county_name": Figure("所在县（市、区）", "County"),
    "park_code": Figure("所在园区代码", "Park code"),
    "industry_code": Figure("行业代码", "Industry code"),
    "industry_division": Figure("同行业代码", "Same-industry code"),
    "year": Figure("年度", "Year"),
    "above_scale": Figure("规上企业", "Above scale"),
    # land and its supply
    "land_use": Figure("规划用途", "Planned use", codes=_coded(LandUse, _LAND_USES)),
    "actual_use": Figure(
        "实际用途",
        "Actual use",
        codes=_coded(
            ActualUse,
            {"industrial": "industrial", "non_industrial": "non-industrial", "vacant": "vacant"},
        ),
    ),
    "use_change": Figure(
        "用途变更",
        "Change of use",
        codes=_coded(
            UseChange,
            {"none": "none", "approved": "approved change", "temporary": "temporary change"},
        ),
    ),
    "use_change_expires": Figure("临时变更到期日", "Temporary change expires"),
    "supply_method": Figure(
        "供地方式",
        "Supply method",
        codes=_coded(SupplyMethod, {"transfer": "transfer", "allocation": "allocation"}),
    ),
    "supply_date": Figure("供地日期", "Supplied on"),
    "area_mu": Figure("宗地面积", "Parcel area", Unit.MU),
    "land_m2": Figure("企业用地面积", "Enterprise land", Unit.M2),
    "land_mu": Figure("企业用地面积", "Enterprise land", Unit.MU),
    "leased_out_m2": Figure("出租面积", "Area leased out", Unit.M2),
    "planning_adjustment": Figure("规划调整", "Planning adjustment"),
    "approved_date": Figure("批准日期", "Approved on"),
    "approved_area_m2": Figure("批准面积", "Approved area", Unit.M2),
    "supplied_area_m2": Figure("已供地面积", "Area supplied", Unit.M2),
    "unsupplied_m2": Figure("批而未供面积", "Area approved, not supplied", Unit.M2),
    "unsupplied_mu": Figure("批而未供面积", "Area approved, not supplied", Unit.MU),
    # contracts and construction
    "agreed_start_date": Figure("约定开工日期", "Agreed start date"),
    "land_price_yuan": Figure("土地价款", "Land price", Unit.YUAN),
    "total_investment_yuan": Figure("约定总投资额", "Agreed total investment", Unit.YUAN),
    "committed_investment_per_mu_yuan": Figure(
        "约定投资强度", "Agreed investment intensity", Unit.YUAN_PER_MU
    ),
    "record_as_of": Figure("开发建设统计日期", "Construction record as of"),
    "started_date": Figure("实际开工日期", "Started on"),
    "developed_area_m2": Figure("已开发面积", "Area developed", Unit.M2),
    "area_to_develop_m2": Figure("应开发面积", "Area to develop", Unit.M2),
    "invested_yuan": Figure("已投资额", "Invested", Unit.YUAN),
    "investment_per_mu_yuan": Figure("亩均投资", "Investment per mu", Unit.YUAN_PER_MU),
    "suspended_since": Figure("停工日期", "Suspended since"),
    # idleness and its consequence
    "idle": Figure("已认定闲置", "Identified idle"),
    "idle_since": Figure("闲置起算日期", "Idle since"),
    "idle_days": Figure("闲置天数", "Idle for", Unit.DAYS),
    "consequence": Figure("处置方式", "Consequence", codes=_CONSEQUENCES),
    "idle_fee_yuan": Figure("土地闲置费", "Idle-land fee", Unit.YUAN),
    "idle_parcels": Figure("闲置宗地", "Idle parcels"),
    # buildings
    "kind": Figure(
        "房屋类型",
        "Building kind",
        codes=_coded(BuildingKind, {"factory": "factory", "office": "office building"}),
    ),
    "floor_area_m2": Figure("建筑面积", "Floor area", Unit.M2),
    "used_area_m2": Figure("实际使用面积", "Floor area used", Unit.M2),
    "factory_floor_m2": Figure("厂房建筑面积合计", "Factory floor area", Unit.M2),
    "completed_date": Figure("竣工日期", "Completed on"),
    "production_start_date": Figure("投产日期", "Production started on"),
    "vacant_since": Figure("闲置起始日期", "Vacant since"),
    "vacancy_reason": Figure(
        "闲置原因",
        "Reason vacant",
        codes=_coded(
            VacancyReason,
            {"relocated": "relocation", "bankrupt": "bankruptcy", "halted": "production halted"},
        ),
    ),
    "cutoff": Figure("认定截止日期", "Cut-off date"),
    "idle_kind": Figure("闲置情形", "Kind of idleness", codes=_IDLE_KINDS),
    "listed_as": Figure("所列清单", "Listed on", codes=_LISTS),
    "investment_yuan": Figure("投资额", "Investment", Unit.YUAN),
    "investment_per_m2_yuan": Figure("单位面积投资", "Investment per m²", Unit.YUAN_PER_M2),
    "output_per_m2_yuan": Figure("单位面积产值", "Output per m²", Unit.YUAN_PER_M2),
    "tax_per_m2_yuan": Figure("单位面积税收", "Tax per m²", Unit.YUAN_PER_M2),
    "park_industry_investment_per_m2_yuan": Figure(
        "园区同行业单位面积投资平均",
        "Park same-industry average investment per m²",
        Unit.YUAN_PER_M2,
    ),
    "park_industry_output_per_m2_yuan": Figure(
        "园区同行业单位面积产值平均",
        "Park same-industry average output per m²",
        Unit.YUAN_PER_M2,
    ),
    "park_industry_tax_per_m2_yuan": Figure(
        "园区同行业单位面积税收平均", "Park same-industry average tax per m²", Unit.YUAN_PER_M2
    ),
    # an enterprise's figures
    "tax_yuan": Figure("税收实缴", "Tax paid", Unit.YUAN),
    "output_yuan": Figure("工业总产值", "Industrial output", Unit.YUAN),
    "profit_yuan": Figure("利润总额", "Profit", Unit.YUAN),
    "total_assets_yuan": Figure("资产总额", "Total assets", Unit.YUAN),
    "total_liabilities_yuan": Figure("负债总额", "Total liabilities", Unit.YUAN),
    "capacity_use": Figure("产能利用率", "Capacity use", Unit.PERCENT),
    "loss_making": Figure("连续亏损", "Loss-making every year"),
    "halted": Figure("全年停产", "Halted all year"),
    "annual_report_filed": Figure("已报送年报", "Annual report filed"),
    "tax_return_filed": Figure("已纳税申报", "Tax return filed"),
    "tax_per_mu_yuan": Figure("亩均税收", "Tax per mu", Unit.YUAN_PER_MU),
    "line_yuan_per_mu": Figure(
        "亩均税收低效线", "Low-efficiency line of tax per mu", Unit.YUAN_PER_MU
    ),
    "park_industry_avg_yuan": Figure(
        "园区同行业规上企业亩均税收平均",
        "Park same-industry above-scale average tax per mu",
        Unit.YUAN_PER_MU,
    ),
    "county_avg_yuan": Figure(
        "所在县规上企业亩均税收平均", "County above-scale average tax per mu", Unit.YUAN_PER_MU
    ),
    "low_efficiency": Figure("亩均税收认定为低效", "Low-efficiency by tax per mu"),
    # compliance and legal trouble
    "compliance_kinds": Figure("合规问题", "Compliance problems", codes=_COMPLIANCE_KINDS),
    "compliance_since": Figure("问题发现日期", "Problem found on"),
    "overdue_kinds": Figure(
        "逾期未整改问题", "Problems not fixed in time", codes=_COMPLIANCE_KINDS
    ),
    "deadline": Figure("整改期限", "Rectification deadline"),
    "legal_kinds": Figure("涉诉涉债情形", "Legal events", codes=_LEGAL_KINDS),
    "legal_since": Figure("涉诉涉债发生日期", "Legal event since"),
    # the comprehensive evaluation a rule reads
    "evaluation": Figure("综合评价配置", "Evaluation"),
    "evaluation_year": Figure("评价年度", "Year evaluated"),
    "grade": Figure("综合评价等级", "Grade"),
    "score": Figure("综合评价得分", "Score"),
}

_YEARLY = re.compile(r"^(?P<name>.+)_(?P<year>\d{4})$")


@lru_cache(maxsize=4096)
def _figure(key: str) -> tuple[Figure, str | None] | None:
    """The figure a key names, and the year when it is a year's figure; None when unknown."""
    if key in _FIGURES:
        return _FIGURES[key], None
    match = _YEARLY.match(key)
    if match and match["name"] in _FIGURES:
        return _FIGURES[match["name"]], match["year"]
    return None


@lru_cache(maxsize=4096)
def evidence_label(key: str, lang: Language = "zh") -> str:
    """The label of an evidence key with its unit: ``亩均税收（元/亩）``; the key itself when
    no formula uses it."""
    found = _figure(key)
    if found is None:
        return key
    figure, year = found
    return figure.label(lang, year)


def evidence_value(key: str, value: Any, lang: Language = "zh") -> str:
    """One evidence value as a person reads it (see the module's docstring)."""
    found = _figure(key)
    figure = found[0] if found else None
    if value is None:
        return "无" if lang == "zh" else "none"
    if isinstance(value, bool):
        return (TRUE_ZH if value else FALSE_ZH) if lang == "zh" else ("yes" if value else "no")
    if isinstance(value, list | tuple):
        parts = [evidence_value(key, item, lang) for item in value]
        return ("、" if lang == "zh" else ", ").join(parts)
    if isinstance(value, int | float):
        return _number(figure, value)
    if isinstance(value, date):
        return value.isoformat()
    codes = figure.codes if figure is not None and figure.codes is not None else {}
    if isinstance(value, str) and value in codes:
        zh, en = codes[value]
        return zh if lang == "zh" else en
    return str(value)


def _number(figure: Figure | None, value: float) -> str:
    if figure is not None and figure.unit is not None:
        return figure.unit.number(value)
    if isinstance(value, int):
        return str(value)  # a year, a count
    return f"{value:,.2f}"


def format_evidence(evidence: Mapping[str, Any], lang: Language = "zh") -> str:
    """A finding's evidence on one line, in the order the rule gives it:
    ``亩均税收（元/亩）: 12,000.00；园区同行业…（元/亩）: 41,000.00``."""
    separator = "；" if lang == "zh" else "; "
    return separator.join(
        f"{evidence_label(key, lang)}: {evidence_value(key, value, lang)}"
        for key, value in evidence.items()
    )


__all__ = ["evidence_label", "evidence_value", "format_evidence"]
