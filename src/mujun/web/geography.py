"""Which county each jurisdiction lies in, for scoping web queries (the jurisdictions table is
small: a province has about a thousand)."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from mujun.records import Jurisdiction


def county_of_each(session: Session) -> dict[str, str | None]:
    """Jurisdiction code → the code of the county it lies in (or is)."""
    rows = session.execute(
        select(Jurisdiction.code, Jurisdiction.parent_code, Jurisdiction.level)
    ).all()
    parent = {code: up for code, up, _ in rows}
    level = {code: lvl for code, _, lvl in rows}
    found: dict[str, str | None] = {}
    for code in parent:
        at: str | None = code
        seen: set[str] = set()
        while at is not None and at not in seen and level.get(at) != "county":
            seen.add(at)
            at = parent.get(at)
        found[code] = at if at is not None and level.get(at) == "county" else None
    return found


def codes_in(session: Session, counties: frozenset[str]) -> list[str]:
    """Every jurisdiction code that lies in one of ``counties``."""
    return sorted(code for code, county in county_of_each(session).items() if county in counties)
