"""The records, as Ibis tables of an in-process DuckDB, with a fingerprint of what was read.

Every table of the interchange format, without geometries, is read from the records' columnar
copy (:mod:`mujun.records.columnar`), which the DuckDB attaches: a run reads only the columns
its queries touch, and the copy is made again only when facts changed. Of the monthly metrics,
the largest table, only the columns a caller asks for are offered (identification reads none;
the evaluation reads the electricity). Rule cases and tests give their tables in memory
instead (:func:`facts_from_arrow`). The fingerprint hashes every row offered, so a run
can say exactly which data it judged and two runs can tell whether their data were the same;
a copy's digests are computed by the first run on it and kept beside it for the next ones
(:func:`~mujun.records.columnar.read_digests`).
"""

import hashlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import duckdb
import ibis
import ibis.expr.operations as ops
import ibis.expr.types as ir
import pyarrow as pa
from sqlalchemy import Engine, Table

from mujun.analytics.plans import Kind, Plan, PlanError, Statement, planning, variables_read
from mujun.analytics.variables import Value, set_variable
from mujun.arrays import empty
from mujun.progress import Progress, silent
from mujun.records import DATA_MODELS, MonthlyMetric, table_of
from mujun.records.bulk import arrow_schema
from mujun.records.columnar import current_copy, fact_columns, keep_digests, read_digests

MONTHLY = table_of(MonthlyMetric)
MONTHLY_KEY = ("credit_code", "month")
MEMORY_LIMIT = "3GB"


@dataclass(eq=False)
class Facts:
    """The records as Ibis tables of one DuckDB connection; the statements a run sends it
    follow the run's plan while one is set (:meth:`planned`)."""

    con: duckdb.DuckDBPyConnection
    fingerprint: str
    rows: Mapping[str, int]
    offered: Mapping[str, Sequence[str]]
    """The columns of each table, as the statements read them."""
    kept: dict[str, str | None] = field(default_factory=dict)
    """The tables :meth:`derived` made, each with the statement that made it (None: one that
    Ibis sent itself)."""
    plan: Plan | None = None
    _tables: dict[str, ir.Table] = field(default_factory=dict)
    _variables: set[str] = field(default_factory=set)

    @cached_property
    def backend(self) -> Any:  # ibis.backends.duckdb.Backend (Ibis ships no type stubs)
        """Ibis on the facts' connection, made when an expression is first built: a run that
        replays its plan builds none, and loads none of Ibis's compilers."""
        return ibis.duckdb.from_connection(self.con)

    def __getitem__(self, name: str) -> ir.Table:
        if name not in self.offered:
            raise KeyError(name)
        return self._table(name)

    def keep(self, name: str, expression: ir.Table) -> ir.Table:
        """Compute an intermediate table once and keep it for the rest of the run."""
        self._make("table", name, expression)
        return self._table(name)

    def derived(self, name: str, build: Callable[[], ir.Table]) -> ir.Table:
        """A table that depends on the facts alone (no parameter), computed on first use and
        kept for as long as the facts are; a run that finds it made still has it in its plan,
        for the runs that replay it on facts of their own."""
        if name not in self.kept:
            self.kept[name] = self._make("derived", name, build())
        elif self.plan is not None:
            self.plan.record(Statement("derived", name, self.kept[name]))
        return self._table(name)

    def read(self, name: str, build: Callable[[], ir.Table]) -> pa.Table:
        """The rows of the query ``build`` gives, in its order: the plan's query ``name``
        (after the tables made before it) where the plan is replayed, else ``build``'s."""
        if self.plan is not None and self.plan.replaying:
            sql = self._replayable(self.plan.replayed(name, self._replay))
        else:
            expression = build()
            compiled = self._compiled(expression)
            if self.plan is not None:
                self.plan.record(Statement("query", name, compiled))
            if compiled is None:
                return expression.to_pyarrow()
            sql = compiled
        result: pa.Table = self.con.sql(sql).to_arrow_table()
        return result

    @contextmanager
    def planned(self, key: str, *, forbidden: tuple[str, ...] = ()) -> Iterator[None]:
        """Follow the plan kept under ``key`` (:mod:`mujun.analytics.plans`), or record one and
        keep it. Within a planned run (``tonglu/other``'s evaluation), the run's plan goes on."""
        if self.plan is not None:
            yield
            return
        with planning(key, forbidden) as plan:
            self.plan = plan
            try:
                yield
            finally:
                self.plan = None

    def set_variable(self, name: str, value: Value) -> None:
        """Set the variable ``name`` the statements read (:mod:`mujun.analytics.variables`)."""
        set_variable(self.con, name, value)
        self._variables.add(name)

    def close(self) -> None:
        self.con.close()

    def _make(self, kind: Kind, name: str, expression: ir.Table) -> str | None:
        """Make the table ``name`` of ``expression``, recorded in the run's plan if there is
        one; return the statement that made it."""
        sql = self._compiled(expression)
        if self.plan is not None:
            self.plan.record(Statement(kind, name, sql))
        if sql is None:
            self.backend.create_table(name, expression, temp=True, overwrite=True)
            self._tables.pop(name, None)
        else:
            self._create(name, sql)
        return sql

    def _compiled(self, expression: ir.Table) -> str | None:
        """``expression`` as SQL; None where it reads a table made in Python, which Ibis
        sends DuckDB itself before the statement that reads it."""
        if expression.op().find(ops.InMemoryTable):
            return None
        sql: str = self.backend.compile(expression)
        return sql

    def _replay(self, statement: Statement) -> None:
        """Make a table of a replayed plan; a table derived from the facts only once."""
        if statement.kind == "derived":
            if statement.name in self.kept:
                return
            self.kept[statement.name] = statement.sql
        self._create(statement.name, self._replayable(statement))

    def _replayable(self, statement: Statement) -> str:
        """A replayed statement's SQL, once every variable it reads is set: DuckDB would read
        one that is not as null."""
        assert self.plan is not None and statement.sql is not None  # kept only with its SQL
        unset = variables_read(statement) - self._variables
        if unset:
            raise PlanError(
                f"plan {self.plan.key}: {statement.name} reads {', '.join(sorted(unset))}, "
                "which the run did not set"
            )
        return statement.sql

    def _create(self, name: str, sql: str) -> None:
        self.con.execute(f'CREATE OR REPLACE TEMP TABLE "{name}" AS {sql}')
        self._tables.pop(name, None)

    def _table(self, name: str) -> ir.Table:
        if name not in self._tables:
            self._tables[name] = self.backend.table(name)
        return self._tables[name]


def load_facts(
    engine: Engine, *, monthly: Sequence[str] = (), on_progress: Progress = silent
) -> Facts:
    """The records database in a fresh in-process DuckDB, with the ``monthly`` columns of the
    monthly metrics (besides their key) if any are asked for."""
    return _attached(current_copy(engine, on_progress=on_progress), _wanted(monthly))


def facts_from_arrow(tables: Mapping[str, pa.Table], *, monthly: Sequence[str] = ()) -> Facts:
    """Facts from tables in memory (rule cases, tests); a table not given is empty, a column
    not given is unknown."""
    return _facts(
        (table.name, _conformed(table, columns, tables.get(table.name)))
        for table, columns in _wanted(monthly)
    )


def _wanted(monthly: Sequence[str]) -> list[tuple[Table, list[str]]]:
    tables = [table_of(m) for m in DATA_MODELS]
    wanted = [(t, fact_columns(t)) for t in tables if t is not MONTHLY]
    if monthly:
        columns = [*MONTHLY_KEY, *(c for c in monthly if c not in MONTHLY_KEY)]
        wanted.append((MONTHLY, columns))
    return wanted


def _facts(sources: Iterable[tuple[str, pa.Table]]) -> Facts:
    con = _connection()
    offered: list[tuple[str, Sequence[str]]] = []
    for name, data in sources:
        con.register("incoming", data)
        con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM incoming')
        con.unregister("incoming")
        offered.append((name, data.column_names))
    return _fingerprinted(con, offered)


def _attached(copy: Path, wanted: Sequence[tuple[Table, Sequence[str]]]) -> Facts:
    """Facts read from the columnar copy at ``copy``: a view of each table's wanted columns;
    their digests read beside the copy where an earlier run kept them."""
    con = _connection()
    con.execute(f"ATTACH '{copy}' AS copy (READ_ONLY)")
    for table, columns in wanted:
        listed = ", ".join(f'"{c}"' for c in columns)
        con.execute(f'CREATE VIEW "{table.name}" AS SELECT {listed} FROM copy."{table.name}"')
    return _fingerprinted(con, [(table.name, columns) for table, columns in wanted], copy)


def _connection() -> duckdb.DuckDBPyConnection:
    """An in-process DuckDB set as Ibis sets its own (UTC; no Python variable read as a
    table), so that a statement reads the same whether Ibis sends it or a plan does."""
    con = duckdb.connect()
    for setting in (
        f"memory_limit = '{MEMORY_LIMIT}'",
        "enable_progress_bar = false",
        "TimeZone = 'UTC'",
        "python_enable_replacements = false",
    ):
        con.execute(f"SET {setting}")
    return con


def _fingerprinted(
    con: duckdb.DuckDBPyConnection,
    offered: Sequence[tuple[str, Sequence[str]]],
    copy: Path | None = None,
) -> Facts:
    """Facts of the tables ``offered`` of ``con`` (each with its columns), with a digest
    of every row of each: read beside the columnar copy ``copy`` where an earlier run on it
    kept them, else computed (all tables in one query, which DuckDB reads side by side) and
    kept there."""
    known = read_digests(copy) if copy is not None else {}
    key = {name: f"{name}:{','.join(columns)}" for name, columns in offered}
    unknown = [name for name, _ in offered if key[name] not in known]
    if unknown:
        each = " UNION ALL ".join(
            f'SELECT {index} AS n, count(*), coalesce(bit_xor(hash(t)), 0) FROM "{name}" t'
            for index, name in enumerate(unknown)
        )
        for index, count, hashed in con.execute(f"{each} ORDER BY n").fetchall():
            known[key[unknown[index]]] = (int(count), int(hashed))
        if copy is not None:
            keep_digests(copy, known)
    digest = hashlib.sha256()
    rows: dict[str, int] = {}
    for name, _ in offered:
        count, hashed = known[key[name]]
        digest.update(f"{name}:{count}:{hashed};".encode())
        rows[name] = count
    return Facts(
        con=con,
        fingerprint=digest.hexdigest(),
        rows=rows,
        offered={name: list(columns) for name, columns in offered},
    )


def _conformed(table: Table, columns: Sequence[str], data: pa.Table | None) -> pa.Table:
    schema = arrow_schema(table, columns)
    if data is None:
        return empty(schema)
    arrays = [
        data[field.name].cast(field.type)
        if field.name in data.column_names
        else pa.nulls(data.num_rows, field.type)
        for field in schema
    ]
    return pa.Table.from_arrays(arrays, schema=schema)
