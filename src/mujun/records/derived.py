"""Derived values follow facts written through the ORM (tests build their records so): a
session that flushed a fact a derived value depends on refreshes the derived values before it
commits (:func:`mujun.analytics.derived.refresh`). The importer, which writes facts through
SQLAlchemy Core, refreshes them itself."""

from itertools import chain
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from mujun.records.base import Base

DERIVED_FROM = frozenset({"jurisdictions", "enterprises", "parcels", "land_occupancy", "buildings"})
"""The tables a derived value depends on (:data:`mujun.analytics.derived.SOURCES`)."""
_CHANGED = "facts_changed"


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
        # Imported here: the analytics layer reads the records, so it cannot be imported
        # while they are.
        from mujun.analytics.derived import refresh  # noqa: PLC0415

        refresh(session.connection())
