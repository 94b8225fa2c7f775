"""A rule's expression run over a few rows in memory, without loading the facts: for a page that
needs the rule's answer about one enterprise, or over rows read from kept runs. The expression
is built over unbound tables and compiled once; each use registers its rows in a cursor of one
in-memory DuckDB (about 5 ms) and runs the compiled query."""

from collections.abc import Callable, Mapping
from functools import cache
from typing import Protocol

import duckdb
import ibis
import ibis.expr.types as ir
import pyarrow as pa

Schemas = tuple[tuple[str, tuple[tuple[str, str], ...]], ...]
"""Per table its columns and their Ibis types, e.g. ``(("grades", (("land_mu", "float64"),)),)``."""


class Tables(Protocol):
    """Tables by name: :class:`~mujun.analytics.facts.Facts`, or unbound ones."""

    def __getitem__(self, name: str, /) -> ir.Table: ...


def run_in_memory(
    build: Callable[[Tables], ir.Table], schemas: Schemas, rows: Mapping[str, pa.Table]
) -> pa.Table:
    """``build`` over ``rows`` (a table of each of ``schemas``, its columns at least)."""
    cursor = _in_memory().cursor()
    try:
        for name, columns in schemas:
            types = ibis.schema(dict(columns)).to_pyarrow()
            cursor.register(name, rows[name].select(list(types.names)).cast(types))
        found: pa.Table = cursor.sql(_compiled(build, schemas)).to_arrow_table()
        return found
    finally:
        cursor.close()


@cache
def _compiled(build: Callable[[Tables], ir.Table], schemas: Schemas) -> str:
    unbound = {name: ibis.table(dict(columns), name=name) for name, columns in schemas}
    return str(ibis.to_sql(build(unbound), dialect="duckdb"))


@cache
def _in_memory() -> duckdb.DuckDBPyConnection:
    """One in-memory DuckDB for the process; each use takes a cursor of its own (threads may
    not share one)."""
    return duckdb.connect()
