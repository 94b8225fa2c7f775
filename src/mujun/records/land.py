"""Land: parcels, who occupies them, their supply contracts, construction and approvals."""

from datetime import date

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped

from mujun.records.base import Base
from mujun.records.fields import Imported, attribute, derived
from mujun.records.fields import ValueKind as V
from mujun.records.vocabulary import ActualUse, LandUse, OccupancyKind, SupplyMethod, UseChange


class Parcel(Imported, Base):
    __tablename__ = "parcels"
    __table_args__ = (
        Index("ix_parcels_area", "area_m2"),  # the parcel list, largest first
        # A county's parcel list, in parcel order or largest first (and counted)
        Index("ix_parcels_county", "county_code", "parcel_id"),
        Index("ix_parcels_county_area", "county_code", "area_m2"),
        {"info": {"label_zh": "宗地"}},
    )

    parcel_id: Mapped[str] = attribute("宗地号", V.TEXT, key=True)
    area_m2: Mapped[float] = attribute("面积(平方米)", V.NUMBER, required=True, non_negative=True)
    jurisdiction_code: Mapped[str | None] = attribute(
        "所在区划代码", V.TEXT, references="jurisdictions"
    )
    park_code: Mapped[str | None] = attribute("所在园区代码", V.TEXT, references="jurisdictions")
    land_use: Mapped[str | None] = attribute("规划用途", V.CODE, choices=LandUse)
    actual_use: Mapped[str | None] = attribute("实际用途", V.CODE, choices=ActualUse)
    use_change: Mapped[str | None] = attribute("用途变更", V.CODE, choices=UseChange)
    use_change_expires: Mapped[date | None] = attribute("临时变更到期日", V.DATE)
    supply_method: Mapped[str | None] = attribute("供地方式", V.CODE, choices=SupplyMethod)
    supply_date: Mapped[date | None] = attribute("供地日期", V.DATE)
    holder_credit_code: Mapped[str | None] = attribute(
        "使用权人信用代码", V.CREDIT_CODE, references="enterprises"
    )
    planning_adjustment: Mapped[bool | None] = attribute("规划调整", V.BOOLEAN)
    dynamic_reserve: Mapped[bool | None] = attribute("动态储备", V.BOOLEAN)
    geometry_wkt: Mapped[str | None] = attribute(
        "宗地图形(WKT)", V.WKT, help_zh="CGCS2000 (EPSG:4490) 经纬度 POLYGON / MULTIPOLYGON"
    )
    county_code: Mapped[str | None] = derived(String(), index=False)
    """The county (区县) its jurisdiction lies in."""


class LandOccupancy(Imported, Base):
    __tablename__ = "land_occupancy"
    __table_args__ = (
        Index("ix_land_occupancy_parcel", "parcel_id"),  # who is on a parcel
        {"info": {"label_zh": "用地情况"}},
    )

    credit_code: Mapped[str] = attribute(
        "统一社会信用代码", V.CREDIT_CODE, key=True, references="enterprises"
    )
    parcel_id: Mapped[str] = attribute("宗地号", V.TEXT, key=True, references="parcels")
    kind: Mapped[str] = attribute("用地类型", V.CODE, key=True, choices=OccupancyKind)
    area_m2: Mapped[float] = attribute("面积(平方米)", V.NUMBER, required=True, non_negative=True)


class LandContract(Imported, Base):
    __tablename__ = "land_contracts"
    __table_args__ = {
        "info": {
            "label_zh": "供地合同",
            "in_order": (("agreed_start_date", "agreed_completion_date"),),
        }
    }

    contract_id: Mapped[str] = attribute("合同编号", V.TEXT, key=True)
    parcel_id: Mapped[str] = attribute("宗地号", V.TEXT, required=True, references="parcels")
    credit_code: Mapped[str | None] = attribute(
        "受让人信用代码", V.CREDIT_CODE, references="enterprises"
    )
    signed_date: Mapped[date | None] = attribute("签订日期", V.DATE)
    land_price_yuan: Mapped[float | None] = attribute("土地价款(元)", V.NUMBER, non_negative=True)
    agreed_start_date: Mapped[date | None] = attribute("约定开工日期", V.DATE)
    agreed_completion_date: Mapped[date | None] = attribute("约定竣工日期", V.DATE)
    total_investment_yuan: Mapped[float | None] = attribute(
        "总投资额(元)", V.NUMBER, non_negative=True
    )
    committed_investment_per_mu_yuan: Mapped[float | None] = attribute(
        "承诺亩均投资(元/亩)", V.NUMBER, non_negative=True
    )
    committed_tax_per_mu_yuan: Mapped[float | None] = attribute(
        "承诺亩均税收(元/亩)", V.NUMBER, non_negative=True
    )
    committed_far: Mapped[float | None] = attribute("承诺容积率", V.NUMBER, non_negative=True)
    term_years: Mapped[int | None] = attribute("出让年限(年)", V.INTEGER, non_negative=True)


class Construction(Imported, Base):
    __tablename__ = "construction"
    __table_args__ = {
        "info": {
            "label_zh": "开发建设",
            "in_order": (("started_date", "completed_date"), ("started_date", "as_of")),
            "not_above": (("developed_area_m2", "area_to_develop_m2"),),
        }
    }

    parcel_id: Mapped[str] = attribute("宗地号", V.TEXT, key=True, references="parcels")
    as_of: Mapped[date] = attribute("统计日期", V.DATE, key=True)
    started_date: Mapped[date | None] = attribute("实际开工日期", V.DATE)
    developed_area_m2: Mapped[float | None] = attribute(
        "已开发面积(平方米)", V.NUMBER, non_negative=True
    )
    area_to_develop_m2: Mapped[float | None] = attribute(
        "应开发面积(平方米)", V.NUMBER, non_negative=True
    )
    invested_yuan: Mapped[float | None] = attribute("已投资额(元)", V.NUMBER, non_negative=True)
    suspended_since: Mapped[date | None] = attribute("停工日期", V.DATE)
    completed_date: Mapped[date | None] = attribute("竣工日期", V.DATE)


class LandApproval(Imported, Base):
    __tablename__ = "land_approvals"
    __table_args__ = {
        "info": {
            "label_zh": "农转用批次",
            "not_above": (("supplied_area_m2", "approved_area_m2"),),
        }
    }

    approval_id: Mapped[str] = attribute("批次编号", V.TEXT, key=True)
    jurisdiction_code: Mapped[str] = attribute(
        "区划代码", V.TEXT, required=True, references="jurisdictions"
    )
    approved_date: Mapped[date] = attribute("批准日期", V.DATE, required=True)
    approved_area_m2: Mapped[float] = attribute(
        "批准面积(平方米)", V.NUMBER, required=True, non_negative=True
    )
    supplied_area_m2: Mapped[float | None] = attribute(
        "已供地面积(平方米)", V.NUMBER, non_negative=True
    )
