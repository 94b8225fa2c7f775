"""The parcel list sorted by holder, read in two parts (parcels with a named holder, the
others): every page is the page of the one order, and each parcel is on exactly one page."""

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from mujun.records import Enterprise, Parcel
from mujun.web import parcels as parcel_api
from tests.web.conftest import COUNTY_A, COUNTY_B, sign_in

HOLDERS = {
    f"{COUNTY_B}001001GB00002": ("91330127MA0000000A", "乙公司"),
    f"{COUNTY_A}001001GB00003": ("91330122MA0000000B", "甲公司"),
    f"{COUNTY_A}001001GB00001": ("91330122MA0000000C", "乙公司"),
}
"""Three parcels of the six with a holder, two holders named alike; the rest have none."""


def _hold(engine: Engine) -> None:
    with Session(engine) as session:
        for parcel_id, (code, name) in HOLDERS.items():
            session.add(Enterprise(credit_code=code, name=name))
            session.flush()
            session.get_one(Parcel, parcel_id).holder_credit_code = code
        session.commit()


def _expected(parcels: list[str], descending: bool) -> list[str]:
    """The order :func:`mujun.web.listing.sorted_by` gives: by name (a parcel without a named
    holder last going up, first going down), then by parcel id."""
    named = [p for p in parcels if p in HOLDERS]
    unnamed = sorted(p for p in parcels if p not in HOLDERS)
    if descending:
        by_name = sorted(sorted(named), key=lambda p: HOLDERS[p][1], reverse=True)
        return unnamed + by_name
    return sorted(named, key=lambda p: (HOLDERS[p][1], p)) + unnamed


@pytest.mark.parametrize("sort", ["holder_name", "-holder_name"])
@pytest.mark.parametrize("page_size", [1, 2, 4, 50])
@pytest.mark.parametrize("walked", [True, False])
def test_pages_sorted_by_holder_follow_one_order(
    app_client: TestClient,
    city: Engine,
    monkeypatch: pytest.MonkeyPatch,
    *,
    sort: str,
    page_size: int,
    walked: bool,
) -> None:
    """Read in the names' order (as a city's parcels are) or sorted in one query (a
    county's), the pages are the same."""
    if walked:
        monkeypatch.setattr(parcel_api, "SORTED_AT_MOST", 0)
    _hold(city)
    sign_in(app_client, "analyst")
    everything = app_client.get("/api/parcels", params={"page_size": 50}).json()
    parcels = [p["parcel_id"] for p in everything["items"]]
    expected = _expected(parcels, descending=sort.startswith("-"))
    seen: list[str] = []
    for page in range(1, len(parcels) // page_size + 3):
        listed = app_client.get(
            "/api/parcels", params={"sort": sort, "page": page, "page_size": page_size}
        ).json()
        assert listed["total"] == 6
        assert [p["parcel_id"] for p in listed["items"]] == expected[
            (page - 1) * page_size : page * page_size
        ], (sort, page_size, page)
        seen += [p["parcel_id"] for p in listed["items"]]
    assert seen == expected


@pytest.mark.parametrize("walked", [True, False])
def test_a_county_sorted_by_holder_and_searched(
    app_client: TestClient, city: Engine, monkeypatch: pytest.MonkeyPatch, walked: bool
) -> None:
    if walked:
        monkeypatch.setattr(parcel_api, "SORTED_AT_MOST", 0)
    _hold(city)
    sign_in(app_client, "officer")
    listed = app_client.get("/api/parcels", params={"sort": "holder_name"}).json()
    assert [p["holder_name"] for p in listed["items"]] == ["乙公司", "甲公司", None]
    assert {p["county_code"] for p in listed["items"]} == {COUNTY_A}
    found = app_client.get("/api/parcels", params={"sort": "-holder_name", "q": "乙"}).json()
    assert [p["parcel_id"] for p in found["items"]] == [f"{COUNTY_A}001001GB00001"]
    assert found["total"] == 1
    page = app_client.get("/", params={"sort": "holder_name", "page": 2})
    assert page.status_code == 200
