"""The records, loaded into an in-process DuckDB as Ibis tables, with a fingerprint of what
was read.

Every table of the interchange format is copied once from the records database (SQLite or
PostgreSQL) through Arrow, without geometries. Of the monthly metrics, the largest table, only
the columns a caller asks for are read (identification reads none; the evaluation reads the
electricity). The fingerprint hashes every row read, so a run can say exactly which data it
judged and two runs can tell whether their data were the same.
"""

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa
from sqlalchemy import Engine, Table

from mujun.progress import Progress, silent
from mujun.records import DATA_MODELS, MonthlyMetric, table_of
from mujun.records.bulk import arrow_schema
from mujun.records.fields import is_derived
from mujun.records.snapshot import read_snapshot

SKIPPED_COLUMNS = frozenset({"geometry_wkt"})
MONTHLY = table_of(MonthlyMetric)
MONTHLY_KEY = ("credit_code", "month")
MEMORY_LIMIT = "3GB"


@dataclass(frozen=True)
class Facts:
    """The records as Ibis tables of one DuckDB connection."""

    backend: Any  # ibis.backends.duckdb.Backend (Ibis ships no type stubs for it)
    tables: Mapping[str, ir.Table]
    fingerprint: str
    rows: Mapping[str, int]
    kept: dict[str, ir.Table] = field(default_factory=dict)

    def __getitem__(self, name: str) -> ir.Table:
        return self.tables[name]

    def keep(self, name: str, expression: ir.Table) -> ir.Table:
        """Compute an intermediate table once and keep it for the rest of the run."""
        self.backend.con.execute(f'DROP TABLE IF EXISTS "{name}"')
        return self.backend.create_table(name, expression, temp=True)

    def derived(self, name: str, build: Callable[[], ir.Table]) -> ir.Table:
        """A table that depends on the facts alone (no parameter), computed on first use and
        kept for as long as the facts are."""
        if name not in self.kept:
            self.kept[name] = self.keep(name, build())
        return self.kept[name]

    def close(self) -> None:
        self.backend.disconnect()


def load_facts(
    engine: Engine, *, monthly: Sequence[str] = (), on_progress: Progress = silent
) -> Facts:
    """Read the records database into a fresh in-process DuckDB, with the ``monthly`` columns
    of the monthly metrics (besides their key) if any are asked for."""
    wanted = _wanted(monthly)
    return _facts(read_snapshot(engine, wanted), len(wanted), on_progress)


def facts_from_arrow(tables: Mapping[str, pa.Table], *, monthly: Sequence[str] = ()) -> Facts:
    """Facts from tables in memory (rule cases, tests); a table not given is empty, a column
    not given is unknown."""
    wanted = _wanted(monthly)
    return _facts(
        (
            (table.name, _conformed(table, columns, tables.get(table.name)))
            for table, columns in wanted
        ),
        len(wanted),
    )


def _wanted(monthly: Sequence[str]) -> list[tuple[Table, list[str]]]:
    tables = [table_of(m) for m in DATA_MODELS]
    wanted = [(t, _columns(t)) for t in tables if t is not MONTHLY]
    if monthly:
        wanted.append((MONTHLY, [*MONTHLY_KEY, *monthly]))
    return wanted


def _columns(table: Table) -> list[str]:
    """The facts of ``table``: neither geometries nor columns derived from the facts."""
    return [c.name for c in table.columns if c.name not in SKIPPED_COLUMNS and not is_derived(c)]


def _facts(
    sources: Iterable[tuple[str, pa.Table]], expected: int, on_progress: Progress = silent
) -> Facts:
    backend = ibis.duckdb.connect()
    backend.con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
    backend.con.execute("SET enable_progress_bar = false")
    digest = hashlib.sha256()
    rows: dict[str, int] = {}
    for index, (name, data) in enumerate(sources):
        on_progress(f"read {name}", index / expected)
        backend.con.register("incoming", data)
        backend.con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM incoming')
        backend.con.unregister("incoming")
        count, hashed = backend.con.execute(
            f'SELECT count(*), coalesce(bit_xor(hash(t)), 0) FROM "{name}" t'
        ).fetchall()[0]
        digest.update(f"{name}:{count}:{hashed};".encode())
        rows[name] = int(count)
    on_progress("read", 1.0)
    tables = {name: backend.table(name) for name in rows}
    return Facts(backend=backend, tables=tables, fingerprint=digest.hexdigest(), rows=rows)


def _conformed(table: Table, columns: Sequence[str], data: pa.Table | None) -> pa.Table:
    schema = arrow_schema(table, columns)
    if data is None:
        return schema.empty_table()
    arrays = [
        data[field.name].cast(field.type)
        if field.name in data.column_names
        else pa.nulls(data.num_rows, field.type)
        for field in schema
    ]
    return pa.Table.from_arrays(arrays, schema=schema)
