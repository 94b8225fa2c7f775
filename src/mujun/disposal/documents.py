"""The Word documents a disposal case generates (workflow.md §2 "Documents").

Idle land (闲置土地处置办法 2012): 闲置土地调查通知书, 闲置土地认定书, 听证告知书,
征缴土地闲置费决定书, 收回国有建设用地使用权决定书; and for every case the 一地一策 plan and
the dispatch slip (派单通知). Each is laid out as a Chinese official document (GB/T 9704-2012:
the issuing authority in red, the document number, a red separator, the title, the addressee,
the body, the authority and date at the lower right; A4, top margin 37 mm, left 28 mm).
Who issues each kind and the 机关代字 of its number are the case's profile's (its ``documents``
section, :class:`mujun.policy.profiles.DocumentIssuer`), not this module's.

Documents are rendered from .docx templates with Jinja2 tags (docxtpl), one per kind, shipped as
``mujun/disposal/templates/<kind>.docx``. A bureau may edit them in Word, keeping the
``{{ … }}`` and ``{%p … %}`` / ``{%tr … %}`` tags in one piece. To use its own templates without
touching the package, set ``MUJUN_DOCUMENT_TEMPLATES`` to a folder: a ``<kind>.docx`` found there
(e.g. ``fee_decision.docx``) replaces the shipped template of that kind; the other kinds keep
the shipped ones.

The templates see ready-written text, never raw numbers: dates as 2025年3月1日, areas as
``13,340.00平方米（20.01亩）``, money as ``1,234,567.00元（123.46万元）``, and an unknown figure
as 不详 (never 0), a plan's agreed per-mu tax as ``5.20万元/亩`` (``plan.tax_target``, None
when the plan agrees none). Values are XML-escaped, so a name containing ``<``, ``&`` or ``{{``
prints as written. See ``_context`` for the names the templates use.
"""

import io
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from docxtpl import DocxTemplate  # type: ignore[import-untyped]
from jinja2 import Environment, StrictUndefined

from mujun.units import m2_to_mu
from mujun.writing import chinese_date

TEMPLATES_ENV = "MUJUN_DOCUMENT_TEMPLATES"
UNKNOWN = "不详"
IDLE_LAND_ACT = "《闲置土地处置办法》（国土资源部令第53号）"


class DocumentKind(StrEnum):
    """A document a case generates; the value names its template file."""

    INVESTIGATION_NOTICE = "investigation_notice"
    DETERMINATION = "determination"
    HEARING_NOTICE = "hearing_notice"
    FEE_DECISION = "fee_decision"
    REVOCATION_DECISION = "revocation_decision"
    PLAN = "plan"
    DISPATCH = "dispatch"

    @property
    def label_zh(self) -> str:
        """The document's name, as its title writes it."""
        return _LABELS[self][0]

    @property
    def label_en(self) -> str:
        """The document's name in English."""
        return _LABELS[self][1]

    @property
    def idle_land_only(self) -> bool:
        """Whether only an idle-land case issues it (the plan and dispatch slip serve any case)."""
        return self in IDLE_LAND_KINDS


_LABELS: dict[DocumentKind, tuple[str, str]] = {
    DocumentKind.INVESTIGATION_NOTICE: ("闲置土地调查通知书", "Idle land investigation notice"),
    DocumentKind.DETERMINATION: ("闲置土地认定书", "Idle land determination"),
    DocumentKind.HEARING_NOTICE: ("听证告知书", "Notice of the right to a hearing"),
    DocumentKind.FEE_DECISION: ("征缴土地闲置费决定书", "Idle land fee decision"),
    DocumentKind.REVOCATION_DECISION: (
        "收回国有建设用地使用权决定书",
        "Decision to revoke the state-owned construction land use right",
    ),
    DocumentKind.PLAN: ("一地一策处置方案", "Disposal plan (one plan per parcel)"),
    DocumentKind.DISPATCH: ("派单通知", "Dispatch slip"),
}

IDLE_LAND_KINDS = frozenset(
    {
        DocumentKind.INVESTIGATION_NOTICE,
        DocumentKind.DETERMINATION,
        DocumentKind.HEARING_NOTICE,
        DocumentKind.FEE_DECISION,
        DocumentKind.REVOCATION_DECISION,
    }
)
ANY_CASE_KINDS = frozenset({DocumentKind.PLAN, DocumentKind.DISPATCH})
DECISION_KINDS = frozenset({DocumentKind.FEE_DECISION, DocumentKind.REVOCATION_DECISION})

LEGAL_BASIS: Mapping[DocumentKind, tuple[str, ...]] = {
    DocumentKind.INVESTIGATION_NOTICE: (f"{IDLE_LAND_ACT}第二条", "第五条"),
    DocumentKind.DETERMINATION: (f"{IDLE_LAND_ACT}第二条", "第九条"),
    DocumentKind.HEARING_NOTICE: (
        f"{IDLE_LAND_ACT}第十五条",
        "《国土资源听证规定》（国土资源部令第22号）",
    ),
    DocumentKind.FEE_DECISION: (f"{IDLE_LAND_ACT}第十四条第（一）项", "第十七条"),
    DocumentKind.REVOCATION_DECISION: (
        "《中华人民共和国城市房地产管理法》第二十六条",
        f"{IDLE_LAND_ACT}第十四条第（二）项",
        "第十七条",
    ),
    DocumentKind.PLAN: (),
    DocumentKind.DISPATCH: (),
}
"""The default legal basis of each kind, as the document cites it (clauses joined with 、).

A plan cites what its path rests on, which depends on the case: the county's own policy for
low-efficiency land, or for idle land of government cause ``GOVERNMENT_CAUSE_BASIS``.
"""
GOVERNMENT_CAUSE_BASIS = (f"{IDLE_LAND_ACT}第八条、第十二条、第十三条",)
"""Negotiated disposal of land left idle by the government's doing (办法 第八条、第十二条)."""


def document_number(code: str, year: int, sequence: int) -> str:
    """A document number (GB/T 9704 发文字号): 桐自然资闲, 2025, 3 → 桐自然资闲〔2025〕3号.

    ``code`` is the 机关代字, which the case's profile writes for each kind of document
    (``documents.<kind>.code``, e.g. ``{short}自然资闲``); the year in 〔〕 and the sequence
    number follow it.
    """
    if not code.strip():
        raise ValueError("a document number needs its 机关代字")
    if sequence < 1:
        raise ValueError(f"a document's sequence number starts at 1, not {sequence}")
    return f"{code.strip()}〔{year}〕{sequence}号"


@dataclass(frozen=True)
class Parcel:
    """The land a document is about."""

    parcel_id: str
    county: str
    area_m2: float | None
    park: str | None = None
    location: str | None = None

    @property
    def area_mu(self) -> float | None:
        """The registered area in 亩, unknown when the area is."""
        return None if self.area_m2 is None else m2_to_mu(self.area_m2)


@dataclass(frozen=True)
class Holder:
    """The land use right holder (or the enterprise a case is about)."""

    name: str
    credit_code: str | None = None


@dataclass(frozen=True)
class Milestone:
    """A step of a plan and the date it is due."""

    what: str
    due_on: date


@dataclass(frozen=True)
class Plan:
    """An approved 一地一策 plan: the disposal path, its measures, who leads it and when."""

    path: str
    measures: tuple[str, ...]
    responsible_unit: str
    due_on: date
    milestones: tuple[Milestone, ...] = ()
    tax_per_mu_target_yuan: float | None = None
    """The per-mu tax the plan agrees (元/亩), which the exit evaluation requires; None if none."""


@dataclass(frozen=True)
class Task:
    """A dispatched task: the unit that does it, what, and by when."""

    unit: str
    what: str
    due_on: date


@dataclass(frozen=True)
class DocumentData:
    """Everything one document prints; unknown figures stay None and print as 不详.

    ``intended_decision`` is the decision a hearing notice announces (fee or revocation);
    ``mortgagee``, when given, adds the line 抄送：<mortgagee>; ``reply_days`` is the period an
    investigation notice gives for the holder's materials (办法 第五条: 30 days).
    """

    kind: DocumentKind
    number: str
    issued_on: date
    issuer: str
    addressee: str
    parcel: Parcel | None = None
    holder: Holder | None = None
    contract_id: str | None = None
    agreed_start_date: date | None = None
    idle_since: date | None = None
    idle_cause: str | None = None
    land_price_yuan: float | None = None
    fee_yuan: float | None = None
    criteria: tuple[str, ...] = ()
    legal_basis: tuple[str, ...] = ()
    reply_days: int = 30
    hearing_request_working_days: int = 5
    hearing_request_by: date | None = None
    intended_decision: DocumentKind | None = None
    payment_days: int = 30
    mortgagee: str | None = None
    plan: Plan | None = None
    tasks: tuple[Task, ...] = ()

    def __post_init__(self) -> None:
        problem = _problem(self)
        if problem is not None:
            raise ValueError(f"{self.kind.label_zh} {self.number}: {problem}")


def _problem(data: DocumentData) -> str | None:
    """Why the data cannot make its kind of document, or None."""
    if data.kind.idle_land_only and (data.parcel is None or data.holder is None):
        return "an idle-land document names the parcel and its holder"
    if data.kind.idle_land_only and not data.legal_basis:
        return "an idle-land document cites its legal basis"
    if data.parcel is None and data.holder is None:
        return "a document names its subject: the parcel, the holder or both"
    if data.kind is DocumentKind.HEARING_NOTICE and data.intended_decision not in DECISION_KINDS:
        return "a hearing notice names the intended decision (fee or revocation)"
    if data.kind is DocumentKind.PLAN and data.plan is None:
        return "a plan document needs the plan"
    if data.kind is DocumentKind.DISPATCH and not data.tasks:
        return "a dispatch slip needs at least one task"
    if any(v is not None and v < 0 for v in (data.land_price_yuan, data.fee_yuan)):
        return "an amount of money is never negative"
    return None


def template_path(kind: DocumentKind) -> Traversable:
    """The template of a kind: ``$MUJUN_DOCUMENT_TEMPLATES/<kind>.docx`` if there, else shipped."""
    return template_file("mujun.disposal", kind.value)


def template_file(package: str, name: str) -> Traversable:
    """The template ``<name>.docx``: ``$MUJUN_DOCUMENT_TEMPLATES/<name>.docx`` if there, else
    the one shipped in ``<package>/templates`` (the monitoring bulletin's too)."""
    folder = os.environ.get(TEMPLATES_ENV)
    if folder:
        override = Path(folder) / f"{name}.docx"
        if override.is_file():
            return override
    return resources.files(package) / "templates" / f"{name}.docx"


def render(data: DocumentData) -> bytes:
    """The document as a .docx file, from its kind's template."""
    return render_template(template_path(data.kind), _context(data))


def render_template(template: Traversable, context: Mapping[str, Any]) -> bytes:
    """A .docx file from ``template`` and the names it uses (an undefined name is an error;
    values are XML-escaped)."""
    document = DocxTemplate(io.BytesIO(template.read_bytes()))
    document.render(
        dict(context), jinja_env=Environment(undefined=StrictUndefined), autoescape=True
    )
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _context(data: DocumentData) -> dict[str, Any]:
    """The names a template uses, every value written out as the document prints it."""
    return {
        "title": data.kind.label_zh,
        "number": data.number,
        "issuer": data.issuer,
        "addressee": data.addressee,
        "issued_on": printed_date(data.issued_on),
        "subject": _subject(data.parcel, data.holder),
        "parcel": None if data.parcel is None else _parcel(data.parcel),
        "holder": None if data.holder is None else _holder(data.holder),
        "contract_id": data.contract_id or UNKNOWN,
        "agreed_start_date": printed_date(data.agreed_start_date),
        "idle_since": printed_date(data.idle_since),
        "idle_cause": data.idle_cause or UNKNOWN,
        "land_price": money(data.land_price_yuan),
        "fee": money(data.fee_yuan),
        "criteria": "；".join(data.criteria) or UNKNOWN,
        "legal_basis": "、".join(data.legal_basis) or None,
        "reply_days": data.reply_days,
        "hearing_days": data.hearing_request_working_days,
        "hearing_by": (
            None if data.hearing_request_by is None else printed_date(data.hearing_request_by)
        ),
        "intended_decision": (
            "" if data.intended_decision is None else data.intended_decision.label_zh
        ),
        "intended_fee": data.intended_decision is DocumentKind.FEE_DECISION,
        "payment_days": data.payment_days,
        "mortgagee": data.mortgagee,
        "plan": None if data.plan is None else _plan(data.plan),
        "tasks": [_task(i, task) for i, task in enumerate(data.tasks, start=1)],
    }


def _subject(parcel: Parcel | None, holder: Holder | None) -> str:
    """The case's subject in a phrase: 某某有限公司（地块编号：TL-017）."""
    plot = None if parcel is None else f"地块编号：{parcel.parcel_id}"
    if holder is None:
        return plot or ""
    return holder.name if plot is None else f"{holder.name}（{plot}）"


def _parcel(parcel: Parcel) -> dict[str, str]:
    place = "".join(part for part in (parcel.county, parcel.park, parcel.location) if part)
    return {"id": parcel.parcel_id, "place": place, "county": parcel.county, "area": _area(parcel)}


def _area(parcel: Parcel) -> str:
    """13,340.00平方米（20.01亩）, or 不详."""
    if parcel.area_m2 is None or parcel.area_mu is None:
        return UNKNOWN
    return f"{parcel.area_m2:,.2f}平方米（{parcel.area_mu:,.2f}亩）"


def _holder(holder: Holder) -> dict[str, str]:
    return {"name": holder.name, "credit_code": holder.credit_code or UNKNOWN}


def _plan(plan: Plan) -> dict[str, Any]:
    return {
        "path": plan.path,
        "measures": list(plan.measures),
        "unit": plan.responsible_unit,
        "due_on": printed_date(plan.due_on),
        "milestones": [
            {"no": i, "what": m.what, "due_on": printed_date(m.due_on)}
            for i, m in enumerate(plan.milestones, start=1)
        ],
        "tax_target": per_mu_in_wan(plan.tax_per_mu_target_yuan),
    }


def _task(no: int, task: Task) -> dict[str, Any]:
    return {"no": no, "unit": task.unit, "what": task.what, "due_on": printed_date(task.due_on)}


def printed_date(value: date | None) -> str:
    """2025年3月1日, or 不详."""
    return UNKNOWN if value is None else chinese_date(value)


def per_mu_in_wan(yuan_per_mu: float | None) -> str | None:
    """5.20万元/亩 for 52,000 元/亩; None when there is none (a plan without a target)."""
    return None if yuan_per_mu is None else f"{yuan_per_mu / 10_000:,.2f}万元/亩"


def money(yuan: float | None) -> str:
    """1,234,567.00元（123.46万元）, or 不详."""
    if yuan is None:
        return UNKNOWN
    return f"{yuan:,.2f}元（{yuan / 10_000:,.2f}万元）"
