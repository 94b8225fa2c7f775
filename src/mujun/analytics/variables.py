"""Values a run sets on its DuckDB connection, which its statements read as constants
(``getvariable``): what differs between the runs of one plan (:mod:`mujun.analytics.plans`)
without changing a word of its statements, such as the day judged or a benchmark taken from
the data. DuckDB reads a variable when it binds a statement, as it would a literal."""

import datetime as dt

import duckdb
import ibis
import ibis.expr.types as ir

Value = dt.date | float
"""What a variable holds: a day, or a number (a double)."""


def _day(name: str) -> dt.date:  # type: ignore[empty-body]
    """DuckDB's ``getvariable``, read as a date."""


def _number(name: str) -> float:  # type: ignore[empty-body]
    """DuckDB's ``getvariable``, read as a double."""


_DAY = ibis.udf.scalar.builtin(_day, name="getvariable")
_NUMBER = ibis.udf.scalar.builtin(_number, name="getvariable")


def day(name: str) -> ir.DateValue:
    """The day set as ``name`` (:func:`set_variable`)."""
    value: ir.DateValue = _DAY(name)
    return value.name(name)


def number(name: str) -> ir.FloatingValue:
    """The number set as ``name`` (:func:`set_variable`)."""
    value: ir.FloatingValue = _NUMBER(name)
    return value.name(name)


def set_variable(con: duckdb.DuckDBPyConnection, name: str, value: Value) -> None:
    """Set ``name`` to ``value`` for the statements ``con`` runs from now on."""
    literal = (
        f"DATE '{value.isoformat()}'"
        if isinstance(value, dt.date)
        else f"CAST({float(value)!r} AS DOUBLE)"
    )
    con.execute(f'SET VARIABLE "{name}" = {literal}')


AS_OF = day("as_of")
"""The day a run judges as of, as its statements read it (set as the run's
:class:`~mujun.identification.judgement.Context` is made): no statement holds the date, so one
plan serves every day of a year."""
