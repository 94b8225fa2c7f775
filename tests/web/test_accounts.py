"""Signing in and out: argon2 hashes, lockout counted atomically, the per-client throttle, one
message for every failure, CSRF (of the sign-in form too), the audit log, nothing secret
logged."""

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from mujun.records import Account, AuditEntry, Change
from mujun.web import accounts
from mujun.web.accounts import (
    CLIENT_LIMIT,
    LOCK_AFTER_FAILURES,
    SignInError,
    create_account,
)
from mujun.web.accounts import (
    sign_in as sign_in_from,
)
from mujun.web.app import create_app
from mujun.web.dependencies import SESSION_COOKIE
from mujun.web.permissions import Role
from mujun.web.session import LOGIN_CSRF_COOKIE
from tests.web.conftest import PASSWORD, sign_in


def outcomes(engine: Engine, username: str) -> list[str]:
    with Session(engine) as session:
        return list(
            session.scalars(
                select(AuditEntry.outcome)
                .where(AuditEntry.username == username)
                .order_by(AuditEntry.id)
            )
        )


def test_a_right_password_signs_in_and_a_wrong_one_does_not(
    app_client: TestClient, city: Engine
) -> None:
    wrong = app_client.post("/api/session", json={"username": "analyst", "password": "nope"})
    assert wrong.status_code == 401 and "用户名或密码错误" in wrong.json()["detail"]
    csrf = sign_in(app_client, "analyst")
    me = app_client.get("/api/session").json()
    assert me["role"] == "city_analyst" and me["role_zh"] == "市级分析员"
    assert me["csrf_token"] == csrf
    assert outcomes(city, "analyst") == ["failed", "signed_in"]


def test_repeated_failures_lock_the_account(app_client: TestClient, city: Engine) -> None:
    for _ in range(LOCK_AFTER_FAILURES):
        app_client.post("/api/session", json={"username": "viewer", "password": "wrong"})
    locked = app_client.post("/api/session", json={"username": "viewer", "password": PASSWORD})
    assert locked.status_code == 401
    assert outcomes(city, "viewer") == ["failed"] * LOCK_AFTER_FAILURES + ["locked"]


def attempt(engine: Engine, username: str, password: str, client: str) -> bool:
    """One sign-in on a session of its own, as a request makes it: whether it passed."""
    with Session(engine) as session:
        try:
            sign_in_from(session, username, password, client)
        except SignInError:
            return False
        finally:
            session.commit()
        return True


def test_parallel_wrong_passwords_lock_after_exactly_the_limit(city: Engine) -> None:
    """Thirty guesses at once, from thirty addresses: exactly LOCK_AFTER_FAILURES passwords are
    checked, the others are refused as locked, and the right password is refused after."""
    with ThreadPoolExecutor(max_workers=30) as pool:
        passed = list(
            pool.map(lambda i: attempt(city, "viewer", "wrong", f"10.0.0.{i}"), range(30))
        )
    assert not any(passed)
    seen = outcomes(city, "viewer")
    assert seen.count("failed") == LOCK_AFTER_FAILURES
    assert seen.count("locked") == 30 - LOCK_AFTER_FAILURES
    with Session(city) as session:
        viewer = session.scalars(select(Account).where(Account.username == "viewer")).one()
        assert viewer.locked_until is not None
    assert not attempt(city, "viewer", PASSWORD, "10.0.1.1")


def test_a_client_is_throttled_across_accounts(app_client: TestClient, city: Engine) -> None:
    for i in range(CLIENT_LIMIT):
        guess = {"username": f"guess{i}", "password": "wrong"}
        assert app_client.post("/api/session", json=guess).status_code == 401
    right = {"username": "analyst", "password": PASSWORD}
    throttled = app_client.post("/api/session", json=right)
    assert throttled.status_code == 401 and outcomes(city, "analyst") == ["throttled"]
    with TestClient(create_app(city), client=("10.0.0.2", 50000)) as elsewhere:
        assert elsewhere.post("/api/session", json=right).status_code == 200


def test_signing_in_does_not_count_against_the_client(city: Engine) -> None:
    """An office behind one address signs in all morning without being throttled."""
    for _ in range(CLIENT_LIMIT + 1):
        assert attempt(city, "analyst", PASSWORD, "10.0.0.3")


def test_every_failure_reads_the_same(app_client: TestClient, city: Engine) -> None:
    """No such user, a wrong password, a locked account: one status and one message (the audit
    log keeps which)."""

    def failure(username: str, password: str) -> tuple[int, Any]:
        response = app_client.post(
            "/api/session", json={"username": username, "password": password}
        )
        return response.status_code, response.json()

    unknown = failure("nobody", "wrong")
    wrong = failure("viewer", "wrong")
    for _ in range(LOCK_AFTER_FAILURES):
        failure("officer", "wrong")
    locked = failure("officer", PASSWORD)
    assert unknown == wrong == locked and unknown[0] == 401
    assert outcomes(city, "nobody") == ["failed"]
    assert outcomes(city, "officer")[-1] == "locked"
    pages = {
        login(app_client, username, password).text.split('role="alert">')[1].split("<")[0]
        for username, password in (("nobody", "x"), ("viewer", "x"), ("officer", PASSWORD))
    }
    assert len(pages) == 1


class SpyHasher:
    """The password hasher, noting every hash it verifies."""

    def __init__(self) -> None:
        self.verified: list[str] = []

    def verify(self, password_hash: str, password: str) -> bool:
        self.verified.append(password_hash)
        return bool(PasswordHasher().verify(password_hash, password))

    def hash(self, password: str) -> str:
        return PasswordHasher().hash(password)


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> Iterator[SpyHasher]:
    spying = SpyHasher()
    monkeypatch.setattr(accounts, "HASHER", spying)
    yield spying


def test_an_unknown_user_costs_a_password_check(city: Engine, spy: SpyHasher) -> None:
    """An unknown name takes as long as a wrong password: an argon2 hash is checked for it
    too (not timed here: the test asserts the work, not the clock)."""
    assert not attempt(city, "nobody", "wrong", "10.0.0.4")
    assert not attempt(city, "viewer", "wrong", "10.0.0.4")
    assert len(spy.verified) == 2
    assert all(h.startswith("$argon2") for h in spy.verified)


def test_passwords_are_argon2_hashes_and_never_in_the_change_log(city: Engine) -> None:
    with Session(city) as session:
        account = create_account(
            session, username="new", password="a long password", role=Role.VIEWER
        )
        session.commit()
        assert account.password_hash.startswith("$argon2")
        assert not accounts.HASHER.check_needs_rehash(account.password_hash)  # its parameters
        logged = session.scalars(select(Change).where(Change.table_name == "accounts")).all()
    assert logged and all(c.after and c.after["password_hash"] == "(not logged)" for c in logged)
    with Session(city) as session, pytest.raises(ValueError, match="8 characters"):
        create_account(session, username="short", password="1234567", role=Role.VIEWER)


def test_changes_need_the_csrf_token(app_client: TestClient) -> None:
    csrf = sign_in(app_client, "officer")
    assert app_client.delete("/api/session").status_code == 403
    assert app_client.delete("/api/session", headers={"X-CSRF-Token": "forged"}).status_code == 403
    assert app_client.delete("/api/session", headers={"X-CSRF-Token": csrf}).status_code == 204
    assert app_client.get("/api/session").status_code == 401


def login(client: TestClient, username: str, password: str, **sent: str) -> Any:
    """Sign in through the form as a browser does: the sign-in page first (its CSRF cookie and
    hidden field), then the form with ``sent`` as its fields (the page's token by default)."""
    page = client.get("/login")
    token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    assert token == client.cookies[LOGIN_CSRF_COOKIE]
    fields = {"username": username, "password": password, "csrf_token": token, **sent}
    return client.post("/login", data=fields, follow_redirects=False)


def test_the_pages_sign_in_and_out_in_chinese(app_client: TestClient) -> None:
    first = app_client.get("/", follow_redirects=False)
    assert first.status_code == 303 and first.headers["location"] == "/login"
    assert "登录" in app_client.get("/login").text
    bad = login(app_client, "officer", "wrong")
    assert bad.status_code == 401 and "用户名或密码错误" in bad.text
    page = app_client.get(login(app_client, "officer", PASSWORD).headers["location"])
    assert page.status_code == 200 and "宗地清单" in page.text and "县区工作人员" in page.text
    csrf = app_client.get("/api/session").json()["csrf_token"]
    assert app_client.post("/logout", data={}).status_code == 403
    out = app_client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert out.status_code == 303
    assert app_client.get("/api/session").status_code == 401


@pytest.mark.parametrize("username", ["nobody", ""])
def test_unknown_or_empty_names_are_refused(app_client: TestClient, username: str) -> None:
    response = app_client.post("/api/session", json={"username": username, "password": "x"})
    assert response.status_code in {401, 422}


@pytest.mark.parametrize("token", [None, "", "forged"])
def test_the_sign_in_form_needs_its_csrf_token(app_client: TestClient, token: str | None) -> None:
    """Login CSRF: another site's form cannot sign a visitor in as the attacker, since it
    cannot read the token of the sign-in page's cookie."""
    if token is None:
        app_client.get("/login")
        fields = {"username": "officer", "password": PASSWORD}
        refused = app_client.post("/login", data=fields, follow_redirects=False)
    else:
        refused = login(app_client, "officer", PASSWORD, csrf_token=token)
    assert refused.status_code == 403 and "登录页面已过期" in refused.text
    assert SESSION_COOKIE not in app_client.cookies
    assert login(app_client, "officer", PASSWORD).status_code == 303


def test_a_disabled_account_fails_like_any_other_at_the_same_cost(
    app_client: TestClient, city: Engine, spy: SpyHasher
) -> None:
    """A disabled account's right password is refused with the one message, after one
    password check like any other attempt; the audit log says it was disabled."""
    with Session(city) as session:
        viewer = session.scalars(select(Account).where(Account.username == "viewer")).one()
        accounts.set_disabled(session, account=viewer, disabled=True)
        session.commit()
    disabled = app_client.post("/api/session", json={"username": "viewer", "password": PASSWORD})
    unknown = app_client.post("/api/session", json={"username": "nobody", "password": "x"})
    assert (disabled.status_code, disabled.json()) == (unknown.status_code, unknown.json())
    assert len(spy.verified) == 2
    assert outcomes(city, "viewer") == ["disabled"]
