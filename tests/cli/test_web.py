"""mujun accounts: adding and listing the web application's accounts."""

import json
from pathlib import Path

from typer.testing import CliRunner

from mujun.cli.app import app

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
