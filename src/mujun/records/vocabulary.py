"""Coded values of the interchange format, each with the Chinese label departments write.

The code (``industrial``) is what the records and the CSV interchange carry; the label (``工业``)
is what a template's drop-down offers and what an import also accepts.
"""

from enum import StrEnum
from typing import Self


class Coded(StrEnum):
    """A string enum whose members also carry a Chinese label."""

    label_zh: str

    def __new__(cls, value: str, label_zh: str = "") -> Self:
        member = str.__new__(cls, value)
        member._value_ = value
        member.label_zh = label_zh
        return member


class JurisdictionLevel(Coded):
    CITY = "city", "市"
    COUNTY = "county", "县(市、区)"
    TOWN = "town", "乡镇(街道)"
    PARK = "park", "园区"


class EnterpriseStatus(Coded):
    OPERATING = "operating", "在营"
    HALTED = "halted", "停产"
    BANKRUPT = "bankrupt", "破产"
    DEREGISTERED = "deregistered", "注销"


class LandUse(Coded):
    INDUSTRIAL = "industrial", "工业"
    WAREHOUSE = "warehouse", "仓储"
    COMMERCIAL = "commercial", "商业"
    RESIDENTIAL = "residential", "住宅"
    OTHER = "other", "其他"


class ActualUse(Coded):
    INDUSTRIAL = "industrial", "工业"
    NON_INDUSTRIAL = "non_industrial", "非工业"
    VACANT = "vacant", "空置"


class UseChange(Coded):
    NONE = "none", "无"
    APPROVED = "approved", "已批准变更"
    TEMPORARY = "temporary", "临时变更"


class SupplyMethod(Coded):
    TRANSFER = "transfer", "出让"
    ALLOCATION = "allocation", "划拨"


class OccupancyKind(Coded):
    OWNED = "owned", "自有"
    LEASED_IN = "leased_in", "租入"
    LEASED_OUT = "leased_out", "出租"


class BuildingKind(Coded):
    FACTORY = "factory", "厂房"
    OFFICE = "office", "楼宇"


class VacancyReason(Coded):
    RELOCATED = "relocated", "搬迁"
    BANKRUPT = "bankrupt", "破产"
    HALTED = "halted", "停产"


class LegalEventKind(Coded):
    DEBT_DISPUTE = "debt_dispute", "债务纠纷"
    MORTGAGE = "mortgage", "资产抵押"
    SEIZURE = "seizure", "司法查封"
    BANKRUPTCY = "bankruptcy", "破产"
    ENFORCEMENT = "enforcement", "强制执行"


class ComplianceKind(Coded):
    PROHIBITED_INDUSTRY = "prohibited_industry", "禁止类产业"
    ELIMINATED_INDUSTRY = "eliminated_industry", "淘汰类产业"
    ENERGY = "energy", "能耗不达标"
    SAFETY = "safety", "安全不达标"
    ENVIRONMENT = "environment", "环保不达标"
    QUALITY = "quality", "质量不达标"


class ChangeAction(StrEnum):
    INSERT = "insert"
    UPDATE = "update"
    DELETE = "delete"
