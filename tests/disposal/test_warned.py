"""A case opened from an early warning (workflow.md §1, §3), on SQLite and PostgreSQL.

The world: one county; parcel P1 agreed to start on 15 July 2024 and not started, so that June
2025 raises 逾期未动工 and 即将构成闲置土地 (idle on 15 July 2025); its holder 甲 used no
electricity April to June 2025 (连续零用电) and the tax bureau sent 甲's tax March to May, not in
June (月度数据断供, which warns the bureau). June is judged and issued on 1 July 2025.
"""

import datetime as dt
import io

import docx
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from mujun.disposal.case_file import case_file
from mujun.disposal.documents import DocumentKind
from mujun.disposal.errors import CaseRefusedError
from mujun.disposal.moves import Dispute, evaluate_exit, move_case
from mujun.disposal.paperwork import issue_document
from mujun.disposal.states import CaseState
from mujun.disposal.warned import open_case_from_warning
from mujun.monitoring.subject import last_whole_month
from mujun.policy.profiles import load_profile
from mujun.records import (
    Case,
    CaseMove,
    Change,
    Construction,
    EarlyWarning,
    Enterprise,
    Jurisdiction,
    LandContract,
    MonthlyMetric,
    Parcel,
)
from tests.monitoring.conftest import run

COUNTY = "320922"
HOLDER = "91320922MA0000001A"
ISSUED = dt.date(2025, 7, 1)
IMMINENT, START_DUE, STOPPED, FEED = (
    "monitor/idle-imminent",
    "monitor/start-due",
    "monitor/electricity-stopped",
    "monitor/feed-missing",
)


def build(engine: Engine) -> dict[str, int]:
    """The world and June's run: the warnings by signal."""
    with Session(engine) as db:
        db.info.update(actor="loader", reason="test world")
        db.add(Jurisdiction(code=COUNTY, name="示范县", level="county"))
        db.flush()
        db.add(Enterprise(credit_code=HOLDER, name="甲公司", jurisdiction_code=COUNTY))
        db.add(
            Parcel(
                parcel_id="P1",
                area_m2=20_000.0,
                jurisdiction_code=COUNTY,
                holder_credit_code=HOLDER,
            )
        )
        db.flush()
        db.add(
            LandContract(
                contract_id="C1",
                parcel_id="P1",
                credit_code=HOLDER,
                agreed_start_date=dt.date(2024, 7, 15),
            )
        )
        db.add_all(
            MonthlyMetric(credit_code=HOLDER, month=month, electricity_kwh=0.0)
            for month in ("2025-04", "2025-05", "2025-06")
        )
        db.flush()
        for month in ("2025-03", "2025-04", "2025-05"):
            metric = db.get(MonthlyMetric, (HOLDER, month)) or MonthlyMetric(
                credit_code=HOLDER, month=month
            )
            metric.tax_yuan = 1_000.0
            db.add(metric)
        db.commit()
    run(engine, "2025-06", ISSUED)
    with Session(engine) as db:
        return {w.signal: w.id for w in db.scalars(select(EarlyWarning))}


def test_a_warning_opens_an_idle_land_case_and_others_join_it(engine: Engine) -> None:
    warnings = build(engine)
    assert {IMMINENT, START_DUE, STOPPED, FEED} <= set(warnings)
    with Session(engine) as db:
        with pytest.raises(CaseRefusedError, match="warns a department") as refused:
            open_case_from_warning(db, warnings[FEED], actor="专班")
        assert "报送数据的部门" in refused.value.zh
        with pytest.raises(CaseRefusedError, match="no case opens before") as early:
            open_case_from_warning(db, warnings[IMMINENT], actor="专班", on=dt.date(2025, 6, 30))
        assert early.value.possible_from == ISSUED

        opening = open_case_from_warning(db, warnings[IMMINENT], actor="专班")
        db.commit()
        assert opening.as_json() == {
            "warning": warnings[IMMINENT],
            "opened": [
                {
                    "case": opening.case,
                    "subject_type": "parcel",
                    "subject_id": "P1",
                    "category": "idle_land",
                    "criteria": [IMMINENT],
                }
            ],
            "joined": [],
        }
        case = db.get(Case, opening.case)
        assert case is not None
        assert (case.state, case.opened_on, case.entered_on) == ("surveyed", ISSUED, ISSUED)
        assert (case.opened_by_run, case.opened_by_warning) == (None, warnings[IMMINENT])
        assert (case.profile, case.county_code, case.area_m2) == ("yancheng-2021", COUNTY, 20_000)
        assert case.idle_since == dt.date(2025, 7, 15)  # the idle date the warning foresaw
        linked = {w.signal: w.case_id for w in db.scalars(select(EarlyWarning))}
        # The parcel's other live warning shows the case too; the enterprise's is another subject.
        assert (linked[IMMINENT], linked[START_DUE], linked[STOPPED]) == (case.id, case.id, None)
        (move,) = db.scalars(select(CaseMove).where(CaseMove.case_id == case.id))
        assert move.reason == f"据预警第 {warnings[IMMINENT]} 号（即将构成闲置土地，2025年6月）立案"
        logged = db.execute(
            select(Change.table_name, Change.action, Change.actor, Change.reason).where(
                Change.table_name.in_(["cases", "case_moves", "warnings"]),
                Change.actor == "专班",
            )
        ).all()
        assert sorted((t, a) for t, a, _, _ in logged) == [
            ("case_moves", "insert"),
            ("cases", "insert"),
            ("warnings", "update"),
            ("warnings", "update"),
        ]
        assert all(reason == move.reason for _, _, _, reason in logged)
        file = case_file(db, case.id, dt.date(2025, 7, 2))
        assert file.criteria == [IMMINENT] and file.as_json()["warning"] == warnings[IMMINENT]
        assert "extend_start" in file.as_json()["paths"]
        notice = issue_document(
            db, case.id, DocumentKind.INVESTIGATION_NOTICE, on=dt.date(2025, 7, 2), actor="专班"
        )
        text = "".join(p.text for p in docx.Document(io.BytesIO(notice.content)).paragraphs)
        assert "即将构成闲置土地" in text  # the warning's signal is the case's criterion

        with pytest.raises(CaseRefusedError, match="no run to object to"):
            move_case(
                db,
                case.id,
                CaseState.DISMISSED,
                on=dt.date(2025, 7, 2),
                reason="合同约定开工日期有误",
                actor="专班",
                disputes=[Dispute("land_contracts", "C1", "agreed_start_date", "2024-09-01")],
            )
        db.rollback()

        joined = open_case_from_warning(db, warnings[START_DUE], actor="专班")
        again = open_case_from_warning(db, warnings[IMMINENT], actor="专班")
        db.commit()
        assert [j.case for j in (*joined.joined, *again.joined)] == [case.id, case.id]
        assert joined.opened == again.opened == []
        assert db.scalar(select(func.count()).select_from(Case)) == 1


def test_the_exit_judges_the_warnings_signal_again(engine: Engine) -> None:
    warnings = build(engine)
    with Session(engine) as db:
        land = open_case_from_warning(db, warnings[IMMINENT], actor="专班").case
        enterprise = open_case_from_warning(db, warnings[STOPPED], actor="专班")
        db.commit()
        assert enterprise.opened[0].category == "abnormal_enterprise"
        firm = db.get(Case, enterprise.case)
        assert firm is not None
        assert case_file(db, firm.id, ISSUED).paths  # Yancheng's paths for an enterprise

        # 10 July: June is the last whole month, and the land is still not started.
        verdict = evaluate_exit(db, _case(db, land), dt.date(2025, 7, 10))
        assert not verdict.passed and set(verdict.still_found) == {IMMINENT}
        assert verdict.still_found[IMMINENT]["idle_date"] == "2025-07-15"
        rules = load_profile("yancheng-2021").rules
        assert "仍符合「即将构成闲置土地」" in verdict.summary_zh(rules)

        # 31 July: July is whole; 甲's July electricity is not known yet.
        verdict = evaluate_exit(db, firm, dt.date(2025, 7, 31))
        assert not verdict.passed
        assert verdict.unjudged == {STOPPED: "electricity_kwh_2025-07"}

        db.info.update(actor="loader", reason="July's records")
        db.add(
            Construction(
                parcel_id="P1", as_of=dt.date(2025, 7, 31), started_date=dt.date(2025, 7, 5)
            )
        )
        db.add(MonthlyMetric(credit_code=HOLDER, month="2025-07", electricity_kwh=500.0))
        db.commit()
        assert evaluate_exit(db, _case(db, land), dt.date(2025, 7, 31)).passed
        assert evaluate_exit(db, firm, dt.date(2025, 8, 15)).passed  # July judged: it stopped

    run(engine, "2025-07", dt.date(2025, 8, 1))  # the signal stopped: the warning is lifted
    with Session(engine) as db:
        lifted = db.get(EarlyWarning, warnings[IMMINENT])
        assert lifted is not None and lifted.state == "lifted"
        with pytest.raises(CaseRefusedError, match="no longer fires") as refused:
            open_case_from_warning(db, warnings[IMMINENT], actor="专班")
        assert "已于 2025-07 解除" in refused.value.zh


def test_a_land_warned_of_becomes_idle_and_its_case_does_not_leave_with_the_warning(
    engine: Engine,
) -> None:
    """Once the idle date has passed, 即将构成闲置土地 stops firing because the land is idle:
    the exit also asks the profile's idle-land rules, which now find it."""
    warnings = build(engine)
    with Session(engine) as db:
        land = open_case_from_warning(db, warnings[IMMINENT], actor="专班").case
        db.commit()
        verdict = evaluate_exit(db, _case(db, land), dt.date(2025, 8, 31))
    assert IMMINENT not in verdict.still_found
    assert "idle/not-started" in verdict.still_found
    assert not verdict.passed


def _case(db: Session, case_id: int) -> Case:
    case = db.get(Case, case_id)
    assert case is not None
    return case


@pytest.mark.parametrize(
    ("on", "month"),
    [
        (dt.date(2025, 7, 31), "2025-07"),
        (dt.date(2025, 7, 30), "2025-06"),
        (dt.date(2025, 1, 1), "2024-12"),
        (dt.date(2024, 2, 29), "2024-02"),
    ],
)
def test_the_exit_month_is_the_last_whole_month(on: dt.date, month: str) -> None:
    assert last_whole_month(on) == month
