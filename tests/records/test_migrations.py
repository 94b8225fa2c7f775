"""The migrations build exactly the schema the models declare, and can be undone."""

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect

from mujun.records import Base
from mujun.records.database import (
    MIGRATIONS,
    alembic_config,
    newest_revision,
    stored_revision,
    upgrade,
)


def test_migrated_schema_equals_the_models(engine: Engine) -> None:
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []


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
