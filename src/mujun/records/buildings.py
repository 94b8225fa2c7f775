"""Factories and office buildings standing on parcels."""

from datetime import date

from sqlalchemy.orm import Mapped

from mujun.records.base import Base
from mujun.records.fields import Imported, attribute
from mujun.records.fields import ValueKind as V
from mujun.records.vocabulary import BuildingKind, VacancyReason


class Building(Imported, Base):
    __tablename__ = "buildings"
    __table_args__ = {
        "info": {
            "label_zh": "厂房楼宇",
            "not_above": (("used_area_m2", "floor_area_m2"),),
        }
    }

    building_id: Mapped[str] = attribute("建筑编号", V.TEXT, key=True)
    parcel_id: Mapped[str] = attribute("宗地号", V.TEXT, required=True, references="parcels")
    kind: Mapped[str] = attribute("类型", V.CODE, required=True, choices=BuildingKind)
    floor_area_m2: Mapped[float] = attribute(
        "建筑面积(平方米)", V.NUMBER, required=True, non_negative=True
    )
    completed_date: Mapped[date | None] = attribute("竣工日期", V.DATE)
    production_start_date: Mapped[date | None] = attribute("投产日期", V.DATE)
    used_area_m2: Mapped[float | None] = attribute(
        "实际使用面积(平方米)", V.NUMBER, non_negative=True
    )
    vacant_since: Mapped[date | None] = attribute("闲置起始日期", V.DATE)
    vacancy_reason: Mapped[str | None] = attribute("闲置原因", V.CODE, choices=VacancyReason)
    owner_credit_code: Mapped[str | None] = attribute(
        "产权人信用代码", V.CREDIT_CODE, references="enterprises"
    )
    dynamic_reserve: Mapped[bool | None] = attribute("动态储备", V.BOOLEAN)
    investment_yuan: Mapped[float | None] = attribute("投资额(元)", V.NUMBER, non_negative=True)
