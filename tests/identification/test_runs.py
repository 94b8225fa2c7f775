"""Runs are kept with their findings, read back exactly, and compared finding by finding."""

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine

from mujun.analytics.facts import Facts, facts_from_arrow
from mujun.identification.engine import identify
from mujun.identification.runs import (
    RunNotFoundError,
    delete_run,
    diff_runs,
    get_run,
    list_runs,
    run_findings,
    run_unjudged,
    same_run,
    save_run,
)
from mujun.policy.profiles import load_profile
from mujun.records import Finding, UnjudgedSubject, kept, table_of
from mujun.records.bulk import count_rows
from mujun.records.loading import Loading, loading
from mujun.records.partitions import partition_names
from tests.planted import planted_city

ELECTRICITY = ("electricity_kwh",)


NOW = dt.datetime(2026, 1, 5, 9, 30, tzinfo=dt.UTC)
AS_OF = dt.date(2022, 12, 31)


@pytest.fixture(scope="module")
def facts() -> Iterator[Facts]:
    facts = facts_from_arrow(planted_city(enterprises=200, seed=5), monthly=ELECTRICITY)
    yield facts
    facts.close()


def test_a_kept_run_reads_back_as_it_was(engine: Engine, facts: Facts) -> None:
    result = identify(facts=facts, profile=load_profile("tonglu-2022"), as_of=AS_OF)
    run_id = save_run(engine, result, started_at=NOW, actor="tester")
    run = get_run(engine, run_id)
    assert (run.profile, run.profile_version, run.as_of) == ("tonglu-2022", 1, AS_OF)
    assert run.parameters["tonglu.low.line_yuan_per_mu"] == "30000"
    assert run.overrides == {}
    assert run.fingerprint == facts.fingerprint
    assert run.finding_count == result.findings.num_rows > 0
    assert run.unjudged == result.unjudged_summary()
    assert run_findings(engine, run_id).equals(result.findings)
    assert (
        run_unjudged(engine, run_id)
        .sort_by("subject_id")
        .equals(result.unjudged.sort_by("subject_id"))
    )
    assert [r.id for r in list_runs(engine)] == [run_id]


def test_a_run_kept_alone_on_an_sqlite_file_is_written_in_place(
    engine: Engine, facts: Facts, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its findings go once into the file, not through the write-ahead log first
    (:func:`~mujun.records.database.written_in_place`); on PostgreSQL nothing changes."""
    journals: list[str] = []

    @contextmanager
    def loading_noted(conn: Connection, folder: Path) -> Iterator[Loading]:
        dbapi = conn.connection.dbapi_connection
        assert dbapi is not None
        journals.append(dbapi.execute("PRAGMA main.journal_mode").fetchone()[0])
        with loading(conn, folder) as loaded:
            yield loaded

    result = identify(facts=facts, profile=load_profile("tonglu-2022"), as_of=AS_OF)
    engine.dispose()  # no connection of the fixture's left open: the file is the run's alone
    if engine.dialect.name == "sqlite":
        monkeypatch.setattr(kept, "loading", loading_noted)
    run_id = save_run(engine, result, started_at=NOW, actor="tester")
    assert journals == (["delete"] if engine.dialect.name == "sqlite" else [])
    assert run_findings(engine, run_id).equals(result.findings)


def test_the_same_profile_on_the_same_data_finds_the_same(engine: Engine, facts: Facts) -> None:
    profile, as_of = load_profile("ankang-2024"), dt.date(2025, 12, 31)
    first = save_run(
        engine, identify(facts=facts, profile=profile, as_of=as_of), started_at=NOW, actor="a"
    )
    second = save_run(
        engine, identify(facts=facts, profile=profile, as_of=as_of), started_at=NOW, actor="a"
    )
    assert diff_runs(engine, first, second).counts() == {"added": 0, "dropped": 0, "changed": 0}
    found = same_run(
        engine, profile=profile.id, as_of=as_of, fingerprint=facts.fingerprint, overrides={}
    )
    assert found == second


def test_a_what_if_is_compared_with_the_published_profile(engine: Engine, facts: Facts) -> None:
    published = load_profile("tonglu-2022")
    what_if = published.with_overrides({"tonglu.low.line_yuan_per_mu": "50000"})
    a = save_run(
        engine, identify(facts=facts, profile=published, as_of=AS_OF), started_at=NOW, actor="a"
    )
    b = save_run(
        engine, identify(facts=facts, profile=what_if, as_of=AS_OF), started_at=NOW, actor="a"
    )
    assert get_run(engine, b).overrides == {"tonglu.low.line_yuan_per_mu": "50000"}
    difference = diff_runs(engine, a, b)
    assert difference.dropped.num_rows == 0
    assert difference.added.num_rows > 0
    assert set(difference.added["criterion"].to_pylist()) == {"tonglu/low"}
    backwards = diff_runs(engine, b, a)
    assert backwards.dropped.num_rows == difference.added.num_rows
    assert (
        same_run(
            engine, profile=published.id, as_of=AS_OF, fingerprint=facts.fingerprint, overrides={}
        )
        == a
    )


def test_changed_findings_are_those_whose_evidence_moved(engine: Engine, facts: Facts) -> None:
    profile = load_profile("cn-idle-2012")
    a = save_run(
        engine,
        identify(facts=facts, profile=profile, as_of=dt.date(2025, 12, 31)),
        started_at=NOW,
        actor="a",
    )
    b = save_run(
        engine,
        identify(facts=facts, profile=profile, as_of=dt.date(2026, 1, 31)),
        started_at=NOW,
        actor="a",
    )
    changed = diff_runs(engine, a, b).changed
    assert changed.num_rows > 0  # idle_days grew by a month
    assert all(row["evidence"] != row["evidence_before"] for row in changed.to_pylist())


def test_an_unknown_run_is_refused_and_a_run_can_be_deleted(engine: Engine, facts: Facts) -> None:
    with pytest.raises(RunNotFoundError):
        get_run(engine, 999)
    run_id = save_run(
        engine,
        identify(facts=facts, profile=load_profile("yuzhou-2021"), as_of=AS_OF),
        started_at=NOW,
        actor="a",
    )
    with engine.connect() as conn:
        kept = partition_names(conn)
    delete_run(engine, run_id)
    with pytest.raises(RunNotFoundError):
        run_findings(engine, run_id)
    with engine.connect() as conn:
        left = {
            model.__tablename__: count_rows(conn, table_of(model))
            for model in (Finding, UnjudgedSubject)
        }
        if conn.dialect.name == "postgresql":  # the run's rows were its partitions
            assert kept == {f"{t}_run_{run_id}" for t in left}
            assert partition_names(conn) == set()
    assert left == {"findings": 0, "unjudged_subjects": 0}
