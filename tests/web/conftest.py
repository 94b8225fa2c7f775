"""A small two-county city with one account of each role, on SQLite and PostgreSQL."""

from collections.abc import Iterator, Sequence

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from mujun.records import Account, Finding, Jurisdiction, Parcel
from mujun.web.app import create_app
from mujun.web.permissions import Role
from tests.builders import NOW, identification_run  # noqa: F401 (NOW: the web tests' clock)
from tests.prebuilt import Prebuilt

PASSWORD = "correct horse battery"
HASHED = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)
"""The accounts' password hash, made with argon2's cheapest parameters: a sign-in checks it as
it checks any (the parameters are part of the hash), in a millisecond rather than the 0.1 s
that :data:`~mujun.web.accounts.HASHER`'s own parameters take on purpose. What the
application hashes itself (a new account, a changed password) is hashed with those, and
``test_passwords_are_argon2_hashes_and_never_in_the_change_log`` says so."""
COUNTY_A, COUNTY_B = "330122", "330127"
PARCEL_A, PARCEL_B = "330122001001GB00001", "330127001001GB00001"
WEST = {COUNTY_A: 119.60, COUNTY_B: 119.00}
"""County A's parcels lie east of 119.6°, county B's between 119.0° and 119.1°."""


def square(west: float, south: float, side: float = 0.001) -> str:
    east, north = west + side, south + side
    ring = ((west, south), (east, south), (east, north), (west, north), (west, south))
    return "POLYGON ((" + ", ".join(f"{x} {y}" for x, y in ring) + "))"


ACCOUNTS = {
    "admin": (Role.ADMINISTRATOR, None),
    "analyst": (Role.CITY_ANALYST, None),
    "officer": (Role.COUNTY_OFFICER, COUNTY_A),
    "provider": (Role.DATA_PROVIDER, None),
    "viewer": (Role.VIEWER, None),
}


def build_city(engine: Engine) -> Engine:
    """Two counties of three parcels each (shapes east of 119.6° in A, near 119.0° in B) and
    an account of each role (:data:`ACCOUNTS`)."""
    with Session(engine) as session:
        session.add(Jurisdiction(code="330100", name="杭州市", level="city"))
        session.flush()
        for county, name in ((COUNTY_A, "桐庐县"), (COUNTY_B, "淳安县")):
            session.add(Jurisdiction(code=county, name=name, level="county", parent_code="330100"))
            session.flush()
            town = f"{county}001"
            session.add(
                Jurisdiction(code=town, name=f"{name}城关镇", level="town", parent_code=county)
            )
            session.flush()
            for i in range(1, 4):
                session.add(
                    Parcel(
                        parcel_id=f"{county}001001GB{i:05d}",
                        area_m2=20_000.0 * i,
                        jurisdiction_code=town,
                        land_use="industrial",
                        geometry_wkt=square(WEST[county] + 0.01 * i, 29.8),
                    )
                )
        add_accounts(session, [(name, role, county) for name, (role, county) in ACCOUNTS.items()])
        session.commit()
    return engine


AccountRow = tuple[str, Role, str | None] | tuple[str, Role, str | None, str | None]


def add_accounts(session: Session, accounts: Sequence[AccountRow]) -> None:
    """Accounts signing in with :data:`PASSWORD`, each named by its username: (username,
    role, county) or (username, role, county, department)."""
    for username, role, county, *department in accounts:
        session.add(
            Account(
                username=username,
                display_name=username,
                password_hash=HASHED,
                role=role.value,
                county_code=county,
                department=department[0] if department else None,
                failed_logins=0,
            )
        )


@pytest.fixture
def city(engine: Engine, prebuilt: Prebuilt) -> Engine:
    prebuilt(engine, build_city)
    return engine


@pytest.fixture
def app_client(city: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(city)) as client:
        yield client


def sign_in(client: TestClient, username: str) -> str:
    """Sign ``client`` in; return its CSRF token."""
    response = client.post("/api/session", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    token: str = response.json()["csrf_token"]
    return token


def keep_run(engine: Engine) -> int:
    """A run with an idle parcel in each county and an abnormal enterprise in county A; its id."""
    with Session(engine) as session:
        kept = identification_run(finding_count=3)
        session.add(kept)
        session.flush()
        rows = [
            ("idle/not-started", "idle_land", "parcel", PARCEL_A, 20_000.0, COUNTY_A),
            ("idle/not-started", "idle_land", "parcel", PARCEL_B, 40_000.0, COUNTY_B),
            (
                "ankang/abnormal/1",
                "abnormal_enterprise",
                "enterprise",
                "91330122MA0000000X",
                30_000.0,
                COUNTY_A,
            ),
        ]
        for criterion, category, kind, subject, area, county in rows:
            session.add(
                Finding(
                    run_id=kept.id,
                    criterion=criterion,
                    category=category,
                    subject_type=kind,
                    subject_id=subject,
                    subject_name=None,
                    area_m2=area,
                    county_code=county,
                    key=False,
                    evidence='{"idle_days": 400}',
                    source="003_62d23dbf9dc3e358.txt §二(一)1",
                )
            )
        session.commit()
        return kept.id


@pytest.fixture
def run(city: Engine) -> int:
    return keep_run(city)
