"""mujun evaluate as a user or a program drives it."""

import csv
import json
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from mujun.cli.app import app
from mujun.evaluation.runs import get_evaluation
from mujun.records import EvaluationRun
from mujun.records.database import open_engine

runner = CliRunner()


def mujun(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("evaluate")
    url = f"sqlite:///{folder / 'records.db'}"
    code, out, _ = mujun("--db", url, "demo", "--enterprises", "200", "--out", str(folder / "d"))
    assert code == 0, out
    yield url


def test_evaluate_json_follows_the_contract(db: str) -> None:
    code, out, _ = mujun(
        "--db", db, "evaluate", "--profile", "huangyan-2022", "--year", "2025", "--format", "json"
    )
    assert code == 0
    document = json.loads(out)
    assert (document["profile"], document["year"]) == ("huangyan-2022", 2025)
    results = document["results"]
    assert results
    for result in results:
        assert result["grade"] in {"A", "B", "C", "D"}
        assert isinstance(result["score"], float) and result["rank"] >= 1
        assert result["indicators"]["tax_per_mu_yuan"] is None or isinstance(
            result["indicators"]["tax_per_mu_yuan"], float
        )
        recomputed = sum(p["points"] for p in result["points"].values())
        assert recomputed - result["deduction_points"] == pytest.approx(result["score"])
    best = {r["cohort"]: r for r in results if r["rank"] == 1}
    assert set(best) == {"above_scale", "below_scale"}
    assert {e["reason"] for e in document["excluded"]} <= {
        "deregistered",
        "no_land",
        "no_figures",
        "scale_unknown",
        "new_land",
        "new_enterprise",
        "below_min_land",
        "no_cohort",
    }


def test_evaluate_keeps_its_run(db: str) -> None:
    base = ("--db", db, "evaluate", "--profile", "huangyan-2022", "--year", "2025")
    code, out, _ = mujun(*base, "--format", "json")
    assert code == 0
    document = json.loads(out)
    run = get_evaluation(open_engine(db), document["run"])
    assert (run.profile, run.year) == ("huangyan-2022", 2025)
    assert run.graded_count == len(document["results"])
    assert run.excluded_count == len(document["excluded"])
    code, out, _ = mujun(*base, "--limit", "1")
    assert code == 0 and f"评价批次 #{document['run'] + 1}" in out
    code, out, _ = mujun("--lang", "en", *base, "--limit", "1")
    assert code == 0 and f"Kept as evaluation run #{document['run'] + 2}" in out


def test_evaluate_as_a_table_and_as_files(db: str, tmp_path: Path) -> None:
    base = ("--db", db, "evaluate", "--profile", "huangyan-2022", "--year", "2025")
    code, out, _ = mujun(*base, "--limit", "3")
    assert code == 0 and "等级分布" in out and "规上工业企业" in out
    code, _, _ = mujun(*base, "--out", str(tmp_path / "notice.xlsx"))
    assert code == 0
    book = openpyxl.load_workbook(tmp_path / "notice.xlsx", read_only=True)
    assert "规上工业企业" in book.sheetnames
    code, _, _ = mujun(*base, "--out", str(tmp_path / "notice.csv"))
    assert code == 0
    with (tmp_path / "notice.csv").open(encoding="utf-8-sig") as f:
        assert len(list(csv.reader(f))) > 1


def test_what_if_shares_move_the_grades(db: str) -> None:
    base = ("--db", db, "evaluate", "--profile", "huangyan-2022", "--year", "2025")
    code, out, _ = mujun(*base, "--set", "above_scale.share.D=20%", "--format", "json")
    assert code == 0
    document = json.loads(out)
    assert document["overrides"] == {"above_scale.share.D": "20%"}
    above = [r for r in document["results"] if r["cohort"] == "above_scale"]
    assert sum(r["grade"] == "D" for r in above) >= round(len(above) * 0.2) - 1


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("--profile", "ankang-2024", "--year", "2025"), "ankang-2024"),
        (("--profile", "huangyan-2022", "--year", "2019"), "2019"),
        (("--profile", "huangyan-2022", "--year", "2025", "--set", "x=1"), "x"),
        (("--profile", "huangyan-2022", "--year", "2200"), "评价年度 2200 不在合理范围内"),
        (
            ("--profile", "huangyan-2022", "--year", "2025", "--set", "above_scale.share.D=150%"),
            "参数 above_scale.share.D 的值 150% 超出允许范围（0%–100%）",
        ),
        (
            ("--profile", "huangyan-2022", "--year", "2025", "--set", "below_scale.share.A=-5%"),
            "below_scale.share.A",
        ),
    ],
)
def test_bad_requests_fail_in_one_line(db: str, args: tuple[str, ...], says: str) -> None:
    code, _, err = mujun("--db", db, "evaluate", *args)
    assert code == 1
    assert says in err and len(err.strip().splitlines()) == 1


def test_rankings_by_county_park_and_industry(db: str) -> None:
    base = ("--db", db, "rankings", "--profile", "huangyan-2022", "--year", "2025")
    for by in ("county", "park", "industry"):
        code, out, _ = mujun(*base, "--by", by, "--format", "json")
        assert code == 0
        document = json.loads(out)
        groups = document["groups"]
        assert groups and document["by"] == by
        taxes = [g["tax_per_mu_yuan"] for g in groups if g["tax_per_mu_yuan"] is not None]
        assert taxes == sorted(taxes, reverse=True)
        assert all(
            g["grade_a"] + g["grade_b"] + g["grade_c"] + g["grade_d"] == g["enterprises"]
            for g in groups
        )
        order = "ABCD"
        assert all(
            order.index(f["grade"]) > order.index(f["grade_before"]) for f in document["fallen"]
        )
    code, out, _ = mujun(*base)
    assert code == 0 and "等级下降的企业" in out and "亩均税收" in out


RESULT_KEYS = ("credit_code", "name", "cohort", "rank", "score", "grade", "land_mu", "indicators")


def test_an_enterprise_portrait(db: str) -> None:
    code, out, _ = mujun(
        "--db", db, "evaluate", "--profile", "huangyan-2022", "--year", "2025", "--format", "json"
    )
    kept = json.loads(out)
    graded = kept["results"][3]
    base = ("--db", db, "enterprise", graded["credit_code"], "--profile", "huangyan-2022")
    code, out, _ = mujun(*base, "--year", "2025", "--format", "json")
    assert code == 0
    portrait = json.loads(out)
    assert (portrait["year"], portrait["run"]) == (2025, kept["run"])  # the kept run, as kept
    assert {k: portrait["result"][k] for k in RESULT_KEYS} == {k: graded[k] for k in RESULT_KEYS}
    assert [h["year"] for h in portrait["history"]][-1] == 2025
    assert 0 <= portrait["percentile"] <= 100
    assert portrait["land"] and portrait["policy"]["zh"]
    code, out, _ = mujun("--db", db, "enterprise", graded["credit_code"])  # defaults
    assert code == 0 and "历年等级" in out and "差别化政策" in out and "2025年度评分" in out
    code, _, err = mujun(
        "--db",
        db,
        "enterprise",
        "91000000000000000X",
        "--profile",
        "huangyan-2022",
        "--year",
        "2025",
    )
    assert code == 1 and "91000000000000000X" in err


def _kept_evaluations(db: str) -> int:
    with Session(open_engine(db)) as session:
        return session.scalar(select(func.count()).select_from(EvaluationRun)) or 0


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (("--year", "2200"), 1),
        (("--year", "2025", "--limit", "-1"), 2),
        (("--year", "2025", "--out", "/no/such/folder/notice.xlsx"), 1),
    ],
)
def test_a_request_that_cannot_run_keeps_no_run(db: str, args: tuple[str, ...], code: int) -> None:
    """Issue 10 (8, 10): an implausible year (2200), a negative --limit or an --out that
    cannot be written is refused before any evaluation is kept."""
    before = _kept_evaluations(db)
    result = runner.invoke(app, ["--db", db, "evaluate", "--profile", "huangyan-2022", *args])
    assert result.exit_code == code
    assert _kept_evaluations(db) == before
