"""Values derived from the facts: kept up to date by an ORM session that writes facts, and
filled by migration 0008 for a database that had facts before it."""

import ast
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from mujun.analytics import derived
from mujun.cli.context import Settings
from mujun.records import (
    Building,
    Change,
    Enterprise,
    EnterpriseCounty,
    Jurisdiction,
    LandOccupancy,
    Parcel,
)
from mujun.records import derived as records_derived
from mujun.records.database import alembic_config, upgrade
from mujun.web.app import create_app

COUNTY_A, COUNTY_B = "330122", "330127"
HOLDER, TENANT, OWNER, NOWHERE = (
    "91330122MA0000001A",
    "91330122MA0000002B",
    "91330127MA0000003C",
    "91330100MA0000004D",
)


def _city(session: Session) -> None:
    """Two counties, a town and a park in A, a town in B; an enterprise holding a parcel in
    A, one leasing land in A and B but registered in B's town, one owning a building in A,
    and one registered nowhere without land."""
    session.add(Jurisdiction(code="330100", name="市", level="city"))
    session.flush()
    for county in (COUNTY_A, COUNTY_B):
        session.add(Jurisdiction(code=county, name=county, level="county", parent_code="330100"))
    session.flush()
    session.add_all(
        [
            Jurisdiction(code=f"{COUNTY_A}001", name="镇", level="town", parent_code=COUNTY_A),
            Jurisdiction(code=f"{COUNTY_B}001", name="镇", level="town", parent_code=COUNTY_B),
        ]
    )
    session.flush()
    session.add(Jurisdiction(code="P1", name="园", level="park", parent_code=f"{COUNTY_A}001"))
    session.add_all(
        [
            Enterprise(credit_code=HOLDER, name="h", jurisdiction_code="P1"),
            Enterprise(credit_code=TENANT, name="t", jurisdiction_code=f"{COUNTY_B}001"),
            Enterprise(credit_code=OWNER, name="o"),
            Enterprise(credit_code=NOWHERE, name="n"),
        ]
    )
    session.flush()
    session.add_all(
        [
            Parcel(
                parcel_id="A1", area_m2=1000.0, jurisdiction_code="P1", holder_credit_code=HOLDER
            ),
            Parcel(parcel_id="A2", area_m2=500.0, jurisdiction_code=f"{COUNTY_A}001"),
            Parcel(parcel_id="B1", area_m2=700.0, jurisdiction_code=f"{COUNTY_B}001"),
            Parcel(parcel_id="X1", area_m2=10.0),
        ]
    )
    session.flush()
    session.add_all(
        [
            LandOccupancy(credit_code=TENANT, parcel_id="A2", kind="leased_in", area_m2=400.0),
            LandOccupancy(credit_code=TENANT, parcel_id="B1", kind="owned", area_m2=700.0),
            LandOccupancy(credit_code=TENANT, parcel_id="B1", kind="leased_out", area_m2=100.0),
            Building(
                building_id="BD1",
                parcel_id="A2",
                kind="factory",
                floor_area_m2=300.0,
                owner_credit_code=OWNER,
            ),
        ]
    )


def _derived(engine: Engine) -> tuple[Any, ...]:
    with Session(engine) as session:

        def pairs(key: Any, value: Any) -> dict[Any, Any]:
            return {k: v for k, v in session.execute(select(key, value))}

        return (
            pairs(Jurisdiction.code, Jurisdiction.county_code),
            pairs(Parcel.parcel_id, Parcel.county_code),
            pairs(Enterprise.credit_code, Enterprise.land_m2),
            set(
                session.execute(select(EnterpriseCounty.credit_code, EnterpriseCounty.county_code))
            ),
        )


EXPECTED = (
    {
        "330100": None,
        COUNTY_A: COUNTY_A,
        COUNTY_B: COUNTY_B,
        f"{COUNTY_A}001": COUNTY_A,
        f"{COUNTY_B}001": COUNTY_B,
        "P1": COUNTY_A,
    },
    {"A1": COUNTY_A, "A2": COUNTY_A, "B1": COUNTY_B, "X1": None},
    {HOLDER: 1000.0, TENANT: 1000.0, OWNER: None, NOWHERE: None},
    {(HOLDER, COUNTY_A), (TENANT, COUNTY_A), (TENANT, COUNTY_B), (OWNER, COUNTY_A)},
)


def test_an_orm_session_writing_facts_refreshes_the_derived_values(engine: Engine) -> None:
    with Session(engine) as session:
        _city(session)
        session.commit()
    assert _derived(engine) == EXPECTED
    with Session(engine) as session:
        logged = session.scalars(select(Change.after)).all()
        assert logged and not any({"county_code", "land_m2"} & set(after or {}) for after in logged)
        session.get_one(Parcel, "A1").jurisdiction_code = f"{COUNTY_B}001"
        session.commit()
    _, parcels, _, places = _derived(engine)
    assert parcels["A1"] == COUNTY_B
    assert places == EXPECTED[3] | {(HOLDER, COUNTY_B)}  # registered in A, its land now in B


def test_migration_0008_derives_the_values_of_facts_stored_before_it(engine: Engine) -> None:
    with Session(engine) as session:
        _city(session)
        session.commit()
    command.downgrade(alembic_config(engine), "0007")
    upgrade(engine)
    assert _derived(engine) == EXPECTED


RECORDS = Path(str(resources.files("mujun.records")))
LAYERS = {p.name for p in RECORDS.parent.iterdir() if (p / "__init__.py").exists()} - {"records"}
"""The packages of the other layers (modules such as ``mujun.units`` are shared by all)."""


def _imported(path: Path) -> set[str]:
    """Every module a file imports, at its top or inside a function."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_the_records_import_no_other_layer() -> None:
    """Data flows down: the records (their migrations aside, which fill the values of their
    time) import no other layer (the analytics among them), not even inside a function."""
    upward = {
        f"{path.relative_to(RECORDS)}: {module}"
        for path in RECORDS.rglob("*.py")
        if "migrations" not in path.parts
        for module in _imported(path)
        if module.split(".")[:2] in [["mujun", layer] for layer in LAYERS]
    }
    assert not upward


@pytest.fixture
def unplugged(monkeypatch: pytest.MonkeyPatch) -> None:
    """A process in which nothing has plugged the refresh in yet."""
    monkeypatch.setattr(records_derived, "_REFRESH", [])


@pytest.mark.usefixtures("unplugged")
def test_facts_written_with_no_refresh_plugged_in_are_not_committed(engine: Engine) -> None:
    with Session(engine) as session:
        _city(session)
        with pytest.raises(records_derived.DerivedValuesNotFollowedError):
            session.commit()
    with Session(engine) as session:
        assert session.scalar(select(Jurisdiction.code)) is None


@pytest.mark.usefixtures("unplugged")
@pytest.mark.parametrize("entry", ["command line", "web application"])
def test_every_entry_point_plugs_the_refresh_in(engine: Engine, entry: str) -> None:
    assert records_derived.derived_refresh() is None
    if entry == "command line":
        Settings(db_url=engine.url.render_as_string(hide_password=False), lang="zh").engine()
    else:
        create_app(engine)
    assert records_derived.derived_refresh() is derived.refresh
    with Session(engine) as session:
        _city(session)
        session.commit()
    assert _derived(engine) == EXPECTED
