"""a run's rows a partition of their own: findings, unjudged subjects, grades and exclusions
partitioned by run on PostgreSQL

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-06

A kept run's rows were inserted into tables that hold every run's, each row updating every
index one entry at a time: a province's 171,655 grades took 4.0–4.3 s to insert into the
grades' nine B-trees on PostgreSQL, 0.4–0.5 s into the table alone. Partitioned by run, a run's
rows are written into a table with no index that then becomes the run's partition, its
indexes built by sorting (1.4–1.5 s for the same grades), and a run is forgotten by dropping
its partitions (:mod:`mujun.records.partitions`). Each run kept before gets its partition here.
SQLite has no partitions and is left as it is.
"""

from collections.abc import Sequence

from alembic import op
from sqlalchemy import Connection, text

# revision identifiers, used by Alembic.
revision: str = "0024"
down_revision: str | Sequence[str] | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BY_RUN = {
    "findings": "identification_runs",
    "unjudged_subjects": "identification_runs",
    "grades": "evaluation_runs",
    "excluded_enterprises": "evaluation_runs",
}
"""Each table of a run's rows, and the table of its runs."""


def upgrade() -> None:
    """Upgrade schema."""
    conn = op.get_bind()
    if conn.dialect.name != "postgresql":
        return
    for table, runs in BY_RUN.items():
        previous, definition = _set_aside(conn, table)
        conn.execute(text(f"CREATE TABLE {table} (LIKE {previous}) PARTITION BY LIST (run_id)"))
        for statement in definition:
            conn.execute(text(statement))
        for (run_id,) in conn.execute(text(f"SELECT id FROM {runs} ORDER BY id")):
            partition = f"{table}_run_{int(run_id)}"
            conn.execute(text(f"CREATE TABLE {partition} (LIKE {table})"))
            conn.execute(
                text(f"INSERT INTO {partition} SELECT * FROM {previous} WHERE run_id = :run"),
                {"run": run_id},
            )
            conn.execute(
                text(f"ALTER TABLE {table} ATTACH PARTITION {partition} FOR VALUES IN ({run_id})")
            )
        conn.execute(text(f"DROP TABLE {previous}"))


def downgrade() -> None:
    """Downgrade schema."""
    conn = op.get_bind()
    if conn.dialect.name != "postgresql":
        return
    for table in BY_RUN:
        previous, definition = _set_aside(conn, table)
        conn.execute(text(f"CREATE TABLE {table} (LIKE {previous})"))
        conn.execute(text(f"INSERT INTO {table} SELECT * FROM {previous}"))
        for statement in definition:
            conn.execute(text(statement))
        conn.execute(text(f"DROP TABLE {previous}"))  # and its partitions


def _set_aside(conn: Connection, table: str) -> tuple[str, list[str]]:
    """Rename ``table`` out of the way, its indexes dropped and its constraints renamed; return
    its new name and the statements that give a new table of its name the same constraints
    and indexes."""
    previous = f"{table}_previous"
    constraints = conn.execute(
        text(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = CAST(:table AS regclass) ORDER BY contype DESC, conname"
        ),
        {"table": table},
    ).all()
    indexes = conn.execute(
        text(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
            "AND tablename = :table AND indexname NOT IN "
            "(SELECT conname FROM pg_constraint WHERE conrelid = CAST(:table AS regclass))"
        ),
        {"table": table},
    ).all()
    for name, _ in indexes:
        conn.execute(text(f"DROP INDEX {name}"))
    conn.execute(text(f"ALTER TABLE {table} RENAME TO {previous}"))
    for name, _ in constraints:
        conn.execute(text(f"ALTER TABLE {previous} RENAME CONSTRAINT {name} TO {name}_previous"))
    return previous, [
        *(
            f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}"
            for name, definition in constraints
        ),
        *(definition for _, definition in indexes),
    ]
