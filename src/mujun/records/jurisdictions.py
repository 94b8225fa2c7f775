"""Cities, counties, towns and parks (GB/T 2260 codes, or a park's own code)."""

from sqlalchemy import String
from sqlalchemy.orm import Mapped

from mujun.records.base import Base
from mujun.records.fields import Imported, attribute, derived
from mujun.records.fields import ValueKind as V
from mujun.records.vocabulary import JurisdictionLevel


class Jurisdiction(Imported, Base):
    __tablename__ = "jurisdictions"
    __table_args__ = {"info": {"label_zh": "行政区划"}}

    code: Mapped[str] = attribute(
        "区划代码", V.TEXT, key=True, help_zh="GB/T 2260 行政区划代码，或园区代码"
    )
    name: Mapped[str] = attribute("名称", V.TEXT, required=True)
    short_name: Mapped[str | None] = attribute(
        "简称",
        V.TEXT,
        help_zh="发文字号等处使用的简称（如 桐庐县 → 桐），空则取名称的第一个字",
    )
    level: Mapped[str] = attribute("级别", V.CODE, required=True, choices=JurisdictionLevel)
    parent_code: Mapped[str | None] = attribute("上级区划代码", V.TEXT, references="jurisdictions")
    geometry_wkt: Mapped[str | None] = attribute(
        "边界图形(WKT)", V.WKT, help_zh="CGCS2000 (EPSG:4490) 经纬度 POLYGON / MULTIPOLYGON，可空"
    )
    county_code: Mapped[str | None] = derived(String())
    """The county (区县) it lies in, or is (:func:`mujun.analytics.land.counties`)."""

    @property
    def short(self) -> str:
        """Its short name (简称) as document numbers print it: ``short_name``, else the first
        character of its name (桐庐县 → 桐)."""
        given = (self.short_name or "").strip()
        return given or self.name.strip()[:1]
