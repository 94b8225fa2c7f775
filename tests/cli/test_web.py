"""mujun accounts: adding and listing the web application's accounts."""

import json
from pathlib import Path

from sqlalchemy.orm import Session
from typer.testing import CliRunner

from mujun.cli.app import app
from mujun.records.database import open_engine
from mujun.web.accounts import sign_in

runner = CliRunner()


def test_accounts_add_and_list(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'records.db'}"
    add = ["--db", db, "accounts", "add", "wang", "--role", "county_officer", "--county", "330122"]
    result = runner.invoke(app, add, env={"MUJUN_PASSWORD": "a long password"})
    assert result.exit_code == 0, result.stdout
    again = runner.invoke(app, add, env={"MUJUN_PASSWORD": "a long password"})
    assert again.exit_code == 1 and "wang" in again.stderr
    short = runner.invoke(
        app,
        ["--db", db, "accounts", "add", "li", "--role", "viewer"],
        env={"MUJUN_PASSWORD": "short"},
    )
    assert short.exit_code == 1 and "8 characters" in short.stderr
    listed = runner.invoke(app, ["--db", db, "accounts", "list", "--format", "json"])
    accounts = json.loads(listed.stdout)["accounts"]
    assert [(a["username"], a["role"], a["county"]) for a in accounts] == [
        ("wang", "county_officer", "330122")
    ]
    officer_without_county = runner.invoke(
        app,
        ["--db", db, "accounts", "add", "zhao", "--role", "county_officer"],
        env={"MUJUN_PASSWORD": "a long password"},
    )
    assert officer_without_county.exit_code == 1 and "county" in officer_without_county.stderr
    provider = ["--db", db, "accounts", "add", "qian", "--role", "data_provider"]
    for department, code in ((None, 1), ("weather", 1), ("power", 0)):
        chosen = [] if department is None else ["--department", department]
        added = runner.invoke(app, provider + chosen, env={"MUJUN_PASSWORD": "a long password"})
        assert added.exit_code == code, added.stderr
        assert code == 0 or "tax, power" in added.stderr.replace("\n", "")


def test_demo_accounts_are_added_once_and_can_sign_in(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'records.db'}"
    for _ in range(2):
        result = runner.invoke(app, ["--db", db, "accounts", "demo"])
        assert result.exit_code == 0 and "mujun-demo" in result.stdout
    listed = json.loads(
        runner.invoke(app, ["--db", db, "accounts", "list", "--format", "json"]).stdout
    )
    roles = {a["username"]: (a["role"], a["county"]) for a in listed["accounts"]}
    assert roles["tonglu"] == ("county_officer", "330122") and len(roles) == 6
    departments = {a["username"]: a["department"] for a in listed["accounts"]}
    assert (departments["tax"], departments["land"]) == ("tax", "natural_resources")
    engine = open_engine(db)
    with Session(engine) as session:
        assert (
            sign_in(session, "tonglu", "mujun-demo", "127.0.0.1").account.role == "county_officer"
        )
