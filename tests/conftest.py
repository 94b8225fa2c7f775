"""Fixtures shared by the whole suite.

``engine`` runs a test once on SQLite and once on the real PostgreSQL server. PostgreSQL comes
from ``MUJUN_TEST_POSTGRES`` (default: the local server, database ``test``). Each worker of each
run (pytest-xdist's ``testrun_uid`` and ``worker_id``) gets a database of its own for the
session, so runs side by side do not meet; every test starts from empty tables.
"""

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from mujun.analytics.derived import follow_orm_writes
from mujun.analytics.plans import FOLDER_ENV as PLANS_ENV
from mujun.records import Base
from mujun.records.base import quoted
from mujun.records.columnar import FOLDER_ENV
from mujun.records.database import drop_database, open_engine, recreate_database, upgrade
from mujun.records.partitions import partition_names
from tests.prebuilt import Prebuilt

POSTGRES_SERVER = os.environ.get("MUJUN_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
os.environ.setdefault(FOLDER_ENV, tempfile.mkdtemp(prefix="mujun-test-columnar-"))
"""The columnar copies of the PostgreSQL databases (an SQLite file keeps its own beside it)."""
os.environ.setdefault(PLANS_ENV, tempfile.mkdtemp(prefix="mujun-test-plans-"))
"""The plans runs keep (:mod:`mujun.analytics.plans`): the suite's own, shared by its runs, so
that most of them replay a plan an earlier one kept."""
follow_orm_writes()
"""Tests build their records through the ORM, as the command line and the web application
would write them: the derived values follow (:mod:`mujun.records.derived`)."""


@pytest.fixture
def plans(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A folder of plans of the test's own (:mod:`mujun.analytics.plans`), empty at first;
    nothing is left half-written in it."""
    monkeypatch.setenv(PLANS_ENV, str(tmp_path))
    yield tmp_path
    assert not list(tmp_path.glob(".keeping-*"))


@pytest.fixture(scope="session")
def postgres_engine(worker_id: str, testrun_uid: str) -> Iterator[Engine]:
    """A database of this test run's worker alone, dropped when the session ends."""
    name = f"mujun_test_{testrun_uid[:12]}_{worker_id}"
    engine = open_engine(recreate_database(POSTGRES_SERVER, name))
    upgrade(engine)
    yield engine
    engine.dispose()
    drop_database(POSTGRES_SERVER, name)


RESTART_SEQUENCES = """
DO $$ DECLARE s record; BEGIN
  FOR s IN SELECT sequence_schema, sequence_name FROM information_schema.sequences LOOP
    EXECUTE format('ALTER SEQUENCE %I.%I RESTART', s.sequence_schema, s.sequence_name);
  END LOOP;
END $$"""


def _emptied(engine: Engine) -> Engine:
    """Every table emptied, every run's partitions dropped, and every id counting from 1 again.
    DELETE, children first, rather than TRUNCATE: on the few rows a test writes it takes 25 ms
    instead of 300 ms."""
    with engine.begin() as conn:
        for partition in partition_names(conn):
            conn.execute(text(f"DROP TABLE {quoted(conn, partition)}"))
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())
        conn.execute(text(RESTART_SEQUENCES))
    return engine


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty SQLite records file, migrated once for the worker: each test copies it."""
    path = tmp_path_factory.mktemp("migrated") / "records.db"
    engine = open_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty, migrated records database: SQLite in a file, then PostgreSQL."""
    if request.param == "postgresql":
        yield _emptied(request.getfixturevalue("postgres_engine"))
        return
    shutil.copyfile(request.getfixturevalue("migrated_sqlite"), tmp_path / "records.db")
    sqlite = open_engine(f"sqlite:///{tmp_path / 'records.db'}")
    upgrade(sqlite)  # nothing to do: proves the copy is at the head revision
    yield sqlite
    sqlite.dispose()


@pytest.fixture
def empty_engine(
    engine: Engine, tmp_path: Path, worker_id: str, testrun_uid: str
) -> Iterator[Engine]:
    """A database with no schema yet, of the kind of ``engine`` (on the same PostgreSQL
    server, or an SQLite file beside it)."""
    if engine.dialect.name == "sqlite":
        empty = open_engine(f"sqlite:///{tmp_path / 'empty.db'}")
        yield empty
        empty.dispose()
        return
    name = f"mujun_empty_{testrun_uid[:12]}_{worker_id}"
    empty = open_engine(recreate_database(POSTGRES_SERVER, name))
    yield empty
    empty.dispose()
    drop_database(POSTGRES_SERVER, name)


@pytest.fixture(scope="session")
def prebuilt() -> Prebuilt:
    """Records built once per worker and database (:class:`~tests.prebuilt.Prebuilt`)."""
    return Prebuilt()
