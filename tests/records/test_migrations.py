"""The migrations build exactly the schema the models declare, as a new database gets it, and
can be undone."""

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, insert, inspect, select, text

from mujun.records import Base, Enterprise, Finding, IdentificationRun, MonthlyMetric, table_of
from mujun.records.database import (
    MIGRATIONS,
    alembic_config,
    newest_revision,
    stored_revision,
    upgrade,
)
from mujun.records.partitions import models_only, partition_names
from tests.builders import identification_run


def test_the_schema_equals_the_models(engine: Engine) -> None:
    """What Alembic would find to migrate from the schema a database is given: nothing."""
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_name": models_only(conn)})
        assert compare_metadata(context, Base.metadata) == []


def test_an_empty_database_gets_the_schema_of_every_migration_in_turn(
    engine: Engine, empty_engine: Engine
) -> None:
    """An empty database is given the models' schema in one step, stamped with the newest
    revision (what ``engine`` was made with); running every migration from the first builds
    the same tables, columns, keys, references, indexes, partitioning and version table, but
    for the order of the columns a migration added to a table."""
    command.upgrade(alembic_config(empty_engine), "head")
    assert _schema(empty_engine) == _schema(engine)


def test_an_empty_database_is_made_in_one_step_without_reading_a_migration(
    empty_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(command, "upgrade", _not_called)
    upgrade(empty_engine)
    assert stored_revision(empty_engine) == newest_revision()
    assert set(Base.metadata.tables) < set(inspect(empty_engine).get_table_names())


def _schema(engine: Engine) -> dict[str, object]:
    """What the catalogue says of every table of ``engine``'s schema, its columns by name."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            return {name: _sqlite_table(conn, name, sql) for name, sql in _sqlite_tables(conn)}
        return {
            name: sorted(tuple(row) for row in conn.execute(text(query)))
            for name, query in POSTGRESQL_CATALOGUE.items()
        }


def _sqlite_tables(conn: Connection) -> list[tuple[str, str]]:
    query = "SELECT name, sql FROM sqlite_master WHERE type = 'table' ORDER BY name"
    return [(name, sql) for name, sql in conn.exec_driver_sql(query)]


def _sqlite_table(conn: Connection, name: str, sql: str) -> object:
    def rows(pragma: str, argument: str) -> list[tuple[object, ...]]:
        return [tuple(row) for row in conn.exec_driver_sql(f'PRAGMA {pragma}("{argument}")')]

    indexes = {  # each column by name, not by its place in the table
        index: (unique, origin, partial, [(n, *row[1:]) for n, *row in rows("index_xinfo", index)])
        for _seq, index, unique, origin, partial in conn.exec_driver_sql(
            f'PRAGMA index_list("{name}")'
        )
    }
    return {
        "columns": sorted(row[1:] for row in rows("table_xinfo", name)),
        "references": sorted(row[2:] for row in rows("foreign_key_list", name)),
        "indexes": indexes,
        "without_rowid": sql.rstrip().upper().endswith("WITHOUT ROWID"),
    }


POSTGRESQL_CATALOGUE = {
    "columns": "SELECT table_name, column_name, data_type, character_maximum_length, "
    "is_nullable, column_default, collation_name FROM information_schema.columns "
    "WHERE table_schema = current_schema()",
    "constraints": "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
    "FROM pg_constraint WHERE connamespace = current_schema()::regnamespace",
    "indexes": "SELECT tablename, indexname, indexdef FROM pg_indexes "
    "WHERE schemaname = current_schema()",
    "relations": "SELECT relname, relkind, relpersistence, pg_get_partkeydef(oid) FROM pg_class "
    "WHERE relnamespace = current_schema()::regnamespace",
}
"""The catalogue's word on a PostgreSQL schema: columns (by name), constraints, indexes, and
each relation's kind and partitioning."""


def test_downgrade_to_nothing_and_up_again(engine: Engine) -> None:
    command.downgrade(alembic_config(engine), "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    upgrade(engine)
    assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())


def test_the_migrations_are_numbered_in_order_each_file_after_its_revision(engine: Engine) -> None:
    """What :func:`newest_revision` reads without Alembic."""
    scripts = ScriptDirectory.from_config(alembic_config(engine))
    chain = list(reversed(list(scripts.walk_revisions())))
    assert [s.revision for s in chain] == [f"{n:04d}" for n in range(1, len(chain) + 1)]
    for script in chain:
        assert script.path is not None
        assert script.path.startswith(str(MIGRATIONS / "versions" / f"{script.revision}_"))
    assert scripts.get_current_head() == newest_revision() == stored_revision(engine)


def test_a_database_behind_is_upgraded_and_one_at_the_newest_only_read(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as patched:
        patched.setattr(command, "upgrade", _not_called)
        upgrade(engine)
    command.downgrade(alembic_config(engine), "-1")
    assert stored_revision(engine) != newest_revision()
    upgrade(engine)
    assert stored_revision(engine) == newest_revision()


def _not_called(*_args: object) -> None:
    raise AssertionError("Alembic was asked to upgrade a database at the newest revision")


def test_the_rows_of_runs_kept_before_become_their_partitions_and_back(engine: Engine) -> None:
    """Migration 0024 gives every run kept before its partitions on PostgreSQL, with its rows,
    and undoing it puts them back in one table (SQLite has no partitions: nothing moves)."""
    command.downgrade(alembic_config(engine), "0023")
    run = identification_run()
    values = {c.key: getattr(run, c.key) for c in table_of(IdentificationRun).columns}
    with engine.begin() as conn:
        for run_id in (1, 2):
            conn.execute(insert(IdentificationRun).values(values | {"id": run_id}))
            conn.execute(insert(Finding), [_finding(run_id, subject) for subject in ("P1", "P2")])

    def findings() -> list[tuple[object, ...]]:
        with engine.connect() as conn:
            query = select(Finding.run_id, Finding.subject_id)
            return [tuple(row) for row in conn.execute(query.order_by("run_id", "subject_id"))]

    kept = findings()
    assert len(kept) == 4
    upgrade(engine)
    assert findings() == kept
    with engine.connect() as conn:
        made = partition_names(conn)
    on_postgresql = engine.dialect.name == "postgresql"
    tables = ("findings", "unjudged_subjects")
    assert made == ({f"{t}_run_{n}" for t in tables for n in (1, 2)} if on_postgresql else set())
    command.downgrade(alembic_config(engine), "0023")
    assert findings() == kept
    with engine.connect() as conn:
        assert partition_names(conn) == set()
    upgrade(engine)
    assert findings() == kept


def _finding(run_id: int, subject: str) -> dict[str, object]:
    return {
        "run_id": run_id,
        "criterion": "idle/not-started",
        "category": "idle_land",
        "subject_type": "parcel",
        "subject_id": subject,
        "subject_name": None,
        "area_m2": 100.0,
        "county_code": None,
        "key": False,
        "evidence": "{}",
        "source": "s",
    }


def test_the_figures_are_kept_without_a_rowid_on_sqlite_their_rows_kept_both_ways(
    engine: Engine,
) -> None:
    """Migration 0026 keeps the annual and monthly figures in their key's order on SQLite, and
    undoing it gives them a rowid again, every row kept either way."""
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL's tables have no rowid: 0026 changes nothing there")
    code = "91350100M000100Y43"
    with engine.begin() as conn:
        conn.execute(insert(Enterprise).values(credit_code=code, name="甲"))
        conn.execute(
            insert(MonthlyMetric),
            [{"credit_code": code, "month": m} for m in ("2024-02", "2024-01")],
        )

    def figures() -> tuple[list[object], list[tuple[object, ...]]]:
        with engine.connect() as conn:
            made = conn.exec_driver_sql(
                "SELECT name, sql LIKE '%WITHOUT ROWID%' FROM sqlite_master "
                "WHERE name IN ('annual_metrics', 'monthly_metrics') ORDER BY name"
            )
            kept = select(MonthlyMetric.credit_code, MonthlyMetric.month).order_by("month")
            return [tuple(row) for row in made], [tuple(row) for row in conn.execute(kept)]

    rows = [(code, "2024-01"), (code, "2024-02")]
    assert figures() == ([("annual_metrics", 1), ("monthly_metrics", 1)], rows)
    command.downgrade(alembic_config(engine), "0025")
    assert figures() == ([("annual_metrics", 0), ("monthly_metrics", 0)], rows)
    upgrade(engine)
    assert figures() == ([("annual_metrics", 1), ("monthly_metrics", 1)], rows)
