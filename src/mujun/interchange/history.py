"""A record's history: every change logged of it and of the records that belong to it (a
parcel's construction; an enterprise's figures, occupancy, legal events and compliance), and
the imports that inserted them, newest first.

An import names itself on each record it inserts instead of logging it
(:class:`~mujun.records.fields.Imported`): its inserts are told here per table, with the
number of records and the file or sheet they came from, which the import kept.
"""

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import ColumnElement, SQLColumnExpression, func, or_, select
from sqlalchemy.orm import Session

from mujun.interchange.schema import TableSpec, table, tables
from mujun.records import Change, DataImport
from mujun.records.base import aware
from mujun.records.changes import KEY_SEPARATOR
from mujun.records.fields import IMPORTED_BY
from mujun.records.vocabulary import ChangeAction

LIMIT = 200
"""At most this many entries."""


@dataclass(frozen=True)
class Entry:
    """One change of a record, or one import's inserts of a table's records."""

    at: dt.datetime
    actor: str
    table: str
    table_zh: str
    action: str
    """:class:`~mujun.records.vocabulary.ChangeAction`'s value."""
    records: int
    """How many records (1 but for an import's inserts of the records that belong to one)."""
    reason: str
    import_id: int | None
    source: str | None
    """The file or sheet of the import the table came from."""


def history_of(db: Session, table_name: str, key: str) -> list[Entry]:
    """The history of the record of ``table_name`` keyed ``key`` and of the records that
    belong to it, newest first, at most :data:`LIMIT` entries."""
    logged = db.scalars(
        select(Change)
        .where(
            or_(
                (Change.table_name == table_name) & (Change.object_key == key),
                _begins_with(Change.object_key, f"{key}{KEY_SEPARATOR}"),
            )
        )
        .order_by(Change.id.desc())
        .limit(LIMIT)
    ).all()
    inserted = _imported(db, table_name, key)
    imports = _imports(db, {c.import_id for c in logged} | {number for number, _, _ in inserted})
    entries = [
        Entry(
            at=aware(c.changed_at),
            actor=c.actor,
            table=c.table_name,
            table_zh=table(c.table_name).label_zh,
            action=c.action,
            records=1,
            reason=c.reason or "",
            import_id=c.import_id,
            source=_source(imports.get(c.import_id), c.table_name),
        )
        for c in logged
    ]
    for number, name, count in inserted:
        done = imports[number]
        entries.append(
            Entry(
                at=aware(done.finished_at),
                actor=done.actor,
                table=name,
                table_zh=table(name).label_zh,
                action=ChangeAction.INSERT.value,
                records=count,
                reason=done.reason or "",
                import_id=number,
                source=_source(done, name),
            )
        )
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries[:LIMIT]


def _imported(db: Session, table_name: str, key: str) -> list[tuple[int, str, int]]:
    """The imports that inserted the record or records belonging to it, by table: (import,
    table, how many records)."""
    found: list[tuple[int, str, int]] = []
    for spec, where in _belonging(table_name, key):
        imported_by = spec.table.c[IMPORTED_BY]
        rows = db.execute(
            select(imported_by, func.count())
            .where(where, imported_by.is_not(None))
            .group_by(imported_by)
        )
        found += [(number, spec.name, count) for number, count in rows]
    return found


def _belonging(table_name: str, key: str) -> list[tuple[TableSpec, ColumnElement[bool]]]:
    """The record itself, and the tables whose key begins with a reference to its table (as
    its change rows' keys begin with its key), each with the condition that selects them."""
    own = table(table_name)
    found: list[tuple[TableSpec, ColumnElement[bool]]] = []
    if len(own.key) == 1:
        found.append((own, own.table.c[own.key[0]] == key))
    for spec in tables():
        first = spec.column(spec.key[0])
        if len(spec.key) > 1 and first.field.references == table_name:
            found.append((spec, spec.table.c[first.name] == key))
    return found


def _imports(db: Session, numbers: set[int | None]) -> dict[int | None, DataImport]:
    wanted = sorted(n for n in numbers if n is not None)
    if not wanted:
        return {}
    return {d.id: d for d in db.scalars(select(DataImport).where(DataImport.id.in_(wanted)))}


def _source(done: DataImport | None, table_name: str) -> str | None:
    return None if done is None else (done.sources or {}).get(table_name)


def _begins_with(column: SQLColumnExpression[str], prefix: str) -> ColumnElement[bool]:
    """``column LIKE 'prefix%'`` with the pattern made here, not in SQL (as ``startswith``
    does), so that PostgreSQL sees a constant prefix and answers from an index."""
    escaped = prefix.replace("/", "//").replace("%", "/%").replace("_", "/_")
    return column.like(f"{escaped}%", escape="/")
