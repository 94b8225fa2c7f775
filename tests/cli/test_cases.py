"""``mujun cases`` as interface.md §3 writes it: one JSON document per ``--format json``, a refusal
as exit status 1 with a one-line reason on stderr, on SQLite and on PostgreSQL.

The records are the disposal tests' small world (tests/disposal/conftest.py), kept as a run."""

import datetime as dt
import json
import re
from pathlib import Path

import docx
import openpyxl
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from mujun.cli.app import app
from mujun.records import AnnualMetric, Compliance, Parcel
from mujun.records.database import open_engine
from tests.builders import identification_run
from tests.disposal.conftest import E1, K1, K2, build_records, keep_run

runner = CliRunner()
OPENED_KEYS = {"case", "subject_type", "subject_id", "category", "criteria"}
LIST_KEYS = {
    "case",
    "subject_type",
    "subject_id",
    "category",
    "county_code",
    "state",
    "next_deadline",
}
SHOW_KEYS = {
    "case",
    "subject_type",
    "subject_id",
    "category",
    "county_code",
    "state",
    "criteria",
    "idle",
    "legal",
    "hearing",
    "mortgagee_copy",
    "paths",
    "history",
}


class Cli:
    def __init__(self, url: str) -> None:
        self.url = url

    def run(self, *args: str) -> tuple[int, str, str]:
        result = runner.invoke(app, ["--db", self.url, *args], env={"MUJUN_ACTOR": "wang"})
        return result.exit_code, result.stdout, result.stderr

    def ok(self, *args: str) -> str:
        code, out, err = self.run(*args)
        assert code == 0, (args, out, err)
        return out

    def json(self, *args: str) -> dict:  # type: ignore[type-arg]
        document = json.loads(self.ok(*args, "--format", "json"))  # exactly one document
        assert isinstance(document, dict)
        return document

    def refused(self, *args: str) -> str:
        code, out, err = self.run(*args)
        assert code == 1, (args, out, err)
        assert out == ""
        lines = err.strip().splitlines()
        assert len(lines) == 1, err
        return lines[0]


@pytest.fixture
def cli(engine: Engine) -> tuple[Cli, int]:
    build_records(engine)
    run = keep_run(engine)
    return Cli(engine.url.render_as_string(hide_password=False)), run


def _open_all(cli: Cli, run: int) -> dict[str, int]:
    opened = cli.json("cases", "open", "--run", str(run))["opened"]
    return {o["subject_id"]: o["case"] for o in opened}


def test_open_prints_one_document_narrows_and_twice_opens_nothing(cli: tuple[Cli, int]) -> None:
    c, run = cli
    narrowed = c.json(
        "cases",
        "open",
        "--run",
        str(run),
        "--criterion",
        "idle/not-started",
        "--subject",
        "P2",
        "--date",
        "2024-07-03",
    )
    assert set(narrowed) == {"run", "opened", "joined"}
    assert narrowed["run"] == run and narrowed["joined"] == []
    (p2,) = narrowed["opened"]
    assert set(p2) >= OPENED_KEYS
    assert (p2["subject_type"], p2["subject_id"], p2["category"], p2["criteria"]) == (
        "parcel",
        "P2",
        "idle_land",
        ["idle/not-started"],
    )
    rest = c.json("cases", "open", "--run", str(run))
    assert [(o["subject_id"], o["criteria"]) for o in rest["opened"]] == [
        ("P1", ["ankang/low/1", "ankang/low/2"]),
        ("P3", ["idle/not-started"]),
    ]
    assert rest["joined"] == []
    assert c.json("cases", "open", "--run", str(run)) == {"run": run, "opened": [], "joined": []}
    shown = c.json("cases", "show", str(p2["case"]), "--as-of", "2024-07-03")
    assert shown["history"] == [
        {
            "state": "surveyed",
            "date": "2024-07-03",
            "actor": "wang",
            "reason": shown["history"][0]["reason"],
        }
    ]
    assert shown["history"][0]["reason"]
    out = c.ok("cases", "open", "--run", str(run))
    assert "0" in out and not out.lstrip().startswith("{")

    assert "nope/1" in c.refused("cases", "open", "--run", str(run), "--criterion", "nope/1")
    assert "999" in c.refused("cases", "open", "--run", "999")
    records = open_engine(c.url)
    with Session(records) as db:
        what_if = identification_run(profile="ankang-2024", overrides={"idle.after_years": "2"})
        db.add(what_if)
        db.commit()
        what_if_id = what_if.id
    records.dispose()
    assert "what-if" in c.refused("cases", "open", "--run", str(what_if_id))


def test_list_and_show_follow_the_contract(cli: tuple[Cli, int]) -> None:
    c, run = cli
    ids = _open_all(c, run)
    listed = c.json("cases", "list", "--as-of", "2024-07-01")
    assert [row["case"] for row in listed["cases"]] == [ids["P1"], ids["P2"], ids["P3"]]
    for row in listed["cases"]:
        assert set(row) >= LIST_KEYS
    rows = {row["subject_id"]: row for row in listed["cases"]}
    assert (rows["P1"]["county_code"], rows["P3"]["county_code"]) == (K1, K2)
    assert {row["state"] for row in listed["cases"]} == {"surveyed"}
    assert rows["P2"]["next_deadline"] == "2025-03-01"
    assert rows["P1"]["next_deadline"] is None

    c.ok("cases", "move", str(ids["P3"]), "confirmed", "--date", "2024-07-01", "--reason", "核实")
    confirmed = c.json("cases", "list", "--state", "confirmed")
    assert [row["case"] for row in confirmed["cases"]] == [ids["P3"]]
    assert c.json("cases", "list", "--overdue")["cases"] == []

    shown = c.json("cases", "show", str(ids["P2"]), "--as-of", "2024-07-01")
    assert set(shown) >= SHOW_KEYS
    assert (shown["case"], shown["subject_type"], shown["subject_id"]) == (
        ids["P2"],
        "parcel",
        "P2",
    )
    assert (shown["category"], shown["county_code"], shown["state"]) == (
        "idle_land",
        K1,
        "surveyed",
    )
    assert shown["criteria"] == ["idle/not-started"]
    assert shown["idle"] == {"since": "2023-03-01", "cause": None}
    assert [
        (s["step"], s["available_from"], s["available"], s["amount_yuan"]) for s in shown["legal"]
    ] == [("idle_fee", "2024-03-01", True, 200000.0), ("revocation", "2025-03-01", False, None)]
    assert shown["hearing"] is None
    assert shown["mortgagee_copy"] is True
    assert set(shown["paths"]) == {
        "extend_start",
        "change_use",
        "temporary_use",
        "paid_recovery",
        "land_swap",
        "fee_and_develop",
        "revocation",
    }
    (entry,) = shown["history"]
    assert set(entry) >= {"state", "date", "actor", "reason"}
    assert (entry["state"], entry["date"], entry["actor"]) == ("surveyed", "2024-06-28", "wang")

    p1 = c.json("cases", "show", str(ids["P1"]), "--as-of", "2024-07-01")
    assert p1["idle"] is None and p1["legal"] == [] and p1["hearing"] is None
    assert p1["mortgagee_copy"] is False
    assert "restructuring" in p1["paths"]
    p3 = c.json("cases", "show", str(ids["P3"]), "--as-of", "2024-07-01")
    assert p3["legal"][0]["amount_yuan"] is None
    assert [h["state"] for h in p3["history"]] == ["surveyed", "confirmed"]

    assert "42" in c.refused("cases", "show", "42")
    table = c.ok("cases", "show", str(ids["P2"]), "--as-of", "2024-07-01")
    assert "P2" in table and "2024-03-01" in table
    assert "处置方案" not in table  # none recorded yet


def test_a_refused_move_exits_1_with_a_one_line_reason(cli: tuple[Cli, int]) -> None:
    c, run = cli
    case = str(_open_all(c, run)["P1"])
    reason = c.refused("cases", "move", case, "planned", "--date", "2024-07-01", "--reason", "x")
    assert "「审核认定」" in reason and "「核实不予认定」" in reason
    english = c.refused(
        "--lang", "en", "cases", "move", case, "planned", "--date", "2024-07-01", "--reason", "x"
    )
    assert "confirmed" in english and "dismissed" in english
    assert "2024-06-28" in c.refused(
        "cases", "move", case, "confirmed", "--date", "2024-06-01", "--reason", "核实"
    )
    c.refused("cases", "move", case, "confirmed", "--date", "2024-07-01", "--reason", " ")
    c.refused("cases", "move", case, "confirmed", "--date", "July 1", "--reason", "核实")
    assert c.json("cases", "show", case)["state"] == "surveyed"
    c.ok("cases", "move", case, "dismissed", "--date", "2024-07-01", "--reason", "误报")
    finished = c.refused(
        "cases", "move", case, "confirmed", "--date", "2024-07-02", "--reason", "x"
    )
    assert "已办结" in finished


def test_a_step_the_law_does_not_yet_allow_names_the_day_it_becomes_possible(
    cli: tuple[Cli, int], tmp_path: Path
) -> None:
    c, run = cli
    case = str(_open_all(c, run)["P2"])
    early = c.refused(
        "cases", "record", case, "cause", "--cause", "enterprise", "--date", "2024-07-01"
    )
    assert "调查核实" in early
    c.ok("cases", "move", case, "confirmed", "--date", "2024-07-01", "--reason", "核实")
    c.ok("cases", "record", case, "cause", "--cause", "enterprise", "--date", "2024-07-02")
    c.ok("cases", "record", case, "hearing_notice", "--date", "2024-09-27")
    too_early = c.refused("cases", "record", case, "fee_decision", "--date", "2024-10-10")
    assert "2024-10-11" in too_early
    paper = c.refused(
        "cases",
        "document",
        case,
        "fee_decision",
        "--date",
        "2024-10-10",
        "--out",
        str(tmp_path / "决定书.docx"),
    )
    assert "2024-10-11" in paper
    assert not (tmp_path / "决定书.docx").exists()
    c.ok("cases", "record", case, "fee_decision", "--date", "2024-10-11")
    shown = c.json("cases", "show", case, "--as-of", "2024-10-12")
    assert shown["hearing"]["served"] == "2024-09-27"
    assert shown["hearing"]["request_by"] == "2024-10-10"
    assert shown["idle"] == {"since": "2023-03-01", "cause": "enterprise"}
    assert shown["legal"][0]["decided_on"] == "2024-10-11"
    assert shown["next_deadline"] == "2024-11-11"
    assert "--cause" in c.refused("cases", "record", case, "cause", "--date", "2024-10-12")


def test_plan_document_task_accept_and_done(cli: tuple[Cli, int], tmp_path: Path) -> None:
    c, run = cli
    case = str(_open_all(c, run)["P1"])
    c.ok("cases", "move", case, "confirmed", "--date", "2024-07-01", "--reason", "核实")
    assert "restructuring" in c.refused(
        "cases",
        "plan",
        case,
        "--path",
        "fee_and_develop",
        "--due",
        "2024-12-31",
        "--date",
        "2024-07-02",
    )
    c.ok(
        "cases",
        "plan",
        case,
        "--path",
        "restructuring",
        "--due",
        "2024-12-31",
        "--unit",
        "natural_resources",
        "--measures",
        "引进投资方重组",
        "--milestone",
        "签订重组协议@2024-09-30",
        "--date",
        "2024-07-02",
    )
    table = c.ok("cases", "show", case, "--as-of", "2024-07-02")
    assert "处置方案：重组转让（restructuring）" in table
    assert "牵头单位：自然资源和规划局" in table and "完成时限：2024-12-31" in table
    assert "措施1：引进投资方重组" in table and "节点：2024-09-30 签订重组协议" in table
    assert "约定亩均税收：无" in table
    assert "Plan: " in c.ok("--lang", "en", "cases", "show", case, "--as-of", "2024-07-02")
    c.ok("cases", "move", case, "planned", "--date", "2024-07-03", "--reason", "专班审批")
    out = tmp_path / "方案.docx"
    printed = c.ok("cases", "document", case, "plan", "--date", "2024-07-03", "--out", str(out))
    assert "桐自然资处〔2024〕1号" in printed
    text = "\n".join(p.text for p in docx.Document(str(out)).paragraphs)
    assert "桐自然资处〔2024〕1号" in text and "P1" in text
    c.refused("cases", "document", case, "plan", "--out", str(tmp_path / "方案.pdf"))

    dispatched = c.ok(
        "cases",
        "task",
        case,
        "--unit",
        "tax",
        "--what",
        "核实税收",
        "--due",
        "2024-08-31",
        "--date",
        "2024-07-03",
    )
    (task,) = re.findall(r"\d+", dispatched)
    second = re.findall(
        r"\d+",
        c.ok(
            "cases",
            "task",
            case,
            "--unit",
            K1,
            "--what",
            "约谈企业",
            "--due",
            "2024-08-31",
            "--date",
            "2024-07-03",
        ),
    )[0]
    c.refused("cases", "task", case, "--unit", "nowhere", "--what", "x", "--due", "2024-08-31")
    c.refused("cases", "done", task, "--note", "已核", "--date", "2024-07-04")
    c.ok("cases", "accept", task, "--date", "2024-07-04")
    assert "办结" in c.refused("cases", "done", task, "--date", "2024-07-05")
    c.ok("cases", "done", task, "--note", "已核实", "--date", "2024-07-05")
    c.ok("cases", "accept", second, "--date", "2024-07-04")
    evidence = tmp_path / "约谈记录.txt"
    evidence.write_text("约谈记录", encoding="utf-8")
    c.ok("cases", "done", second, "--file", str(evidence), "--date", "2024-07-06")

    shown = c.json("cases", "show", case, "--as-of", "2024-09-01")
    assert [(t["task"], t["state"], t["overdue"]) for t in shown["tasks"]] == [
        (int(task), "done", False),
        (int(second), "done", False),
    ]
    assert shown["plan"]["path"] == "restructuring"
    assert shown["plan"]["milestones"] == [{"what": "签订重组协议", "due": "2024-09-30"}]
    assert [d["kind"] for d in shown["documents"]] == ["plan"]
    assert c.json("cases", "list", "--unit", "tax")["cases"][0]["case"] == int(case)


def test_a_window_beyond_the_holiday_calendar_is_said_not_hidden(cli: tuple[Cli, int]) -> None:
    c, run = cli
    case = str(_open_all(c, run)["P2"])
    c.ok("cases", "move", case, "confirmed", "--date", "2024-07-01", "--reason", "核实")
    c.ok("cases", "record", case, "cause", "--cause", "enterprise", "--date", "2024-07-02")
    # Served on 28 December 2026: the 5 working days run into 2027, a year the calendar the
    # project uses does not know yet (its last year is 2026).
    c.ok("cases", "record", case, "hearing_notice", "--date", "2026-12-28")
    code, out, err = c.run("cases", "show", case, "--as-of", "2026-12-30", "--format", "json")
    # The calendar's message names the years it knows (2004-2026), on stderr or in the file.
    assert "2004" in out + err, (code, out, err)


def test_list_writes_the_ledger_workbook(cli: tuple[Cli, int], tmp_path: Path) -> None:
    c, run = cli
    ids = _open_all(c, run)
    out = tmp_path / "台账.xlsx"
    printed = c.ok("cases", "list", "--county", K2, "--as-of", "2024-07-01", "--out", str(out))
    assert str(out) in printed and "P3" in printed
    sheet = openpyxl.load_workbook(out).worksheets[0]
    rows = [row for row in sheet.iter_rows(min_row=3, values_only=True) if row[0] is not None]
    assert [(row[1], row[2], row[3]) for row in rows] == [(ids["P3"], "淳安县", "P3")]


def test_a_refused_exit_keeps_the_case_in_evaluation(cli: tuple[Cli, int]) -> None:
    c, run = cli
    case = str(_open_all(c, run)["P3"])
    c.ok("cases", "move", case, "confirmed", "--date", "2024-07-01", "--reason", "核实")
    c.ok(
        "cases",
        "plan",
        case,
        "--path",
        "fee_and_develop",
        "--due",
        "2025-06-30",
        "--date",
        "2024-07-01",
    )
    for state, on in (
        ("planned", "2024-07-02"),
        ("in_progress", "2024-07-03"),
        ("evaluating", "2024-07-04"),
    ):
        c.ok("cases", "move", case, state, "--date", on, "--reason", "推进")
    reason = c.refused("cases", "move", case, "closed", "--date", "2024-07-05", "--reason", "评估")
    assert "出库评估未通过" in reason and "2024-07-05" in reason
    shown = c.json("cases", "show", case, "--as-of", "2024-07-05")
    assert shown["state"] == "evaluating"
    assert [h["state"] for h in shown["history"]][-1] == "evaluating"
    c.ok("cases", "move", case, "in_progress", "--date", "2024-07-05", "--reason", "继续整治")
    assert c.json("cases", "show", case)["state"] == "in_progress"


def test_a_plan_s_agreed_per_mu_tax_is_shown_and_checked_at_the_exit(
    cli: tuple[Cli, int], engine: Engine
) -> None:
    """``--tax-per-mu-target`` in 元/亩; the exit evaluation of 2025-03-10 judges 2024."""
    c, run = cli
    case = str(_open_all(c, run)["P1"])
    c.ok("cases", "move", case, "confirmed", "--date", "2024-07-01", "--reason", "核实")
    plan = ["cases", "plan", case, "--path", "restructuring", "--due", "2024-12-31"]
    plan += ["--date", "2024-07-02"]
    assert "约定亩均税收须为正数" in c.refused(*plan, "--tax-per-mu-target", "-5")
    c.ok(*plan, "--tax-per-mu-target", "60000")
    assert c.json("cases", "show", case)["plan"]["tax_per_mu_target_yuan"] == 60000.0
    assert "约定亩均税收：6.00 万元/亩（出库评估时须达到）" in c.ok("cases", "show", case)
    for state, on in (
        ("planned", "2024-07-03"),
        ("in_progress", "2024-07-04"),
        ("evaluating", "2024-07-05"),
    ):
        c.ok("cases", "move", case, state, "--date", on, "--reason", "推进")
    with Session(engine) as db:  # the rules no longer fire; E1's 2024 tax is 52,000 per mu
        db.info.update(actor="loader", reason="test")
        compliance = db.get(Compliance, (E1, "prohibited_industry", dt.date(2023, 1, 1)))
        parcel = db.get(Parcel, "P1")
        assert compliance is not None and parcel is not None
        compliance.resolved_date = dt.date(2024, 8, 31)
        parcel.planning_adjustment = False
        db.add(AnnualMetric(credit_code=E1, year=2024, tax_yuan=780_000.0))
        db.commit()
    close = ("cases", "move", case, "closed", "--date", "2025-03-10", "--reason", "评估")
    reason = c.refused(*close)
    assert "出库评估未通过" in reason
    assert "2024年亩均税收 5.20 万元/亩（甲公司），未达到方案约定的 6.00 万元/亩" in reason
    assert "below the 6.00 the plan agreed" in c.refused("--lang", "en", *close)
    assert c.json("cases", "show", case)["state"] == "evaluating"
