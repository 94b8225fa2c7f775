"""Enterprises, identified by their unified social credit code (统一社会信用代码)."""

import datetime as dt

from sqlalchemy import Float, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from mujun.records.base import Base
from mujun.records.fields import Imported, attribute, derived
from mujun.records.fields import ValueKind as V
from mujun.records.vocabulary import EnterpriseStatus


class Enterprise(Imported, Base):
    __tablename__ = "enterprises"
    __table_args__ = (
        Index("ix_enterprises_name", "name"),  # the enterprise list, by name
        Index("ix_enterprises_land", "land_m2", "credit_code"),  # the list, by land
        {"info": {"label_zh": "企业"}},
    )

    credit_code: Mapped[str] = attribute(
        "统一社会信用代码", V.CREDIT_CODE, key=True, help_zh="18 位，校验位按 GB 32100"
    )
    name: Mapped[str] = attribute("企业名称", V.TEXT, required=True)
    industry_code: Mapped[str | None] = attribute("行业代码", V.TEXT, help_zh="GB/T 4754，如 C3489")
    above_scale: Mapped[bool | None] = attribute("规上", V.BOOLEAN, help_zh="是 / 否")
    status: Mapped[str | None] = attribute("经营状态", V.CODE, choices=EnterpriseStatus)
    jurisdiction_code: Mapped[str | None] = attribute(
        "所在区划代码", V.TEXT, references="jurisdictions"
    )
    park_code: Mapped[str | None] = attribute("所在园区代码", V.TEXT, references="jurisdictions")
    registered_date: Mapped[dt.date | None] = attribute(
        "成立日期", V.DATE, help_zh="营业执照登记的成立日期"
    )
    land_m2: Mapped[float | None] = derived(Float(), index=False)
    """Its land (:func:`mujun.analytics.land.enterprise_land`); None without any."""


class EnterpriseCounty(Base):
    """Each county an enterprise is in (:func:`mujun.analytics.land.enterprise_places`),
    derived from the facts like :attr:`Enterprise.land_m2`: what the web's county scope reads."""

    __tablename__ = "enterprise_counties"
    __table_args__ = (Index("ix_enterprise_counties_county", "county_code", "credit_code"),)

    credit_code: Mapped[str] = mapped_column(String(18), primary_key=True)
    county_code: Mapped[str] = mapped_column(String(), primary_key=True)
