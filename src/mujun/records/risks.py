"""Signals of trouble: court and bank events, and compliance failures."""

import datetime as dt

from sqlalchemy.orm import Mapped

from mujun.records.base import Base
from mujun.records.fields import Imported, attribute
from mujun.records.fields import ValueKind as V
from mujun.records.vocabulary import ComplianceKind, LegalEventKind


class LegalEvent(Imported, Base):
    __tablename__ = "legal_events"
    __table_args__ = {"info": {"label_zh": "涉诉涉债", "in_order": (("date", "closed_date"),)}}

    credit_code: Mapped[str] = attribute(
        "统一社会信用代码", V.CREDIT_CODE, key=True, references="enterprises"
    )
    kind: Mapped[str] = attribute("事件类型", V.CODE, key=True, choices=LegalEventKind)
    date: Mapped[dt.date] = attribute("发生日期", V.DATE, key=True)
    case_no: Mapped[str | None] = attribute("案号", V.TEXT)
    amount_yuan: Mapped[float | None] = attribute("涉及金额(元)", V.NUMBER, non_negative=True)
    closed_date: Mapped[dt.date | None] = attribute("结案日期", V.DATE)


class Compliance(Imported, Base):
    __tablename__ = "compliance"
    __table_args__ = {
        "info": {
            "label_zh": "合规问题",
            "in_order": (("since", "deadline"), ("since", "resolved_date")),
        }
    }

    credit_code: Mapped[str] = attribute(
        "统一社会信用代码", V.CREDIT_CODE, key=True, references="enterprises"
    )
    kind: Mapped[str] = attribute("问题类型", V.CODE, key=True, choices=ComplianceKind)
    since: Mapped[dt.date] = attribute("发现日期", V.DATE, key=True)
    deadline: Mapped[dt.date | None] = attribute("整改期限", V.DATE)
    resolved_date: Mapped[dt.date | None] = attribute("整改完成日期", V.DATE)
