"""管理: accounts (add, disable, enable, reset a password), one's own password, the audit log
with its filters, the import history; only an administrator manages accounts, and every change
is in the change log and the audit log with who and why."""

import datetime as dt
import hashlib
from pathlib import Path
from urllib.parse import quote

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from mujun.interchange.archive import keep_files
from mujun.records import Account, AuditEntry, Change, DataImport
from mujun.records.accounts import WebSession
from mujun.web.app import create_app
from tests.web.conftest import PASSWORD, sign_in

NEW = {
    "username": "wang",
    "display_name": "桐庐县 王丽",
    "role": "county_officer",
    "county_code": "330122",
    "password": "first password",
    "reason": "新增工作人员",
}


def _account(engine: Engine, username: str) -> Account:
    with Session(engine) as session:
        return session.scalars(select(Account).where(Account.username == username)).one()


def _sessions(engine: Engine, username: str) -> int:
    account = _account(engine, username)
    with Session(engine) as session:
        return len(
            session.scalars(select(WebSession).where(WebSession.account_id == account.id)).all()
        )


def _signs_in(client: TestClient, username: str, password: str) -> int:
    response = client.post("/api/session", json={"username": username, "password": password})
    return int(response.status_code)


def _added(client: TestClient, csrf: str) -> int:
    response = client.post("/api/accounts", json=NEW, headers={"X-CSRF-Token": csrf})
    assert response.status_code == 201, response.text
    added = response.json()
    assert added["role"] == "county_officer" and added["state"] == "in_use"
    return int(added["id"])


def test_an_administrator_adds_an_account_that_signs_in(
    app_client: TestClient, city: Engine
) -> None:
    csrf = sign_in(app_client, "admin")
    _added(app_client, csrf)
    listed = {a["username"]: a for a in app_client.get("/api/accounts").json()}
    assert listed["wang"]["county_code"] == "330122"
    with TestClient(create_app(city)) as other:
        assert _signs_in(other, "wang", "first password") == 200
    with Session(city) as session:
        change = session.scalars(
            select(Change).where(Change.table_name == "accounts").order_by(Change.id.desc())
        ).first()
        assert change is not None
        assert (change.actor, change.reason) == ("admin", "新增工作人员")
        assert change.after is not None and "first password" not in str(change.after)
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "account_add")).one()
        assert (entry.username, entry.target, entry.detail) == (
            "admin",
            "account:wang",
            "新增工作人员",
        )


def test_a_taken_name_or_a_missing_county_is_refused(app_client: TestClient) -> None:
    csrf = sign_in(app_client, "admin")
    taken = {**NEW, "username": "viewer"}
    assert (
        app_client.post("/api/accounts", json=taken, headers={"X-CSRF-Token": csrf}).status_code
        == 422
    )
    no_county = {**NEW, "county_code": None}
    refused = app_client.post("/api/accounts", json=no_county, headers={"X-CSRF-Token": csrf})
    assert refused.status_code == 422 and "区县" in refused.json()["detail"]
    short = {**NEW, "password": "short"}
    assert (
        app_client.post("/api/accounts", json=short, headers={"X-CSRF-Token": csrf}).status_code
        == 422
    )


def test_a_disabled_account_cannot_sign_in_and_its_sessions_end(
    app_client: TestClient, city: Engine
) -> None:
    viewer_id = _account(city, "viewer").id
    with TestClient(create_app(city)) as viewer:
        sign_in(viewer, "viewer")
        assert _sessions(city, "viewer") == 1
        csrf = sign_in(app_client, "admin")
        disabled = app_client.post(
            f"/api/accounts/{viewer_id}/disable",
            json={"reason": "离职"},
            headers={"X-CSRF-Token": csrf},
        )
        assert disabled.status_code == 200 and disabled.json()["state"] == "disabled"
        assert _sessions(city, "viewer") == 0
        assert viewer.get("/api/session").status_code == 401
        refused = viewer.post("/api/session", json={"username": "viewer", "password": PASSWORD})
        wrong = viewer.post("/api/session", json={"username": "viewer", "password": "nope"})
        assert refused.status_code == wrong.status_code == 401
        assert refused.json() == wrong.json()  # the same message as any other failure
        with Session(city) as session:
            outcomes = session.scalars(
                select(AuditEntry.outcome)
                .where(AuditEntry.username == "viewer")
                .order_by(AuditEntry.id)
            ).all()
        assert outcomes[-2:] == ["disabled", "disabled"]  # the log keeps the true reason
        enabled = app_client.post(
            f"/api/accounts/{viewer_id}/enable",
            json={"reason": "返岗"},
            headers={"X-CSRF-Token": csrf},
        )
        assert enabled.json()["state"] == "in_use"
        assert _signs_in(viewer, "viewer", PASSWORD) == 200


def test_an_administrator_cannot_disable_itself(app_client: TestClient, city: Engine) -> None:
    csrf = sign_in(app_client, "admin")
    own = _account(city, "admin").id
    refused = app_client.post(
        f"/api/accounts/{own}/disable", json={"reason": "x"}, headers={"X-CSRF-Token": csrf}
    )
    assert refused.status_code == 422
    missing = app_client.post(
        "/api/accounts/99999/disable", json={"reason": "x"}, headers={"X-CSRF-Token": csrf}
    )
    assert missing.status_code == 404


def test_a_reset_password_ends_the_sessions(app_client: TestClient, city: Engine) -> None:
    analyst_id = _account(city, "analyst").id
    with TestClient(create_app(city)) as analyst:
        sign_in(analyst, "analyst")
        csrf = sign_in(app_client, "admin")
        reset = app_client.post(
            f"/api/accounts/{analyst_id}/password",
            json={"password": "a new password", "reason": "忘记密码"},
            headers={"X-CSRF-Token": csrf},
        )
        assert reset.status_code == 200
        assert analyst.get("/api/session").status_code == 401
        assert _signs_in(analyst, "analyst", PASSWORD) == 401
        assert _signs_in(analyst, "analyst", "a new password") == 200


def test_one_s_own_password(app_client: TestClient, city: Engine) -> None:
    with TestClient(create_app(city)) as elsewhere:
        sign_in(elsewhere, "officer")
        csrf = sign_in(app_client, "officer")
        headers = {"X-CSRF-Token": csrf}
        change = {"current": "wrong one", "new": "another password", "repeat": "another password"}
        wrong = app_client.post("/api/password", json=change, headers=headers)
        assert wrong.status_code == 422 and "当前密码" in wrong.json()["detail"]
        differ = {**change, "current": PASSWORD, "repeat": "something else"}
        assert app_client.post("/api/password", json=differ, headers=headers).status_code == 422
        right = {**change, "current": PASSWORD}
        assert app_client.post("/api/password", json=right, headers=headers).status_code == 204
        assert app_client.get("/api/session").status_code == 200  # this session stays
        assert elsewhere.get("/api/session").status_code == 401  # the others end
        assert _signs_in(elsewhere, "officer", "another password") == 200
    with Session(city) as session:
        outcomes = session.scalars(
            select(AuditEntry.outcome)
            .where(AuditEntry.action == "own_password")
            .order_by(AuditEntry.id)
        ).all()
    assert outcomes == ["refused", "allowed"]  # a wrong current password, then the change


def test_the_own_password_form(app_client: TestClient) -> None:
    csrf = sign_in(app_client, "provider")
    assert app_client.get("/account/password").status_code == 200
    form = {
        "csrf_token": csrf,
        "current_password": "wrong one",
        "new_password": "another password",
        "repeat_password": "another password",
    }
    wrong = app_client.post("/account/password", data=form)
    assert wrong.status_code == 422 and "当前密码不正确" in wrong.text
    done = app_client.post("/account/password", data={**form, "current_password": PASSWORD})
    assert done.status_code == 200 and "密码已修改" in done.text


def test_the_accounts_page_and_its_forms(app_client: TestClient, city: Engine) -> None:
    csrf = sign_in(app_client, "admin")
    page = app_client.get("/admin/accounts")
    assert page.status_code == 200 and "县区工作人员" in page.text and "桐庐县" in page.text
    added = app_client.post("/admin/accounts", data={**NEW, "csrf_token": csrf})
    assert added.status_code == 200 and "账号已新增" in added.text
    again = app_client.post("/admin/accounts", data={**NEW, "csrf_token": csrf})
    assert again.status_code == 422 and "已被使用" in again.text
    wang = _account(city, "wang").id
    disabled = app_client.post(
        f"/admin/accounts/{wang}/disable", data={"reason": "调岗", "csrf_token": csrf}
    )
    assert disabled.status_code == 200 and "已停用" in disabled.text
    assert _account(city, "wang").disabled_at is not None
    reset = app_client.post(
        f"/admin/accounts/{wang}/password",
        data={"reason": "重置", "password": "short", "csrf_token": csrf},
    )
    assert reset.status_code == 422 and "8" in reset.text


def test_a_change_without_the_csrf_token_is_refused(app_client: TestClient, city: Engine) -> None:
    sign_in(app_client, "admin")
    assert app_client.post("/admin/accounts", data=NEW).status_code == 403
    assert app_client.post("/api/accounts", json=NEW).status_code == 403
    with Session(city) as session:
        assert session.scalar(select(Account).where(Account.username == "wang")) is None


def test_only_an_administrator_manages_accounts(app_client: TestClient, city: Engine) -> None:
    csrf = sign_in(app_client, "analyst")
    assert app_client.get("/api/accounts").status_code == 403
    assert app_client.get("/admin/accounts").status_code == 403
    assert app_client.get("/admin/audit").status_code == 403
    refused = app_client.post("/api/accounts", json=NEW, headers={"X-CSRF-Token": csrf})
    assert refused.status_code == 403
    with Session(city) as session:
        targets = session.scalars(
            select(AuditEntry.target).where(
                AuditEntry.username == "analyst", AuditEntry.outcome == "refused"
            )
        ).all()
    assert set(targets) == {"/api/accounts", "/admin/accounts", "/admin/audit"}


def test_the_audit_log_filters(app_client: TestClient) -> None:
    app_client.post("/api/session", json={"username": "viewer", "password": "nope"})
    sign_in(app_client, "admin")
    everything = app_client.get("/api/audit").json()
    assert everything["total"] >= 2
    assert everything["items"][0]["id"] > everything["items"][-1]["id"]  # newest first
    failed = app_client.get("/api/audit", params={"outcome": "failed"}).json()
    assert [(e["username"], e["outcome_zh"]) for e in failed["items"]] == [("viewer", "登录失败")]
    by_admin = app_client.get("/api/audit", params={"user": "admin", "action": "sign_in"}).json()
    assert by_admin["total"] == 1 and by_admin["items"][0]["action_zh"] == "登录"
    today = dt.datetime.now(dt.UTC).date()
    later = app_client.get("/api/audit", params={"since": str(today + dt.timedelta(days=2))})
    assert later.json()["total"] == 0
    until = app_client.get("/api/audit", params={"until": str(today + dt.timedelta(days=1))})
    assert until.json()["total"] == everything["total"]
    paged = app_client.get("/api/audit", params={"page": 2}).json()
    assert paged["items"] == []
    page = app_client.get("/admin/audit", params={"outcome": "failed"})
    assert page.status_code == 200 and "登录失败" in page.text and "序号" in page.text


def test_the_import_history(app_client: TestClient, city: Engine) -> None:
    at = dt.datetime(2025, 3, 1, 8, tzinfo=dt.UTC)
    with Session(city) as session:
        done = DataImport(
            started_at=at,
            finished_at=at,
            actor="tax-clerk",
            source="tax.xlsx",
            fingerprint="f" * 64,
            counts={"annual_metrics": {"inserted": 3, "updated": 1, "unchanged": 5}},
            reason="2024 年度税收",
        )
        session.add(done)
        session.commit()
    sign_in(app_client, "viewer")
    history = app_client.get("/api/import-history").json()
    assert history["total"] == 1
    item = history["items"][0]
    assert (item["actor"], item["reason"], item["written"]) == ("tax-clerk", "2024 年度税收", 4)
    page = app_client.get("/admin/imports")
    assert page.status_code == 200 and "2024 年度税收" in page.text
    assert "/workbench/template.xlsx" in page.text
    sign_in(app_client, "provider")
    assert app_client.get("/admin/imports").status_code == 403


def test_the_files_an_import_read_are_downloaded_as_sent_by_city_wide_accounts(
    app_client: TestClient, city: Engine, tmp_path: Path
) -> None:
    sent = tmp_path / "税务局2024年度.csv"
    sent.write_bytes(
        "统一社会信用代码,年度,税收（元）\n91330122MA0000001A,2024,1000\n".encode("gbk")
    )
    at = dt.datetime(2025, 3, 1, 8, tzinfo=dt.UTC)
    with Session(city) as session:
        done = DataImport(
            started_at=at,
            finished_at=at,
            actor="tax-clerk",
            source=str(sent),
            fingerprint="f" * 64,
            counts={},
        )
        session.add(done)
        session.flush()
        keep_files(session.connection(), done.id, [sent])
        session.commit()
        number = done.id
    address = f"/admin/imports/{number}/files/{quote(sent.name)}"
    sign_in(app_client, "analyst")
    (item,) = app_client.get("/api/import-history").json()["items"]
    assert item["files"] == [
        {"name": sent.name, "size": sent.stat().st_size, "sha256": _sha256(sent)}
    ]
    assert address in app_client.get("/admin/imports").text
    download = app_client.get(address)
    assert download.status_code == 200 and download.content == sent.read_bytes()
    assert app_client.get(f"/admin/imports/{number}/files/other.csv").status_code == 404

    sign_in(app_client, "officer")
    assert address not in app_client.get("/admin/imports").text
    refused = app_client.get(address)
    assert refused.status_code == 403 and "县区账号不能下载" in refused.text
    with Session(city) as session:
        audited = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert audited is not None and audited.outcome == "refused"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
