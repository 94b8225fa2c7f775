"""Evaluation runs are kept with their grades and exclusions, read back exactly, listed and
deleted; evaluating the same records again grades every enterprise the same."""

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from sqlalchemy import Engine, event, func, select
from sqlalchemy.orm import Session

from mujun.analytics.facts import Facts, facts_from_arrow
from mujun.demo import generate
from mujun.evaluation.engine import evaluate
from mujun.evaluation.portrait import portrait
from mujun.evaluation.runs import (
    EvaluationNotFoundError,
    delete_evaluation,
    evaluation_excluded,
    evaluation_grades,
    get_evaluation,
    list_evaluations,
    save_evaluation,
)
from mujun.evaluation.service import ELECTRICITY, evaluate_and_keep
from mujun.interchange.exporter import write_csv_folder
from mujun.interchange.importer import import_data_set
from mujun.policy.parameters import ParameterError
from mujun.policy.profiles import load_profile
from mujun.records import EvaluationRun, ExcludedEnterprise, Grade, loading
from mujun.records.partitions import partition_names

NOW = dt.datetime(2026, 1, 5, 9, 30, tzinfo=dt.UTC)
YEAR = 2025
PROFILE = "huangyan-2022"


@pytest.fixture(scope="module")
def city() -> dict[str, pa.Table]:
    return generate(enterprises=120, seed=7)


@pytest.fixture(scope="module")
def facts(city: dict[str, pa.Table]) -> Iterator[Facts]:
    facts = facts_from_arrow(city, monthly=ELECTRICITY)
    yield facts
    facts.close()


@pytest.fixture
def records(engine: Engine, city: dict[str, pa.Table], tmp_path: Path) -> Engine:
    """The demo city imported into the records database."""
    write_csv_folder(tmp_path / "city", city)
    outcome = import_data_set(engine=engine, path=tmp_path / "city", actor="test")
    assert outcome.committed
    return engine


def _ordered(table: pa.Table) -> pa.Table:
    return table.sort_by([(name, "ascending") for name in ("cohort", "rank", "credit_code")])


@pytest.mark.parametrize("staged_from", [loading.STAGED_FROM, 1], ids=["bound", "scratch"])
def test_a_kept_evaluation_reads_back_as_it_was(
    engine: Engine, facts: Facts, staged_from: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its grades bound row by row on SQLite, or, as a large run's, written to a scratch file
    first (:mod:`mujun.records.loading`)."""
    monkeypatch.setattr(loading, "STAGED_FROM", staged_from)
    result = evaluate(facts=facts, profile=load_profile(PROFILE), year=YEAR)
    run_id = save_evaluation(engine, result, started_at=NOW, actor="tester")
    run = get_evaluation(engine, run_id)
    assert (run.profile, run.profile_version, run.year, run.actor) == (PROFILE, 1, YEAR, "tester")
    assert run.parameters == dict(result.parameters) and run.overrides == {}
    assert run.fingerprint == facts.fingerprint
    assert (run.graded_count, run.excluded_count) == (
        result.results.num_rows,
        result.excluded.num_rows,
    )
    assert run.graded_count > 0 and run.excluded_count > 0
    assert evaluation_grades(engine, run_id).equals(_ordered(result.results))
    assert evaluation_excluded(engine, run_id).equals(result.excluded)
    assert [r.id for r in list_evaluations(engine)] == [run_id]


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_sqlite_gets_the_grades_in_the_county_lists_order(engine: Engine, facts: Facts) -> None:
    """So that the entries of its widest index go in one after the other (the others' in
    runs): :attr:`~mujun.records.kept.Produced.written_in`. Read back, they are as given."""
    result = evaluate(facts=facts, profile=load_profile(PROFILE), year=YEAR)
    run_id = save_evaluation(engine, result, started_at=NOW, actor="tester")
    with engine.connect() as conn:
        written = conn.exec_driver_sql(
            "SELECT county_code, cohort, rank, credit_code FROM grades WHERE run_id = ? "
            "ORDER BY rowid",
            (run_id,),
        ).all()
    assert len(written) == result.results.num_rows
    assert written == sorted(written, key=lambda g: (g[0] is not None, g[0] or "", *g[1:]))
    assert written != sorted(written, key=lambda g: (g[1], g[2], g[3]))  # not as given
    assert evaluation_grades(engine, run_id).equals(_ordered(result.results))


def test_a_what_if_is_kept_with_its_overrides(engine: Engine, facts: Facts) -> None:
    what_if = load_profile(PROFILE).with_overrides({"above_scale.share.D": "20%"})
    run_id = save_evaluation(
        engine, evaluate(facts=facts, profile=what_if, year=YEAR), started_at=NOW, actor="a"
    )
    assert get_evaluation(engine, run_id).overrides == {"above_scale.share.D": "20%"}


def test_runs_are_listed_newest_first_and_deleted_with_their_grades(
    engine: Engine, facts: Facts
) -> None:
    result = evaluate(facts=facts, profile=load_profile(PROFILE), year=YEAR)
    first, second, third = (
        save_evaluation(engine, result, started_at=NOW, actor="a") for _ in range(3)
    )
    assert [r.id for r in list_evaluations(engine)] == [third, second, first]
    assert [r.id for r in list_evaluations(engine, limit=1)] == [third]
    delete_evaluation(engine, second)
    assert [r.id for r in list_evaluations(engine)] == [third, first]
    with pytest.raises(EvaluationNotFoundError):
        get_evaluation(engine, second)
    with pytest.raises(EvaluationNotFoundError):
        delete_evaluation(engine, second)
    with engine.connect() as conn:
        for model in (Grade, ExcludedEnterprise):
            kept = conn.execute(
                select(model.run_id, func.count()).group_by(model.run_id).order_by(model.run_id)
            ).all()
            count = result.results if model is Grade else result.excluded
            assert [tuple(row) for row in kept] == [
                (first, count.num_rows),
                (third, count.num_rows),
            ]
        # On PostgreSQL each run's rows are its own partitions, dropped with it
        expected = {
            f"{t}_run_{run}" for t in ("grades", "excluded_enterprises") for run in (first, third)
        }
        assert partition_names(conn) == (expected if conn.dialect.name == "postgresql" else set())


def test_evaluating_the_records_again_grades_the_same(records: Engine) -> None:
    profile = load_profile(PROFILE)
    first, second = (
        evaluate_and_keep(engine=records, profile=profile, year=YEAR, actor="a") for _ in range(2)
    )
    assert second.run_id == first.run_id + 1
    grades = evaluation_grades(records, first.run_id)
    assert grades.equals(evaluation_grades(records, second.run_id))
    assert grades.equals(_ordered(first.evaluation.results))
    a, b = (get_evaluation(records, kept.run_id) for kept in (first, second))
    assert a.fingerprint == b.fingerprint
    per_kwh = [
        json.loads(indicators)["tax_per_kwh_yuan"]
        for cohort, indicators in zip(
            grades["cohort"].to_pylist(), grades["indicators"].to_pylist(), strict=True
        )
        if cohort == "below_scale"
    ]
    assert any(value is not None for value in per_kwh), "the monthly electricity was read"


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)  # SQLite's plans: a scan shows
def test_an_enterprises_grades_over_the_years_are_read_by_key(records: Engine) -> None:
    """Its grade of each kept run is found by the grades' key, never by reading every grade
    (no index spans the runs by credit code: migration 0025)."""
    profile = load_profile(PROFILE)
    kept = [evaluate_and_keep(engine=records, profile=profile, year=YEAR, actor="a")]
    kept.append(evaluate_and_keep(engine=records, profile=profile, year=YEAR - 1, actor="a"))
    code = kept[0].evaluation.results["credit_code"][0].as_py()
    statements: list[tuple[str, Any]] = []

    def seen(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "FROM grades" in statement:
            statements.append((statement, parameters))

    event.listen(records, "before_cursor_execute", seen)
    try:
        with Session(records) as session:
            found = portrait(session=session, credit_code=code)
    finally:
        event.remove(records, "before_cursor_execute", seen)
    assert [g["run"] for g in found.grades] == [kept[0].run_id, kept[1].run_id]
    assert statements
    with records.connect() as conn:
        for statement, parameters in statements:
            plan = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
            assert not [row for row in plan if row[3].startswith("SCAN grades")], statement


def test_a_year_the_profile_does_not_cover_keeps_nothing(records: Engine) -> None:
    with pytest.raises(ParameterError, match="2019"):
        evaluate_and_keep(engine=records, profile=load_profile(PROFILE), year=2019, actor="a")
    with records.connect() as conn:
        assert conn.execute(select(func.count()).select_from(EvaluationRun)).scalar_one() == 0
