"""Cities, counties, towns and parks (GB/T 2260 codes, or a park's own code)."""

from sqlalchemy import String
from sqlalchemy.orm import Mapped

from mujun.records.base import Base
from mujun.records.fields import ValueKind as V
from mujun.records.fields import attribute, derived
from mujun.records.vocabulary import JurisdictionLevel


class Jurisdiction(Base):
    __tablename__ = "jurisdictions"
    __table_args__ = {"info": {"label_zh": "行政区划"}}

    code: Mapped[str] = attribute(
        "区划代码", V.TEXT, key=True, help_zh="GB/T 2260 行政区划代码，或园区代码"
    )
    name: Mapped[str] = attribute("名称", V.TEXT, required=True)
    level: Mapped[str] = attribute("级别", V.CODE, required=True, choices=JurisdictionLevel)
    parent_code: Mapped[str | None] = attribute("上级区划代码", V.TEXT, references="jurisdictions")
    geometry_wkt: Mapped[str | None] = attribute(
        "边界图形(WKT)", V.WKT, help_zh="CGCS2000 (EPSG:4490) 经纬度 POLYGON / MULTIPOLYGON，可空"
    )
    county_code: Mapped[str | None] = derived(String())
    """The county (区县) it lies in, or is (:func:`mujun.analytics.land.counties`)."""
