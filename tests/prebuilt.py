"""Records a builder writes through the ORM, built once per worker and database and copied
into each later test's empty records row by row: the same records, without refreshing their
derived values again, which costs 0.1–0.3 s a commit even on a handful of rows."""

from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, Table, text

from mujun.records import Base
from mujun.records.partitions import partition_names

Rows = list[tuple[Table, list[dict[str, Any]]]]
"""Every table's rows, parents first."""
Build = Callable[[Engine], object]


def rows_of(engine: Engine) -> Rows:
    """Every row of the records of ``engine``, which hold no run's partition yet."""
    with engine.connect() as conn:
        assert not partition_names(conn), "a run's partitions are not copied: keep runs after"
        return [
            (table, [dict(row._mapping) for row in conn.execute(table.select())])
            for table in Base.metadata.sorted_tables
        ]


def restore(engine: Engine, rows: Rows) -> None:
    """Write ``rows`` into the empty records of ``engine``, ids as they were; PostgreSQL's
    sequences go on after the largest (SQLite's follow the rows by themselves)."""
    with engine.begin() as conn:
        for table, written in rows:
            if not written:
                continue
            conn.execute(table.insert(), written)
            counter = table.autoincrement_column
            if counter is not None and conn.dialect.name == "postgresql":
                conn.execute(
                    text("SELECT setval(pg_get_serial_sequence(:table, :column), :last)"),
                    {
                        "table": table.name,
                        "column": counter.name,
                        "last": max(row[counter.name] for row in written),
                    },
                )


class Prebuilt:
    """``prebuilt(engine, build)``: the records ``build(engine)`` writes, in the empty records
    of ``engine``. The first time on each database ``build`` runs as a test would run it (so
    derived values and the change log follow); after that its rows are copied."""

    def __init__(self) -> None:
        self._built: dict[tuple[Build, str], Rows] = {}

    def __call__(self, engine: Engine, build: Build) -> Engine:
        key = (build, engine.dialect.name)
        if key in self._built:
            restore(engine, self._built[key])
        else:
            build(engine)
            self._built[key] = rows_of(engine)
        return engine
