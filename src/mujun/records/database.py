"""Where the records live: the URL, the engine, and bringing the schema up to date."""

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    create_engine,
    event,
    inspect,
    text,
)
from sqlalchemy.engine import make_url

if TYPE_CHECKING:
    from alembic.config import Config

DEFAULT_SQLITE_FILE = "mujun.db"
MIGRATIONS = Path(__file__).with_name("migrations")


def resolve_url(url: str | None = None) -> str:
    """The database URL: the one given, else ``MUJUN_DB``, else an SQLite file here.

    ``postgresql://`` is read as psycopg 3, the driver this project ships with.
    """
    chosen = url or os.environ.get("MUJUN_DB") or f"sqlite:///{DEFAULT_SQLITE_FILE}"
    parsed = make_url(chosen)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


SQLITE_PAGE_BYTES = 16384
"""The page size of a new SQLite records file (an existing one keeps its own). Against
SQLite's 4,096 bytes, on the province's records (commands alternating, three rounds each):
an evaluation 7.24–7.28 s → 6.57–6.90 s, an identification of three rules 4.58–4.62 s →
4.20–4.42 s, the import into an empty file 59.1–62.0 s → 56.7–60.7 s (two rounds): a B-tree
of larger pages is shallower and splits less often as the rows of a run or an import go
in."""


def open_engine(url: str | None = None) -> Engine:
    """An engine on the records database; SQLite gets foreign keys and WAL switched on, and a
    new file pages of :data:`SQLITE_PAGE_BYTES`."""
    engine = create_engine(resolve_url(url))
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _configure_sqlite)
    return engine


def _configure_sqlite(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA page_size = {SQLITE_PAGE_BYTES}")  # before WAL writes the file
    cursor.execute("PRAGMA foreign_keys = ON")
    # A file that a bulk write holds in a rollback journal gets its WAL back from that writer
    # (:func:`written_in_place`); a connection opened meanwhile reads it as it is.
    with busy_timeout(dbapi_connection, 0):
        _journal_mode(dbapi_connection, "wal")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.execute("PRAGMA cache_size = -131072")  # up to 128 MiB: bulk imports touch big indexes
    cursor.close()


@contextmanager
def written_in_place(conn: Connection) -> Iterator[bool]:
    """Around a transaction of ``conn`` (begun inside) that writes many new pages to an SQLite
    file, an import's or a kept run's: a rollback journal instead of the write-ahead log while
    no other connection has the file open, the log back after; yields whether it switched (on
    PostgreSQL never).

    In the log every page written goes twice to disk, into the log and, at the checkpoint
    that follows the commit, into the file. A rollback journal keeps only the pages the
    transaction changes, as they were before it, and a page the file did not have has nothing
    to keep: an import into empty records writes its gigabyte once. Alternating with the log,
    three rounds each, on the province's records: the import into an empty file 37.4, 40.8
    and 38.4 s in the log, 34.0, 38.6 and 34.0 s so; ``ankang-2024``'s identification (its
    288,903 findings kept) 9.9, 8.1 and 7.6 s against 8.9, 7.6 and 7.1 s. The transaction is
    as atomic either way. Readers are what it costs, so it is taken only while there are none
    (a server's pooled connections hold the file): one that opens meanwhile reads the file as
    it was until the writer spills its first pages to it, then waits (its busy timeout) until
    the writer has committed, as SQLite's readers did before WAL."""
    if conn.dialect.name != "sqlite":
        yield False
        return
    dbapi = sqlite_driver(conn)
    assert not dbapi.in_transaction
    with busy_timeout(dbapi, 0):  # another connection open: keep the log at once
        switched = _journal_mode(dbapi, "delete")
    try:
        yield switched
    finally:
        if switched:
            _journal_mode(dbapi, "wal")


def sqlite_driver(conn: Connection) -> sqlite3.Connection:
    """The connection of Python's ``sqlite3`` under ``conn``, on an SQLite file."""
    dbapi = conn.connection.dbapi_connection
    assert isinstance(dbapi, sqlite3.Connection)
    return dbapi


@contextmanager
def busy_timeout(dbapi: sqlite3.Connection, milliseconds: int) -> Iterator[None]:
    """Statements that wait at most ``milliseconds`` for a lock another connection holds
    (with 0, fail at once), the connection's own wait restored after."""
    waited = int(dbapi.execute("PRAGMA busy_timeout").fetchone()[0])
    dbapi.execute(f"PRAGMA busy_timeout = {int(milliseconds)}")
    try:
        yield
    finally:
        dbapi.execute(f"PRAGMA busy_timeout = {waited}")


def _journal_mode(dbapi: sqlite3.Connection, mode: str) -> bool:
    """Whether the main file's journal is now ``mode`` (another connection holding the file
    prevents leaving the write-ahead log)."""
    try:
        return bool(dbapi.execute(f"PRAGMA main.journal_mode = {mode}").fetchone()[0] == mode)
    except sqlite3.OperationalError:
        return False


CREATE_DATABASE = (
    "CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8' "
    "LC_COLLATE 'C' LC_CTYPE 'C.UTF-8'"
)
"""How a PostgreSQL records database is made (the README gives it to whoever installs one).
Text is ordered and compared byte by byte (collation C): the order SQLite gives, the same on
both databases, and the cheapest comparison there is. Every code, key and name in an index is
compared so; under a language's collation (even ``C.UTF-8``, which glibc answers through
``strcoll``) a province's run of findings took 6.2–6.8 s to write instead of 4.3 s, and
every index of text is slower to build and to search. Characters are still classified as
Unicode (``LC_CTYPE``)."""


def recreate_database(server_url: str, name: str) -> str:
    """Drop and create the PostgreSQL database ``name`` on the server of ``server_url`` as
    :data:`CREATE_DATABASE` makes one, and return its URL (for tests and benchmarks that need
    a database of their own)."""
    drop_database(server_url, name)
    with _server_admin(server_url) as conn:
        conn.execute(text(CREATE_DATABASE.format(name=name)))
    return (
        make_url(resolve_url(server_url)).set(database=name).render_as_string(hide_password=False)
    )


def drop_database(server_url: str, name: str) -> None:
    """Drop the PostgreSQL database ``name`` if it exists, ending its sessions."""
    with _server_admin(server_url) as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@contextmanager
def _server_admin(server_url: str) -> Iterator[Connection]:
    admin = create_engine(resolve_url(server_url), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            yield conn
    finally:
        admin.dispose()


def alembic_config(engine: Engine) -> "Config":
    from alembic.config import Config  # noqa: PLC0415 (see upgrade)

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine) -> None:
    """Create or upgrade the schema to the newest migration (safe to repeat). A database
    already there is only asked its revision: every command opens the records this way, and
    Alembic would import and read every migration first (half a second of a short command).
    An empty database is given the newest schema at once (:func:`_create_newest`)."""
    revision = stored_revision(engine)
    if revision == newest_revision():
        return
    if revision is None and not inspect(engine).get_table_names():
        _create_newest(engine)
        return
    from alembic import command  # noqa: PLC0415

    command.upgrade(alembic_config(engine), "head")


ALEMBIC_VERSION = Table(
    "alembic_version",
    MetaData(),
    Column("version_num", String(32), nullable=False),
    PrimaryKeyConstraint("version_num", name="alembic_version_pkc"),
)
"""The table where Alembic keeps the revision a database is at, as Alembic makes it (a test
compares the two)."""


def _create_newest(engine: Engine) -> None:
    """Create the models' tables, keys and indexes in an empty database and stamp it with the
    newest revision, in one transaction (Alembic's way of building an up-to-date database
    from scratch). Running every migration in turn builds the same schema, but for the order
    of the columns a migration added to a table (a test holds the two to it), and took
    1.2-1.3 s on SQLite and 1.7-2.2 s on PostgreSQL, against 0.04 s and 0.2 s so. The
    revision is written as :func:`newest_revision` reads it: Alembic would import every
    migration to find it (0.6 s)."""
    from mujun.records import Base  # noqa: PLC0415 (the package imports this module)

    with engine.begin() as conn:
        ddl_in_transaction(conn)
        Base.metadata.create_all(conn)
        ALEMBIC_VERSION.create(conn)
        conn.execute(ALEMBIC_VERSION.insert().values(version_num=newest_revision()))


def ddl_in_transaction(conn: Connection) -> None:
    """Make sure DDL that follows rolls back with the caller's work: Python's sqlite3 begins
    a transaction only before a write and runs DDL outside one, committed at once (the
    importer begins its own, IMMEDIATE; PostgreSQL is in one from the first statement)."""
    if conn.dialect.name == "sqlite" and not sqlite_driver(conn).in_transaction:
        conn.exec_driver_sql("BEGIN")


def newest_revision() -> str:
    """The newest migration's revision. The migrations are numbered in order, one after the
    other, each file named after its revision (``0020_….py`` is revision ``0020``; a test
    holds them to it), so the newest is the highest number."""
    return max(path.name.partition("_")[0] for path in MIGRATIONS.glob("versions/[0-9]*_*.py"))


def stored_revision(engine: Engine) -> str | None:
    """The revision the database's schema is at (None: no schema yet)."""
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
