"""A small county world for the case service: records written through the ORM (so derived
values and the change log follow), a run of ankang-2024 kept from them, and helpers to drive a
case through its states.

The world (as of 2024-06-28, a Friday):

- 桐庐县 (``K1``) and 淳安县 (``K2``), under 示范市;
- ``P1`` (K1), held by 甲公司 (``E1``): a prohibited industry open since 2023-01-01 and to be
  adjusted under the park's planning: ``ankang/low/1`` and ``ankang/low/2`` both fire, one
  low-efficiency case;
- ``P2`` (K1), contracted to 乙公司 (``E2``) with the agreed start 2023-03-01 and a price of
  1,000,000 yuan, never started: ``idle/not-started`` (idle fee from 2024-03-01, revocation
  from 2025-03-01); E2 has a mortgage registered 2024-01-01, open;
- ``P3`` (K2), contracted to 丙公司 (``E3``), agreed start 2023-03-01, price unknown, never
  started: ``idle/not-started`` in the other county.
"""

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from mujun.analytics.facts import load_facts
from mujun.disposal.moves import move_case
from mujun.disposal.opening import open_cases
from mujun.disposal.plans import plan_case
from mujun.disposal.states import CaseState
from mujun.identification.engine import Identification, identify, monthly_columns
from mujun.identification.runs import save_run
from mujun.policy.profiles import load_profile
from mujun.records import (
    Case,
    Compliance,
    Enterprise,
    Jurisdiction,
    LandContract,
    LegalEvent,
    Parcel,
)
from tests.prebuilt import Prebuilt

PROFILE = "ankang-2024"
AS_OF = dt.date(2024, 6, 28)
CITY, K1, K2 = "330100", "330122", "330127"
E1 = "91330122MA0000001A"
E2 = "91330122MA0000002B"
E3 = "91330127MA0000003C"
LOW = "low_efficiency_land"
IDLE = "idle_land"
NOW = dt.datetime(2024, 7, 1, 9, 0, tzinfo=dt.UTC)
ACTOR = "wang"
CRITERIA = ("ankang/low/1", "ankang/low/2", "idle/not-started")
"""The rules the world's runs judge (the others would find nothing, at a cost in time)."""


def build_records(engine: Engine) -> None:
    """The world's records, written through the ORM."""
    with Session(engine) as db:
        db.info.update(actor="loader", reason="test world")
        db.add_all(
            [
                Jurisdiction(code=CITY, name="示范市", level="city"),
                Jurisdiction(code=K1, name="桐庐县", level="county", parent_code=CITY),
                Jurisdiction(code=K2, name="淳安县", level="county", parent_code=CITY),
            ]
        )
        db.flush()
        db.add_all(
            [
                Enterprise(credit_code=E1, name="甲公司", jurisdiction_code=K1),
                Enterprise(credit_code=E2, name="乙公司", jurisdiction_code=K1),
                Enterprise(credit_code=E3, name="丙公司", jurisdiction_code=K2),
            ]
        )
        db.flush()
        db.add_all(
            [
                Parcel(
                    parcel_id="P1",
                    area_m2=10000.0,
                    jurisdiction_code=K1,
                    holder_credit_code=E1,
                    planning_adjustment=True,
                ),
                Parcel(
                    parcel_id="P2", area_m2=20000.0, jurisdiction_code=K1, planning_adjustment=False
                ),
                Parcel(
                    parcel_id="P3", area_m2=6667.0, jurisdiction_code=K2, planning_adjustment=False
                ),
            ]
        )
        db.flush()
        db.add_all(
            [
                Compliance(credit_code=E1, kind="prohibited_industry", since=dt.date(2023, 1, 1)),
                LandContract(
                    contract_id="C2",
                    parcel_id="P2",
                    credit_code=E2,
                    signed_date=dt.date(2022, 12, 1),
                    agreed_start_date=dt.date(2023, 3, 1),
                    land_price_yuan=1_000_000.0,
                ),
                LandContract(
                    contract_id="C3",
                    parcel_id="P3",
                    credit_code=E3,
                    signed_date=dt.date(2022, 12, 1),
                    agreed_start_date=dt.date(2023, 3, 1),
                ),
                LegalEvent(credit_code=E2, kind="mortgage", date=dt.date(2024, 1, 1)),
            ]
        )
        db.commit()


def keep_run(
    engine: Engine, as_of: dt.date = AS_OF, overrides: dict[str, str] | None = None
) -> int:
    """Identify with ankang-2024 on the records as they stand and keep the run."""
    profile = load_profile(PROFILE).only(CRITERIA)
    if overrides:
        profile = profile.with_overrides(overrides)
    facts = load_facts(engine, monthly=monthly_columns(profile))
    try:
        asked = (facts.fingerprint, as_of, tuple(sorted(profile.overrides.items())))
        if asked not in _IDENTIFIED:
            _IDENTIFIED[asked] = identify(facts=facts, profile=profile, as_of=as_of)
    finally:
        facts.close()
    return save_run(engine, _IDENTIFIED[asked], started_at=NOW, actor="tester")


_IDENTIFIED: dict[tuple[str, dt.date, tuple[tuple[str, str], ...]], Identification] = {}
"""Runs already computed on the same facts (by fingerprint), as of the same day, with the same
what-if values: the world is rebuilt for every test, and its run is the same each time."""


@dataclass
class World:
    engine: Engine
    run: int

    def session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)


@pytest.fixture
def world(engine: Engine, prebuilt: Prebuilt) -> World:
    return World(engine, prebuilt(engine, build_world))


def build_world(engine: Engine) -> int:
    """The world's records and its run; the run's id."""
    build_records(engine)
    return keep_run(engine)


@pytest.fixture
def db(world: World) -> Iterator[Session]:
    with world.session() as session:
        yield session


def case_of(db: Session, subject_id: str, category: str | None = None) -> Case:
    """The (latest) case of a subject."""
    query = select(Case).where(Case.subject_id == subject_id).order_by(Case.id.desc())
    if category is not None:
        query = query.where(Case.category == category)
    found = db.scalars(query).first()
    assert found is not None, f"no case of {subject_id}"
    return found


def opened(db: Session, run: int, **kwargs: object) -> dict[str, int]:
    """Open the run's cases; per subject id, the case opened (parcels only)."""
    open_cases(db, run_id=run, actor=ACTOR, **kwargs)  # type: ignore[arg-type]
    db.commit()
    return {
        c.subject_id: c.id
        for c in db.scalars(select(Case).where(Case.subject_type == "parcel").order_by(Case.id))
    }


def drive(db: Session, case_id: int, to: CaseState, *, start: dt.date = AS_OF) -> dt.date:
    """Move a surveyed case along the happy path up to ``to`` (a plan recorded on the way),
    a day a move; the date of the last move."""
    order = [
        CaseState.CONFIRMED,
        CaseState.PLANNED,
        CaseState.IN_PROGRESS,
        CaseState.EVALUATING,
    ]
    day = start
    for state in order[: order.index(to) + 1]:
        day += dt.timedelta(days=1)
        if state is CaseState.PLANNED:
            case = db.get(Case, case_id)
            assert case is not None
            path = "restructuring" if case.category == LOW else "fee_and_develop"
            plan_case(db, case_id, path=path, due=day + dt.timedelta(days=180), on=day, actor=ACTOR)
        move_case(db, case_id, state, on=day, reason=f"to {state.value}", actor=ACTOR)
    db.commit()
    return day
