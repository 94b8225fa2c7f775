"""Demo data sets shared by the demo tests (generated once per session)."""

from collections.abc import Iterator

import duckdb
import pyarrow as pa
import pytest

from mujun.demo import generate

COUNTY_SIZE = 2000


@pytest.fixture(scope="session")
def county() -> dict[str, pa.Table]:
    """A county-sized demo: 2,000 random enterprises plus the planted cases."""
    return generate(enterprises=COUNTY_SIZE, seed=11)


@pytest.fixture(scope="session")
def small() -> dict[str, pa.Table]:
    return generate(enterprises=50, seed=5)


@pytest.fixture(scope="session")
def county_db(county: dict[str, pa.Table]) -> Iterator[duckdb.DuckDBPyConnection]:
    """DuckDB with every table of the county demo registered under its own name."""
    db = duckdb.connect()
    for name, data in county.items():
        db.register(name, data)
    yield db
    db.close()
