"""Every operation of the API document (/api/openapi.json), fuzzed by Schemathesis in-process
(the application is called through its ASGI interface, no network), signed in as the
administrator: no request may end in a server error, and every documented response must match
its schema.

This runs on SQLite only: the fuzzing is about the HTTP layer (parameters, bodies, status codes,
response shapes), which is the same on both databases, and a file database needs no server and
keeps the run short; the engine-parametrised tests cover the queries on PostgreSQL.
"""

from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis import Case, CheckFunction
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import create_engine

from mujun.web.app import create_app
from mujun.web.dependencies import SESSION_COOKIE
from tests.web.conftest import sign_in

CHECKS: list[CheckFunction] = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
"""No server error, and every response as the document says: its status is one the operation
lists, with that status's content type, headers and schema (the refusals' too)."""
EXAMPLES = 50
"""Generated requests per operation; with ``derandomize`` the same ones every run."""
pytestmark = pytest.mark.parametrize("engine", ["sqlite"], indirect=True)


@pytest.fixture(autouse=True)
def uploads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Uploads the fuzzing sends are staged in the test's own folder."""
    monkeypatch.setenv("MUJUN_UPLOADS", str(tmp_path / "uploads"))


@pytest.fixture
def bearer(app_client: TestClient) -> dict[str, str]:
    """The administrator's session token (the value of the session cookie that signing in
    sets), sent as ``Authorization: Bearer``, which the API takes as well: no CSRF token is
    needed, and a fuzzed sign-out (which ends the cookie's session) cannot end it."""
    sign_in(app_client, "admin")
    return {"Authorization": f"Bearer {app_client.cookies[SESSION_COOKIE]}"}


schema = schemathesis.openapi.from_dict(create_app(create_engine("sqlite://")).openapi())
"""The document /api/openapi.json serves (see the test below), made by an application whose
database is never opened: making it needs none. The requests go to ``app_client``'s
application, with its city and run."""


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_the_api_holds_to_its_document(
    case: Case[Any], app_client: TestClient, run: int, bearer: dict[str, str]
) -> None:
    response = case.call(app=app_client.app, headers=dict(bearer))
    case.validate_response(response, checks=CHECKS, headers=dict(bearer))


def test_the_document_fuzzed_is_the_one_served(app_client: TestClient) -> None:
    assert app_client.get("/api/openapi.json").json() == schema.raw_schema


def test_the_token_signs_in_as_the_administrator(
    app_client: TestClient, bearer: dict[str, str]
) -> None:
    """The fuzzing above is signed in, so it reaches past the sign-in check."""
    app_client.cookies.clear()
    assert app_client.get("/api/session").status_code == 401
    me = app_client.get("/api/session", headers=bearer)
    assert me.status_code == 200 and me.json()["role"] == "administrator"
