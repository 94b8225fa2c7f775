"""Keeping a run, whatever it ran (an identification, an evaluation): the run's row and the rows
it produced, written in one transaction through the database's bulk path (on PostgreSQL as the
run's own partitions: :mod:`mujun.records.partitions`), listed, read back and forgotten
together."""

import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Connection, Engine, Table, delete, insert, select
from sqlalchemy.orm import Session

from mujun.arrays import repeated_integer
from mujun.records.base import Base, table_of
from mujun.records.bulk import BATCH_ROWS
from mujun.records.database import written_in_place
from mujun.records.evaluations import EvaluationRun
from mujun.records.loading import loading
from mujun.records.partitions import (
    attach_partition,
    by_partition,
    drop_partition,
    produced_tables,
    unattached_partition,
)
from mujun.records.runs import IdentificationRun

Run = TypeVar("Run", IdentificationRun, EvaluationRun)


@dataclass(frozen=True)
class Produced:
    """Rows a run produced, of ``model`` (columns named as its, less ``run_id``)."""

    model: type[Base]
    rows: pa.Table
    written_in: str | None = None
    """The index of ``model``'s table in whose order the rows are written where the table
    keeps its indexes as they are written (SQLite; PostgreSQL builds a run's by sorting its
    partition): that index's entries then go in one after the other, and the others' in
    runs. An evaluation's 171,655 grades went into a table of eight indexes in 4.5-4.9 s in
    the county list's order, 4.9-6.4 s in their cohorts' (in SQLite, on copies of a file)."""


def keep_run(
    engine: Engine, model: type[Run], values: Mapping[str, Any], produced: Sequence[Produced]
) -> int:
    """Store a run of ``model`` with ``values``, and each table of ``produced`` under it;
    return the run's id."""
    with (
        tempfile.TemporaryDirectory(prefix="mujun-run-") as scratch,
        engine.connect() as conn,
        written_in_place(conn),
        loading(conn, Path(scratch)) as load,
        conn.begin(),
    ):
        run_id: int = conn.execute(insert(model).values(**values).returning(model.id)).scalar_one()
        load.insert_all(_loads(conn, run_id, produced))
        for each in produced:
            if by_partition(conn, table_of(each.model)):
                attach_partition(conn, table_of(each.model), run_id)
    return run_id


def _loads(
    conn: Connection, run_id: int, produced: Sequence[Produced]
) -> Iterator[tuple[Table, list[pa.RecordBatch]]]:
    """Each table's rows under the run: into the run's own partition where the table has
    them (attached once written), else into the table."""
    for each in produced:
        table = table_of(each.model)
        rows = each.rows.add_column(0, "run_id", repeated_integer(run_id, each.rows.num_rows))
        if by_partition(conn, table):
            yield unattached_partition(conn, table, run_id), rows.to_batches(BATCH_ROWS)
        else:
            yield table, _in_order_of(rows, table, each.written_in).to_batches(BATCH_ROWS)


def _in_order_of(rows: pa.Table, table: Table, index: str | None) -> pa.Table:
    """``rows`` in the order of ``table``'s index named ``index`` (as they are, with none)."""
    if index is None:
        return rows
    (columns,) = [list(i.columns.keys()) for i in table.indexes if i.name == index]
    keys = [(column, "ascending", "at_start") for column in columns]  # as SQLite orders
    return rows.take(pc.sort_indices(rows, keys))


def recent_runs(engine: Engine, model: type[Run], *, limit: int) -> list[Run]:
    """The most recent runs first."""
    with Session(engine, expire_on_commit=False) as session:
        return list(session.scalars(select(model).order_by(model.id.desc()).limit(limit)))


def kept_run(engine: Engine, model: type[Run], run_id: int) -> Run | None:
    with Session(engine, expire_on_commit=False) as session:
        return session.get(model, run_id)


def produced_rows(
    engine: Engine,
    model: type[Base],
    run_id: int,
    schema: pa.Schema,
    order_by: Sequence[str] = (),
) -> pa.Table:
    """The ``schema`` columns of the rows of ``model`` a run produced, in ``order_by``."""
    table = table_of(model)
    with engine.connect() as conn:
        rows = conn.execute(
            select(*(table.c[name] for name in schema.names))
            .where(table.c.run_id == run_id)
            .order_by(*(table.c[name] for name in order_by))
        ).all()
    return pa.Table.from_pylist([dict(row._mapping) for row in rows], schema=schema)


def forget_run(engine: Engine, model: type[Run], run_id: int) -> None:
    """Delete a run and the rows it produced (those first: their foreign keys cascade only
    where the connection enforces foreign keys), on PostgreSQL by dropping their partitions."""
    with engine.begin() as conn:
        for table in produced_tables(table_of(model)):
            if by_partition(conn, table):
                drop_partition(conn, table, run_id)
            else:
                conn.execute(delete(table).where(table.c.run_id == run_id))
        conn.execute(delete(model).where(model.id == run_id))
