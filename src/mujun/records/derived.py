"""Derived values follow facts written through the ORM (tests build their records so): a
session that flushed a fact a derived value depends on refreshes the derived values before it
commits. How they are computed is the analytics layer's
(:func:`mujun.analytics.derived.refresh`), which plugs it in at start-up
(:func:`mujun.analytics.derived.follow_orm_writes`: the command line, the web application, the
tests); the records never import it. A session that wrote such facts in a process where nothing
was plugged in fails to commit rather than leave the derived values stale. The importer, which
writes facts through SQLAlchemy Core, refreshes them itself."""

from collections.abc import Callable
from itertools import chain
from typing import Any

from sqlalchemy import Connection, event
from sqlalchemy.orm import Session

from mujun.records.base import Base

DERIVED_FROM = frozenset({"jurisdictions", "enterprises", "parcels", "land_occupancy", "buildings"})
"""The tables a derived value depends on (:data:`mujun.analytics.derived.SOURCES`)."""
_CHANGED = "facts_changed"

Refresh = Callable[[Connection], None]
"""Brings every derived value up to date with the facts, inside the connection's transaction."""
_REFRESH: list[Refresh] = []


class DerivedValuesNotFollowedError(RuntimeError):
    """Facts were written through the ORM in a process that never plugged in the refresh."""

    def __init__(self) -> None:
        super().__init__(
            "facts written with no refresh of their derived values plugged in: call "
            "mujun.analytics.derived.follow_orm_writes() at start-up"
        )


def refresh_derived_with(refresh: Refresh) -> None:
    """Have every ORM session that wrote facts call ``refresh`` before it commits (replacing
    any refresh plugged in before)."""
    _REFRESH[:] = [refresh]


def derived_refresh() -> Refresh | None:
    """The refresh plugged in, if any."""
    return _REFRESH[0] if _REFRESH else None


@event.listens_for(Session, "after_flush")
def note_fact_writes(session: Session, _context: Any) -> None:
    """Remember that the session wrote facts a derived value depends on."""
    written = chain(session.new, session.dirty, session.deleted)
    if any(isinstance(o, Base) and o.__tablename__ in DERIVED_FROM for o in written):
        session.info[_CHANGED] = True


@event.listens_for(Session, "before_commit")
def refresh_derived(session: Session) -> None:
    """Refresh the derived values in the committing transaction, after facts were written."""
    session.flush()
    if session.info.pop(_CHANGED, False):
        refresh = derived_refresh()
        if refresh is None:
            raise DerivedValuesNotFollowedError
        refresh(session.connection())
