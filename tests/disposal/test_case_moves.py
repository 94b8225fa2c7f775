"""Moving a case between states (workflow.md §1): every allowed move kept with its date, actor
and reason and in the change log; every other move refused naming the allowed ones; the exit
evaluation both ways."""

import datetime as dt
import json

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from mujun.disposal.errors import CaseRefusedError
from mujun.disposal.moves import Dispute, move_case
from mujun.disposal.opening import open_cases
from mujun.disposal.plans import plan_case
from mujun.disposal.states import CaseState
from mujun.records import (
    Case,
    CaseEvent,
    CaseMove,
    CasePlan,
    Compliance,
    Construction,
    Finding,
    Objection,
    Parcel,
)
from mujun.records.changes import Change
from tests.builders import identification_run
from tests.disposal.conftest import ACTOR, AS_OF, E1, K1, World, case_of, drive, opened

ALLOWED = {
    CaseState.SURVEYED: {CaseState.CONFIRMED, CaseState.DISMISSED},
    CaseState.CONFIRMED: {CaseState.PLANNED},
    CaseState.PLANNED: {CaseState.IN_PROGRESS},
    CaseState.IN_PROGRESS: {CaseState.EVALUATING},
    CaseState.EVALUATING: {CaseState.CLOSED, CaseState.IN_PROGRESS},
    CaseState.CLOSED: set(),
    CaseState.DISMISSED: set(),
}
"""workflow.md §1's allowed moves, written out here rather than read from the machine."""


def day(n: int) -> dt.date:
    return AS_OF + dt.timedelta(days=n)


def test_every_allowed_move_is_dated_reasoned_and_in_the_change_log(
    world: World, db: Session
) -> None:
    ids = opened(db, world.run)
    p1, p3 = ids["P1"], ids["P3"]
    move_case(db, p1, CaseState.CONFIRMED, on=day(1), reason="核实属实", actor="li")
    plan_case(db, p1, path="restructuring", due=day(200), on=day(2), actor="li")
    move_case(db, p1, CaseState.PLANNED, on=day(2), reason="专班审批方案", actor="zhao")
    move_case(db, p1, CaseState.IN_PROGRESS, on=day(3), reason="开始整治", actor="li")
    move_case(db, p1, CaseState.EVALUATING, on=day(4), reason="申请评估", actor="li")
    move_case(db, p1, CaseState.IN_PROGRESS, on=day(5), reason="继续整治：尚未完成", actor="zhao")
    move_case(db, p1, CaseState.EVALUATING, on=day(5), reason="再次申请评估", actor="li")
    move_case(db, p3, CaseState.DISMISSED, on=day(1), reason="宗地已动工，误报", actor="li")
    db.commit()

    history = [
        (m.from_state, m.state, m.date, m.actor, m.reason)
        for m in db.scalars(select(CaseMove).where(CaseMove.case_id == p1).order_by(CaseMove.id))
    ]
    assert history[1:] == [
        ("surveyed", "confirmed", day(1), "li", "核实属实"),
        ("confirmed", "planned", day(2), "zhao", "专班审批方案"),
        ("planned", "in_progress", day(3), "li", "开始整治"),
        ("in_progress", "evaluating", day(4), "li", "申请评估"),
        ("evaluating", "in_progress", day(5), "zhao", "继续整治：尚未完成"),
        ("in_progress", "evaluating", day(5), "li", "再次申请评估"),
    ]
    assert history[0][:4] == (None, "surveyed", AS_OF, ACTOR)
    case = db.get(Case, p1)
    assert case is not None and (case.state, case.entered_on) == ("evaluating", day(5))
    dismissed = db.get(Case, p3)
    assert dismissed is not None
    assert (dismissed.state, dismissed.open_key) == ("dismissed", None)

    moves_logged = {
        (c.after["state"], c.reason, c.actor)
        for c in db.scalars(select(Change).where(Change.table_name == "case_moves"))
        if c.after and c.after["case_id"] == p1 and c.after["state"] != "surveyed"
    }
    assert moves_logged == {
        ("confirmed", "核实属实", "li"),
        ("planned", "专班审批方案", "zhao"),
        ("in_progress", "开始整治", "li"),
        ("evaluating", "申请评估", "li"),
        ("in_progress", "继续整治：尚未完成", "zhao"),
        ("evaluating", "再次申请评估", "li"),
    }
    case_updates = [
        (c.before["state"], c.after["state"], c.reason)
        for c in db.scalars(
            select(Change)
            .where(
                Change.table_name == "cases",
                Change.object_key == str(p1),
                Change.action == "update",
            )
            .order_by(Change.id)
        )
        if c.before and c.after and c.before["state"] != c.after["state"]
    ]
    assert case_updates == [
        ("surveyed", "confirmed", "核实属实"),
        ("confirmed", "planned", "专班审批方案"),
        ("planned", "in_progress", "开始整治"),
        ("in_progress", "evaluating", "申请评估"),
        ("evaluating", "in_progress", "继续整治：尚未完成"),
        ("in_progress", "evaluating", "再次申请评估"),
    ]


def test_opening_is_in_the_change_log_as_its_actor_with_its_reason(
    world: World, db: Session
) -> None:
    case_id = opened(db, world.run)["P2"]
    entry = db.scalars(select(CaseMove).where(CaseMove.case_id == case_id)).one()
    logged = db.scalars(
        select(Change).where(Change.table_name == "case_moves", Change.object_key == str(entry.id))
    ).one()
    assert logged.actor == ACTOR and logged.reason and f"第 {world.run} 批" in logged.reason
    inserted = db.scalars(
        select(Change).where(
            Change.table_name == "cases",
            Change.object_key == str(case_id),
            Change.action == "insert",
        )
    ).one()
    assert inserted.actor == ACTOR and inserted.reason


def test_every_other_move_is_refused_naming_the_allowed_ones(world: World, db: Session) -> None:
    case_id = opened(db, world.run)["P1"]
    db.add(  # a plan, so that no refusal below is for want of one
        CasePlan(
            case_id=case_id,
            path="restructuring",
            measures="",
            due=day(200),
            milestones=[],
            recorded_on=AS_OF,
        )
    )
    db.commit()
    refused = 0
    for current, allowed in ALLOWED.items():
        case = db.get(Case, case_id)
        assert case is not None
        case.state = current.value
        db.commit()
        for target in set(CaseState) - allowed:
            with pytest.raises(CaseRefusedError) as refusal:
                move_case(db, case_id, target, on=day(30), reason="试一试", actor=ACTOR)
            refused += 1
            reason = refusal.value.en
            assert str(current) in reason and str(target) in reason
            if allowed:
                assert all(str(a) in reason for a in allowed), reason
                assert all(f"「{a.label_zh}」" in refusal.value.zh for a in allowed)
            else:
                assert "finished" in reason and "已办结" in refusal.value.zh
            db.rollback()
            again = db.get(Case, case_id)
            assert again is not None and again.state == current.value
    assert refused == 49 - 7  # 7 × 7 pairs, 7 of them allowed
    assert db.scalar(select(CaseMove.id).where(CaseMove.date == day(30))) is None


def test_a_move_needs_a_reason_a_date_not_before_the_last_and_a_plan_to_approve(
    world: World, db: Session
) -> None:
    case_id = opened(db, world.run)["P2"]
    for blank in ("", "   "):
        with pytest.raises(CaseRefusedError, match="reason"):
            move_case(db, case_id, CaseState.CONFIRMED, on=day(1), reason=blank, actor=ACTOR)
    with pytest.raises(CaseRefusedError) as early:
        move_case(db, case_id, CaseState.CONFIRMED, on=day(-1), reason="核实", actor=ACTOR)
    assert early.value.possible_from == AS_OF
    move_case(db, case_id, CaseState.CONFIRMED, on=AS_OF, reason="当日核实", actor=ACTOR)
    db.commit()
    with pytest.raises(CaseRefusedError, match="no plan"):
        move_case(db, case_id, CaseState.PLANNED, on=day(2), reason="审批", actor=ACTOR)
    with pytest.raises(CaseRefusedError) as before:
        plan_case(db, case_id, path="fee_and_develop", due=day(100), on=day(2), actor=ACTOR)
        move_case(db, case_id, CaseState.PLANNED, on=day(-1), reason="审批", actor=ACTOR)
    assert before.value.possible_from == AS_OF
    move_case(db, case_id, CaseState.PLANNED, on=day(2), reason="审批", actor=ACTOR)
    db.commit()
    assert case_of(db, "P2").state == "planned"


# -- exit evaluation ---------------------------------------------------------------------------


def _exit_failures(db: Session, case_id: int) -> list[CaseEvent]:
    return list(
        db.scalars(
            select(CaseEvent).where(CaseEvent.case_id == case_id, CaseEvent.kind == "exit_failed")
        )
    )


def test_a_case_closes_only_once_its_rule_no_longer_fires(world: World, db: Session) -> None:
    case_id = opened(db, world.run)["P2"]
    last = drive(db, case_id, CaseState.EVALUATING)
    on = dt.date(2024, 12, 31)
    with pytest.raises(CaseRefusedError) as refusal:
        move_case(db, case_id, CaseState.CLOSED, on=on, reason="已整改", actor=ACTOR)
    db.rollback()
    evidence = refusal.value.evidence
    assert evidence is not None and evidence["passed"] is False
    assert evidence["as_of"] == "2024-12-31"
    assert evidence["still_found"]["idle/not-started"]["idle_since"] == "2023-03-01"
    assert evidence["still_found"]["idle/not-started"]["consequence"] == "idle_fee"
    assert "idle/not-started" in refusal.value.en and "仍符合" in refusal.value.zh
    with world.session() as fresh:
        case = fresh.get(Case, case_id)
        assert case is not None and (case.state, case.entered_on) == ("evaluating", last)
        failures = _exit_failures(fresh, case_id)
        assert [(f.date, f.actor) for f in failures] == [(on, ACTOR)]
        assert json.loads(failures[0].note or "{}")["still_found"].keys() == {"idle/not-started"}

    # The holder starts building; the evaluation then finds nothing and the case closes.
    db.add(
        Construction(
            parcel_id="P2", as_of=dt.date(2024, 11, 30), started_date=dt.date(2024, 11, 15)
        )
    )
    db.commit()
    move = move_case(db, case_id, CaseState.CLOSED, on=on, reason="已动工", actor=ACTOR)
    db.commit()
    assert move.evidence == {
        "as_of": "2024-12-31",
        "passed": True,
        "still_found": {},
        "unjudged": {},
    }
    case = db.get(Case, case_id)
    assert case is not None and (case.state, case.open_key) == ("closed", None)
    with pytest.raises(CaseRefusedError, match="finished"):
        move_case(db, case_id, CaseState.IN_PROGRESS, on=on, reason="重开", actor=ACTOR)


def test_the_evaluation_reads_the_data_as_of_its_date(world: World, db: Session) -> None:
    """A start recorded after the evaluation date does not let the case close on it."""
    case_id = opened(db, world.run)["P2"]
    drive(db, case_id, CaseState.EVALUATING)
    db.add(
        Construction(parcel_id="P2", as_of=dt.date(2025, 1, 10), started_date=dt.date(2025, 1, 5))
    )
    db.commit()
    with pytest.raises(CaseRefusedError):
        move_case(db, case_id, CaseState.CLOSED, on=dt.date(2024, 12, 31), reason="x", actor=ACTOR)
    db.rollback()
    move_case(db, case_id, CaseState.CLOSED, on=dt.date(2025, 1, 10), reason="x", actor=ACTOR)
    db.commit()
    assert case_of(db, "P2").state == "closed"


def test_unknown_data_never_passes_the_exit_evaluation(world: World, db: Session) -> None:
    case_id = opened(db, world.run)["P1"]
    drive(db, case_id, CaseState.EVALUATING)
    on = dt.date(2024, 9, 30)
    compliance = db.get(Compliance, (E1, "prohibited_industry", dt.date(2023, 1, 1)))
    assert compliance is not None
    compliance.resolved_date = dt.date(2024, 8, 31)
    parcel = db.get(Parcel, "P1")
    assert parcel is not None
    parcel.planning_adjustment = None  # unknown: ankang/low/2 cannot judge
    db.commit()
    with pytest.raises(CaseRefusedError) as refusal:
        move_case(db, case_id, CaseState.CLOSED, on=on, reason="已整改", actor=ACTOR)
    db.rollback()
    evidence = refusal.value.evidence
    assert evidence is not None
    assert evidence["still_found"] == {}
    assert set(evidence["unjudged"]) == {"ankang/low/2"}
    assert "planning_adjustment" in str(evidence["unjudged"]["ankang/low/2"])
    assert case_of(db, "P1").state == "evaluating"
    assert len(_exit_failures(db, case_id)) == 1

    parcel = db.get(Parcel, "P1")
    assert parcel is not None
    parcel.planning_adjustment = False
    db.commit()
    move_case(db, case_id, CaseState.CLOSED, on=on, reason="已整改", actor=ACTOR)
    db.commit()
    assert case_of(db, "P1").state == "closed"


def test_a_failed_exit_goes_back_to_work_with_a_reason(world: World, db: Session) -> None:
    case_id = opened(db, world.run)["P3"]
    last = drive(db, case_id, CaseState.EVALUATING)
    with pytest.raises(CaseRefusedError):
        move_case(db, case_id, CaseState.CLOSED, on=last, reason="评估", actor=ACTOR)
    db.rollback()
    with pytest.raises(CaseRefusedError, match="reason"):
        move_case(db, case_id, CaseState.IN_PROGRESS, on=last, reason=" ", actor=ACTOR)
    move_case(db, case_id, CaseState.IN_PROGRESS, on=last, reason="继续整治", actor=ACTOR)
    db.commit()
    assert case_of(db, "P3").state == "in_progress"


def test_a_finding_of_another_profile_joined_does_not_break_the_exit(
    world: World, db: Session
) -> None:
    case_id = opened(db, world.run)["P1"]
    other = identification_run(profile="tonglu-2022", as_of=dt.date(2024, 7, 31))
    db.add(other)
    db.flush()
    db.add(
        Finding(
            run_id=other.id,
            criterion="tonglu/low",
            subject_type="parcel",
            subject_id="P1",
            category="low_efficiency_land",
            subject_name="甲公司",
            area_m2=10000.0,
            county_code=K1,
            key=False,
            evidence="{}",
            source="tonglu-2022",
        )
    )
    db.commit()
    try:
        joined = open_cases(db, run_id=other.id, actor=ACTOR)
    except CaseRefusedError:
        return  # refusing to join another profile's finding is a fix too
    db.commit()
    assert [o.case for o in joined.joined] == [case_id]
    last = drive(db, case_id, CaseState.EVALUATING, start=dt.date(2024, 7, 31))
    with pytest.raises(CaseRefusedError):  # ankang/low/1 and /2 still fire on P1
        move_case(db, case_id, CaseState.CLOSED, on=last, reason="评估", actor=ACTOR)


def test_a_dismissal_records_the_disputed_figures_as_objections(world: World, db: Session) -> None:
    """workflow.md §1: dismissed — the figures disputed are recorded as a data objection, each
    routed to the department that supplied it; a dispute the records cannot place refuses the
    whole move."""
    p3 = opened(db, world.run)["P3"]
    wrong = Dispute("parcels", "P404", "area_m2", "20000")
    with pytest.raises(CaseRefusedError, match="P404"):
        move_case(db, p3, CaseState.DISMISSED, on=day(1), reason="面积有误", actor=ACTOR,
                  disputes=[wrong])  # fmt: skip
    db.rollback()
    assert case_of(db, "P3").state == "surveyed"
    with pytest.raises(CaseRefusedError, match="dismissal"):
        move_case(db, p3, CaseState.CONFIRMED, on=day(1), reason="核实", actor=ACTOR,
                  disputes=[Dispute("parcels", "P3", "area_m2")])  # fmt: skip
    db.rollback()
    move_case(db, p3, CaseState.DISMISSED, on=day(1), reason="面积有误", actor=ACTOR,
              disputes=[Dispute("parcels", "P3", "area_m2", "20000")])  # fmt: skip
    db.commit()
    (objection,) = db.scalars(select(Objection).where(Objection.case_id == p3))
    assert (objection.table_name, objection.object_key, objection.column_name) == (
        "parcels",
        "P3",
        "area_m2",
    )
    assert (objection.claimed_value, objection.state, objection.reason) == (
        "20000",
        "open",
        "面积有误",
    )
    assert objection.routed_to == "natural_resources"
