"""Publication and objections (workflow.md §6), on SQLite and PostgreSQL: a kept run's list
published for a period of working days, objections routed to the department whose import
wrote the value, answered by a correcting import or a reason, the run repeated and the
difference shown, and all of it in the change log.

The world (cn-idle-2012 as of 2024-06-28), imported as data sets:

- by the administrator (``admin``): 示范市 with 桐庐县 (``K1``) and 淳安县 (``K2``), 乙公司 and
  丙公司, parcels ``P2`` (K1) and ``P3`` (K2), their contracts (agreed start 2023-03-01), and
  ``P2``'s construction record of 2024-06-01 with no start date: ``P2`` is idle, not started;
- by the housing bureau's account (``zhujian``): ``P3``'s construction record of 2024-06-01,
  with no start date: ``P3`` is idle, not started, too.
"""

import csv
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from mujun.disposal.errors import CaseRefusedError
from mujun.disposal.objections import (
    ObjectionFilters,
    ObjectionState,
    answer_corrected,
    answer_upheld,
    lodge,
    objections_query,
    publish,
    repeat_run,
)
from mujun.disposal.opening import open_cases
from mujun.identification.service import identify_and_keep
from mujun.interchange.credit_code import check_character
from mujun.interchange.importer import import_data_set
from mujun.policy.profiles import load_profile
from mujun.records import Account, Case, Change, Finding, Objection, Publication
from tests.builders import identification_run

PROFILE = "cn-idle-2012"
AS_OF = dt.date(2024, 6, 28)
CITY, K1, K2 = "330100", "330122", "330127"
E2 = "91330122MA0000002" + check_character("91330122MA0000002")
E3 = "91330127MA0000003" + check_character("91330127MA0000003")
ADMIN, HOUSING = "admin", "zhujian"
OFFICER = "wang"
P2_RECORD = "P2|2024-06-01"
P3_RECORD = "P3|2024-06-01"

BASE: dict[str, list[dict[str, str]]] = {
    "jurisdictions": [
        {"code": CITY, "name": "示范市", "level": "city", "parent_code": ""},
        {"code": K1, "name": "桐庐县", "level": "county", "parent_code": CITY},
        {"code": K2, "name": "淳安县", "level": "county", "parent_code": CITY},
    ],
    "enterprises": [
        {"credit_code": E2, "name": "乙公司", "jurisdiction_code": K1},
        {"credit_code": E3, "name": "丙公司", "jurisdiction_code": K2},
    ],
    "parcels": [
        {"parcel_id": "P2", "area_m2": "20000", "jurisdiction_code": K1, "land_use": "industrial"},
        {"parcel_id": "P3", "area_m2": "6667", "jurisdiction_code": K2, "land_use": "industrial"},
    ],
    "land_contracts": [
        {
            "contract_id": "C2",
            "parcel_id": "P2",
            "credit_code": E2,
            "land_price_yuan": "1000000",
            "agreed_start_date": "2023-03-01",
        },
        {
            "contract_id": "C3",
            "parcel_id": "P3",
            "credit_code": E3,
            "land_price_yuan": "",
            "agreed_start_date": "2023-03-01",
        },
    ],
    "construction": [
        {
            "parcel_id": "P2",
            "as_of": "2024-06-01",
            "started_date": "",
            "area_to_develop_m2": "20000",
        },
    ],
}


def write_data_set(folder: Path, tables: Mapping[str, Sequence[Mapping[str, str]]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in tables.items():
        with (folder / f"{name}.csv").open("w", encoding="utf-8", newline="") as stream:
            writer = csv.DictWriter(stream, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    return folder


def imported(
    engine: Engine, folder: Path, tables: Mapping[str, Sequence[Mapping[str, str]]], actor: str
) -> int:
    """Import ``tables`` as ``actor``; the import's id."""
    outcome = import_data_set(engine=engine, path=write_data_set(folder, tables), actor=actor)
    assert outcome.import_id is not None, outcome.problems
    return outcome.import_id


def construction(parcel: str, started: str = "") -> dict[str, list[dict[str, str]]]:
    """A construction record of 2024-06-01 as a permit department supplies it."""
    return {"construction": [{"parcel_id": parcel, "as_of": "2024-06-01", "started_date": started}]}


@dataclass
class World:
    engine: Engine
    folder: Path
    admin_import: int
    housing_import: int
    run: int

    def session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    def imported(self, name: str, tables: Mapping[str, Sequence[Mapping[str, str]]]) -> int:
        return imported(self.engine, self.folder / name, tables, HOUSING)


def build_world(engine: Engine, folder: Path, *, identified: bool = False) -> World:
    with Session(engine) as db:
        db.info.update(actor="setup", reason="test accounts")
        db.add_all(
            [
                Account(
                    username=ADMIN, display_name="管理员", password_hash="x", role="administrator"
                ),
                Account(
                    username=HOUSING,
                    display_name="住建局",
                    password_hash="x",
                    role="data_provider",
                    department="housing",
                ),
            ]
        )
        db.commit()
    admin_import = imported(engine, folder / "base", BASE, ADMIN)
    housing_import = imported(engine, folder / "housing", construction("P3"), HOUSING)
    if identified:
        run = identify_and_keep(
            engine=engine, profile=load_profile(PROFILE), as_of=AS_OF, actor="tester"
        ).run_id
    else:
        run = _kept_as_found(engine)
    return World(engine, folder, admin_import, housing_import, run)


def _kept_as_found(engine: Engine) -> int:
    """The run identification keeps of the world (P2 and P3 idle, not started), written
    directly: most tests need a run, not the seconds identification takes."""
    with Session(engine) as db:
        run = identification_run(profile=PROFILE, as_of=AS_OF, finding_count=2)
        db.add(run)
        db.flush()
        db.add_all(
            Finding(
                run_id=run.id,
                criterion="idle/not-started",
                subject_type="parcel",
                subject_id=parcel,
                category="idle_land",
                county_code=county,
                key=False,
                evidence="{}",
                source="闲置土地处置办法 第二条",
            )
            for parcel, county in (("P2", K1), ("P3", K2))
        )
        db.commit()
        return run.id


@pytest.fixture
def world(engine: Engine, tmp_path: Path) -> World:
    return build_world(engine, tmp_path)


@pytest.fixture
def identified_world(engine: Engine, tmp_path: Path) -> World:
    """The world with its run kept by identification itself."""
    return build_world(engine, tmp_path, identified=True)


def published(world: World, on: dt.date = dt.date(2024, 7, 1)) -> int:
    with world.session() as db:
        publication = publish(db, world.run, on, OFFICER, note="第二季度闲置土地初步名单")
        db.commit()
        return publication.id


def lodged(world: World, publication: int | None, **changes: object) -> int:
    fields: dict[str, object] = {
        "table": "construction",
        "key": P2_RECORD,
        "column": "started_date",
        "claimed": "2023-05-01",
        "reason": "已于2023年5月开工，有施工许可为证",
        "lodged_by": "乙公司",
        "on": dt.date(2024, 7, 2),
        "actor": OFFICER,
        "publication_id": publication,
        "subject_type": "parcel",
        "subject_id": "P2",
    }
    with world.session() as db:
        objection = lodge(db, **(fields | changes))  # type: ignore[arg-type]
        db.commit()
        return objection.id


def objection(world: World, objection_id: int) -> Objection:
    with world.session() as db:
        found = db.get(Objection, objection_id)
        assert found is not None
        return found


# -- publishing --------------------------------------------------------------------------


def test_a_publication_runs_five_working_days(world: World) -> None:
    publication_id = published(world, dt.date(2024, 7, 1))  # a Monday
    with world.session() as db:
        publication = db.get(Publication, publication_id)
        assert publication is not None
        assert (publication.working_days, publication.ends_on) == (5, dt.date(2024, 7, 8))
        assert publication.published_by == OFFICER


def test_the_period_skips_the_national_day_holiday_and_counts_its_make_up_day(
    world: World,
) -> None:
    # Friday 2024-09-27: Sunday 29 September is a make-up working day, 1–7 October are the
    # holiday; the five working days are 29, 30 September and 8, 9, 10 October.
    publication_id = published(world, dt.date(2024, 9, 27))
    with world.session() as db:
        publication = db.get(Publication, publication_id)
        assert publication is not None
        assert publication.ends_on == dt.date(2024, 10, 10)


def test_a_date_beyond_the_calendar_is_refused(world: World) -> None:
    with world.session() as db, pytest.raises(CaseRefusedError) as refused:
        publish(db, world.run, dt.date(2099, 1, 5), OFFICER)
    assert "节假日安排" in refused.value.zh and "holiday arrangement" in refused.value.en


def test_a_what_if_run_is_not_published(world: World) -> None:
    with world.session() as db:
        what_if = identification_run(profile=PROFILE, overrides={"idle.after_years": "2"})
        db.add(what_if)
        db.commit()
    with world.session() as db, pytest.raises(CaseRefusedError) as refused:
        publish(db, what_if.id, dt.date(2024, 7, 1), OFFICER)
    assert "what-if" in refused.value.en


def test_a_run_is_not_published_twice_while_its_period_is_open(world: World) -> None:
    published(world, dt.date(2024, 7, 1))
    with world.session() as db, pytest.raises(CaseRefusedError) as refused:
        publish(db, world.run, dt.date(2024, 7, 5), OFFICER)
    assert refused.value.possible_from == dt.date(2024, 7, 9)
    published(world, dt.date(2024, 7, 9))


# -- lodging and routing -----------------------------------------------------------------


def test_a_value_an_administrator_imported_goes_to_the_duty_tables_department(
    world: World,
) -> None:
    found = objection(world, lodged(world, published(world)))
    assert found.source_import_id == world.admin_import
    assert found.routed_to == "natural_resources"  # the first whose duties cover it
    assert (found.stored_value, found.claimed_value) == (None, "2023-05-01")
    assert (found.state, found.county_code, found.run_id) == ("open", K1, world.run)


def test_a_value_a_departments_account_imported_goes_to_that_department(world: World) -> None:
    found = objection(
        world,
        lodged(world, published(world), key=P3_RECORD, subject_id="P3", lodged_by="丙公司"),
    )
    assert (found.source_import_id, found.routed_to) == (world.housing_import, "housing")
    assert found.county_code == K2


def test_the_import_that_changed_the_column_decides_not_the_latest_of_the_record(
    world: World,
) -> None:
    # The housing bureau rewrites P2's record with a start date: the start date is now its
    # value, while the area to develop is still the administrator's.
    correcting = world.imported("start", construction("P2", "2023-05-01"))
    publication = published(world)
    started = objection(world, lodged(world, publication))
    area = objection(world, lodged(world, publication, column="area_to_develop_m2"))
    assert (started.source_import_id, started.routed_to) == (correcting, "housing")
    assert started.stored_value == "2023-05-01"
    assert (area.source_import_id, area.routed_to) == (world.admin_import, "natural_resources")
    assert area.stored_value == "20000.0"


def test_a_value_no_department_supplies_goes_to_the_administrator(world: World) -> None:
    found = objection(
        world, lodged(world, published(world), table="enterprises", key=E2, column="name")
    )
    assert (found.source_import_id, found.routed_to) == (world.admin_import, None)
    assert found.stored_value == "乙公司"


@pytest.mark.parametrize(
    ("changes", "said"),
    [
        ({"table": "factories"}, "no table factories"),
        ({"column": "colour"}, "no column colour"),
        ({"key": "P9|2024-06-01"}, "no record keyed P9|2024-06-01"),
        ({"key": "P2"}, "has 2 parts"),
        ({"reason": "  "}, "a reason is required"),
    ],
)
def test_an_objection_to_nothing_known_is_refused(
    world: World, changes: dict[str, object], said: str
) -> None:
    publication = published(world)
    with pytest.raises(CaseRefusedError) as refused:
        lodged(world, publication, **changes)
    assert said in refused.value.en


def test_an_objection_after_the_period_is_refused_saying_when_it_ended(world: World) -> None:
    publication = published(world, dt.date(2024, 7, 1))
    lodged(world, publication, on=dt.date(2024, 7, 8))  # the last day
    with pytest.raises(CaseRefusedError) as refused:
        lodged(world, publication, on=dt.date(2024, 7, 9))
    assert "2024-07-08" in refused.value.zh and "2024-07-08" in refused.value.en
    with pytest.raises(CaseRefusedError):
        lodged(world, publication, on=dt.date(2024, 6, 30))


def test_a_dismissed_cases_disputed_figure_is_an_objection_without_a_period(
    world: World,
) -> None:
    with world.session() as db:
        open_cases(db, run_id=world.run, actor=OFFICER, subjects=["P2"])
        db.commit()
        case_id = db.scalars(select(Case.id).where(Case.subject_id == "P2")).one()
    found = objection(
        world,
        lodged(
            world,
            None,
            case_id=case_id,
            on=dt.date(2025, 1, 6),
            subject_type=None,
            subject_id=None,
            lodged_by="桐庐县自然资源和规划局（核实）",
        ),
    )
    assert (found.case_id, found.publication_id, found.run_id) == (case_id, None, world.run)
    assert (found.subject_type, found.subject_id, found.county_code) == ("parcel", "P2", K1)
    assert found.routed_to == "natural_resources"
    with world.session() as db:
        query = objections_query(ObjectionFilters(case=case_id))
        assert [o.id for o in db.scalars(query)] == [found.id]
    with pytest.raises(CaseRefusedError) as refused:
        lodged(world, None, case_id=None)
    assert "name the publication or the case" in refused.value.en


# -- answering ---------------------------------------------------------------------------


def test_a_correction_needs_an_import_that_changed_the_value(world: World) -> None:
    objection_id = lodged(world, published(world))
    unrelated = world.imported("other", construction("P3", "2024-01-15"))
    with world.session() as db, pytest.raises(CaseRefusedError) as refused:
        answer_corrected(db, objection_id, unrelated, dt.date(2024, 7, 3), HOUSING)
    assert "did not correct it" in refused.value.en
    correcting = world.imported("start", construction("P2", "2023-05-01"))
    with world.session() as db, pytest.raises(CaseRefusedError) as refused:
        answer_corrected(db, objection_id, world.admin_import, dt.date(2024, 7, 4), HOUSING)
    assert f"was written by import {correcting}, not import {world.admin_import}" in (
        refused.value.en
    )
    with world.session() as db:
        answer_corrected(db, objection_id, correcting, dt.date(2024, 7, 4), HOUSING)
        db.commit()
    found = objection(world, objection_id)
    assert (found.state, found.answer_import_id) == ("corrected", correcting)
    assert (found.corrected_value, found.answered_on) == ("2023-05-01", dt.date(2024, 7, 4))
    with world.session() as db, pytest.raises(CaseRefusedError) as again:
        answer_upheld(db, objection_id, "复核无误", dt.date(2024, 7, 5), HOUSING)
    assert "answered already" in again.value.en


def test_upholding_a_value_needs_a_reason(world: World) -> None:
    objection_id = lodged(world, published(world))
    with world.session() as db, pytest.raises(CaseRefusedError) as refused:
        answer_upheld(db, objection_id, " ", dt.date(2024, 7, 3), "ziran")
    assert "reason is required" in refused.value.en
    with world.session() as db, pytest.raises(CaseRefusedError):
        answer_upheld(db, objection_id, "复核无误", dt.date(2024, 7, 1), "ziran")  # too early
    with world.session() as db:
        answer_upheld(
            db, objection_id, "施工许可系2024年补办，实际未开工", dt.date(2024, 7, 3), "ziran"
        )
        db.commit()
    found = objection(world, objection_id)
    assert (found.state, found.answered_by) == ("upheld", "ziran")
    assert found.answer_reason == "施工许可系2024年补办，实际未开工"


def test_the_list_filters_by_publication_state_department_and_county(world: World) -> None:
    publication = published(world)
    on_p2 = lodged(world, publication)
    on_p3 = lodged(world, publication, key=P3_RECORD, subject_id="P3", lodged_by="丙公司")
    with world.session() as db:
        answer_upheld(db, on_p3, "复核无误", dt.date(2024, 7, 3), HOUSING)
        db.commit()

    def ids(**filters: object) -> list[int]:
        with world.session() as db:
            query = objections_query(ObjectionFilters(**filters))  # type: ignore[arg-type]
            return [o.id for o in db.scalars(query)]

    assert ids() == [on_p2, on_p3]
    assert ids(publication=publication) == [on_p2, on_p3]
    assert ids(publication=publication + 1) == []
    assert ids(state=ObjectionState.OPEN) == [on_p2]
    assert ids(state=ObjectionState.UPHELD) == [on_p3]
    assert ids(department="housing") == [on_p3]
    assert ids(department="natural_resources") == [on_p2]
    assert ids(county=K2) == [on_p3]


# -- repeating and the record ------------------------------------------------------------


def test_after_a_correction_the_repeated_run_drops_the_finding(identified_world: World) -> None:
    world = identified_world
    publication = published(world)
    objection_id = lodged(world, publication)
    correcting = world.imported("start", construction("P2", "2023-05-01"))
    with world.session() as db:
        answer_corrected(db, objection_id, correcting, dt.date(2024, 7, 4), HOUSING)
        db.commit()

    repeated = repeat_run(world.engine, publication, OFFICER)

    assert repeated.published_run == world.run and repeated.run_id != world.run
    assert repeated.difference.counts() == {"added": 0, "dropped": 1, "changed": 0}
    dropped = repeated.as_json()["dropped"]
    assert dropped == [
        {"criterion": "idle/not-started", "subject_type": "parcel", "subject_id": "P2"}
    ]
    with world.session() as db:
        kept = db.get(Publication, publication)
        assert kept is not None and kept.repeated_run_id == repeated.run_id


def test_every_publication_objection_and_answer_is_in_the_change_log(
    identified_world: World,
) -> None:
    world = identified_world
    publication = published(world)
    corrected = lodged(world, publication)
    upheld = lodged(world, publication, key=P3_RECORD, subject_id="P3", lodged_by="丙公司")
    correcting = world.imported("start", construction("P2", "2023-05-01"))
    with world.session() as db:
        answer_corrected(db, corrected, correcting, dt.date(2024, 7, 4), HOUSING)
        answer_upheld(db, upheld, "复核无误", dt.date(2024, 7, 4), HOUSING)
        db.commit()
    repeat_run(world.engine, publication, OFFICER)

    with world.session() as db:
        logged = db.scalars(
            select(Change)
            .where(Change.table_name.in_(["publications", "objections"]))
            .order_by(Change.id)
        ).all()
    assert [(c.table_name, c.object_key, c.action, c.actor) for c in logged] == [
        ("publications", str(publication), "insert", OFFICER),
        ("objections", str(corrected), "insert", OFFICER),
        ("objections", str(upheld), "insert", OFFICER),
        ("objections", str(corrected), "update", HOUSING),
        ("objections", str(upheld), "update", HOUSING),
        ("publications", str(publication), "update", OFFICER),
    ]
    inserted = logged[1].after
    assert inserted is not None and inserted["reason"].startswith("已于2023年5月开工")
    answered = logged[3]
    assert answered.after is not None and answered.after["state"] == "corrected"
    assert logged[4].reason == "复核无误"
