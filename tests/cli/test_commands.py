"""The mujun command as a user or a program drives it: exit codes, one-line failures, one
JSON document, Chinese and English."""

import json
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from mujun.cli.app import app

runner = CliRunner()


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'records.db'}"


def mujun(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_help_lists_the_commands() -> None:
    code, out, _ = mujun("--help")
    assert code == 0
    for command in ("demo", "import", "export", "template", "summary"):
        assert command in out


def test_the_database_comes_from_mujun_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MUJUN_DB", f"sqlite:///{tmp_path / 'from-env.db'}")
    code, _, _ = mujun("summary", "--format", "json")
    assert code == 0
    assert (tmp_path / "from-env.db").exists()


def test_without_db_or_mujun_db_the_database_is_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MUJUN_DB", raising=False)
    monkeypatch.chdir(tmp_path)
    assert mujun("summary")[0] == 0
    assert (tmp_path / "mujun.db").exists()


def test_demo_then_summary_then_a_second_import_changes_nothing(
    tmp_path: Path, db_url: str
) -> None:
    out_dir = tmp_path / "demo"
    code, out, _ = mujun("--db", db_url, "demo", "--enterprises", "80", "--out", str(out_dir))
    assert code == 0, out
    assert "分县概况" in out

    code, out, _ = mujun("--db", db_url, "summary", "--format", "json")
    summary = json.loads(out)
    assert summary["tables"]["enterprises"] >= 80
    assert sum(c["enterprises"] for c in summary["counties"]) == summary["tables"]["enterprises"]

    code, out, _ = mujun("--db", db_url, "--lang", "en", "import", str(out_dir))
    assert code == 0
    assert "Nothing changed" in out


def test_a_bad_data_set_fails_with_one_line_and_one_json_document(
    tmp_path: Path, db_url: str
) -> None:
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "parcels.csv").write_text("parcel_id,area_m2\nP1,-3\nP2,abc\n", encoding="utf-8")
    marked = tmp_path / "marked.xlsx"
    code, out, err = mujun(
        "--db",
        db_url,
        "--lang",
        "en",
        "import",
        str(folder),
        "--marked",
        str(marked),
        "--format",
        "json",
    )
    assert code == 1
    document = json.loads(out)  # exactly one document
    assert document["committed"] is False
    assert [(p["row"], p["column"], p["code"]) for p in document["problems"]] == [
        (2, "area_m2", "negative"),
        (3, "area_m2", "not_number"),
    ]
    assert err.strip().count("\n") == 0 and "2 problems" in err
    assert marked.exists()


def test_importing_a_folder_without_data_files_fails_with_its_reason(
    tmp_path: Path, db_url: str
) -> None:
    folder = tmp_path / "empty"
    folder.mkdir()
    marked = str(tmp_path / "m.xlsx")
    code, _, err = mujun("--db", db_url, "--lang", "en", "import", str(folder), "--marked", marked)
    assert code == 1
    assert err.strip().count("\n") == 0
    assert "no file or sheet named after a table" in err


def test_a_problem_names_its_record_and_the_column_as_the_file_named_it(
    tmp_path: Path, db_url: str
) -> None:
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "宗地.csv").write_text("宗地号,面积(平方米)\nPOK,5\nPBAD1,-3\n", encoding="utf-8")
    code, out, _ = mujun(
        "--db", db_url, "import", str(folder), "--marked", str(tmp_path / "m.xlsx")
    )
    assert code == 1
    (line,) = [line for line in out.splitlines() if "PBAD1" in line]
    assert "面积(平方米)" in line and "不能为负数" in line
    code, out, _ = mujun(
        "--db",
        db_url,
        "import",
        str(folder),
        "--marked",
        str(tmp_path / "m.xlsx"),
        "--format",
        "json",
    )
    (problem,) = json.loads(out)["problems"]
    assert problem["record"] == {"parcel_id": "PBAD1"}
    assert (problem["column"], problem["header"]) == ("area_m2", "面积(平方米)")


def test_problems_are_shown_in_chinese_by_default(tmp_path: Path, db_url: str) -> None:
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "宗地.csv").write_text("宗地号,面积(平方米)\nP1,-3\n", encoding="utf-8")
    code, out, err = mujun(
        "--db", db_url, "import", str(folder), "--marked", str(tmp_path / "m.xlsx")
    )
    assert code == 1
    assert "不能为负数" in out
    assert "数据库未作任何修改" in err


def test_template_and_export(tmp_path: Path, db_url: str) -> None:
    template = tmp_path / "填报模板.xlsx"
    assert mujun("--db", db_url, "template", str(template))[0] == 0
    assert "填表说明" in openpyxl.load_workbook(template).sheetnames
    assert mujun("--db", db_url, "template", str(tmp_path / "t.csv"))[0] == 1

    mujun("--db", db_url, "demo", "--enterprises", "30", "--out", str(tmp_path / "demo"))
    code, out, _ = mujun("--db", db_url, "export", str(tmp_path / "out"), "--format", "json")
    assert code == 0
    rows = json.loads(out)["rows"]
    assert rows["enterprises"] >= 30
    assert (tmp_path / "out" / "enterprises.csv").exists()


def test_the_installed_command_fails_in_one_line_on_an_unreachable_database() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mujun", "--db", "postgresql://nobody@127.0.0.1:1/x", "summary"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0
    assert result.stderr.startswith("mujun: OperationalError")


def test_the_installed_command_ends_with_its_output_alone_and_its_records_closed(
    tmp_path: Path,
) -> None:
    """Nothing follows a command's last word on stderr (DuckDB's bindings report objects left
    at the interpreter's tear-down, which the command skips), and the records file is closed:
    SQLite's log is folded back into it."""
    records = tmp_path / "records.db"
    program = [sys.executable, "-m", "mujun", "--db", f"sqlite:///{records}"]
    identify = ["identify", "--profile", "ankang-2024", "--as-of", "2025-12-31", "--format", "json"]
    result = subprocess.run([*program, *identify], capture_output=True, text=True, check=False)
    assert result.returncode == 0
    assert result.stderr == ""
    assert json.loads(result.stdout)["profile"] == "ankang-2024"
    assert records.exists()
    assert not records.with_name("records.db-wal").exists()

    mistyped = subprocess.run([*program, "identfy"], capture_output=True, text=True, check=False)
    assert mistyped.returncode == 2
    assert "identfy" in mistyped.stderr
