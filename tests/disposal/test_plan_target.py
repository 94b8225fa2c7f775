"""A plan's agreed per-mu tax checked by the exit evaluation (workflow.md §1: "and any plan
target -- e.g. an agreed per-mu tax -- is met"): met, not reached (refused with the target, the
actual figure and the year, kept as the failed exit's evidence), unknown (refused as unjudged),
absent (nothing changes); for a parcel every holder, for a building its parcel's holders.

P1 is 10,000 m² (15 mu), held by 甲公司 (E1); its case closes on the rules once E1's prohibited
industry is resolved and the parcel's planning adjustment is off. The evaluation is dated
2025-03-10, so the year judged is 2024."""

import datetime as dt
import json

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from mujun.disposal.errors import CaseRefusedError
from mujun.disposal.moves import move_case
from mujun.disposal.plans import plan_case
from mujun.disposal.states import CaseState
from mujun.disposal.targets import TAX_PER_MU_TARGET
from mujun.records import (
    AnnualMetric,
    Building,
    Case,
    CaseEvent,
    CasePlan,
    Compliance,
    LandOccupancy,
    Parcel,
)
from tests.disposal.conftest import ACTOR, E1, E2, E3, K1, World, case_of, drive, opened

ON = dt.date(2025, 3, 10)
"""The exit evaluation's date: the year judged is 2024."""
TARGET = 60_000.0
"""元/亩: 900,000 yuan of tax on E1's 15 mu."""


def _no_rule_fires(db: Session) -> None:
    """P1's low-efficiency rules no longer fire: the prohibited industry is resolved and the
    planning adjustment is off."""
    compliance = db.get(Compliance, (E1, "prohibited_industry", dt.date(2023, 1, 1)))
    parcel = db.get(Parcel, "P1")
    assert compliance is not None and parcel is not None
    compliance.resolved_date = dt.date(2024, 8, 31)
    parcel.planning_adjustment = False
    db.commit()


def _evaluating_p1(world: World, db: Session, target: float | None) -> int:
    """P1's case in 评估出库, its plan agreeing ``target`` (revised while the work goes on)."""
    case_id = opened(db, world.run)["P1"]
    drive(db, case_id, CaseState.IN_PROGRESS)
    plan = db.get(CasePlan, case_id)
    assert plan is not None
    on = dt.date(2024, 7, 3)
    plan_case(
        db, case_id, path=plan.path, due=plan.due, on=on, actor=ACTOR, tax_per_mu_target_yuan=target
    )
    move_case(db, case_id, CaseState.EVALUATING, on=on, reason="申请评估", actor=ACTOR)
    db.commit()
    _no_rule_fires(db)
    return case_id


def _tax(db: Session, credit_code: str, year: int, yuan: float | None) -> None:
    db.add(AnnualMetric(credit_code=credit_code, year=year, tax_yuan=yuan))
    db.commit()


def _refused(db: Session, case_id: int) -> CaseRefusedError:
    with pytest.raises(CaseRefusedError) as refusal:
        move_case(db, case_id, CaseState.CLOSED, on=ON, reason="评估出库", actor=ACTOR)
    db.rollback()
    return refusal.value


def _close(db: Session, case_id: int) -> dict[str, object]:
    move = move_case(db, case_id, CaseState.CLOSED, on=ON, reason="评估出库", actor=ACTOR)
    db.commit()
    assert move.evidence is not None
    return move.evidence


def test_a_target_reached_in_the_last_full_year_lets_the_case_close(
    world: World, db: Session
) -> None:
    case_id = _evaluating_p1(world, db, TARGET)
    _tax(db, E1, 2024, 900_000.0)  # exactly 60,000 per mu: reached ("not below")
    _tax(db, E1, 2025, 0.0)  # the year under way is not judged
    assert _close(db, case_id) == {
        "as_of": "2025-03-10",
        "passed": True,
        "still_found": {},
        "unjudged": {},
    }
    assert case_of(db, "P1").state == "closed"


def test_a_target_not_reached_refuses_the_exit_with_target_actual_and_year(
    world: World, db: Session
) -> None:
    case_id = _evaluating_p1(world, db, TARGET)
    _tax(db, E1, 2024, 780_000.0)  # 52,000 per mu
    _tax(db, E1, 2023, 9_000_000.0)  # an earlier good year does not count
    refusal = _refused(db, case_id)
    assert refusal.evidence is not None and refusal.evidence["passed"] is False
    figures = refusal.evidence["still_found"][TAX_PER_MU_TARGET]
    assert (figures["year"], figures["tax_per_mu_target_yuan"]) == (2024, TARGET)
    (holder,) = figures["enterprises"]
    assert (holder["credit_code"], holder["name"], holder["tax_yuan"]) == (E1, "甲公司", 780_000.0)
    assert holder["land_mu"] == pytest.approx(15.0)
    assert holder["tax_per_mu_yuan"] == pytest.approx(52_000.0)
    assert "2024年亩均税收 5.20 万元/亩（甲公司），未达到方案约定的 6.00 万元/亩" in refusal.zh
    assert "2025-03-10" in refusal.zh and "2024" in refusal.en

    (kept,) = db.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case_id, CaseEvent.kind == "exit_failed")
    )
    assert json.loads(kept.note or "{}")["still_found"][TAX_PER_MU_TARGET] == figures
    assert case_of(db, "P1").state == "evaluating"


def test_figures_that_would_read_alike_are_written_with_more_decimals(
    world: World, db: Session
) -> None:
    case_id = _evaluating_p1(world, db, TARGET)
    _tax(db, E1, 2024, 899_850.0)  # 59,990 per mu: 6.00 万元 at two decimals
    assert "5.9990 万元/亩（甲公司），未达到方案约定的 6.0000 万元/亩" in _refused(db, case_id).zh


def test_an_unknown_tax_or_land_leaves_the_target_unjudged_never_zero(
    world: World, db: Session
) -> None:
    case_id = _evaluating_p1(world, db, TARGET)
    refusal = _refused(db, case_id)  # no figures for 2024 at all
    assert refusal.evidence is not None
    assert refusal.evidence["still_found"] == {}
    assert refusal.evidence["unjudged"] == {TAX_PER_MU_TARGET: "tax_yuan_2024"}
    assert "方案约定的亩均税收无法判定（缺少2024年税收实缴（元））" in refusal.zh

    _tax(db, E1, 2024, None)  # a row without the tax is no better
    assert _refused(db, case_id).evidence["unjudged"] == {  # type: ignore[index]
        TAX_PER_MU_TARGET: "tax_yuan_2024"
    }

    metric = db.get(AnnualMetric, (E1, 2024))
    assert metric is not None
    metric.tax_yuan = 900_000.0
    db.add(LandOccupancy(credit_code=E1, parcel_id="P1", kind="owned", area_m2=0.0))
    db.commit()  # E1's land is now its occupancy: none
    refusal = _refused(db, case_id)
    assert refusal.evidence is not None
    assert refusal.evidence["unjudged"] == {TAX_PER_MU_TARGET: "land_m2"}
    assert "企业用地面积" in refusal.zh
    assert case_of(db, "P1").state == "evaluating"


def test_without_a_target_the_exit_does_not_look_at_the_tax(world: World, db: Session) -> None:
    case_id = _evaluating_p1(world, db, None)
    _tax(db, E1, 2024, 1.0)  # far below any target: no target, no matter
    assert _close(db, case_id)["passed"] is True


def test_every_holder_of_the_parcel_must_reach_the_target(world: World, db: Session) -> None:
    case_id = _evaluating_p1(world, db, TARGET)
    # E2 owns 5,000 m² (7.5 mu) of P1 beside the holder E1.
    db.add(LandOccupancy(credit_code=E2, parcel_id="P1", kind="owned", area_m2=5_000.0))
    db.commit()
    _tax(db, E1, 2024, 900_000.0)  # E1 reaches it
    _tax(db, E2, 2024, 300_000.0)  # E2: 40,000 per mu
    refusal = _refused(db, case_id)
    assert refusal.evidence is not None
    below = refusal.evidence["still_found"][TAX_PER_MU_TARGET]["enterprises"]
    assert [(e["credit_code"], e["tax_per_mu_yuan"]) for e in below] == [
        (E2, pytest.approx(40_000.0))
    ]
    assert "乙公司" in refusal.zh and "甲公司" not in refusal.zh

    metric = db.get(AnnualMetric, (E2, 2024))
    assert metric is not None
    metric.tax_yuan = 450_000.0
    db.commit()
    assert _close(db, case_id)["passed"] is True


def _bare_case(db: Session, subject_type: str, subject_id: str, category: str) -> int:
    """A case in 评估出库 with no finding to judge again, its plan agreeing :data:`TARGET`."""
    day = dt.date(2024, 7, 1)
    case = Case(
        profile="ankang-2024",
        subject_type=subject_type,
        subject_id=subject_id,
        category=category,
        county_code=K1,
        state="evaluating",
        entered_on=day,
        opened_on=day,
        opened_by_run=1,
    )
    db.add(case)
    db.flush()
    db.add(
        CasePlan(
            case_id=case.id,
            path="restructuring",
            measures="",
            due=dt.date(2024, 12, 31),
            milestones=[],
            tax_per_mu_target_yuan=TARGET,
            recorded_on=day,
        )
    )
    db.commit()
    return case.id


def test_an_enterprise_case_judges_the_enterprise(world: World, db: Session) -> None:
    case_id = _bare_case(db, "enterprise", E3, "abnormal_enterprise")
    _tax(db, E3, 2024, 1_000_000.0)
    refusal = _refused(db, case_id)  # E3 holds no land: no per-mu tax
    assert refusal.evidence is not None
    assert refusal.evidence["unjudged"] == {TAX_PER_MU_TARGET: "land_m2"}
    db.add(LandOccupancy(credit_code=E3, parcel_id="P3", kind="owned", area_m2=6_667.0))
    db.commit()  # 10.0005 mu: 99,995 per mu
    assert _close(db, case_id)["passed"] is True


def test_a_building_case_judges_the_holders_of_its_parcel(world: World, db: Session) -> None:
    db.add(Building(building_id="B1", parcel_id="P1", kind="factory", floor_area_m2=3_000.0))
    db.add(Building(building_id="B2", parcel_id="P2", kind="factory", floor_area_m2=3_000.0))
    db.commit()
    held = _bare_case(db, "building", "B1", "idle_building")
    unheld = _bare_case(db, "building", "B2", "idle_building")
    _tax(db, E1, 2024, 600_000.0)  # 40,000 per mu
    below = _refused(db, held).evidence["still_found"][TAX_PER_MU_TARGET]  # type: ignore[index]
    assert [e["credit_code"] for e in below["enterprises"]] == [E1]
    refusal = _refused(db, unheld)  # P2 is contracted, but no one holds it yet
    assert refusal.evidence is not None
    assert refusal.evidence["unjudged"] == {TAX_PER_MU_TARGET: "holder"}
    assert "缺少宗地的土地使用权人" in refusal.zh


@pytest.mark.parametrize("target", [0.0, -1.0, float("nan"), float("inf")])
def test_a_target_must_be_a_positive_number(world: World, db: Session, target: float) -> None:
    case_id = opened(db, world.run)["P1"]
    drive(db, case_id, CaseState.CONFIRMED)
    with pytest.raises(CaseRefusedError, match="positive") as refusal:
        plan_case(
            db,
            case_id,
            path="restructuring",
            due=dt.date(2024, 12, 31),
            on=dt.date(2024, 7, 1),
            actor=ACTOR,
            tax_per_mu_target_yuan=target,
        )
    assert "约定亩均税收须为正数" in refusal.value.zh
