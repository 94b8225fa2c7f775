"""Opening a case from an early warning (workflow.md §1, §3; Yancheng §三(五) 及时跟踪处置).

A live warning opens a case on its subject in the category its profile gives the signal
(``monitor.case.<signal>``): an imminent idle date an idle-land case, an enterprise's falling
figures an abnormal-enterprise case. As with findings, one case per subject and category: where
the subject already has an open case in that category the warning joins it. The case enters
``surveyed`` on the warning's issue date, or a later date given; it records the warning that
opened it, whose signal is its criterion: its exit evaluation judges that signal on the subject
again (:func:`warning_exit`). The warning, and every other live warning of the subject without a
case, then show the case.
"""

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from mujun.disposal.access import logged_as
from mujun.disposal.errors import CaseRefusedError
from mujun.disposal.opening import (
    NewCase,
    OpenCase,
    Opened,
    check_not_before,
    new_case,
    open_cases_by_key,
    open_key,
    opening_move,
)
from mujun.monitoring.signals import SIGNALS
from mujun.monitoring.subject import SubjectVerdict, judge_subject, last_whole_month
from mujun.monitoring.warnings import WarningState
from mujun.policy.profiles import Category, Rule, SubjectType, load_profile
from mujun.records import Case, CaseMove, EarlyWarning, MonitoringRun, Parcel
from mujun.records.changes import insert_logged


@dataclass(frozen=True)
class WarnedOpening:
    """The case a warning opened or joined (``cases open --warning --format json``)."""

    warning: int
    opened: list[Opened]
    joined: list[Opened]

    @property
    def case(self) -> int:
        return (self.opened or self.joined)[0].case

    def as_json(self) -> dict[str, object]:
        return {
            "warning": self.warning,
            "opened": [o.as_json() for o in self.opened],
            "joined": [o.as_json() for o in self.joined],
        }


def case_category_parameter(signal: str) -> str:
    """The profile parameter naming the category of a case ``signal``'s warning opens."""
    return f"monitor.case.{signal.removeprefix('monitor/')}"


def open_case_from_warning(
    db: Session, warning_id: int, *, actor: str, on: dt.date | None = None
) -> WarnedOpening:
    """Open (or join) the case of warning ``warning_id``'s subject in its signal's category,
    entering ``surveyed`` on ``on`` (default: the warning's issue date; a date given to join
    is no earlier than the case's opening). The caller commits."""
    warning = _live_warning(db, warning_id)
    entered = on or warning.issued_on
    if entered < warning.issued_on:
        raise CaseRefusedError(
            f"预警 {warning.id} 发出于 {warning.issued_on.isoformat()}，立案日期不能早于此日",
            f"warning {warning.id} was issued on {warning.issued_on}: no case opens before",
            possible_from=warning.issued_on,
        )
    category = _category(warning, entered)
    key = open_key(warning.subject_type, warning.subject_id, category)
    case = open_cases_by_key(db, {key}).get(key)
    if case is not None:
        if on is not None:  # a warning issued before the case was opened joins it undated
            check_not_before(case, on)
        _link(db, warning, case.id, actor=actor, reason=f"预警 {warning.id} 并入案件 {case.id}")
        return WarnedOpening(warning.id, opened=[], joined=[_filed(case, warning)])
    opened = _open(db, warning, category, entered, actor=actor)
    return WarnedOpening(warning.id, opened=[_filed(opened, warning)], joined=[])


def _live_warning(db: Session, warning_id: int) -> EarlyWarning:
    """The warning, if it may still open a case: live, and raised by a run of a profile as
    published."""
    warning = db.get(EarlyWarning, warning_id)
    if warning is None:
        raise CaseRefusedError(f"没有编号为 {warning_id} 的预警", f"no warning {warning_id}")
    state = WarningState(warning.state)
    if state is WarningState.LIFTED:
        raise CaseRefusedError(
            f"预警 {warning.id} 已于 {warning.lifted_month} 解除（信号不再触发），不能据以立案",
            f"warning {warning.id} was lifted in {warning.lifted_month}: its signal no longer "
            "fires, so it opens no case",
        )
    if state is WarningState.CLOSED:
        raise CaseRefusedError(
            f"预警 {warning.id} 已办结，不能据以立案；信号如仍触发，将发出新的预警",
            f"warning {warning.id} is closed: a signal still firing raises a new warning",
        )
    run = db.get(MonitoringRun, warning.raised_by_run)
    if run is not None and run.overrides:
        raise CaseRefusedError(
            f"预警 {warning.id} 来自模拟测算（what-if），不能据以立案",
            f"warning {warning.id} comes from a what-if run: it opens no case",
        )
    return warning


def case_category_of(warning: EarlyWarning, on: dt.date) -> Category | None:
    """The category of the case ``warning`` opens, as its profile gives its signal on ``on``;
    None for a signal that opens none (a department's missing figures)."""
    if warning.subject_type not in {t.value for t in SubjectType}:
        return None
    name = case_category_parameter(warning.signal)
    profile = load_profile(warning.profile)
    if name not in profile.parameters:
        return None
    return Category(profile.values(on).text(name))


def _category(warning: EarlyWarning, on: dt.date) -> Category:
    """The category of the warning's case, or refused with why it opens none."""
    category = case_category_of(warning, on)
    if category is not None:
        return category
    title = _title(warning.signal)
    if warning.subject_type not in {t.value for t in SubjectType}:
        raise CaseRefusedError(
            f"「{title}」预警提醒的是报送数据的部门，不针对地块或企业，不能立案处置",
            f"{warning.signal} warns a department, not a parcel or an enterprise: it opens no case",
        )
    raise CaseRefusedError(
        f"{warning.profile} 未规定「{title}」预警的立案类别，不能据以立案",
        f"{warning.profile} gives no case category for {warning.signal}",
    )


def _open(
    db: Session, warning: EarlyWarning, category: Category, entered: dt.date, *, actor: str
) -> OpenCase:
    year, month = (int(part) for part in warning.last_month.split("-"))
    reason = f"据预警第 {warning.id} 号（{_title(warning.signal)}，{year}年{month}月）立案"
    conn = db.connection()
    evidence = json.loads(warning.evidence)
    idle_date = evidence.get("idle_date") if category is Category.IDLE_LAND else None
    row = new_case(
        NewCase(
            profile=warning.profile,
            subject_type=warning.subject_type,
            subject_id=warning.subject_id,
            category=category.value,
            subject_name=warning.subject_name,
            area_m2=_area(db, warning),
            county_code=warning.county_code,
            idle_since=dt.date.fromisoformat(idle_date) if isinstance(idle_date, str) else None,
            land_price_yuan=None,
        ),
        entered=entered,
    ) | {"opened_by_run": None, "opened_by_warning": warning.id}
    [number] = insert_logged(conn, Case, [row], actor=actor, reason=reason, numbered=True)
    insert_logged(
        conn,
        CaseMove,
        [opening_move(number, entered, actor, reason)],
        actor=actor,
        reason=reason,
        numbered=True,
    )
    _link(db, warning, number, actor=actor, reason=reason)
    return OpenCase(number, warning.subject_type, warning.subject_id, category.value, entered)


def _area(db: Session, warning: EarlyWarning) -> float | None:
    if warning.subject_type != SubjectType.PARCEL.value:
        return None
    parcel = db.get(Parcel, warning.subject_id)
    return parcel.area_m2 if parcel else None


def _link(db: Session, warning: EarlyWarning, case_id: int, *, actor: str, reason: str) -> None:
    """The warning belongs to the case, and so does every other live warning of its subject
    that has none."""
    others = db.scalars(
        select(EarlyWarning).where(
            EarlyWarning.subject_type == warning.subject_type,
            EarlyWarning.subject_id == warning.subject_id,
            EarlyWarning.open_key.is_not(None),
            EarlyWarning.case_id.is_(None),
            EarlyWarning.id != warning.id,
        )
    )
    with logged_as(db, actor, reason):
        for linked in [warning, *others]:
            if linked.case_id != case_id:
                linked.case_id = case_id


def _filed(case: OpenCase, warning: EarlyWarning) -> Opened:
    return Opened(case.id, case.subject_type, case.subject_id, case.category, (warning.signal,))


def _title(signal: str) -> str:
    return SIGNALS[signal].title_zh if signal in SIGNALS else signal


def criterion_title(rules: Mapping[str, Rule], criterion: str, lang: str = "zh") -> str:
    """A case's criterion by its title: a rule of its profile, or the signal of the warning
    that opened it; else its id."""
    found = rules.get(criterion) or SIGNALS.get(criterion)
    if found is None:
        return criterion
    return found.title_zh if lang == "zh" else found.title_en


def warning_exit(db: Session, case: Case, on: dt.date) -> SubjectVerdict:
    """For a case opened from a warning, its signal judged again on the subject for the last
    whole month ending on or before ``on`` (nothing for another case)."""
    month = last_whole_month(on)
    if case.opened_by_warning is None:
        return SubjectVerdict(month=month)
    warning = db.get(EarlyWarning, case.opened_by_warning)
    assert warning is not None
    bind = db.get_bind()
    return judge_subject(
        bind if isinstance(bind, Engine) else bind.engine,
        profile=load_profile(warning.profile),
        month=month,
        signals=[warning.signal],
        subject_type=case.subject_type,
        subject_id=case.subject_id,
    )
