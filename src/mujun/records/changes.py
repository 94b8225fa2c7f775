"""The change log: every insert, update and delete of a record, with who, when, why and from
which import, and the values before and after (after NetBox's ``ObjectChange``).

An import (:mod:`mujun.interchange.importer`) logs each record it updates with the values
before and after; a record it inserts names the import in its ``imported_by`` column
(:class:`~mujun.records.fields.Imported`), and the import keeps the files it read, rather than a
change row with a full snapshot each. Changes made through the ORM are logged by
:func:`log_orm_changes`, and many records are inserted or updated in a few statements with their
change rows, logged as the ORM would log them, by :func:`insert_logged` and
:func:`update_logged`: no path writes unlogged. So the facts were last written by the latest
import or the latest change of a fact table, whichever is later (:func:`facts_written_at`).
"""

import datetime as dt
import getpass
import os
from collections.abc import Collection, Iterator, Mapping, Sequence
from typing import Any, TypeVar

from sqlalchemy import (
    JSON,
    ColumnElement,
    Connection,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    bindparam,
    event,
    insert,
    inspect,
    literal,
    select,
    tuple_,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.orm.attributes import set_committed_value

from mujun.records.base import Base, aware, table_of
from mujun.records.fields import is_fact
from mujun.records.vocabulary import ChangeAction

KEY_SEPARATOR = "|"
SECRET = "(not logged)"
"""What the change log shows for a column marked ``info={"secret": True}`` (password hashes)."""


class DataImport(Base):
    """One committed import of a data set."""

    __tablename__ = "imports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(128))
    source: Mapped[str] = mapped_column(Text)
    fingerprint: Mapped[str] = mapped_column(String(64), index=True)
    counts: Mapped[dict[str, dict[str, int]]] = mapped_column(JSON)
    reason: Mapped[str | None] = mapped_column(Text)
    sources: Mapped[dict[str, str] | None] = mapped_column(JSON)
    """Where each table written came from: its file, or the workbook and sheet
    (``data.xlsx » 宗地``), as the import's problems name them."""
    supplied: Mapped[dict[str, list[str]] | None] = mapped_column(JSON)
    """Each table read, with the interchange columns its file or sheet has."""
    settled_change: Mapped[int | None] = mapped_column(Integer)
    """The latest change-log row when the import began to read the records, every row up to
    it committed (null where writers under way did not end in time): with no change of a fact
    after it but the import's own, and no import after this one, the records are as the
    import left them, and the same data set imported again would change nothing."""


class Change(Base):
    """One mutation of one record."""

    __tablename__ = "change_log"
    __table_args__ = (
        Index("ix_change_log_object", "table_name", "object_key"),
        # A record's related records are found by the beginning of their key (a parcel's
        # construction, an enterprise's figures): PostgreSQL answers LIKE 'key|%' from this
        # index whatever the database's collation.
        Index(
            "ix_change_log_object_key_prefix",
            "object_key",
            postgresql_ops={"object_key": "text_pattern_ops"},
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    changed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(128))
    import_id: Mapped[int | None] = mapped_column(ForeignKey("imports.id"), index=True)
    table_name: Mapped[str] = mapped_column(String(64))
    object_key: Mapped[str] = mapped_column(Text)
    action: Mapped[str] = mapped_column(String(8))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    reason: Mapped[str | None] = mapped_column(Text)


UNLOGGED_TABLES = frozenset(
    {
        "change_log",
        "imports",
        "import_files",
        "import_file_pieces",
        "audit_log",
        "web_sessions",
        "jobs",
        "enterprise_counties",
    }
)


def changed_one_of(tables: Collection[str]) -> ColumnElement[bool]:
    """A change-log row is of one of ``tables``: to be asked with a range or an order of the
    log's key (the latest change of the facts, any since a given one). Written as
    ``table_name || '' IN (…)`` so that the database walks the log by its key from the end or
    from the given row, rather than every row of those tables through the index on
    (table_name, object_key) and a sort (2.6 s at a province's 7 million rows on SQLite,
    against a millisecond)."""
    return (Change.table_name + literal("")).in_(sorted(tables))


def facts_written_at(conn: Connection | Session, tables: Collection[str]) -> dt.datetime | None:
    """When a fact of ``tables`` was last written: the latest import's end, or the latest
    logged change of one of them if later (each read from the end of its table's key)."""
    imports, log = table_of(DataImport), table_of(Change)
    moments = [
        conn.execute(select(imports.c.finished_at).order_by(imports.c.id.desc()).limit(1)).scalar(),
        conn.execute(
            select(log.c.changed_at)
            .where(changed_one_of(tables))
            .order_by(log.c.id.desc())
            .limit(1)
        ).scalar(),
    ]
    known = [aware(m) for m in moments if m is not None]
    return max(known, default=None)


def current_actor() -> str:
    """Who is making changes: ``MUJUN_ACTOR`` if set, else the operating-system user."""
    return os.environ.get("MUJUN_ACTOR") or getpass.getuser()


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def _snapshot(obj: Base, *, committed: bool) -> dict[str, Any]:
    """The record's column values: as stored (``committed``) or as about to be flushed."""
    state = inspect(obj)
    values: dict[str, Any] = {}
    for attr in state.mapper.column_attrs:
        if not is_fact(attr.columns[0]):
            continue
        if attr.columns[0].info.get("secret"):
            values[attr.key] = SECRET
            continue
        if committed:
            history = state.attrs[attr.key].load_history()
            value = (history.deleted or history.unchanged or [None])[0]
        else:
            value = getattr(obj, attr.key)
        values[attr.key] = _plain(value)
    return values


def _object_key(obj: Base) -> str:
    identity = inspect(obj).mapper.primary_key_from_instance(obj)
    return KEY_SEPARATOR.join(str(_plain(part)) for part in identity)


@event.listens_for(Session, "before_flush")
def log_orm_changes(session: Session, _context: Any, _instances: Any) -> None:
    """Add a :class:`Change` for every record the flush inserts, updates or deletes.

    The actor and reason come from ``session.info`` (``actor``, ``reason``) when the caller
    set them.
    """
    actor = session.info.get("actor") or current_actor()
    reason = session.info.get("reason")
    at = now()

    session_changes: list[Change] = []

    def record(obj: Base, action: ChangeAction, before: Any, after: Any) -> None:
        change = Change(
            changed_at=at,
            actor=actor,
            import_id=session.info.get("import_id"),
            table_name=obj.__tablename__,
            object_key=_object_key(obj),
            action=action,
            before=before,
            after=after,
            reason=reason,
        )
        session_changes.append(change)
        session.add(change)

    for obj in list(session.new):
        if _is_logged(obj):
            record(obj, ChangeAction.INSERT, None, _snapshot(obj, committed=False))
            if _numbered_by_the_database(obj):
                session.info.setdefault(UNNUMBERED, []).append((session_changes[-1], obj))
    for obj in list(session.dirty):
        if _is_logged(obj) and session.is_modified(obj, include_collections=False):
            before = _snapshot(obj, committed=True)
            after = _snapshot(obj, committed=False)
            if before != after:
                record(obj, ChangeAction.UPDATE, before, after)
    for obj in list(session.deleted):
        if _is_logged(obj):
            record(obj, ChangeAction.DELETE, _snapshot(obj, committed=True), None)


def insert_logged(
    conn: Connection,
    model: type[Base],
    rows: Sequence[Mapping[str, Any]],
    *,
    actor: str,
    reason: str | None,
    numbered: bool = False,
) -> list[int]:
    """Insert many ``rows`` of ``model`` in a few statements, each with its change-log row (as
    the ORM would log them, at a fraction of the cost); with ``numbered``, the database numbers
    them and their numbers are returned, in order."""
    if not rows:
        return []
    table = table_of(model)
    ids: list[int] = []
    if numbered:
        (key_column,) = table.primary_key.columns
        statement = insert(table).returning(key_column, sort_by_parameter_order=True)
        ids = [row[0] for row in conn.execute(statement, list(rows))]
        rows = [{**row, key_column.name: number} for row, number in zip(rows, ids, strict=True)]
    else:
        conn.execute(insert(table), list(rows))
    at = now()
    conn.execute(
        insert(table_of(Change)),
        [
            _change_row(
                table,
                row,
                ChangeAction.INSERT,
                None,
                _logged(table, row),
                at=at,
                actor=actor,
                reason=reason,
            )
            for row in rows
        ],
    )
    return ids


def update_logged(
    conn: Connection,
    model: type[Base],
    changes: Mapping[Any, Mapping[str, Any]],
    *,
    actor: str,
    reason: str | None,
) -> None:
    """Set new values on many records of ``model`` in a few statements, each record changed
    with its change-log row as the ORM would log it (:func:`log_orm_changes`), at a fraction
    of the cost. ``changes`` maps a record's key (a tuple where the key has several columns)
    to its new values by column name; the values before are read in chunks. A record that
    already holds the values given is neither written nor logged, as with the ORM."""
    table = table_of(model)
    stored = _stored(conn, table, sorted(changes))
    missing = changes.keys() - stored.keys()
    if missing:
        raise LookupError(f"{table.name}: no record {sorted(missing)[0]!r}")
    columns = sorted({name for values in changes.values() for name in values})
    written: list[dict[str, Any]] = []
    log: list[dict[str, Any]] = []
    at = now()
    for key, values in changes.items():
        before = stored[key]
        after = {**before, **values}
        if after == before:
            continue
        written.append(after)
        logged_before, logged_after = _logged(table, before), _logged(table, after)
        if logged_after != logged_before:
            log.append(
                _change_row(
                    table,
                    after,
                    ChangeAction.UPDATE,
                    logged_before,
                    logged_after,
                    at=at,
                    actor=actor,
                    reason=reason,
                )
            )
    if written:
        keys = table.primary_key.columns
        statement = (
            update(table)
            .where(*(k == bindparam(f"key_{k.name}") for k in keys))
            .values({name: bindparam(f"new_{name}") for name in columns})
        )
        conn.execute(
            statement,
            [
                {f"key_{k.name}": row[k.name] for k in keys}
                | {f"new_{name}": row[name] for name in columns}
                for row in written
            ],
        )
    if log:
        conn.execute(insert(table_of(Change)), log)


T = TypeVar("T")


def chunks(items: Sequence[T], size: int = 500) -> Iterator[Sequence[T]]:
    """``items`` in slices small enough for one ``IN (…)``."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _stored(conn: Connection, table: Table, keys: Sequence[Any]) -> dict[Any, dict[str, Any]]:
    """The records of ``table`` with these keys (tuples where the key has several columns),
    as stored, locked until the transaction ends where the database can lock rows."""
    columns = list(table.primary_key.columns)
    named = tuple_(*columns) if len(columns) > 1 else columns[0]
    found: dict[Any, dict[str, Any]] = {}
    for chunk in chunks(keys):
        for row in conn.execute(select(table).where(named.in_(chunk)).with_for_update()):
            values = dict(row._mapping)
            key = tuple(values[c.name] for c in columns)
            found[key if len(columns) > 1 else key[0]] = values
    return found


def _logged(table: Table, row: Mapping[str, Any]) -> dict[str, Any]:
    """A record's values as the change log shows them (as :func:`_snapshot` does)."""
    return {
        c.name: SECRET if c.info.get("secret") else _plain(row.get(c.name))
        for c in table.columns
        if is_fact(c)
    }


def _change_row(
    table: Table,
    row: Mapping[str, Any],
    action: ChangeAction,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    *,
    at: dt.datetime,
    actor: str,
    reason: str | None,
) -> dict[str, Any]:
    """The change-log row of one record written in bulk."""
    return {
        "changed_at": at,
        "actor": actor,
        "import_id": None,
        "table_name": table.name,
        "object_key": KEY_SEPARATOR.join(
            str(_plain(row[k.name])) for k in table.primary_key.columns
        ),
        "action": action.value,
        "before": before,
        "after": after,
        "reason": reason,
    }


UNNUMBERED = "mujun.changes.unnumbered"
"""``session.info`` key: the inserts whose key the database gives (an autoincrement number)
and their change rows, written before the number was known."""


def _numbered_by_the_database(obj: Base) -> bool:
    return any(part is None for part in inspect(obj).mapper.primary_key_from_instance(obj))


@event.listens_for(Session, "after_flush")
def key_numbered_inserts(session: Session, _context: Any) -> None:
    """Give the change rows of records numbered by the database in this flush their key and
    number, now that the database has given them (one statement for all)."""
    pending: list[tuple[Change, Base]] = session.info.pop(UNNUMBERED, [])
    if not pending:
        return
    updates = []
    for change, obj in pending:
        key = _object_key(obj)
        after = _snapshot(obj, committed=False)
        updates.append({"change_id": change.id, "key": key, "after": after})
        set_committed_value(change, "object_key", key)
        set_committed_value(change, "after", after)
    table = table_of(Change)
    session.connection().execute(
        update(table)
        .where(table.c.id == bindparam("change_id"))
        .values(object_key=bindparam("key"), after=bindparam("after")),
        updates,
    )


def _is_logged(obj: object) -> bool:
    """Every record but the logs themselves and the sessions of the web application."""
    return isinstance(obj, Base) and obj.__tablename__ not in UNLOGGED_TABLES
