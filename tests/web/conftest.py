"""A small two-county city with one account of each role, on SQLite and PostgreSQL."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from mujun.records import Account, Jurisdiction, Parcel
from mujun.web.accounts import HASHER
from mujun.web.app import create_app
from mujun.web.permissions import Role

PASSWORD = "correct horse battery"
HASHED = HASHER.hash(PASSWORD)  # once: argon2 is slow on purpose
COUNTY_A, COUNTY_B = "330122", "330127"
PARCEL_A, PARCEL_B = "330122001001GB00001", "330127001001GB00001"
ACCOUNTS = {
    "admin": (Role.ADMINISTRATOR, None),
    "analyst": (Role.CITY_ANALYST, None),
    "officer": (Role.COUNTY_OFFICER, COUNTY_A),
    "provider": (Role.DATA_PROVIDER, None),
    "viewer": (Role.VIEWER, None),
}


@pytest.fixture
def city(engine: Engine) -> Engine:
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
                    )
                )
        for username, (role, county) in ACCOUNTS.items():
            session.add(
                Account(
                    username=username,
                    display_name=username,
                    password_hash=HASHED,
                    role=role.value,
                    county_code=county,
                    failed_logins=0,
                )
            )
        session.commit()
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
