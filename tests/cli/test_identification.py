"""profiles, identify, runs and diff as a user or a program drives them."""

import csv
import json
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from mujun.cli.app import app
from mujun.interchange.exporter import write_csv_folder
from tests.planted import SCENARIOS, planted_city

runner = CliRunner()
RULE_IDS = set(SCENARIOS)
CATEGORIES = {
    "idle_land",
    "low_efficiency_land",
    "non_industrial_use",
    "idle_building",
    "low_efficiency_building",
    "abnormal_enterprise",
    "approved_not_supplied",
    "supervised_resource",
}


def mujun(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A demo city of 150 enterprises with the planted cases, imported."""
    folder = tmp_path_factory.mktemp("identify")
    url = f"sqlite:///{folder / 'records.db'}"
    write_csv_folder(folder / "d", planted_city(enterprises=150, seed=1))
    code, out, _ = mujun("--db", url, "import", str(folder / "d"))
    assert code == 0, out
    yield url


def test_profiles_list_every_rule_with_its_source() -> None:
    code, out, _ = mujun("profiles", "--format", "json")
    assert code == 0
    profiles = {p["id"]: p for p in json.loads(out)["profiles"]}
    assert set(profiles) == {
        "cn-idle-2012",
        "ankang-2024",
        "tonglu-2022",
        "yancheng-2021",
        "yuzhou-2021",
        "huangyan-2021",
        "huangyan-2022",
    }
    assert profiles["huangyan-2022"]["evaluation"]["cohorts"][0]["id"] == "above_scale"
    implemented = {rule["id"] for p in profiles.values() for rule in p["rules"]}
    assert implemented == RULE_IDS
    assert all(rule["source"] for p in profiles.values() for rule in p["rules"])
    assert profiles["ankang-2024"]["extends"] == "cn-idle-2012"

    code, out, _ = mujun("profiles")
    assert code == 0
    assert "ankang/low/5" in out and "003_62d23dbf9dc3e358.txt" in out


def test_profiles_show_gives_dated_parameters() -> None:
    code, out, _ = mujun("profiles", "show", "tonglu-2022", "--format", "json")
    assert code == 0
    parameters = {p["name"]: p for p in json.loads(out)["parameters"]}
    line = parameters["tonglu.low.line_yuan_per_mu"]
    assert line["values"] == {"2022-01-01": "30000", "2023-01-01": "50000"}
    assert line["unit"] == "yuan/mu" and line["source"]
    assert parameters["idle.invested_share"]["values"] == {"2012-07-01": "25%"}
    code, out, _ = mujun("profiles", "show", "tonglu-2022")
    assert code == 0 and "2023-01-01" in out and "50000" in out


def test_an_unknown_profile_fails_in_one_line() -> None:
    code, _, err = mujun("profiles", "show", "atlantis-2030")
    assert code == 1
    assert "atlantis-2030" in err and len(err.strip().splitlines()) == 1


def test_identify_json_follows_the_contract(db: str) -> None:
    args = ("--db", db, "identify", "--profile", "ankang-2024", "--as-of", "2025-12-31")
    code, out, _ = mujun(*args, "--format", "json")
    assert code == 0
    document = json.loads(out)
    assert (document["profile"], document["as_of"]) == ("ankang-2024", "2025-12-31")
    assert document["findings"]
    for finding in document["findings"]:
        assert finding["subject_type"] in {"parcel", "building", "enterprise", "approval"}
        assert finding["category"] in CATEGORIES
        assert finding["criterion"] in RULE_IDS
        assert isinstance(finding["key"], bool)
        assert isinstance(finding["evidence"], dict) and finding["evidence"]
        assert finding["source"]
    keys = [(f["subject_type"], f["subject_id"], f["criterion"]) for f in document["findings"]]
    assert len(keys) == len(set(keys))
    assert {"criterion", "missing", "subjects"} <= set(document["unjudged"][0])

    again = json.loads(mujun(*args, "--format", "json")[1])
    assert again["findings"] == document["findings"]
    assert again["run"] == document["run"] + 1


def test_identify_as_a_table_in_chinese_and_english(db: str) -> None:
    args = ("identify", "--profile", "tonglu-2022", "--as-of", "2025-12-31", "--limit", "5")
    code, out, _ = mujun("--db", db, *args)
    assert code == 0
    assert "认定清单" in out and "tonglu/low" in out and "无法判定" in out
    code, out, _ = mujun("--db", db, "--lang", "en", *args)
    assert code == 0
    assert "Findings" in out and "not judged" in out


def test_identify_writes_a_workbook_and_a_csv(db: str, tmp_path: Path) -> None:
    base = ("--db", db, "identify", "--profile", "yuzhou-2021", "--as-of", "2025-12-31")
    code, _, _ = mujun(*base, "--out", str(tmp_path / "list.xlsx"))
    assert code == 0
    book = openpyxl.load_workbook(tmp_path / "list.xlsx", read_only=True)
    header = [
        row
        for row in book.worksheets[0].iter_rows(max_row=4, values_only=True)
        if row and row[0] == "序号"
    ]
    assert header and header[0][:6] == (
        "序号",
        "宗地号/企业名称",
        "面积(亩)",
        "类别",
        "认定依据",
        "关键数据",
    )
    code, _, _ = mujun(*base, "--out", str(tmp_path / "list.csv"))
    assert code == 0
    with (tmp_path / "list.csv").open(encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    assert rows[0][0] == "序号" and len(rows) > 1


def test_what_if_reports_the_difference_and_diff_repeats_it(db: str) -> None:
    args = ("--db", db, "identify", "--profile", "tonglu-2022", "--as-of", "2022-12-31")
    code, out, _ = mujun(*args, "--set", "tonglu.low.line_yuan_per_mu=50000", "--format", "json")
    assert code == 0
    document = json.loads(out)
    assert document["overrides"] == {"tonglu.low.line_yuan_per_mu": "50000"}
    assert document["parameters"]["tonglu.low.line_yuan_per_mu"] == "50000"
    difference = document["difference"]
    assert difference["b"] == document["run"]
    assert difference["added"] > 0 and difference["dropped"] == 0
    assert {f["criterion"] for f in difference["added_findings"]} == {"tonglu/low"}

    code, out, _ = mujun(
        "--db", db, "diff", str(difference["a"]), str(difference["b"]), "--format", "json"
    )
    assert code == 0
    assert json.loads(out)["added"] == difference["added"]
    code, out, _ = mujun("--db", db, "diff", str(difference["a"]), str(difference["b"]))
    assert code == 0 and "新增" in out

    code, out, _ = mujun("--db", db, "runs", "--format", "json")
    runs = {r["run"]: r for r in json.loads(out)["runs"]}
    assert runs[difference["b"]]["overrides"] == {"tonglu.low.line_yuan_per_mu": "50000"}
    assert runs[difference["a"]]["overrides"] == {}
    code, out, _ = mujun("--db", db, "runs")
    assert code == 0 and "tonglu-2022" in out


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("--set", "tonglu.low.nonsense=1"), "tonglu.low.nonsense"),
        (("--set", "tonglu.low.line_yuan_per_mu=lots"), "lots"),
        (("--set", "no-equals-sign"), "no-equals-sign"),
        (("--out", "list.pdf"), "list.pdf"),
        (("--set", "tonglu.low.line_yuan_per_mu=-1"), "tonglu.low.line_yuan_per_mu 的值 -1"),
        (("--set", "tonglu.low.years=0"), "不小于 1"),
        (("--set", "idle.developed_share=150%"), "0%–100%"),
    ],
)
def test_bad_options_fail_in_one_line(db: str, args: tuple[str, ...], says: str) -> None:
    base = ("--db", db, "identify", "--profile", "tonglu-2022", "--as-of", "2025-12-31")
    code, _, err = mujun(*base, *args)
    assert code == 1
    assert says in err and len(err.strip().splitlines()) == 1


def test_a_date_before_the_profile_is_in_force_fails_clearly(db: str) -> None:
    code, _, err = mujun(
        "--db", db, "identify", "--profile", "ankang-2024", "--as-of", "2020-06-30"
    )
    assert code == 1
    assert "2024-01-01" in err and len(err.strip().splitlines()) == 1
    code, _, err = mujun(
        "--db", db, "identify", "--profile", "ankang-2024", "--as-of", "2025-13-01"
    )
    assert code == 1 and "2025-13-01" in err


def test_an_evaluation_profile_has_nothing_to_identify(db: str) -> None:
    code, _, err = mujun(
        "--db", db, "identify", "--profile", "huangyan-2022", "--as-of", "2025-12-31"
    )
    assert code == 1 and "mujun evaluate" in err


def test_a_run_can_be_deleted(db: str) -> None:
    code, out, _ = mujun(
        "--db",
        db,
        "identify",
        "--profile",
        "yuzhou-2021",
        "--as-of",
        "2025-12-31",
        "--format",
        "json",
    )
    run = json.loads(out)["run"]
    code, out, _ = mujun("--db", db, "runs", "--delete", str(run), "--format", "json")
    assert code == 0 and run not in {r["run"] for r in json.loads(out)["runs"]}
    code, _, err = mujun("--db", db, "runs", "--delete", str(run))
    assert code == 1 and str(run) in err


def test_diff_of_an_unknown_run_fails(db: str) -> None:
    code, _, err = mujun("--db", db, "diff", "9999", "9998")
    assert code == 1 and "9999" in err


def _kept_runs(db: str) -> int:
    return len(json.loads(mujun("--db", db, "runs", "--format", "json")[1])["runs"])


@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        (("--as-of", "2200-01-01"), 1, "2200-01-01 不在合理范围内"),
        (("--as-of", "1899-12-31"), 1, "1899-12-31"),
        (("--as-of", "2025-12-31", "--limit", "-1"), 2, "--limit"),
        (("--as-of", "2025-12-31", "--out", "/no/such/folder/list.csv"), 1, "/no/such/folder"),
    ],
)
def test_a_request_that_cannot_run_keeps_no_run(
    db: str, args: tuple[str, ...], code: int, says: str
) -> None:
    """Issue 10 (8, 10): an implausible date, a negative --limit or an --out that cannot be
    written is refused before any run is kept."""
    before = _kept_runs(db)
    result = runner.invoke(app, ["--db", db, "identify", "--profile", "tonglu-2022", *args])
    assert result.exit_code == code
    assert says in result.stderr or says in result.output
    assert _kept_runs(db) == before


def test_an_out_that_is_a_folder_keeps_no_run(db: str, tmp_path: Path) -> None:
    before = _kept_runs(db)
    args = ("--profile", "tonglu-2022", "--as-of", "2025-12-31", "--out")
    code, _, err = mujun("--db", db, "identify", *args, str(tmp_path / "x.csv" / ".."))
    assert code == 1 and len(err.strip().splitlines()) == 1
    assert _kept_runs(db) == before
