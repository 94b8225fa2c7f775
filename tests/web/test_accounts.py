"""Signing in and out: argon2 hashes, lockout, CSRF, the audit log, nothing secret logged."""

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from mujun.records import AuditEntry, Change
from mujun.web.accounts import LOCK_AFTER_FAILURES, create_account
from mujun.web.permissions import Role
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
    assert locked.status_code == 401 and "锁定" in locked.json()["detail"]
    assert outcomes(city, "viewer")[-1] == "locked"


def test_passwords_are_argon2_hashes_and_never_in_the_change_log(city: Engine) -> None:
    with Session(city) as session:
        account = create_account(
            session, username="new", password="a long password", role=Role.VIEWER
        )
        session.commit()
        assert account.password_hash.startswith("$argon2")
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


def test_the_pages_sign_in_and_out_in_chinese(app_client: TestClient) -> None:
    first = app_client.get("/", follow_redirects=False)
    assert first.status_code == 303 and first.headers["location"] == "/login"
    assert "登录" in app_client.get("/login").text
    bad = app_client.post("/login", data={"username": "officer", "password": "wrong"})
    assert bad.status_code == 401 and "用户名或密码错误" in bad.text
    page = app_client.post("/login", data={"username": "officer", "password": PASSWORD})
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
