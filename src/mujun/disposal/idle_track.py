"""The idle-land legal track of a case (workflow.md §2): its events as kept, the facts the law
reads (the idle date and land price the opening finding gave, the holder's mortgages), the
profile's terms on a date, and recording a step, which :mod:`mujun.disposal.legal` allows or
refuses."""

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from mujun.disposal import legal
from mujun.disposal.access import chunks, get_case, logged_as
from mujun.disposal.documents import DocumentKind
from mujun.disposal.errors import CaseRefusedError
from mujun.disposal.legal import IdleFacts, LegalEvent, LegalEventKind, LegalStatus, LegalTerms
from mujun.disposal.periods import CalendarError
from mujun.disposal.states import CaseState
from mujun.policy.profiles import Category, load_profile
from mujun.records import Case, CaseDocument, CaseEvent, LandContract, Parcel
from mujun.records import LegalEvent as RecordedLegalEvent
from mujun.records.vocabulary import LegalEventKind as RecordedKind

SERVED_BY: dict[LegalEventKind, DocumentKind] = {
    LegalEventKind.HEARING_NOTICE: DocumentKind.HEARING_NOTICE,
    LegalEventKind.FEE_DECISION: DocumentKind.FEE_DECISION,
    LegalEventKind.REVOCATION_DECISION: DocumentKind.REVOCATION_DECISION,
}
"""The legal steps whose date is a document's service date."""
ON_THE_TRACK = frozenset(
    {CaseState.CONFIRMED, CaseState.PLANNED, CaseState.IN_PROGRESS, CaseState.EVALUATING}
)
"""A legal step is recorded on a confirmed case that is still open."""


def is_idle_land(case: Case) -> bool:
    return case.category == Category.IDLE_LAND.value


def legal_events_of(db: Session, case: Case) -> list[LegalEvent]:
    """The case's legal events, in the order they happened."""
    return legal_events_for(db, [case.id]).get(case.id, [])


def legal_events_for(db: Session, case_ids: Sequence[int]) -> dict[int, list[LegalEvent]]:
    """Per case, its legal events in the order they happened."""
    kinds = [k.value for k in LegalEventKind]
    found: dict[int, list[LegalEvent]] = {}
    for chunk in chunks(case_ids):
        rows = db.scalars(
            select(CaseEvent)
            .where(CaseEvent.case_id.in_(chunk), CaseEvent.kind.in_(kinds))
            .order_by(CaseEvent.date, CaseEvent.id)
        )
        for row in rows:
            found.setdefault(row.case_id, []).append(
                LegalEvent(
                    kind=LegalEventKind(row.kind),
                    date=row.date,
                    cause=legal.Cause(row.cause) if row.cause else None,
                    until=row.until,
                )
            )
    return found


def holders_of(db: Session, parcel_ids: Sequence[str]) -> dict[str, str]:
    """Per parcel, the land-use right holder: its land contract's party (the latest signed),
    else its registered holder."""
    found: dict[str, str] = {}
    for chunk in chunks(parcel_ids):
        for parcel_id, holder in db.execute(
            select(Parcel.parcel_id, Parcel.holder_credit_code).where(
                Parcel.parcel_id.in_(chunk), Parcel.holder_credit_code.is_not(None)
            )
        ):
            found[parcel_id] = str(holder)
        contracts = db.execute(
            select(LandContract.parcel_id, LandContract.credit_code)
            .where(LandContract.parcel_id.in_(chunk), LandContract.credit_code.is_not(None))
            .order_by(LandContract.signed_date.asc().nulls_first(), LandContract.contract_id)
        )
        for parcel_id, party in contracts:  # the latest signed comes last and wins
            found[parcel_id] = str(party)
    return found


def idle_facts(db: Session, case: Case) -> IdleFacts:
    return idle_facts_for(db, [case])[case.id]


def idle_facts_for(db: Session, cases: Sequence[Case]) -> dict[int, IdleFacts]:
    """Per idle-land case, what the law reads: the idle date and land price of the opening
    finding, and the holder's mortgages (registered, closed or None)."""
    holders = holders_of(db, [c.subject_id for c in cases])
    mortgages: dict[str, list[tuple[dt.date, dt.date | None]]] = {}
    for chunk in chunks(sorted(set(holders.values()))):
        rows = db.execute(
            select(
                RecordedLegalEvent.credit_code,
                RecordedLegalEvent.date,
                RecordedLegalEvent.closed_date,
            ).where(
                RecordedLegalEvent.credit_code.in_(chunk),
                RecordedLegalEvent.kind == RecordedKind.MORTGAGE.value,
            )
        )
        for holder, start, closed in rows:
            mortgages.setdefault(holder, []).append((start, closed))
    return {
        case.id: IdleFacts(
            idle_since=case.idle_since,
            land_price_yuan=case.land_price_yuan,
            mortgages=tuple(mortgages.get(holders.get(case.subject_id, ""), ())),
        )
        for case in cases
    }


def terms_of(case: Case, on: dt.date) -> LegalTerms:
    """The legal terms of the case's profile in force on ``on``."""
    return LegalTerms.of(load_profile(case.profile).values(on))


def legal_status_of(db: Session, case: Case, as_of: dt.date) -> LegalStatus:
    """The track as of ``as_of``; refused when a working day falls beyond the calendar."""
    try:
        return legal.legal_status(
            idle_facts(db, case), legal_events_of(db, case), terms_of(case, as_of), as_of
        )
    except CalendarError as error:
        raise CaseRefusedError(error.zh, error.en) from error


def check_allowed(db: Session, case: Case, event: LegalEvent) -> None:
    """Refuse ``event`` on the case when the law does not allow it (yet), with the reason and
    the date it becomes possible."""
    try:
        legal.check_event(
            idle_facts(db, case), legal_events_of(db, case), terms_of(case, event.date), event
        )
    except legal.StepRefused as refused:
        raise CaseRefusedError(
            refused.zh, refused.en, possible_from=refused.possible_from
        ) from refused
    except CalendarError as error:
        raise CaseRefusedError(error.zh, error.en) from error


def record_event(
    db: Session, case_id: int, event: LegalEvent, *, actor: str, note: str | None = None
) -> CaseEvent:
    """Record a legal step of case ``case_id``, or refuse it with the reason and the date it
    becomes possible. The caller commits."""
    case = get_case(db, case_id)
    if not is_idle_land(case):
        raise CaseRefusedError(
            f"案件 {case.id} 不是闲置土地案件，没有闲置土地处置程序",
            f"case {case.id} is not an idle-land case: it has no legal track",
        )
    state = CaseState(case.state)
    if state not in ON_THE_TRACK:
        raise CaseRefusedError(
            f"案件 {case.id} 处于「{state.label_zh}」：审核认定后、办结前才能记录处置程序",
            f"case {case.id} is {state}: legal steps are recorded once confirmed, while open",
        )
    if event.date < case.opened_on:
        raise CaseRefusedError(
            f"日期不能早于立案日期 {case.opened_on.isoformat()}",
            f"the date is before the case opened ({case.opened_on})",
            possible_from=case.opened_on,
        )
    check_allowed(db, case, event)
    with logged_as(db, actor, event.kind.label_zh):
        row = CaseEvent(
            case_id=case.id,
            kind=event.kind.value,
            date=event.date,
            cause=event.cause.value if event.cause else None,
            until=event.until,
            actor=actor,
            note=note,
        )
        db.add(row)
        mark_served(db, case, event)
    return row


def mark_served(db: Session, case: Case, event: LegalEvent) -> None:
    """A notice or decision recorded as served dates the latest unserved document of its kind."""
    kind = SERVED_BY.get(event.kind)
    if kind is None:
        return
    document = db.scalars(
        select(CaseDocument)
        .where(
            CaseDocument.case_id == case.id,
            CaseDocument.kind == kind.value,
            CaseDocument.served_on.is_(None),
        )
        .order_by(CaseDocument.id.desc())
        .limit(1)
    ).first()
    if document is not None:
        document.served_on = event.date
