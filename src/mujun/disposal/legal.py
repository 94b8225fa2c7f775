"""The legal track of idle land (workflow.md §2; 闲置土地处置办法 第八条、第十二条、第十四条至
第十七条): pure functions over plain data, the case service's rules.

The case service passes what the identification rules found (the date the land has been idle
since, its price), the holder's mortgages and the case's legal events; :func:`legal_status` says
which steps the law allows as of a date, with their deadlines, and :func:`check_event` refuses
an event the law does not allow yet, saying why and from when it will be allowed.
"""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction

from mujun.disposal.periods import days_after, working_days_after, years_after
from mujun.policy.parameters import ParameterValues
from mujun.writing import chinese_date


class Cause(StrEnum):
    """Why the land lies idle (办法 第八条: the government's situations; otherwise the holder's)."""

    GOVERNMENT = "government"
    ENTERPRISE = "enterprise"

    @property
    def label_zh(self) -> str:
        return _CAUSE_ZH[self]


_CAUSE_ZH = {Cause.GOVERNMENT: "政府原因", Cause.ENTERPRISE: "企业原因"}


class LegalEventKind(StrEnum):
    """A legal event of a case: the CLI's ``cases record`` events, and the holder's payment of the
    fee and the deregistration of the land, which close the decisions' deadlines."""

    CAUSE = "cause"
    EXTENSION = "extension"
    HEARING_NOTICE = "hearing_notice"
    HEARING_REQUESTED = "hearing_requested"
    HEARING_HELD = "hearing_held"
    FEE_DECISION = "fee_decision"
    REVOCATION_DECISION = "revocation_decision"
    FEE_PAID = "fee_paid"
    DEREGISTERED = "deregistered"

    @property
    def label_zh(self) -> str:
        return _EVENT_LABELS[self][0]

    @property
    def label_en(self) -> str:
        return _EVENT_LABELS[self][1]


_EVENT_LABELS = {
    LegalEventKind.CAUSE: ("认定闲置原因", "cause of idleness determined"),
    LegalEventKind.EXTENSION: ("延长动工期限", "start period extended"),
    LegalEventKind.HEARING_NOTICE: ("送达听证告知书", "hearing notice served"),
    LegalEventKind.HEARING_REQUESTED: ("申请听证", "hearing requested"),
    LegalEventKind.HEARING_HELD: ("举行听证", "hearing held"),
    LegalEventKind.FEE_DECISION: ("送达征缴土地闲置费决定书", "idle-land fee decision served"),
    LegalEventKind.REVOCATION_DECISION: (
        "送达收回国有建设用地使用权决定书",
        "revocation decision served",
    ),
    LegalEventKind.FEE_PAID: ("缴纳土地闲置费", "idle-land fee paid"),
    LegalEventKind.DEREGISTERED: ("注销土地登记", "land registration cancelled"),
}


@dataclass(frozen=True)
class LegalEvent:
    """One event: ``date`` is the service date for a notice or a decision. A ``cause`` event
    gives the ``cause``; an ``extension`` the new agreed start date (``until``)."""

    kind: LegalEventKind
    date: dt.date
    cause: Cause | None = None
    until: dt.date | None = None


@dataclass(frozen=True)
class LegalTerms:
    """The profile's figures for the legal track (the defaults are the national ones)."""

    fee_share: Fraction
    fee_after_years: int
    revocation_after_years: int
    hearing_request_working_days: int = 5
    payment_days: int = 30
    deregistration_days: int = 30
    extension_max_years: int = 1

    @classmethod
    def of(cls, values: ParameterValues) -> "LegalTerms":
        return cls(
            fee_share=values.number("idle.fee_share"),
            fee_after_years=values.whole("idle.fee_after_years"),
            revocation_after_years=values.whole("idle.revocation_after_years"),
            hearing_request_working_days=values.whole("hearing.request_working_days"),
            payment_days=values.whole("idle.fee_payment_days"),
            deregistration_days=values.whole("idle.deregistration_days"),
            extension_max_years=values.whole("idle.extension_max_years"),
        )


@dataclass(frozen=True)
class IdleFacts:
    """What the case knows of the land: the date it has been idle since and its transfer or
    allocation price (from the idle finding's evidence; None: unknown), and the holder's
    mortgages as (registered, closed or None)."""

    idle_since: dt.date | None
    land_price_yuan: float | None
    mortgages: tuple[tuple[dt.date, dt.date | None], ...] = ()


class Step(StrEnum):
    """A decision the law allows against idle land of the holder's cause (办法 第十四条)."""

    IDLE_FEE = "idle_fee"
    REVOCATION = "revocation"

    @property
    def label_zh(self) -> str:
        return "征缴土地闲置费" if self is Step.IDLE_FEE else "无偿收回国有建设用地使用权"

    @property
    def label_en(self) -> str:
        return "idle-land fee" if self is Step.IDLE_FEE else "revocation"


@dataclass(frozen=True)
class LegalStep:
    """One step: available from ``available_from`` (None: the idle date is unknown); the fee's
    amount (None: unknown, or a revocation); the decision's service date, the date the fee is
    due or the deregistration is due by, and the date that was done."""

    step: Step
    available_from: dt.date | None
    available: bool
    amount_yuan: float | None
    decided_on: dt.date | None
    due_by: dt.date | None
    done_on: dt.date | None


@dataclass(frozen=True)
class Hearing:
    """The latest hearing notice: served on ``served``; a hearing may be requested until
    ``request_by`` (the last day)."""

    served: dt.date
    request_by: dt.date
    requested: dt.date | None
    held: dt.date | None


@dataclass(frozen=True)
class Deadline:
    """An open deadline: ``what`` is ``hearing_request``, ``fee_payment``, ``deregistration``, or
    the step (``idle_fee``, ``revocation``) that becomes available on ``date``."""

    what: str
    date: dt.date
    label_zh: str
    label_en: str


@dataclass(frozen=True)
class LegalStatus:
    idle_since: dt.date | None
    cause: Cause | None
    steps: tuple[LegalStep, ...]
    hearing: Hearing | None
    mortgagee_copy: bool
    deadlines: tuple[Deadline, ...]


class StepRefused(ValueError):  # noqa: N818 (the name the case service uses)
    """An event the law does not allow (yet): why, in Chinese (``zh``) and English (``en``), and
    the first date it will be allowed where waiting is enough (``possible_from``)."""

    def __init__(self, zh: str, en: str, possible_from: dt.date | None = None) -> None:
        super().__init__(en)
        self.zh = zh
        self.en = en
        self.possible_from = possible_from


_DECISION = {
    Step.IDLE_FEE: LegalEventKind.FEE_DECISION,
    Step.REVOCATION: LegalEventKind.REVOCATION_DECISION,
}
_DONE = {Step.IDLE_FEE: LegalEventKind.FEE_PAID, Step.REVOCATION: LegalEventKind.DEREGISTERED}
_ENTERPRISE_ONLY = {
    LegalEventKind.HEARING_NOTICE,
    LegalEventKind.HEARING_REQUESTED,
    LegalEventKind.HEARING_HELD,
    LegalEventKind.FEE_DECISION,
    LegalEventKind.REVOCATION_DECISION,
}


# -- the track as the events leave it ------------------------------------------------------------


def _in_order(events: Sequence[LegalEvent]) -> list[LegalEvent]:
    return sorted(events, key=lambda event: event.date)


def _latest(events: Sequence[LegalEvent], kind: LegalEventKind) -> LegalEvent | None:
    found = [event for event in _in_order(events) if event.kind is kind]
    return found[-1] if found else None


def idle_since(facts: IdleFacts, events: Sequence[LegalEvent]) -> dt.date | None:
    """The date the land is idle since: an approved extension's new agreed start date replaces
    the finding's (办法 第十二条(一): the clock restarts from it)."""
    extension = _latest(events, LegalEventKind.EXTENSION)
    return extension.until if extension is not None else facts.idle_since


def cause_of(events: Sequence[LegalEvent]) -> Cause | None:
    """The cause last recorded; None until one is."""
    event = _latest(events, LegalEventKind.CAUSE)
    return event.cause if event is not None else None


def available_from(since: dt.date | None, step: Step, terms: LegalTerms) -> dt.date | None:
    """The day a step becomes available: the anniversary of the idle date (办法 第十四条: idle
    for a full year, or two; the anniversary counts). None with the idle date unknown."""
    years = terms.fee_after_years if step is Step.IDLE_FEE else terms.revocation_after_years
    return years_after(since, years) if since is not None else None


def fee_amount(facts: IdleFacts, terms: LegalTerms) -> float | None:
    """The idle-land fee: the price times the fee share, in exact arithmetic (办法 第十四条(一));
    None with the price unknown, never 0."""
    if facts.land_price_yuan is None:
        return None
    return float(Fraction(repr(facts.land_price_yuan)) * terms.fee_share)


def due_by(step: Step, decided_on: dt.date, terms: LegalTerms) -> dt.date:
    """The fee is due, or the deregistration, within 30 days of the decision's service (办法
    第十七条)."""
    days = terms.payment_days if step is Step.IDLE_FEE else terms.deregistration_days
    return days_after(decided_on, days)


def hearing_of(events: Sequence[LegalEvent], terms: LegalTerms) -> Hearing | None:
    """The latest hearing notice, with the request and the hearing that followed it; a hearing
    may be requested within the profile's working days of service (5 by default, 国土资源听证规定;
    :class:`~mujun.disposal.periods.CalendarError` beyond the calendar)."""
    ordered = _in_order(events)
    notices = [i for i, event in enumerate(ordered) if event.kind is LegalEventKind.HEARING_NOTICE]
    if not notices:
        return None
    notice, after = ordered[notices[-1]], ordered[notices[-1] + 1 :]
    requested = _latest(after, LegalEventKind.HEARING_REQUESTED)
    held = _latest(after, LegalEventKind.HEARING_HELD)
    return Hearing(
        served=notice.date,
        request_by=working_days_after(notice.date, terms.hearing_request_working_days),
        requested=requested.date if requested is not None else None,
        held=held.date if held is not None else None,
    )


def mortgagee_copy(facts: IdleFacts, as_of: dt.date) -> bool:
    """Whether a mortgage is open on ``as_of`` (registered by then, not closed by then): every
    decision is then copied to the mortgagee."""
    return any(
        registered <= as_of and (closed is None or closed > as_of)
        for registered, closed in facts.mortgages
    )


def _step(
    step: Step, facts: IdleFacts, events: Sequence[LegalEvent], terms: LegalTerms, as_of: dt.date
) -> LegalStep:
    start = available_from(idle_since(facts, events), step, terms)
    decision = _latest(events, _DECISION[step])
    done = _latest(events, _DONE[step])
    return LegalStep(
        step=step,
        available_from=start,
        available=start is not None and as_of >= start,
        amount_yuan=fee_amount(facts, terms) if step is Step.IDLE_FEE else None,
        decided_on=decision.date if decision is not None else None,
        due_by=due_by(step, decision.date, terms) if decision is not None else None,
        done_on=done.date if done is not None else None,
    )


_DEADLINE_LABELS = {
    "hearing_request": ("申请听证截止", "last day to request a hearing"),
    "fee_payment": ("缴纳土地闲置费期限", "idle-land fee due"),
    "deregistration": ("办理注销登记期限", "deregistration due"),
    "idle_fee": ("可征缴土地闲置费", "idle-land fee may be levied"),
    "revocation": ("可无偿收回土地", "land may be revoked without compensation"),
}


def _deadline(what: str, date: dt.date) -> Deadline:
    label_zh, label_en = _DEADLINE_LABELS[what]
    return Deadline(what, date, label_zh, label_en)


def open_deadlines(
    steps: Sequence[LegalStep], hearing: Hearing | None, as_of: dt.date
) -> tuple[Deadline, ...]:
    """The deadlines still open, by date: the hearing request window while it runs unrequested;
    each decision's payment or deregistration until done (overdue ones included); the next
    step not yet available."""
    found: list[Deadline] = []
    if hearing is not None and hearing.requested is None and as_of <= hearing.request_by:
        found.append(_deadline("hearing_request", hearing.request_by))
    for step in steps:
        if step.due_by is not None and step.done_on is None:
            what = "fee_payment" if step.step is Step.IDLE_FEE else "deregistration"
            found.append(_deadline(what, step.due_by))
    coming = [
        (step.available_from, step.step.value)
        for step in steps
        if step.decided_on is None and step.available_from is not None and not step.available
    ]
    if coming:
        date, what = min(coming)
        found.append(_deadline(what, date))
    return tuple(sorted(found, key=lambda deadline: deadline.date))


def legal_status(
    facts: IdleFacts, events: Sequence[LegalEvent], terms: LegalTerms, as_of: dt.date
) -> LegalStatus:
    """The legal track as of ``as_of`` (events dated later are not yet known). With a government
    cause there are no steps (negotiated disposal, 办法 第十二条). Raises
    :class:`~mujun.disposal.periods.CalendarError` for a hearing window beyond the calendar."""
    known = [event for event in events if event.date <= as_of]
    cause = cause_of(known)
    steps = (
        ()
        if cause is Cause.GOVERNMENT
        else tuple(_step(step, facts, known, terms, as_of) for step in Step)
    )
    hearing = hearing_of(known, terms)
    return LegalStatus(
        idle_since=idle_since(facts, known),
        cause=cause,
        steps=steps,
        hearing=hearing,
        mortgagee_copy=mortgagee_copy(facts, as_of),
        deadlines=open_deadlines(steps, hearing, as_of),
    )


# -- what the law allows next --------------------------------------------------------------------


def check_event(
    facts: IdleFacts, events: Sequence[LegalEvent], terms: LegalTerms, new: LegalEvent
) -> None:
    """Refuse (:class:`StepRefused`) ``new`` when the law does not allow it after ``events``:
    why, and from which date it will be allowed where waiting is enough. Counting a hearing
    window beyond the calendar raises :class:`~mujun.disposal.periods.CalendarError`."""
    _check_order(events, new)
    if new.kind in _ENTERPRISE_ONLY:
        _check_enterprise_cause(events, new)
    _CHECKS[new.kind](facts, events, terms, new)


def _check_order(events: Sequence[LegalEvent], new: LegalEvent) -> None:
    """No event is dated before the one recorded last."""
    last = max((event.date for event in events), default=None)
    if last is not None and new.date < last:
        raise StepRefused(
            f"{new.kind.label_zh}的日期不能早于上一事件（{chinese_date(last)}）",
            f"{new.kind.label_en}: the date may not be before the previous event's "
            f"({last.isoformat()})",
            last,
        )


def _check_enterprise_cause(events: Sequence[LegalEvent], new: LegalEvent) -> None:
    """Hearings and decisions only for land idle by the holder's cause (办法 第十四条)."""
    cause = cause_of(events)
    if cause is None:
        raise StepRefused(
            f"尚未认定闲置原因，不能{new.kind.label_zh}：须先认定为企业原因",
            f"{new.kind.label_en}: the cause of idleness is not recorded yet; it must be the "
            "holder's (enterprise) first",
        )
    if cause is Cause.GOVERNMENT:
        raise StepRefused(
            f"闲置原因为政府原因，应协商处置（只可延长动工期限等），不能{new.kind.label_zh}",
            f"{new.kind.label_en}: the land is idle by the government's cause, disposed of by "
            "negotiation (an extension of the start period among others), without fee or "
            "revocation",
        )


def _check_cause(
    facts: IdleFacts, events: Sequence[LegalEvent], terms: LegalTerms, new: LegalEvent
) -> None:
    """A cause event names the cause."""
    if new.cause is None:
        raise StepRefused(
            "认定闲置原因须注明政府原因或企业原因",
            "a cause event names the cause: government or enterprise",
        )


def _check_extension(
    facts: IdleFacts, events: Sequence[LegalEvent], terms: LegalTerms, new: LegalEvent
) -> None:
    """An extension of the start period only for a government cause, to a later date at most
    ``extension_max_years`` past the current agreed start (办法 第十二条(一))."""
    if cause_of(events) is not Cause.GOVERNMENT:
        raise StepRefused(
            "只有政府原因造成的闲置才可延长动工期限",
            "an extension of the start period is only for land idle by the government's cause",
        )
    since = idle_since(facts, events)
    if new.until is None or since is None:
        raise StepRefused(
            "延长动工期限须注明新的约定动工日期，且原约定动工日期须已知",
            "an extension gives the new agreed start date, and the current one must be known",
        )
    latest = years_after(since, terms.extension_max_years)
    if not since < new.until <= latest:
        raise StepRefused(
            f"延长后的动工日期须晚于{chinese_date(since)}且不超过{chinese_date(latest)}"
            f"（最长延长{terms.extension_max_years}年）",
            f"the new start date must be after {since.isoformat()} and at most "
            f"{latest.isoformat()} ({terms.extension_max_years} year(s) at most)",
        )


def _check_hearing_notice(
    facts: IdleFacts, events: Sequence[LegalEvent], terms: LegalTerms, new: LegalEvent
) -> None:
    """A hearing notice only when a decision not yet made is available on its service date
    (办法 第十五条: the notice comes before a decision)."""
    since = idle_since(facts, events)
    open_steps = [step for step in Step if _latest(events, _DECISION[step]) is None]
    if not open_steps:
        raise StepRefused(
            "征缴土地闲置费和收回土地使用权的决定均已作出，无需再送达听证告知书",
            "both decisions have been served: no hearing notice is needed",
        )
    start = available_from(since, open_steps[0], terms)
    if start is None:
        raise StepRefused(*_UNKNOWN_IDLE_DATE)
    if new.date < start:
        raise StepRefused(
            f"{chinese_date(start)}起方可{open_steps[0].label_zh}，听证告知书须在此后送达",
            f"the {open_steps[0].label_en} is available from {start.isoformat()}: the hearing "
            "notice may be served from then on",
            start,
        )


def _check_hearing_requested(
    facts: IdleFacts, events: Sequence[LegalEvent], terms: LegalTerms, new: LegalEvent
) -> None:
    """A hearing may be requested only within the window after a notice, once."""
    hearing = hearing_of(events, terms)
    if hearing is None:
        raise StepRefused("尚未送达听证告知书，不能申请听证", "no hearing notice has been served")
    if hearing.requested is not None:
        raise StepRefused(
            f"已于{chinese_date(hearing.requested)}申请听证",
            f"a hearing was already requested on {hearing.requested.isoformat()}",
        )
    if new.date > hearing.request_by:
        raise StepRefused(
            f"申请听证的期限已于{chinese_date(hearing.request_by)}届满",
            f"the time to request a hearing ended on {hearing.request_by.isoformat()}",
        )


def _check_hearing_held(
    facts: IdleFacts, events: Sequence[LegalEvent], terms: LegalTerms, new: LegalEvent
) -> None:
    """A hearing is held only after it was requested, once."""
    hearing = hearing_of(events, terms)
    if hearing is None or hearing.requested is None:
        raise StepRefused("当事人未申请听证，不能举行听证", "no hearing has been requested")
    if hearing.held is not None:
        raise StepRefused(
            f"听证已于{chinese_date(hearing.held)}举行",
            f"the hearing was already held on {hearing.held.isoformat()}",
        )


def _check_decision(
    step: Step, facts: IdleFacts, events: Sequence[LegalEvent], terms: LegalTerms, new: LegalEvent
) -> None:
    """A decision once, once the land has been idle long enough (办法 第十四条), after a hearing
    notice served since then whose window passed unrequested or whose hearing was held (办法
    第十五条)."""
    decided = _latest(events, _DECISION[step])
    if decided is not None:
        raise StepRefused(
            f"已于{chinese_date(decided.date)}{decided.kind.label_zh}",
            f"already decided: {decided.kind.label_en} on {decided.date.isoformat()}",
        )
    start = available_from(idle_since(facts, events), step, terms)
    if start is None:
        raise StepRefused(*_UNKNOWN_IDLE_DATE)
    if new.date < start:
        raise StepRefused(
            f"闲置未满期限，{chinese_date(start)}起方可{step.label_zh}",
            f"not idle long enough: the {step.label_en} is available from {start.isoformat()}",
            start,
        )
    _check_hearing_done(step, start, hearing_of(events, terms), new)


def _check_hearing_done(
    step: Step, start: dt.date, hearing: Hearing | None, new: LegalEvent
) -> None:
    """The hearing procedure before a decision: a notice served once the step was available,
    then either the request window passed unrequested or the hearing was held."""
    if hearing is None or hearing.served < start:
        raise StepRefused(
            f"{step.label_zh}前须先送达听证告知书（{chinese_date(start)}以后送达）",
            f"a hearing notice must be served (on or after {start.isoformat()}) before the "
            f"{step.label_en} decision",
        )
    if hearing.requested is not None and hearing.held is None:
        raise StepRefused(
            "当事人已申请听证，须先举行听证", "a hearing was requested: it must be held first"
        )
    if hearing.requested is None and new.date <= hearing.request_by:
        opens = hearing.request_by + dt.timedelta(days=1)
        raise StepRefused(
            f"申请听证的期限至{chinese_date(hearing.request_by)}届满，{chinese_date(opens)}起方可作出决定",
            f"the time to request a hearing runs until {hearing.request_by.isoformat()}: the "
            f"decision may be served from {opens.isoformat()}",
            opens,
        )


def _check_fee_decision(
    facts: IdleFacts, events: Sequence[LegalEvent], terms: LegalTerms, new: LegalEvent
) -> None:
    _check_decision(Step.IDLE_FEE, facts, events, terms, new)


def _check_revocation_decision(
    facts: IdleFacts, events: Sequence[LegalEvent], terms: LegalTerms, new: LegalEvent
) -> None:
    _check_decision(Step.REVOCATION, facts, events, terms, new)


def _check_done(step: Step, events: Sequence[LegalEvent], new: LegalEvent) -> None:
    """The fee is paid, or the land deregistered, only after its decision, once."""
    if _latest(events, _DECISION[step]) is None:
        raise StepRefused(
            f"尚未{_DECISION[step].label_zh}，不能记录{new.kind.label_zh}",
            f"{new.kind.label_en}: no {step.label_en} decision has been served",
        )
    done = _latest(events, new.kind)
    if done is not None:
        raise StepRefused(
            f"已于{chinese_date(done.date)}{new.kind.label_zh}",
            f"already recorded: {new.kind.label_en} on {done.date.isoformat()}",
        )


def _check_fee_paid(
    facts: IdleFacts, events: Sequence[LegalEvent], terms: LegalTerms, new: LegalEvent
) -> None:
    _check_done(Step.IDLE_FEE, events, new)


def _check_deregistered(
    facts: IdleFacts, events: Sequence[LegalEvent], terms: LegalTerms, new: LegalEvent
) -> None:
    _check_done(Step.REVOCATION, events, new)


_UNKNOWN_IDLE_DATE = (
    "闲置起始日期未知，无法判断闲置是否满期",
    "the date the land has been idle since is unknown: its idle years cannot be counted",
)
_CHECKS = {
    LegalEventKind.CAUSE: _check_cause,
    LegalEventKind.EXTENSION: _check_extension,
    LegalEventKind.HEARING_NOTICE: _check_hearing_notice,
    LegalEventKind.HEARING_REQUESTED: _check_hearing_requested,
    LegalEventKind.HEARING_HELD: _check_hearing_held,
    LegalEventKind.FEE_DECISION: _check_fee_decision,
    LegalEventKind.REVOCATION_DECISION: _check_revocation_decision,
    LegalEventKind.FEE_PAID: _check_fee_paid,
    LegalEventKind.DEREGISTERED: _check_deregistered,
}
