"""Every route × every role × a record inside and outside the account's county: allowed or
refused, and every refusal in the audit log. A route that does not pass the gate fails
test_every_route_passes_the_gate."""

import datetime as dt
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from mujun.disposal.opening import open_cases
from mujun.records import AuditEntry, EarlyWarning, Enterprise, Jurisdiction, MonitoringRun
from mujun.web.app import ROUTERS, create_app
from mujun.web.dependencies import signed_in
from tests.web.conftest import (
    ACCOUNTS,
    COUNTY_A,
    COUNTY_B,
    PARCEL_A,
    PARCEL_B,
    keep_run,
    sign_in,
)

PUBLIC = {
    ("POST", "/api/session"),
    ("GET", "/login"),
    ("POST", "/login"),
    ("GET", "/language/{lang}"),
}
OWN_SESSION = {("GET", "/api/session"), ("DELETE", "/api/session"), ("POST", "/logout")}
"""Routes about the caller's own session: signed in, but no record is reached."""
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
    ("GET", "/cockpit?county={county}"),
    ("GET", "/api/grades?county={county}"),
    ("GET", "/grades?county={county}"),
    ("GET", "/api/parcels/{parcel}/file"),
    ("GET", "/parcels/{parcel}"),
    ("GET", "/api/enterprises?county={county}"),
    ("GET", "/enterprises?county={county}"),
    ("GET", "/api/enterprises/{enterprise}/file"),
    ("GET", "/enterprises/{enterprise}"),
    ("GET", "/api/enterprises?park={park}"),
    ("GET", "/enterprises?park={park}"),
    ("GET", "/api/grades?park={park}"),
    ("GET", "/grades?park={park}"),
]
ENTERPRISES = {COUNTY_A: "91330122MA0000000X", COUNTY_B: "91330127MA0000000Y"}
PARKS = {COUNTY_A: f"{COUNTY_A}801", COUNTY_B: f"{COUNTY_B}801"}


@pytest.fixture
def enterprise_in_each_county(city: Engine) -> None:
    """An enterprise registered in each county, for the ``{enterprise}`` routes, and a park in
    each, for the ``{park}`` ones."""
    with Session(city) as session:
        for county, park in PARKS.items():
            session.add(Jurisdiction(code=park, name=park, level="park", parent_code=county))
        session.flush()
        for county, code in ENTERPRISES.items():
            session.add(Enterprise(credit_code=code, name=code, jurisdiction_code=county))
        session.commit()


CASE_ROUTES = [
    ("GET", "/api/cases?county={county}"),
    ("GET", "/cases?county={county}"),
    ("GET", "/cases/board?county={county}"),
    ("GET", "/api/cases/{case}"),
    ("GET", "/cases/{case}"),
]
"""The disposal cases' routes that read: a case lies in the county of its subject."""


@pytest.fixture
def case_in_each_county(city: Engine) -> dict[str, int]:
    """The cases of a run with an idle parcel in each county, by county."""
    run = keep_run(city)
    with Session(city) as session:
        opening = open_cases(session, run_id=run, actor="test")
        session.commit()
    found = {o.subject_id: o.case for o in opening.opened}
    return {COUNTY_A: found[PARCEL_A], COUNTY_B: found[PARCEL_B]}


def _walk_every_role(
    client: TestClient,
    city: Engine,
    method: str,
    path: str,
    places: dict[str, dict[str, str]],
    *,
    statuses: dict[str, tuple[int, int]] = READS,
    **sent: Any,
) -> None:
    """Each role asks for ``path`` inside (county A) and outside (county B) its county, with
    ``places[county]`` filled in (and ``sent``, with its CSRF token): allowed or refused as
    ``statuses`` says, and each refusal in the audit log under the account that was refused."""
    for username in sorted(ACCOUNTS):
        token = sign_in(client, username)
        for county, expected in zip((COUNTY_A, COUNTY_B), statuses[username], strict=True):
            response = client.request(
                method,
                path.format(county=county, **places[county]),
                headers={"X-CSRF-Token": token},
                follow_redirects=False,
                **sent,
            )
            assert response.status_code == expected, (username, path, county, response.text)
        with Session(city) as session:
            refusals = session.scalars(
                select(AuditEntry).where(
                    AuditEntry.username == username, AuditEntry.outcome == "refused"
                )
            ).all()
        assert len(refusals) == sum(status == 403 for status in statuses[username]), username


@pytest.mark.parametrize("route", CASE_ROUTES)
def test_case_scope_matrix(
    app_client: TestClient,
    city: Engine,
    case_in_each_county: dict[str, int],
    route: tuple[str, str],
) -> None:
    places = {county: {"case": str(case)} for county, case in case_in_each_county.items()}
    _walk_every_role(app_client, city, *route, places)


WARNING_ROUTES = [
    ("GET", "/api/warnings?county={county}"),
    ("GET", "/warnings?county={county}"),
    ("GET", "/api/warnings/{warning}"),
    ("GET", "/warnings/{warning}"),
]
"""The early warnings' routes that read: a warning lies in the county of its subject."""


@pytest.fixture
def warning_in_each_county(city: Engine) -> dict[str, int]:
    """A warning on an enterprise of each county, by county, of one kept monitoring run."""
    moment = dt.datetime(2025, 4, 1, tzinfo=dt.UTC)
    with Session(city) as session:
        session.info.update(actor="test", reason="warnings")
        run = MonitoringRun(
            profile="yancheng-2021",
            profile_version=1,
            month="2025-03",
            issued_on=moment.date(),
            parameters={},
            overrides={},
            fingerprint="test",
            started_at=moment,
            finished_at=moment,
            actor="test",
            warning_count=2,
            unjudged=[],
        )
        session.add(run)
        session.flush()
        found = {}
        for county, code in ENTERPRISES.items():
            warning = EarlyWarning(
                profile="yancheng-2021",
                signal="monitor/loan-overdue",
                level="red",
                subject_type="enterprise",
                subject_id=code,
                subject_name=code,
                county_code=county,
                routed_to=[county, "finance_regulator"],
                state="issued",
                since="2025-03",
                last_month="2025-03",
                evidence="{}",
                raised_by_run=run.id,
                issued_on=moment.date(),
            )
            session.add(warning)
            session.flush()
            found[county] = warning.id
        session.commit()
    return found


@pytest.mark.parametrize("route", WARNING_ROUTES)
def test_warning_scope_matrix(
    app_client: TestClient,
    city: Engine,
    warning_in_each_county: dict[str, int],
    route: tuple[str, str],
) -> None:
    places = {county: {"warning": str(w)} for county, w in warning_in_each_county.items()}
    _walk_every_role(app_client, city, *route, places)


DECIDES = {
    "admin": (200, 200),
    "analyst": (200, 200),
    "officer": (403, 403),
    "provider": (403, 403),
    "viewer": (403, 403),
}
"""The task force's decisions: the city analyst's and the administrator's, in every county."""
WARNING_CASE_ROUTES: list[tuple[str, str, dict[str, Any], dict[str, tuple[int, int]]]] = [
    ("POST", "/api/warnings/{warning}/case", {}, DECIDES),
    (
        "POST",
        "/warnings/{warning}/case",
        {"data": {"date": "2025-04-01"}},
        {name: (303, 303) if pair == (200, 200) else pair for name, pair in DECIDES.items()},
    ),
]
"""Opening a case from a warning (立案处置): the task force's (the page answers with a redirect
to the case's file)."""


@pytest.mark.parametrize("route", WARNING_CASE_ROUTES)
def test_opening_a_case_from_a_warning_scope_matrix(
    app_client: TestClient,
    city: Engine,
    warning_in_each_county: dict[str, int],
    route: tuple[str, str, dict[str, Any], dict[str, tuple[int, int]]],
) -> None:
    method, path, sent, statuses = route
    places = {county: {"warning": str(w)} for county, w in warning_in_each_county.items()}
    _walk_every_role(app_client, city, method, path, places, statuses=statuses, **sent)


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.usefixtures("enterprise_in_each_county")
def test_scope_matrix(app_client: TestClient, city: Engine, route: tuple[str, str]) -> None:
    places = {
        county: {"parcel": parcel, "enterprise": ENTERPRISES[county], "park": PARKS[county]}
        for parcel, county in ((PARCEL_A, COUNTY_A), (PARCEL_B, COUNTY_B))
    }
    _walk_every_role(app_client, city, *route, places)


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


def _gated(dependant: Any) -> bool:
    """Whether a route depends, directly or through another dependency, on the gate."""
    return any(
        getattr(d.call, "gated_action", None) is not None or _gated(d)
        for d in dependant.dependencies
    )


def _signed_in(dependant: Any) -> bool:
    return any(d.call is signed_in or _signed_in(d) for d in dependant.dependencies)


def test_every_route_passes_the_gate(city: Engine) -> None:
    routes = [r for router in ROUTERS for r in router.routes if isinstance(r, APIRoute)]
    assert len(routes) >= 39, "the walk must see the routes it checks"
    for route in routes:
        for method in route.methods or ():
            key = (method, route.path)
            if key in PUBLIC:
                assert not _signed_in(route.dependant), f"{key} is public: why sign in?"
            elif key in OWN_SESSION:
                assert _signed_in(route.dependant), f"{key} needs a session"
            else:
                assert _gated(route.dependant), f"{method} {route.path} skips the gate"
    served = create_app(city)
    assert not [r for r in served.routes if isinstance(r, APIRoute)], "routes outside ROUTERS"


@pytest.mark.parametrize("path", ["/api/parcels?q=%00", "/api/enterprises?q=a%00b", "/%00"])
def test_a_nul_character_is_refused_not_a_database_error(app_client: TestClient, path: str) -> None:
    sign_in(app_client, "analyst")
    response = app_client.get(path)
    assert response.status_code == 422 and "NUL" in response.json()["detail"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/cockpit?run={big}",
        "/api/findings?run={big}",
        "/api/grades?run={big}",
        "/api/jobs/{big}",
        "/api/runs/diff?a={big}&b=1",
        "/cockpit?run={big}",
        "/findings?run={big}",
        "/api/cases/{big}",
        "/cases/{big}",
    ],
)
def test_an_id_beyond_any_record_is_invalid_not_a_database_error(
    app_client: TestClient, path: str
) -> None:
    sign_in(app_client, "analyst")
    assert app_client.get(path.format(big=2**63)).status_code == 422
