"""Records a builder writes, built once per worker and database and copied into each later
test's empty records row by row: the same records, without refreshing their derived values
again (0.1–0.3 s a commit even on a handful of rows) or judging and keeping a run again."""

from collections.abc import Callable
from typing import Any, TypeVar, cast

from sqlalchemy import Engine, Table, text

from mujun.records import Base
from mujun.records.partitions import open_run_partitions, produced_tables

Rows = list[tuple[Table, list[dict[str, Any]]]]
"""Every table's rows, parents first (a run's rows read through their partitioned table)."""
Built = TypeVar("Built")


def rows_of(engine: Engine) -> Rows:
    """Every row of the records of ``engine``."""
    with engine.connect() as conn:
        return [
            (table, [dict(row._mapping) for row in conn.execute(table.select())])
            for table in Base.metadata.sorted_tables
        ]


def restore(engine: Engine, rows: Rows) -> None:
    """Write ``rows`` into the empty records of ``engine``, ids as they were. On PostgreSQL a
    run gets its partitions before its rows, and the sequences go on after the largest ids
    (SQLite's follow the rows by themselves)."""
    with engine.begin() as conn:
        postgresql = conn.dialect.name == "postgresql"
        for table, written in rows:
            if not written:
                continue
            conn.execute(table.insert(), written)
            counter = table.autoincrement_column
            if counter is None or not postgresql:
                continue
            ids = [row[counter.name] for row in written]
            conn.execute(
                text("SELECT setval(pg_get_serial_sequence(:table, :column), :last)"),
                {"table": table.name, "column": counter.name, "last": max(ids)},
            )
            if produced_tables(table):
                for run_id in ids:
                    open_run_partitions(conn, table, run_id)


class Prebuilt:
    """``prebuilt(engine, build)``: the records ``build(engine)`` writes, in the empty records
    of ``engine``, and what it returned. The first time on each database ``build`` runs as a
    test would run it (derived values and the change log follow); after that its rows are
    copied, and what it returned then is returned again (a run's id, not an engine)."""

    def __init__(self) -> None:
        self._built: dict[tuple[Callable[[Engine], Any], str], tuple[Rows, Any]] = {}

    def __call__(self, engine: Engine, build: Callable[[Engine], Built]) -> Built:
        key = (build, engine.dialect.name)
        if key in self._built:
            rows, returned = self._built[key]
            restore(engine, rows)
            return cast(Built, returned)
        built = build(engine)
        self._built[key] = (rows_of(engine), built)
        return built
