"""Every route × every role × a record inside and outside the account's county: allowed or
refused, and every refusal in the audit log. A route that does not pass the gate fails
test_every_route_passes_the_gate."""

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from mujun.records import AuditEntry
from mujun.web.app import create_app
from mujun.web.dependencies import signed_in
from tests.web.conftest import ACCOUNTS, COUNTY_A, COUNTY_B, PARCEL_A, PARCEL_B, sign_in

PUBLIC = {
    ("POST", "/api/session"),
    ("GET", "/login"),
    ("POST", "/login"),
    ("GET", "/language/{lang}"),
}
# (method, path, expected status for [in scope, out of scope]) per role.
READS = {
    "admin": (200, 200),
    "analyst": (200, 200),
    "officer": (200, 403),
    "provider": (403, 403),
    "viewer": (200, 200),
}
ROUTES = [
    ("GET", "/api/parcels/{parcel}"),
    ("GET", "/api/parcels?county={county}"),
    ("GET", "/?county={county}"),
    ("GET", "/api/findings?county={county}"),
    ("GET", "/findings?county={county}"),
    ("GET", "/api/cockpit?county={county}"),
    ("GET", "/api/parcels/{parcel}/file"),
    ("GET", "/parcels/{parcel}"),
]


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("username", sorted(ACCOUNTS))
def test_scope_matrix(
    app_client: TestClient, city: Engine, username: str, route: tuple[str, str]
) -> None:
    sign_in(app_client, username)
    method, path = route
    for (parcel, county), expected in zip(
        ((PARCEL_A, COUNTY_A), (PARCEL_B, COUNTY_B)), READS[username], strict=True
    ):
        response = app_client.request(method, path.format(parcel=parcel, county=county))
        assert response.status_code == expected, (username, path, county, response.text)
    with Session(city) as session:
        refusals = session.scalars(
            select(AuditEntry).where(
                AuditEntry.username == username, AuditEntry.outcome == "refused"
            )
        ).all()
    assert len(refusals) == sum(status == 403 for status in READS[username])


def test_an_officer_lists_only_their_county(app_client: TestClient) -> None:
    sign_in(app_client, "officer")
    listed = app_client.get("/api/parcels").json()
    assert listed["total"] == 3
    assert {p["county_code"] for p in listed["items"]} == {COUNTY_A}
    sign_in(app_client, "analyst")
    assert app_client.get("/api/parcels").json()["total"] == 6


def test_pagination_and_search(app_client: TestClient) -> None:
    sign_in(app_client, "analyst")
    page = app_client.get("/api/parcels", params={"page": 2, "page_size": 4}).json()
    assert (page["total"], len(page["items"])) == (6, 2)
    found = app_client.get("/api/parcels", params={"q": PARCEL_B[:-1]}).json()
    assert found["items"][0]["parcel_id"] == PARCEL_B
    assert app_client.get("/api/parcels", params={"page_size": 500}).status_code == 422
    assert app_client.get("/api/parcels/NO-SUCH-PARCEL").status_code == 404


def test_without_signing_in_the_api_answers_401(app_client: TestClient) -> None:
    assert app_client.get("/api/parcels").status_code == 401


def _depends_on(call: Callable[..., Any], dependant: Any) -> bool:
    return any(
        d.call is call or getattr(d.call, "gated_action", None) is not None or _depends_on(call, d)
        for d in dependant.dependencies
    )


def test_every_route_passes_the_gate(city: Engine) -> None:
    app = create_app(city)
    for route in app.routes:
        if not isinstance(route, APIRoute):
            continue
        for method in route.methods:
            if (method, route.path) in PUBLIC:
                continue
            assert _depends_on(signed_in, route.dependant), f"{method} {route.path} skips the gate"
