"""What every response carries (Content-Security-Policy, nosniff, a referrer policy, no framing),
pages that run no inline script and show no data unescaped, Swagger UI served by the
application, and cookies that are Secure behind HTTPS."""

import html
import re
from importlib import resources
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from mujun.records import Building
from mujun.web.app import content_security_policy, create_app
from mujun.web.session import SECURE_COOKIES
from tests.web.conftest import PARCEL_A, PASSWORD, sign_in

WEB = Path(str(resources.files("mujun.web")))
MARKUP = "</script><script>alert(1)</script><img src=x onerror=alert(2)>"
PAGES = sorted((WEB / "templates").glob("*.html")) + sorted((WEB / "static").glob("*.html"))


def assert_secured(response: Response) -> None:
    headers = response.headers
    policy = headers["content-security-policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/login", 200),  # a page
        ("/api/session", 401),  # the API, signed out
        ("/static/mujun.css", 200),  # the pages' own files
        ("/assets/echarts/echarts.min.js", 200),  # a library
        ("/api/docs", 200),
        ("/no-such-page", 404),
        ("/api/%00", 422),  # refused by a middleware
    ],
)
def test_every_response_carries_the_security_headers(
    app_client: TestClient, path: str, status: int
) -> None:
    response = app_client.get(path)
    assert response.status_code == status
    assert_secured(response)


@pytest.mark.parametrize(
    ("username", "path", "status"),
    [
        ("analyst", "/", 200),
        ("analyst", "/api/parcels", 200),
        ("analyst", "/api/parcels/NO-SUCH-PARCEL", 404),
        ("officer", "/api/parcels/330127001001GB00001", 403),
        ("officer", "/parcels/330127001001GB00001", 403),
        ("analyst", "/api/parcels?page=0", 422),
    ],
)
def test_signed_in_responses_carry_them_too(
    app_client: TestClient, username: str, path: str, status: int
) -> None:
    sign_in(app_client, username)
    response = app_client.get(path)
    assert response.status_code == status
    assert_secured(response)


def test_the_base_map_may_be_loaded_from_its_own_origin_only() -> None:
    policy = content_security_policy("https://tiles.example.cn/{z}/{x}/{y}.png")
    assert "img-src 'self' data: blob: https://tiles.example.cn;" in policy
    assert "connect-src 'self' https://tiles.example.cn;" in policy
    assert "tiles" not in content_security_policy(None)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_no_page_runs_inline_script_or_shows_data_unescaped(page: Path) -> None:
    """Scripts come from files (the CSP allows no other); a ``<script>`` without ``src`` only
    holds JSON filled by ``tojson``; nothing is marked ``| safe``; no inline style either."""
    text = page.read_text(encoding="utf-8")
    for tag in re.findall(r"<script\b[^>]*>", text):
        assert "src=" in tag or 'type="application/json"' in tag, tag
    assert not re.search(r"\|\s*safe\b", text)
    assert not re.search(r"<style\b|\sstyle=", text)


def test_swagger_ui_is_served_by_the_application(app_client: TestClient) -> None:
    page = app_client.get("/api/docs").text
    scripts = re.findall(r'<script src="([^"]+)"', page)
    assert scripts == ["/assets/swagger-ui/swagger-ui-bundle.js", "/static/api-docs.js"]
    for url in [*scripts, "/assets/swagger-ui/swagger-ui.css"]:
        assert app_client.get(url).status_code == 200, url
    assert "cdn" not in page


def _session_cookie(client: TestClient) -> str:
    signed = client.post("/api/session", json={"username": "admin", "password": PASSWORD})
    assert signed.status_code == 200
    return str(signed.headers["set-cookie"])


def test_cookies_are_secure_behind_https(city: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    with TestClient(create_app(city)) as plain:
        assert "secure" not in _session_cookie(plain).lower()
        assert "secure" not in plain.get("/login").headers["set-cookie"].lower()
    with TestClient(create_app(city), base_url="https://testserver") as tls:
        assert "secure" in _session_cookie(tls).lower()
    monkeypatch.setenv(SECURE_COOKIES, "1")  # TLS ended by a proxy in front
    with TestClient(create_app(city)) as proxied:
        assert "secure" in _session_cookie(proxied).lower()
        assert "secure" in proxied.get("/login").headers["set-cookie"].lower()


def test_a_building_id_cannot_end_the_parcel_page_s_script(
    app_client: TestClient, city: Engine
) -> None:
    """The stored script of issue 10: a building id a data provider imported ended the
    ``<script>`` block the parcel's file was embedded in, raw, and ran its own."""
    with Session(city) as session:
        session.add(
            Building(building_id=MARKUP, parcel_id=PARCEL_A, kind="factory", floor_area_m2=1.0)
        )
        session.commit()
    sign_in(app_client, "analyst")
    page = app_client.get(f"/parcels/{PARCEL_A}")
    assert page.status_code == 200
    assert "<script>alert(1)" not in page.text and "<img src=x" not in page.text
    assert html.escape(MARKUP, quote=False) in page.text
