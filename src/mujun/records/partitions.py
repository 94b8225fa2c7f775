"""A run's rows as a partition of their own, on PostgreSQL.

The rows a run produces (an identification's findings and unjudged subjects, an evaluation's
grades and exclusions) are written once, never changed, read a run at a time and forgotten
together. On PostgreSQL each such table is partitioned by run (its model's table options are
:data:`~mujun.records.base.BY_RUN`): a kept run's rows go into a table of their own that has
no index yet, which then becomes the run's partition, its indexes built by sorting what it
holds (``ATTACH PARTITION``) instead of entry by entry as each row goes in. Forgetting a run
drops its partitions. A run inserted through the ORM gets empty partitions as it is inserted,
so that rows added one by one have a place to go.

SQLite has no partitions: there the tables hold every run's rows, written and deleted as rows.
"""

from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, MetaData, Table, text
from sqlalchemy.orm import Mapper

from mujun.records.base import quoted


def produced_tables(runs: Table) -> list[Table]:
    """The tables of a run's rows (those of :data:`~mujun.records.base.BY_RUN`) whose
    ``run_id`` refers to ``runs``."""
    return [
        table
        for table in runs.metadata.sorted_tables
        if _of_runs(table) and any(key.column.table is runs for key in table.c.run_id.foreign_keys)
    ]


def by_partition(conn: Connection, table: Table) -> bool:
    """Whether ``table`` keeps each run's rows in a partition of their own on ``conn``."""
    return conn.dialect.name == "postgresql" and _of_runs(table)


def unattached_partition(conn: Connection, table: Table, run_id: int) -> Table:
    """A new table like ``table`` but with no index, to be filled with a run's rows before
    :func:`attach_partition` makes it the run's partition."""
    partition = _name(table, run_id)
    like = quoted(conn, table.name)
    conn.execute(text(f"CREATE TABLE {quoted(conn, partition)} (LIKE {like})"))
    return Table(partition, MetaData())


def attach_partition(conn: Connection, table: Table, run_id: int) -> None:
    """The table :func:`unattached_partition` made, filled, becomes the run's partition; its
    indexes are built then."""
    conn.execute(
        text(
            f"ALTER TABLE {quoted(conn, table.name)} ATTACH PARTITION "
            f"{quoted(conn, _name(table, run_id))} FOR VALUES IN ({int(run_id)})"
        )
    )


def drop_partition(conn: Connection, table: Table, run_id: int) -> None:
    conn.execute(text(f"DROP TABLE IF EXISTS {quoted(conn, _name(table, run_id))}"))


def open_partitions(_mapper: Mapper[Any], conn: Connection, run: Any) -> None:
    """Empty partitions for a run the ORM inserted (``after_insert`` of a run's model)."""
    open_run_partitions(conn, run.__table__, run.id)


def open_run_partitions(conn: Connection, runs: Table, run_id: int) -> None:
    """Empty partitions for the run ``run_id`` of ``runs``, one of each table of its rows, for
    rows written one by one (none on SQLite)."""
    for table in produced_tables(runs):
        if by_partition(conn, table):
            conn.execute(
                text(
                    f"CREATE TABLE {quoted(conn, _name(table, run_id))} PARTITION OF "
                    f"{quoted(conn, table.name)} FOR VALUES IN ({int(run_id)})"
                )
            )


def partition_names(conn: Connection) -> set[str]:
    """The partitions of the records on ``conn`` (none on SQLite)."""
    if conn.dialect.name != "postgresql":
        return set()
    return set(
        conn.execute(
            text(
                "SELECT relname FROM pg_class WHERE relispartition AND relkind = 'r' "
                "AND relnamespace = CAST(current_schema() AS regnamespace)"
            )
        ).scalars()
    )


def models_only(conn: Connection) -> Callable[[str | None, str, Any], bool]:
    """For Alembic's ``include_name``: every name but a partition's, which no model declares
    (it is made as a run is kept)."""
    partitions = partition_names(conn)
    return lambda name, kind, _parent: not (kind == "table" and name in partitions)


def _of_runs(table: Table) -> bool:
    return table.dialect_options["postgresql"]["partition_by"] is not None


def _name(table: Table, run_id: int) -> str:
    return f"{table.name}_run_{int(run_id)}"
