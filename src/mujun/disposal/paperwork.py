"""Issuing a case's documents (workflow.md §2 "Documents"): the data each prints, read from the
case, its records and its legal track; a number per county and year; the file kept with the
case as issued. Who issues each kind and the 机关代字 of its number are the case profile's
(``documents``); documents whose codes read alike share one series per county and year. The
service date is recorded with the legal step the document serves
(:func:`mujun.disposal.idle_track.record_event`), and deadlines count from it."""

import datetime as dt
from dataclasses import dataclass
from typing import TypedDict

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mujun.disposal import documents, legal
from mujun.disposal.access import get_case, logged_as
from mujun.disposal.documents import DocumentData, DocumentKind
from mujun.disposal.errors import CaseRefusedError
from mujun.disposal.idle_track import (
    SERVED_BY,
    check_allowed,
    holders_of,
    is_idle_land,
    legal_status_of,
    terms_of,
)
from mujun.disposal.legal import LegalEvent, LegalEventKind, Step
from mujun.disposal.plans import Attachment, keep_file, paths_of, unit_name
from mujun.disposal.warned import criterion_title
from mujun.policy.profiles import DocumentIssuer, load_profile
from mujun.records import (
    Case,
    CaseDocument,
    CaseFile,
    CaseFinding,
    CasePlan,
    CaseTask,
    EarlyWarning,
    Enterprise,
    Jurisdiction,
    LandContract,
    Parcel,
)

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
DECIDED_BY: dict[DocumentKind, LegalEventKind] = {v: k for k, v in SERVED_BY.items()}


class _Heading(TypedDict):
    """What every document of a case prints at its head."""

    kind: DocumentKind
    number: str
    issued_on: dt.date
    criteria: tuple[str, ...]
    legal_basis: tuple[str, ...]
    parcel: documents.Parcel | None
    holder: documents.Holder | None


@dataclass(frozen=True)
class Issued:
    document: CaseDocument
    content: bytes

    @property
    def file_name(self) -> str:
        kind = DocumentKind(self.document.kind)
        return f"{self.document.number}{kind.label_zh}.docx"


def issue_document(
    db: Session, case_id: int, kind: DocumentKind, *, on: dt.date, actor: str
) -> Issued:
    """Write document ``kind`` of case ``case_id`` dated ``on``, number it and keep it with the
    case; an unserved one of the same kind issued the same day is handed back, not numbered
    again. The caller commits."""
    case = get_case(db, case_id)
    again = _issued_today(db, case, kind, on)
    if again is not None:
        return again
    if kind.idle_land_only and not is_idle_land(case):
        raise CaseRefusedError(
            f"{kind.label_zh}只用于闲置土地案件", f"a {kind.label_en} is for idle-land cases only"
        )
    county = _county(db, case)
    issuing = _issuing(case, kind)
    code = issuing.code_of(county.name, county.short)
    number = documents.document_number(code, on.year, _next_sequence(db, case, code, on.year))
    issuer = issuing.issuer_of(county.name, county.short)
    content = documents.render(_data(db, case, kind, number=number, on=on, issuer=issuer))
    with logged_as(db, actor, f"制发{kind.label_zh}"):
        kept = keep_file(
            db,
            case.id,
            Attachment(f"{number}{kind.label_zh}.docx", DOCX, content),
            actor=actor,
        )
        document = CaseDocument(
            case_id=case.id, kind=kind.value, number=number, issued_on=on, file_id=kept.id
        )
        db.add(document)
    return Issued(document, content)


def _issued_today(db: Session, case: Case, kind: DocumentKind, on: dt.date) -> Issued | None:
    document = db.scalars(
        select(CaseDocument).where(
            CaseDocument.case_id == case.id,
            CaseDocument.kind == kind.value,
            CaseDocument.issued_on == on,
            CaseDocument.served_on.is_(None),
        )
    ).first()
    if document is None:
        return None
    kept = db.get(CaseFile, document.file_id)
    assert kept is not None
    return Issued(document, kept.content)


def _next_sequence(db: Session, case: Case, code: str, year: int) -> int:
    """One more than the county's documents numbered with ``code`` that year (its series)."""
    issued = db.scalar(
        select(func.count())
        .select_from(CaseDocument)
        .join(Case, Case.id == CaseDocument.case_id)
        .where(
            Case.county_code == case.county_code,
            CaseDocument.number.startswith(f"{code}〔{year}〕", autoescape=True),
        )
    )
    return (issued or 0) + 1


def _county(db: Session, case: Case) -> Jurisdiction:
    county = db.get(Jurisdiction, case.county_code) if case.county_code else None
    if county is None:
        raise CaseRefusedError(
            f"案件 {case.id} 的所在县区不详，无法编文号",
            f"case {case.id} has no known county to number its documents by",
        )
    return county


def _issuing(case: Case, kind: DocumentKind) -> DocumentIssuer:
    """Who issues ``kind`` and how its number begins, as the case's profile says."""
    profile = load_profile(case.profile)
    issuing = profile.documents.get(kind.value)
    if issuing is None:
        raise CaseRefusedError(
            f"政策配置 {profile.id} 未规定{kind.label_zh}的发文机关和文号"
            f"（documents.{kind.value}）",
            f"profile {profile.id} names no issuer or number for a {kind.label_en} "
            f"(documents.{kind.value})",
        )
    return issuing


def _data(
    db: Session, case: Case, kind: DocumentKind, *, number: str, on: dt.date, issuer: str
) -> DocumentData:
    county = _county(db, case).name
    holder = _holder(db, case)
    heading = _Heading(
        kind=kind,
        number=number,
        issued_on=on,
        criteria=_criteria_titles(db, case),
        legal_basis=documents.LEGAL_BASIS[kind],
        parcel=_parcel(db, case, county),
        holder=holder,
    )
    if kind in (DocumentKind.PLAN, DocumentKind.DISPATCH):
        return _work_paper(db, case, kind, issuer=issuer, heading=heading)
    if holder is None:
        raise CaseRefusedError(
            f"宗地 {case.subject_id} 的土地使用权人不详，无法制发{kind.label_zh}",
            f"parcel {case.subject_id} has no known holder for a {kind.label_en}",
        )
    return _idle_paper(db, case, kind, on=on, issuer=issuer, heading=heading, holder=holder)


def _idle_paper(
    db: Session,
    case: Case,
    kind: DocumentKind,
    *,
    on: dt.date,
    issuer: str,
    heading: _Heading,
    holder: documents.Holder,
) -> DocumentData:
    status = legal_status_of(db, case, on)
    terms = terms_of(case, on)
    decided = DECIDED_BY.get(kind)
    if decided is not None:
        check_allowed(db, case, LegalEvent(kind=decided, date=on))
    fee = next((s for s in status.steps if s.step is Step.IDLE_FEE), None)
    contract = _contract(db, case)
    return DocumentData(
        **heading,
        issuer=issuer,
        addressee=holder.name,
        contract_id=contract.contract_id if contract else None,
        agreed_start_date=contract.agreed_start_date if contract else None,
        idle_since=status.idle_since,
        idle_cause=status.cause.label_zh if status.cause else None,
        land_price_yuan=case.land_price_yuan,
        fee_yuan=fee.amount_yuan if fee else None,
        hearing_request_working_days=terms.hearing_request_working_days,
        hearing_request_by=status.hearing.request_by if status.hearing else None,
        intended_decision=_intended(status) if kind is DocumentKind.HEARING_NOTICE else None,
        payment_days=(
            terms.deregistration_days
            if kind is DocumentKind.REVOCATION_DECISION
            else terms.payment_days
        ),
        mortgagee="土地抵押权人" if status.mortgagee_copy else None,
    )


def _work_paper(
    db: Session, case: Case, kind: DocumentKind, *, issuer: str, heading: _Heading
) -> DocumentData:
    plan = db.get(CasePlan, case.id)
    if plan is None:
        raise CaseRefusedError(
            f"案件 {case.id} 尚无处置方案，不能制发{kind.label_zh}",
            f"case {case.id} has no plan for a {kind.label_en}",
        )
    tasks = list(
        db.scalars(select(CaseTask).where(CaseTask.case_id == case.id).order_by(CaseTask.id))
    )
    if kind is DocumentKind.DISPATCH and not tasks:
        raise CaseRefusedError(
            f"案件 {case.id} 尚未派单", f"case {case.id} has no task to put on a dispatch slip"
        )
    path = next((p.title_zh for p in paths_of(db, case) if p.id == plan.path), plan.path)
    responsible = _unit(db, plan.unit) if plan.unit else "不详"
    units = sorted({_unit(db, t.unit) for t in tasks})
    return DocumentData(
        **heading,
        issuer=issuer,
        addressee=responsible if kind is DocumentKind.PLAN else "、".join(units),
        plan=documents.Plan(
            path=path,
            measures=tuple(line for line in plan.measures.splitlines() if line.strip()),
            responsible_unit=responsible,
            due_on=plan.due,
            milestones=tuple(
                documents.Milestone(m["what"], dt.date.fromisoformat(m["due"]))
                for m in plan.milestones
            ),
            tax_per_mu_target_yuan=plan.tax_per_mu_target_yuan,
        ),
        tasks=tuple(documents.Task(_unit(db, t.unit), t.what, t.due) for t in tasks),
    )


def _intended(status: legal.LegalStatus) -> DocumentKind:
    """The decision a hearing notice announces: revocation once available, else the fee."""
    available = {s.step for s in status.steps if s.available and s.decided_on is None}
    if Step.REVOCATION in available:
        return DocumentKind.REVOCATION_DECISION
    return DocumentKind.FEE_DECISION


def _criteria_titles(db: Session, case: Case) -> tuple[str, ...]:
    """The case's criteria by title: its findings' rules, and the signal of the warning that
    opened it."""
    rules = load_profile(case.profile).rules
    found = set(db.scalars(select(CaseFinding.criterion).where(CaseFinding.case_id == case.id)))
    warning = db.get(EarlyWarning, case.opened_by_warning) if case.opened_by_warning else None
    criteria = sorted(found | ({warning.signal} if warning else set()))
    return tuple(criterion_title(rules, c) for c in criteria)


def _parcel(db: Session, case: Case, county: str) -> documents.Parcel | None:
    if case.subject_type != "parcel":
        return None
    parcel = db.get(Parcel, case.subject_id)
    park = db.get(Jurisdiction, parcel.park_code) if parcel and parcel.park_code else None
    return documents.Parcel(
        parcel_id=case.subject_id,
        county=county,
        area_m2=parcel.area_m2 if parcel else case.area_m2,
        park=park.name if park else None,
    )


def _holder(db: Session, case: Case) -> documents.Holder | None:
    code = (
        case.subject_id
        if case.subject_type == "enterprise"
        else holders_of(db, [case.subject_id]).get(case.subject_id)
    )
    if code is None:
        return None
    enterprise = db.get(Enterprise, code)
    return documents.Holder(name=enterprise.name if enterprise else code, credit_code=code)


def _contract(db: Session, case: Case) -> LandContract | None:
    return db.scalars(
        select(LandContract)
        .where(LandContract.parcel_id == case.subject_id)
        .order_by(LandContract.signed_date.desc().nulls_last(), LandContract.contract_id)
        .limit(1)
    ).first()


def _unit(db: Session, code: str) -> str:
    name = unit_name(db, code)
    return name[0] if name else code
