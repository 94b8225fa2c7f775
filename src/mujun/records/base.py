"""The declarative base every records model derives from."""

import datetime as dt

from sqlalchemy import Connection, MetaData, Table
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

BY_RUN = {"postgresql_partition_by": "LIST (run_id)"}
"""The table options of a table of a run's rows: on PostgreSQL, one partition per run
(:mod:`mujun.records.partitions`)."""


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def table_of(model: type[Base]) -> Table:
    """The table a model maps (typed as a Table, which every model here is)."""
    table = model.__table__
    assert isinstance(table, Table)
    return table


def referred_tables(table: Table) -> set[Table]:
    """The tables ``table``'s foreign keys refer to, other than itself."""
    return {key.column.table for key in table.foreign_keys} - {table}


def quoted(conn: Connection, name: str) -> str:
    """``name`` as an identifier in the SQL of ``conn``'s database."""
    return conn.dialect.identifier_preparer.quote(name)


def aware(moment: dt.datetime) -> dt.datetime:
    """A stored moment in UTC: SQLite hands back naive UTC times, PostgreSQL aware ones."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
