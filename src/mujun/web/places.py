"""Names instead of codes: ``{{ place("330122") }}`` in a template is 桐庐县.

The jurisdictions table (city, counties, towns, parks) is read once per state of the records
(:func:`mujun.web.data_version.data_version`) and kept in memory; a request asks for that state
once, however many names its page shows.
"""

import threading
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from jinja2 import pass_context
from jinja2.runtime import Context
from sqlalchemy import select
from sqlalchemy.orm import Session

from mujun.records import Jurisdiction
from mujun.records.accounts import Account
from mujun.web.data_version import DataVersion, data_version

_LOCK = threading.Lock()


@dataclass(frozen=True)
class Places:
    """The jurisdictions: every name by its code, and the counties in code order."""

    names: dict[str, str]
    counties: list[tuple[str, str]]
    parks: list[tuple[str, str, str | None]]
    """Each park's code, name and county."""


_KEPT: dict[str, tuple[DataVersion, Places]] = {}


def places(request: Request) -> Places:
    """The jurisdictions as the records hold them now."""
    known: Places | None = getattr(request.state, "places", None)
    if known is not None:
        return known
    engine = request.app.state.engine
    with Session(engine) as db:
        version = data_version(db)
        kept = _KEPT.get(version[0])
        if kept is not None and kept[0] == version:
            found = kept[1]
        else:
            rows = db.execute(
                select(
                    Jurisdiction.code,
                    Jurisdiction.name,
                    Jurisdiction.level,
                    Jurisdiction.county_code,
                ).order_by(Jurisdiction.code)
            ).all()
            found = Places(
                names={code: name for code, name, _, _ in rows},
                counties=[(code, name) for code, name, level, _ in rows if level == "county"],
                parks=[
                    (code, name, county) for code, name, level, county in rows if level == "park"
                ],
            )
            with _LOCK:
                _KEPT[version[0]] = (version, found)
    request.state.places = found
    return found


@pass_context
def place(context: Context, code: Any) -> str:
    """The name of the jurisdiction ``code``; the code itself when the records have no such
    one, and a dash for none."""
    if code is None or code == "":
        return "—"
    return places(context["request"]).names.get(str(code), str(code))


@pass_context
def county_choices(context: Context, account: Account) -> list[tuple[str, str]]:
    """The counties a filter may offer ``account``: its own, or every county of the records."""
    counties = places(context["request"]).counties
    if account.county_code:
        return [(code, name) for code, name in counties if code == account.county_code] or [
            (account.county_code, account.county_code)
        ]
    return counties


@pass_context
def park_choices(context: Context, account: Account, county: str = "") -> list[tuple[str, str]]:
    """The parks a filter may offer ``account``: those of its county, or of ``county`` when one
    is chosen, or every park."""
    within = account.county_code or county
    return [
        (code, name)
        for code, name, park_county in places(context["request"]).parks
        if not within or park_county == within
    ]
