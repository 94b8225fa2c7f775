"""Reading and writing cases: one case by its number, changes logged as their actor with
their reason, and ``IN (…)`` lists kept short."""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TypeVar

from sqlalchemy.orm import Session

from mujun.disposal.errors import CaseNotFoundError
from mujun.records import Case

T = TypeVar("T")


def chunks(items: Sequence[T], size: int = 500) -> Iterator[Sequence[T]]:
    """``items`` in slices small enough for one ``IN (…)``."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def get_case(db: Session, case_id: int) -> Case:
    case = db.get(Case, case_id)
    if case is None:
        raise CaseNotFoundError(case_id)
    return case


@contextmanager
def logged_as(db: Session, actor: str, reason: str | None) -> Iterator[None]:
    """Changes flushed inside are written to the change log with this actor and reason."""
    saved = dict(db.info)
    db.info.update(actor=actor, reason=reason)
    try:
        yield
        db.flush()
    finally:
        db.info.clear()
        db.info.update(saved)
