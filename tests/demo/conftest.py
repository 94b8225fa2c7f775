"""Demo data sets shared by the demo tests (generated once per session)."""

from collections.abc import Iterator

import duckdb
import pyarrow as pa
import pytest

from mujun.demo import generate
from tests.planted import with_planted_cases

COUNTY_SIZE = 2000


@pytest.fixture(scope="session")
def county() -> dict[str, pa.Table]:
    """A county-sized demo city: 2,000 enterprises."""
    return generate(enterprises=COUNTY_SIZE, seed=11)


@pytest.fixture(scope="session")
def small() -> dict[str, pa.Table]:
    return generate(enterprises=50, seed=5)


def _registered(data: dict[str, pa.Table]) -> duckdb.DuckDBPyConnection:
    db = duckdb.connect()
    for name, table in data.items():
        db.register(name, table)
    return db


@pytest.fixture(scope="session")
def county_db(county: dict[str, pa.Table]) -> Iterator[duckdb.DuckDBPyConnection]:
    """DuckDB with every table of the county demo registered under its own name."""
    db = _registered(county)
    yield db
    db.close()


@pytest.fixture(scope="session", params=["demo", "demo+planted"])
def data_set(request: pytest.FixtureRequest, county: dict[str, pa.Table]) -> dict[str, pa.Table]:
    """The county demo, then the same with the tests' planted cases (``tests/planted``): what
    the importer checks must hold of both."""
    return county if request.param == "demo" else with_planted_cases(county)


@pytest.fixture(scope="session")
def data_set_db(data_set: dict[str, pa.Table]) -> Iterator[duckdb.DuckDBPyConnection]:
    """DuckDB with every table of :func:`data_set` registered under its own name."""
    db = _registered(data_set)
    yield db
    db.close()
