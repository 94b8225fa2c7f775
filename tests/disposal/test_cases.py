"""The case service (workflow.md §1–2): opening from a kept run, plans and tasks, the idle-land
track as recorded, documents issued and numbered, and the ledger. The pure legal track and the
rendering of documents have their own tests (test_legal.py, test_documents.py)."""

import datetime as dt
import io
from dataclasses import replace
from pathlib import Path

import docx
import openpyxl
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from mujun.disposal import ledger as ledger_module
from mujun.disposal import opening as opening_module
from mujun.disposal import paperwork
from mujun.disposal.case_file import case_file
from mujun.disposal.documents import DocumentKind
from mujun.disposal.errors import CaseRefusedError
from mujun.disposal.idle_track import record_event
from mujun.disposal.ledger import CaseFilters, cases_query, every_file, ledger
from mujun.disposal.ledger_book import write_ledger
from mujun.disposal.legal import Cause, LegalEvent, LegalEventKind
from mujun.disposal.moves import move_case
from mujun.disposal.opening import open_cases
from mujun.disposal.paperwork import issue_document
from mujun.disposal.plans import (
    Attachment,
    accept_task,
    complete_task,
    dispatch_task,
    plan_case,
)
from mujun.disposal.states import CaseState
from mujun.policy.profiles import DocumentIssuer, load_profile
from mujun.records import (
    Case,
    CaseDocument,
    CaseFile,
    CaseFinding,
    CaseTask,
    Compliance,
    Jurisdiction,
    LandContract,
    Parcel,
)
from mujun.records import LegalEvent as RecordedLegalEvent
from tests.builders import identification_run
from tests.disposal.conftest import (
    ACTOR,
    AS_OF,
    E1,
    E2,
    IDLE,
    K1,
    K2,
    LOW,
    PROFILE,
    World,
    case_of,
    drive,
    keep_run,
    opened,
)

IDLE_PATHS = {
    "extend_start",
    "change_use",
    "temporary_use",
    "paid_recovery",
    "land_swap",
    "fee_and_develop",
    "revocation",
}
GOVERNMENT_PATHS = {"extend_start", "change_use", "temporary_use", "paid_recovery", "land_swap"}


def day(n: int) -> dt.date:
    return AS_OF + dt.timedelta(days=n)


def confirm(db: Session, case_id: int, on: dt.date = AS_OF) -> None:
    move_case(db, case_id, CaseState.CONFIRMED, on=on, reason="核实属实", actor=ACTOR)
    db.commit()


def record(db: Session, case_id: int, kind: LegalEventKind, on: dt.date, **kw: object) -> None:
    record_event(db, case_id, LegalEvent(kind=kind, date=on, **kw), actor=ACTOR)  # type: ignore[arg-type]
    db.commit()


# -- opening ---------------------------------------------------------------------------------


def test_every_finding_opens_one_case_per_subject_and_category(world: World, db: Session) -> None:
    opening = open_cases(db, run_id=world.run, actor=ACTOR)
    db.commit()
    assert opening.as_json() == {
        "run": world.run,
        "opened": [o.as_json() for o in opening.opened],
        "joined": [],
    }
    assert [(o.subject_id, o.category, list(o.criteria)) for o in opening.opened] == [
        ("P1", LOW, ["ankang/low/1", "ankang/low/2"]),
        ("P2", IDLE, ["idle/not-started"]),
        ("P3", IDLE, ["idle/not-started"]),
    ]
    cases = list(db.scalars(select(Case).order_by(Case.id)))
    assert [(c.subject_type, c.subject_id, c.county_code) for c in cases] == [
        ("parcel", "P1", K1),
        ("parcel", "P2", K1),
        ("parcel", "P3", K2),
    ]
    assert {(c.state, c.opened_on, c.entered_on, c.opened_by_run) for c in cases} == {
        ("surveyed", AS_OF, AS_OF, world.run)
    }
    p2 = cases[1]
    assert (p2.idle_since, p2.land_price_yuan, p2.profile) == (
        dt.date(2023, 3, 1),
        1_000_000.0,
        PROFILE,
    )
    assert cases[2].land_price_yuan is None
    assert case_file(db, cases[0].id, AS_OF).criteria == ["ankang/low/1", "ankang/low/2"]

    again = open_cases(db, run_id=world.run, actor=ACTOR)
    db.commit()
    assert (again.opened, again.joined) == ([], [])
    assert db.scalar(select(func.count()).select_from(Case)) == 3
    assert db.scalar(select(func.count()).select_from(CaseFinding)) == 4


def test_a_large_opening_refreshes_the_statistics_on_postgresql(
    world: World, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(opening_module, "ANALYZE_AFTER", 2)
    opened = open_cases(db, run_id=world.run, actor=ACTOR).opened
    if db.get_bind().dialect.name == "postgresql":  # ANALYZE sets the count, in the transaction
        planned = db.scalar(text("SELECT reltuples FROM pg_class WHERE relname = 'cases'"))
        assert planned == len(opened) > 2


def test_a_criterion_or_subjects_narrow_the_opening_and_a_date_may_be_given(
    world: World, db: Session
) -> None:
    first = open_cases(
        db, run_id=world.run, actor=ACTOR, criterion="ankang/low/1", on=dt.date(2024, 7, 3)
    )
    assert [(o.subject_id, o.criteria) for o in first.opened] == [("P1", ("ankang/low/1",))]
    second = open_cases(db, run_id=world.run, actor=ACTOR, subjects=["P3"])
    assert [o.subject_id for o in second.opened] == ["P3"] and second.joined == []
    db.commit()
    p1 = case_of(db, "P1")
    assert (p1.state, p1.opened_on, p1.entered_on) == (
        "surveyed",
        dt.date(2024, 7, 3),
        dt.date(2024, 7, 3),
    )
    assert case_of(db, "P3").opened_on == AS_OF

    rest = open_cases(db, run_id=world.run, actor=ACTOR, on=dt.date(2024, 7, 3))
    db.commit()
    assert [o.subject_id for o in rest.opened] == ["P2"]
    assert [(o.case, o.criteria) for o in rest.joined] == [(p1.id, ("ankang/low/2",))]
    assert case_file(db, p1.id, AS_OF).criteria == ["ankang/low/1", "ankang/low/2"]


def test_a_later_finding_joins_the_open_case_and_a_dismissed_one_opens_anew(
    world: World, db: Session
) -> None:
    ids = opened(db, world.run)
    move_case(db, ids["P3"], CaseState.DISMISSED, on=day(1), reason="误报", actor=ACTOR)
    db.commit()
    later = keep_run(world.engine, dt.date(2024, 7, 31))
    joining = open_cases(db, run_id=later, actor=ACTOR)
    db.commit()
    assert [(o.case, o.subject_id, o.criteria) for o in joining.joined] == [
        (ids["P1"], "P1", ("ankang/low/1", "ankang/low/2")),
        (ids["P2"], "P2", ("idle/not-started",)),
    ]
    assert [o.subject_id for o in joining.opened] == ["P3"]
    fresh = case_of(db, "P3")
    assert fresh.id != ids["P3"] and fresh.state == "surveyed"
    assert fresh.opened_on == dt.date(2024, 7, 31) and fresh.opened_by_run == later
    assert [(f.run_id, f.as_of) for f in case_file(db, ids["P2"], day(40)).findings] == [
        (world.run, AS_OF),
        (later, dt.date(2024, 7, 31)),
    ]
    assert case_of(db, "P2").state == "surveyed"  # joining does not move the case
    assert (open_cases(db, run_id=later, actor=ACTOR).opened, []) == ([], [])


def test_opening_the_same_run_again_after_a_dismissal_opens_nothing(
    world: World, db: Session
) -> None:
    ids = opened(db, world.run)
    move_case(db, ids["P3"], CaseState.DISMISSED, on=day(1), reason="误报", actor=ACTOR)
    db.commit()
    again = open_cases(db, run_id=world.run, actor=ACTOR)
    assert (again.opened, again.joined) == ([], [])


def test_what_if_runs_unknown_runs_and_unknown_criteria_are_refused(
    world: World, db: Session
) -> None:
    what_if = identification_run(profile=PROFILE, as_of=AS_OF, overrides={"idle.after_years": "2"})
    db.add(what_if)
    db.commit()
    with pytest.raises(CaseRefusedError, match="what-if"):
        open_cases(db, run_id=what_if.id, actor=ACTOR)
    with pytest.raises(CaseRefusedError, match="no run 999"):
        open_cases(db, run_id=999, actor=ACTOR)
    with pytest.raises(CaseRefusedError, match="no rule idle/nope"):
        open_cases(db, run_id=world.run, actor=ACTOR, criterion="idle/nope")
    db.rollback()
    assert db.scalar(select(func.count()).select_from(Case)) == 0


# -- plans and tasks -------------------------------------------------------------------------


def test_a_plan_picks_a_path_its_profile_offers_for_the_category_and_cause(
    world: World, db: Session
) -> None:
    ids = opened(db, world.run)
    p1, p2, p3 = ids["P1"], ids["P2"], ids["P3"]
    with pytest.raises(CaseRefusedError, match="once it is confirmed"):
        plan_case(db, p1, path="restructuring", due=day(90), on=AS_OF, actor=ACTOR)
    for case_id in ids.values():
        confirm(db, case_id)

    low_paths = {p.id for p in case_file(db, p1, AS_OF).paths}
    assert low_paths == {"restructuring", "added_investment", "negotiated_recovery", "lawful_exit"}
    with pytest.raises(CaseRefusedError) as wrong:
        plan_case(db, p1, path="fee_and_develop", due=day(90), on=AS_OF, actor=ACTOR)
    assert "restructuring" in wrong.value.en
    with pytest.raises(CaseRefusedError, match="neither a department"):
        plan_case(db, p1, path="restructuring", due=day(90), on=AS_OF, actor=ACTOR, unit="nowhere")
    with pytest.raises(CaseRefusedError, match="before the plan"):
        plan_case(db, p1, path="restructuring", due=day(-1), on=AS_OF, actor=ACTOR)
    plan = plan_case(
        db, p1, path="restructuring", due=day(90), on=AS_OF, actor=ACTOR, unit="natural_resources"
    )
    db.commit()
    assert (plan.path, plan.unit, plan.due) == ("restructuring", "natural_resources", day(90))
    plan_case(db, p1, path="added_investment", due=day(120), on=day(1), actor=ACTOR, unit=K1)
    db.commit()
    assert case_file(db, p1, day(1)).plan.path == "added_investment"  # type: ignore[union-attr]

    # Idle land: every path until the cause is recorded, then only the cause's.
    assert {p.id for p in case_file(db, p2, AS_OF).paths} == IDLE_PATHS
    record(db, p2, LegalEventKind.CAUSE, day(1), cause=Cause.ENTERPRISE)
    assert {p.id for p in case_file(db, p2, day(1)).paths} == {"fee_and_develop", "revocation"}
    with pytest.raises(CaseRefusedError, match="does not apply"):
        plan_case(db, p2, path="extend_start", due=day(90), on=day(1), actor=ACTOR)
    plan_case(db, p2, path="fee_and_develop", due=day(90), on=day(1), actor=ACTOR)

    record(db, p3, LegalEventKind.CAUSE, day(1), cause=Cause.GOVERNMENT)
    assert {p.id for p in case_file(db, p3, day(1)).paths} == GOVERNMENT_PATHS
    with pytest.raises(CaseRefusedError, match="does not apply"):
        plan_case(db, p3, path="revocation", due=day(90), on=day(1), actor=ACTOR)
    plan_case(db, p3, path="extend_start", due=day(90), on=day(1), actor=ACTOR)
    db.commit()


def test_a_plan_the_recorded_cause_no_longer_offers_cannot_be_approved(
    world: World, db: Session
) -> None:
    case_id = opened(db, world.run)["P2"]
    confirm(db, case_id, dt.date(2024, 7, 1))
    plan_case(db, case_id, path="fee_and_develop", due=day(180), on=day(3), actor=ACTOR)
    db.commit()
    try:
        record(db, case_id, LegalEventKind.CAUSE, day(4), cause=Cause.GOVERNMENT)
    except CaseRefusedError:
        return  # refusing the cause that contradicts the plan is a fix too
    with pytest.raises(CaseRefusedError):
        move_case(db, case_id, CaseState.PLANNED, on=day(5), reason="审批", actor=ACTOR)


def test_tasks_are_dispatched_accepted_and_done_and_overdue_is_read_off_the_day(
    world: World, db: Session
) -> None:
    case_id = opened(db, world.run)["P1"]
    confirm(db, case_id)
    plan_case(db, case_id, path="restructuring", due=day(200), on=day(1), actor=ACTOR)
    with pytest.raises(CaseRefusedError, match="once its plan is approved"):
        dispatch_task(db, case_id, unit="tax", what="核税", due=day(30), on=day(1), actor=ACTOR)
    move_case(db, case_id, CaseState.PLANNED, on=day(1), reason="审批", actor=ACTOR)
    with pytest.raises(CaseRefusedError, match="neither a department"):
        dispatch_task(db, case_id, unit="nowhere", what="核税", due=day(30), on=day(1), actor=ACTOR)
    with pytest.raises(CaseRefusedError, match="before the dispatch"):
        dispatch_task(db, case_id, unit="tax", what="核税", due=AS_OF, on=day(1), actor=ACTOR)
    with pytest.raises(CaseRefusedError, match="say what"):
        dispatch_task(db, case_id, unit="tax", what=" ", due=day(30), on=day(1), actor=ACTOR)
    due = dt.date(2024, 8, 31)
    noted = dispatch_task(db, case_id, unit="tax", what="核实税收", due=due, on=day(1), actor=ACTOR)
    filed = dispatch_task(db, case_id, unit=K1, what="约谈企业", due=due, on=day(1), actor=ACTOR)
    db.commit()
    assert (noted.state, noted.dispatched_on) == ("dispatched", day(1))

    with pytest.raises(CaseRefusedError, match="cannot complete"):
        complete_task(db, noted.id, on=day(2), actor="tax", note="已核")
    with pytest.raises(CaseRefusedError, match="before it was dispatched"):
        accept_task(db, noted.id, on=AS_OF, actor="tax")
    accept_task(db, noted.id, on=day(2), actor="tax")
    with pytest.raises(CaseRefusedError, match="cannot accept"):
        accept_task(db, noted.id, on=day(2), actor="tax")
    with pytest.raises(CaseRefusedError, match="a note or an attached file"):
        complete_task(db, noted.id, on=day(3), actor="tax", note="  ")
    complete_task(db, noted.id, on=day(3), actor="tax", note="已核实，近三年税收为零")
    accept_task(db, filed.id, on=day(2), actor="town")
    db.commit()

    before = case_file(db, case_id, due)
    assert [(t["task"], t["state"], t["overdue"]) for t in before.as_json()["tasks"]] == [
        (noted.id, "done", False),
        (filed.id, "accepted", False),
    ]
    assert not before.overdue
    after = case_file(db, case_id, due + dt.timedelta(days=1))
    assert [t["overdue"] for t in after.as_json()["tasks"]] == [False, True]
    assert after.overdue
    assert [(d.what, d.task_id, d.overdue) for d in after.deadlines if d.what == "task"] == [
        ("task", filed.id, True)
    ]
    stored = db.get(CaseTask, filed.id)
    assert stored is not None and stored.state == "accepted"  # overdue is never stored

    complete_task(
        db,
        filed.id,
        on=due + dt.timedelta(days=2),
        actor="town",
        attachment=Attachment("约谈记录.pdf", "application/pdf", b"%PDF-1.4 minutes"),
    )
    db.commit()
    done = db.get(CaseTask, filed.id)
    assert done is not None and done.state == "done" and done.note is None
    kept = db.get(CaseFile, done.attachment_id)
    assert kept is not None and (kept.name, kept.size, kept.case_id) == (
        "约谈记录.pdf",
        16,
        case_id,
    )
    assert not case_file(db, case_id, due + dt.timedelta(days=2)).overdue


# -- the idle-land track ----------------------------------------------------------------------


def test_legal_steps_are_recorded_on_confirmed_idle_land_cases_only(
    world: World, db: Session
) -> None:
    ids = opened(db, world.run)
    with pytest.raises(CaseRefusedError, match="once confirmed"):
        record_event(
            db,
            ids["P2"],
            LegalEvent(LegalEventKind.CAUSE, day(1), cause=Cause.ENTERPRISE),
            actor=ACTOR,
        )
    confirm(db, ids["P1"])
    with pytest.raises(CaseRefusedError, match="not an idle-land case"):
        record_event(
            db,
            ids["P1"],
            LegalEvent(LegalEventKind.CAUSE, day(1), cause=Cause.ENTERPRISE),
            actor=ACTOR,
        )
    confirm(db, ids["P2"])
    with pytest.raises(CaseRefusedError, match="cause of idleness is not recorded"):
        record_event(db, ids["P2"], LegalEvent(LegalEventKind.HEARING_NOTICE, day(2)), actor=ACTOR)
    with pytest.raises(CaseRefusedError) as early:
        record_event(
            db,
            ids["P2"],
            LegalEvent(LegalEventKind.CAUSE, day(-1), cause=Cause.ENTERPRISE),
            actor=ACTOR,
        )
    assert early.value.possible_from == AS_OF
    assert case_file(db, ids["P1"], AS_OF).legal is None
    assert case_file(db, ids["P1"], AS_OF).as_json()["idle"] is None


def test_the_fee_decision_waits_for_the_hearing_window_across_national_day(
    world: World, db: Session
) -> None:
    case_id = opened(db, world.run)["P2"]
    confirm(db, case_id, dt.date(2024, 7, 1))
    record(db, case_id, LegalEventKind.CAUSE, dt.date(2024, 7, 2), cause=Cause.ENTERPRISE)

    status = case_file(db, case_id, dt.date(2024, 7, 2))
    shown = status.as_json()
    assert shown["idle"] == {"since": "2023-03-01", "cause": "enterprise"}
    assert [
        (s["step"], s["available_from"], s["available"], s["amount_yuan"]) for s in shown["legal"]
    ] == [
        ("idle_fee", "2024-03-01", True, 200_000.0),
        ("revocation", "2025-03-01", False, None),
    ]
    assert shown["hearing"] is None
    assert shown["possible_steps"] == ["hearing_notice"]

    # Served on Friday 27 September 2024: the window counts the make-up Sunday 29 September,
    # skips the National Day holiday (1–7 October) and ends on Thursday 10 October.
    notice = issue_document(  # written the day before it is served
        db, case_id, DocumentKind.HEARING_NOTICE, on=dt.date(2024, 9, 26), actor=ACTOR
    )
    db.commit()
    assert notice.document.served_on is None
    record(db, case_id, LegalEventKind.HEARING_NOTICE, dt.date(2024, 9, 27))
    served = db.get(CaseDocument, notice.document.id)
    assert served is not None and served.served_on == dt.date(2024, 9, 27)

    during = case_file(db, case_id, dt.date(2024, 9, 30))
    assert during.as_json()["hearing"] == {
        "served": "2024-09-27",
        "request_by": "2024-10-10",
        "requested": None,
        "held": None,
    }
    assert [(d.what, d.date) for d in during.deadlines] == [
        ("hearing_request", dt.date(2024, 10, 10)),
        ("revocation", dt.date(2025, 3, 1)),
    ]
    assert during.next_deadline is not None
    assert during.next_deadline.date == dt.date(2024, 10, 10)

    assert case_file(db, case_id, dt.date(2024, 10, 10)).as_json()["possible_steps"] == []
    assert case_file(db, case_id, dt.date(2024, 10, 11)).as_json()["possible_steps"] == [
        "fee_decision"
    ]
    with pytest.raises(CaseRefusedError) as too_early:
        record_event(
            db, case_id, LegalEvent(LegalEventKind.FEE_DECISION, dt.date(2024, 10, 10)), actor=ACTOR
        )
    assert too_early.value.possible_from == dt.date(2024, 10, 11)
    db.rollback()
    with pytest.raises(CaseRefusedError) as paper_too_early:
        issue_document(
            db, case_id, DocumentKind.FEE_DECISION, on=dt.date(2024, 10, 10), actor=ACTOR
        )
    assert paper_too_early.value.possible_from == dt.date(2024, 10, 11)
    db.rollback()

    decision = issue_document(
        db, case_id, DocumentKind.FEE_DECISION, on=dt.date(2024, 10, 11), actor=ACTOR
    )
    db.commit()
    decision_text = _text(decision.content)
    assert "200,000.00元" in decision_text and "1,000,000.00元" in decision_text
    assert "抵押权人" in decision_text  # E2's mortgage is open: the decision is copied
    assert "乙公司" in decision_text and "P2" in decision_text
    record(db, case_id, LegalEventKind.FEE_DECISION, dt.date(2024, 10, 11))
    # 30 days after service end on Sunday 10 November, a rest day: the fee is due on Monday.
    kept = db.get(CaseDocument, decision.document.id)
    assert kept is not None and kept.served_on == dt.date(2024, 10, 11)
    after = case_file(db, case_id, dt.date(2024, 10, 12))
    assert [(d.what, d.date, d.overdue) for d in after.deadlines] == [
        ("fee_payment", dt.date(2024, 11, 11), False),
        ("revocation", dt.date(2025, 3, 1), False),
    ]
    fee = after.as_json()["legal"][0]
    assert (fee["decided_on"], fee["due_by"]) == ("2024-10-11", "2024-11-11")
    assert not case_file(db, case_id, dt.date(2024, 11, 11)).overdue
    late = case_file(db, case_id, dt.date(2024, 11, 12))
    assert late.deadlines[0].what == "fee_payment" and late.deadlines[0].overdue
    assert late.overdue
    assert _ledger_ids(db, dt.date(2024, 11, 11), overdue=True) == []
    assert _ledger_ids(db, dt.date(2024, 11, 12), overdue=True) == [case_id]


def test_a_requested_hearing_is_held_before_the_decision_and_revocation_waits_two_years(
    world: World, db: Session
) -> None:
    case_id = opened(db, world.run)["P2"]
    confirm(db, case_id, dt.date(2024, 7, 1))
    record(db, case_id, LegalEventKind.CAUSE, dt.date(2024, 7, 2), cause=Cause.ENTERPRISE)
    with pytest.raises(CaseRefusedError) as too_soon:
        record_event(
            db,
            case_id,
            LegalEvent(LegalEventKind.REVOCATION_DECISION, dt.date(2024, 7, 3)),
            actor=ACTOR,
        )
    assert too_soon.value.possible_from == dt.date(2025, 3, 1)
    db.rollback()
    with pytest.raises(CaseRefusedError, match="no hearing notice"):
        record_event(
            db,
            case_id,
            LegalEvent(LegalEventKind.HEARING_REQUESTED, dt.date(2024, 7, 3)),
            actor=ACTOR,
        )
    db.rollback()
    record(db, case_id, LegalEventKind.HEARING_NOTICE, dt.date(2024, 7, 3))
    record(db, case_id, LegalEventKind.HEARING_REQUESTED, dt.date(2024, 7, 5))
    with pytest.raises(CaseRefusedError, match="must be held first"):
        record_event(
            db, case_id, LegalEvent(LegalEventKind.FEE_DECISION, dt.date(2024, 7, 15)), actor=ACTOR
        )
    db.rollback()
    shown = case_file(db, case_id, dt.date(2024, 7, 15)).as_json()
    assert shown["hearing"]["requested"] == "2024-07-05"
    assert "hearing_request" not in [d["what"] for d in shown["deadlines"]]
    record(db, case_id, LegalEventKind.HEARING_HELD, dt.date(2024, 7, 20))
    record(db, case_id, LegalEventKind.FEE_DECISION, dt.date(2024, 7, 22))
    with pytest.raises(CaseRefusedError, match="already decided"):
        record_event(
            db, case_id, LegalEvent(LegalEventKind.FEE_DECISION, dt.date(2024, 7, 23)), actor=ACTOR
        )
    db.rollback()
    record(db, case_id, LegalEventKind.FEE_PAID, dt.date(2024, 8, 1))
    paid = case_file(db, case_id, dt.date(2024, 8, 2))
    assert [d.what for d in paid.deadlines] == ["revocation"]
    assert paid.as_json()["legal"][0]["done_on"] == "2024-08-01"
    # The notice before the fee decision does not serve the revocation: a new one, once
    # the land has been idle two years.
    with pytest.raises(CaseRefusedError, match="hearing notice must be served"):
        record_event(
            db,
            case_id,
            LegalEvent(LegalEventKind.REVOCATION_DECISION, dt.date(2025, 3, 3)),
            actor=ACTOR,
        )
    db.rollback()


def test_a_mortgagee_is_copied_while_the_mortgage_is_open(world: World, db: Session) -> None:
    case_id = opened(db, world.run)["P2"]
    assert case_file(db, case_id, AS_OF).as_json()["mortgagee_copy"] is True
    assert case_file(db, case_id, dt.date(2023, 12, 31)).as_json()["mortgagee_copy"] is False
    mortgage = db.get(RecordedLegalEvent, (E2, "mortgage", dt.date(2024, 1, 1)))
    assert mortgage is not None
    mortgage.closed_date = dt.date(2024, 5, 1)
    db.commit()
    assert case_file(db, case_id, AS_OF).as_json()["mortgagee_copy"] is False
    assert case_file(db, case_id, dt.date(2024, 4, 30)).as_json()["mortgagee_copy"] is True
    # Another holder's mortgage is not this case's.
    assert case_file(db, case_of(db, "P3").id, dt.date(2024, 4, 30)).legal.mortgagee_copy is False  # type: ignore[union-attr]


def test_an_unknown_price_leaves_the_fee_unknown_and_a_government_cause_has_no_steps(
    world: World, db: Session
) -> None:
    case_id = opened(db, world.run)["P3"]
    fee = case_file(db, case_id, AS_OF).as_json()["legal"][0]
    assert (fee["step"], fee["available"], fee["amount_yuan"]) == ("idle_fee", True, None)
    confirm(db, case_id)
    record(db, case_id, LegalEventKind.CAUSE, day(1), cause=Cause.GOVERNMENT)
    shown = case_file(db, case_id, day(1)).as_json()
    assert shown["idle"]["cause"] == "government"
    assert shown["legal"] == [] and shown["possible_steps"] == []
    with pytest.raises(CaseRefusedError, match="government"):
        record_event(db, case_id, LegalEvent(LegalEventKind.HEARING_NOTICE, day(2)), actor=ACTOR)
    db.rollback()
    # The extension restarts the clock: idle since the new agreed start.
    record(db, case_id, LegalEventKind.EXTENSION, day(2), until=dt.date(2024, 3, 1))
    assert case_file(db, case_id, day(2)).as_json()["idle"]["since"] == "2024-03-01"


# -- documents -------------------------------------------------------------------------------


def _text(content: bytes) -> str:
    document = docx.Document(io.BytesIO(content))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        parts.extend(cell.text for row in table.rows for cell in row.cells)
    for section in document.sections:
        parts.extend(p.text for p in section.header.paragraphs)
    return "\n".join(parts)


def test_documents_are_numbered_per_county_and_year(world: World, db: Session) -> None:
    ids = opened(db, world.run)
    on = dt.date(2024, 7, 2)
    first = issue_document(db, ids["P2"], DocumentKind.INVESTIGATION_NOTICE, on=on, actor=ACTOR)
    second = issue_document(db, ids["P2"], DocumentKind.DETERMINATION, on=on, actor=ACTOR)
    again = issue_document(db, ids["P2"], DocumentKind.INVESTIGATION_NOTICE, on=on, actor=ACTOR)
    elsewhere = issue_document(db, ids["P3"], DocumentKind.INVESTIGATION_NOTICE, on=on, actor=ACTOR)
    db.commit()
    assert first.document.number == "桐自然资闲〔2024〕1号"
    assert second.document.number == "桐自然资闲〔2024〕2号"
    assert (again.document.id, again.document.number) == (first.document.id, first.document.number)
    assert again.content == first.content
    assert elsewhere.document.number == "淳自然资闲〔2024〕1号"
    next_year = issue_document(
        db, ids["P2"], DocumentKind.INVESTIGATION_NOTICE, on=dt.date(2025, 1, 6), actor=ACTOR
    )
    db.commit()
    assert next_year.document.number == "桐自然资闲〔2025〕1号"
    assert db.scalar(select(func.count()).select_from(CaseDocument)) == 4

    text = _text(first.content)
    assert "P2" in text and "乙公司" in text and "桐自然资闲〔2024〕1号" in text
    assert "闲置土地调查通知书" in text
    kept = db.get(CaseFile, first.document.file_id)
    assert kept is not None and kept.content == first.content
    assert first.file_name == "桐自然资闲〔2024〕1号闲置土地调查通知书.docx"

    with pytest.raises(CaseRefusedError, match="idle-land cases only"):
        issue_document(db, ids["P1"], DocumentKind.DETERMINATION, on=on, actor=ACTOR)
    with pytest.raises(CaseRefusedError, match="no plan"):
        issue_document(db, ids["P1"], DocumentKind.PLAN, on=on, actor=ACTOR)
    db.rollback()

    # The plan and the dispatch slip take the county's 处 series.
    confirm(db, ids["P1"])
    plan_case(
        db,
        ids["P1"],
        path="restructuring",
        due=dt.date(2024, 12, 31),
        on=on,
        actor=ACTOR,
        unit="natural_resources",
        measures="签订补充协议\n限期整改",
    )
    move_case(db, ids["P1"], CaseState.PLANNED, on=on, reason="审批", actor=ACTOR)
    plan = issue_document(db, ids["P1"], DocumentKind.PLAN, on=on, actor=ACTOR)
    with pytest.raises(CaseRefusedError, match="no task"):
        issue_document(db, ids["P1"], DocumentKind.DISPATCH, on=on, actor=ACTOR)
    dispatch_task(
        db, ids["P1"], unit="tax", what="核实税收", due=dt.date(2024, 8, 31), on=on, actor=ACTOR
    )
    slip = issue_document(db, ids["P1"], DocumentKind.DISPATCH, on=on, actor=ACTOR)
    db.commit()
    assert plan.document.number == "桐自然资处〔2024〕1号"
    assert slip.document.number == "桐自然资处〔2024〕2号"
    plan_text = _text(plan.content)
    assert "P1" in plan_text and "甲公司" in plan_text and "重组转让" in plan_text
    assert "自然资源和规划局" in plan_text
    slip_text = _text(slip.content)
    assert (
        "核实税收" in slip_text and "税务局" in slip_text and "桐自然资处〔2024〕2号" in slip_text
    )


def test_issuers_and_number_codes_are_the_profiles_and_the_short_name_the_countys(
    world: World, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bureau whose names differ says so in its profile; a county whose 简称 is not its first
    character says so in its record. The series follows the code: a kind whose code reads like
    another's shares its numbers."""
    shipped = load_profile(PROFILE)
    local = DocumentIssuer(issuer="{county}自然资源局", code="{short}资规")
    mine = replace(
        shipped,
        documents={**shipped.documents, "investigation_notice": local, "determination": local},
    )
    monkeypatch.setattr(paperwork, "load_profile", lambda _: mine)
    county = db.get(Jurisdiction, K2)
    assert county is not None and county.short == "淳"
    county.short_name = "千岛湖"
    db.commit()
    ids = opened(db, world.run)
    on = dt.date(2024, 7, 2)
    notice = issue_document(db, ids["P3"], DocumentKind.INVESTIGATION_NOTICE, on=on, actor=ACTOR)
    determination = issue_document(db, ids["P3"], DocumentKind.DETERMINATION, on=on, actor=ACTOR)
    tonglu = issue_document(db, ids["P2"], DocumentKind.INVESTIGATION_NOTICE, on=on, actor=ACTOR)
    db.commit()
    assert notice.document.number == "千岛湖资规〔2024〕1号"
    assert determination.document.number == "千岛湖资规〔2024〕2号"
    assert tonglu.document.number == "桐资规〔2024〕1号"
    text = _text(notice.content)
    assert "淳安县自然资源局" in text and "自然资源和规划局" not in text
    assert "千岛湖资规〔2024〕1号" in text


def test_a_profile_without_documents_refuses_to_issue_one(
    world: World, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    silent = replace(load_profile(PROFILE), documents={})
    monkeypatch.setattr(paperwork, "load_profile", lambda _: silent)
    ids = opened(db, world.run)
    with pytest.raises(CaseRefusedError, match=r"documents\.investigation_notice"):
        issue_document(
            db, ids["P2"], DocumentKind.INVESTIGATION_NOTICE, on=dt.date(2024, 7, 2), actor=ACTOR
        )


def test_the_plan_document_prints_the_agreed_per_mu_tax(world: World, db: Session) -> None:
    ids = opened(db, world.run)
    on = dt.date(2024, 7, 2)
    confirm(db, ids["P1"])
    plan_case(db, ids["P1"], path="restructuring", due=dt.date(2024, 12, 31), on=on, actor=ACTOR)
    plain = _text(issue_document(db, ids["P1"], DocumentKind.PLAN, on=on, actor=ACTOR).content)
    assert "约定亩均税收" not in plain
    plan_case(
        db,
        ids["P1"],
        path="restructuring",
        due=dt.date(2024, 12, 31),
        on=on,
        actor=ACTOR,
        tax_per_mu_target_yuan=150_000.0,
    )
    later = on + dt.timedelta(days=1)
    agreed = issue_document(db, ids["P1"], DocumentKind.PLAN, on=later, actor=ACTOR)
    db.commit()
    assert "约定亩均税收：15.00万元/亩（出库评估时须达到）" in _text(agreed.content)


def test_a_served_document_is_not_handed_back_the_same_day(world: World, db: Session) -> None:
    case_id = opened(db, world.run)["P2"]
    confirm(db, case_id)
    record(db, case_id, LegalEventKind.CAUSE, day(1), cause=Cause.ENTERPRISE)
    on = dt.date(2024, 9, 27)
    first = issue_document(db, case_id, DocumentKind.HEARING_NOTICE, on=on, actor=ACTOR)
    db.commit()
    record(db, case_id, LegalEventKind.HEARING_NOTICE, on)
    second = issue_document(db, case_id, DocumentKind.HEARING_NOTICE, on=on, actor=ACTOR)
    db.commit()
    assert first.document.number == "桐自然资闲〔2024〕1号"
    assert second.document.number == "桐自然资闲〔2024〕2号"
    text = _text(first.content)
    assert "P2" in text and "乙公司" in text and "听证" in text


# -- the ledger ------------------------------------------------------------------------------


def _ledger_ids(db: Session, today: dt.date, **filters: object) -> list[int]:
    chosen = CaseFilters(**filters)  # type: ignore[arg-type]
    found = ledger(db, cases_query(chosen, today), today=today, overdue=chosen.overdue)
    assert found.total == len(found.files)
    return [f.case.id for f in found.files]


def test_the_ledger_filters_by_state_county_category_unit_and_overdue(
    world: World, db: Session
) -> None:
    ids = opened(db, world.run)
    p1, p2, p3 = ids["P1"], ids["P2"], ids["P3"]
    last = drive(db, p1, CaseState.PLANNED)
    task = dispatch_task(
        db, p1, unit="tax", what="核税", due=dt.date(2024, 8, 31), on=last, actor=ACTOR
    )
    confirm(db, p3)
    db.commit()
    today = dt.date(2024, 8, 31)
    assert _ledger_ids(db, today) == [p1, p2, p3]
    assert _ledger_ids(db, today, state=CaseState.SURVEYED) == [p2]
    assert _ledger_ids(db, today, state=CaseState.PLANNED) == [p1]
    assert _ledger_ids(db, today, county=K2) == [p3]
    assert _ledger_ids(db, today, county=K1) == [p1, p2]
    assert _ledger_ids(db, today, category=IDLE) == [p2, p3]
    assert _ledger_ids(db, today, unit="tax") == [p1]
    assert _ledger_ids(db, today, unit="court") == []
    assert _ledger_ids(db, today, overdue=True) == []
    assert _ledger_ids(db, dt.date(2024, 9, 1), overdue=True) == [p1]
    assert _ledger_ids(db, dt.date(2024, 9, 1), overdue=True, county=K2) == []
    accept_task(db, task.id, on=today, actor="tax")
    complete_task(db, task.id, on=today, actor="tax", note="已核")
    db.commit()
    assert _ledger_ids(db, dt.date(2024, 9, 1), overdue=True) == []
    assert _ledger_ids(db, dt.date(2024, 12, 27), overdue=True) == []
    assert _ledger_ids(db, dt.date(2024, 12, 28), overdue=True) == [p1]  # the plan's due date

    document = ledger(db, cases_query(CaseFilters(), today), today=today).as_json()
    rows = document["cases"]
    assert all(
        {"case", "subject_type", "subject_id", "category", "county_code", "state", "next_deadline"}
        <= set(row)
        for row in rows
    )
    by_case = {row["case"]: row for row in rows}
    assert by_case[p1]["state"] == "planned" and by_case[p1]["county_code"] == K1
    assert by_case[p2]["next_deadline"] == "2025-03-01"  # the revocation becomes available
    assert by_case[p3]["subject_type"] == "parcel" and by_case[p3]["category"] == IDLE


def test_the_ledger_workbook_names_counties_categories_and_states(
    world: World, db: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = opened(db, world.run)
    confirm(db, ids["P3"])
    today = dt.date(2024, 8, 31)
    monkeypatch.setattr(ledger_module, "READ_TOGETHER", 2)  # three cases: streamed in two batches
    files = every_file(db, cases_query(CaseFilters(), today), today=today)
    path = tmp_path / "台账.xlsx"
    write_ledger(db, path, files, today=today, lang="zh")
    sheet = openpyxl.load_workbook(path).worksheets[0]
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert "处置台账" in str(rows[0][0]) and "2024年8月31日" in str(rows[0][0])
    header = rows[1]
    listed = [row for row in rows[2:] if row[0] is not None]
    assert [row[0] for row in listed] == [1, 2, 3]
    body = {row[header.index("案件编号")]: row for row in listed}
    assert list(body) == sorted(ids.values())
    county, category, state = (
        header.index("县（市、区）"),
        header.index("类别"),
        header.index("办理状态"),
    )
    p1, p3 = body[ids["P1"]], body[ids["P3"]]
    assert (p1[county], p1[category], p1[state]) == ("桐庐县", "低效用地", "调查核实")
    assert (p3[county], p3[category], p3[state]) == ("淳安县", "闲置土地", "审核认定")
    assert p1[header.index("面积（亩）")] == pytest.approx(15.0)
    criteria = p1[header.index("认定依据")]
    assert "ankang/low/1" not in criteria and "禁止类" in criteria


def test_the_ledger_names_the_path_of_a_closed_case(
    world: World, db: Session, tmp_path: Path
) -> None:
    case_id = opened(db, world.run)["P1"]
    last = drive(db, case_id, CaseState.EVALUATING)  # planned with restructuring on the way
    parcel = db.get(Parcel, "P1")
    compliance = db.get(Compliance, (E1, "prohibited_industry", dt.date(2023, 1, 1)))
    assert parcel is not None and compliance is not None
    parcel.planning_adjustment = False
    compliance.resolved_date = last
    db.commit()
    move_case(db, case_id, CaseState.CLOSED, on=last, reason="已整改", actor=ACTOR)
    db.commit()
    files = ledger(db, cases_query(CaseFilters(), last), today=last).files
    path = tmp_path / "台账.xlsx"
    write_ledger(db, path, files, today=last, lang="zh")
    rows = [list(r) for r in openpyxl.load_workbook(path).worksheets[0].iter_rows(values_only=True)]
    header = rows[1]
    (row,) = [r for r in rows[2:] if r[header.index("案件编号")] == case_id]
    assert row[header.index("办理状态")] == "出库销号"
    assert row[header.index("处置路径")] == "重组转让"


def test_a_land_price_recorded_later_sets_the_fee(world: World, db: Session) -> None:
    case_id = opened(db, world.run)["P3"]
    assert case_file(db, case_id, AS_OF).as_json()["legal"][0]["amount_yuan"] is None
    contract = db.get(LandContract, "C3")
    assert contract is not None
    contract.land_price_yuan = 500_000.0
    db.commit()
    later = keep_run(world.engine, dt.date(2024, 7, 31))
    joined = open_cases(db, run_id=later, actor=ACTOR)
    db.commit()
    assert case_id in [o.case for o in joined.joined]
    fee = case_file(db, case_id, dt.date(2024, 7, 31)).as_json()["legal"][0]
    assert (fee["step"], fee["amount_yuan"]) == ("idle_fee", 100_000.0)
