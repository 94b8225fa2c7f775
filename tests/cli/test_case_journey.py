"""One idle parcel worked entirely from the command line (issue 12, "done when"): from the
run's finding through the survey, the cause, the hearing notice and the fee decision to a plan,
a task, and the exit that passes only once a correcting import shows the land started."""

import csv
import json
from pathlib import Path

import docx
import pytest
from typer.testing import CliRunner

from mujun.cli.app import app
from mujun.interchange.exporter import write_csv_folder
from tests.planted import SCENARIOS, planted_city

runner = CliRunner()


def mujun(url: str, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["--db", url, *args])
    return result.exit_code, result.stdout, result.stderr


def ok(url: str, *args: str) -> str:
    code, out, err = mujun(url, *args)
    assert code == 0, (args, out, err)
    return out


def refused(url: str, *args: str) -> str:
    code, out, err = mujun(url, *args)
    assert code == 1, (args, out)
    assert len(err.strip().splitlines()) == 1
    return err


@pytest.fixture
def city(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'records.db'}"
    write_csv_folder(tmp_path / "data", planted_city(enterprises=60, seed=5))
    ok(url, "import", str(tmp_path / "data"))
    return url


def test_an_idle_parcel_from_its_finding_to_its_exit(city: str, tmp_path: Path) -> None:
    (parcel,) = (
        case.subject_id
        for case in SCENARIOS["idle/not-started"]
        if case.note == "agreed start 2021-03-01; no construction record"
    )
    run = json.loads(
        ok(
            city,
            "identify",
            "--profile",
            "ankang-2024",
            "--as-of",
            "2025-12-31",
            "--format",
            "json",
        )
    )["run"]
    opened = json.loads(ok(city, "cases", "open", "--run", str(run), "--format", "json"))
    (number,) = (
        c["case"]
        for c in opened["opened"]
        if (c["subject_id"], c["category"]) == (parcel, "idle_land")
    )
    case = str(number)

    ok(city, "cases", "move", case, "confirmed", "--date", "2026-01-05", "--reason", "核实无误")
    ok(city, "cases", "record", case, "cause", "--cause", "enterprise", "--date", "2026-01-06")
    notice = tmp_path / "听证告知书.docx"
    ok(
        city,
        "cases",
        "document",
        case,
        "hearing_notice",
        "--out",
        str(notice),
        "--date",
        "2026-01-08",
    )
    assert parcel in "\n".join(p.text for p in docx.Document(str(notice)).paragraphs)
    ok(city, "cases", "record", case, "hearing_notice", "--date", "2026-01-09")
    # Five working days after Friday 9 January 2026 end on Friday 16 January.
    assert "2026-01-17" in refused(
        city, "cases", "record", case, "fee_decision", "--date", "2026-01-15"
    )
    decision = tmp_path / "决定书.docx"
    ok(
        city,
        "cases",
        "document",
        case,
        "fee_decision",
        "--out",
        str(decision),
        "--date",
        "2026-01-19",
    )
    ok(city, "cases", "record", case, "fee_decision", "--date", "2026-01-19")

    shown = json.loads(ok(city, "cases", "show", case, "--as-of", "2026-01-20", "--format", "json"))
    assert shown["hearing"] == {
        "served": "2026-01-09",
        "request_by": "2026-01-16",
        "requested": None,
        "held": None,
    }
    fee = next(step for step in shown["legal"] if step["step"] == "idle_fee")
    # 30 days after service end on 18 February 2026, in the Spring Festival holiday (15–23
    # February): the last day moves to the next working day (Civil Code art. 203).
    assert (fee["decided_on"], fee["due_by"]) == ("2026-01-19", "2026-02-24")
    assert [d["kind"] for d in shown["documents"]] == ["hearing_notice", "fee_decision"]
    assert all(d["served_on"] for d in shown["documents"])

    ok(
        city, "cases", "plan", case, "--path", "fee_and_develop", "--due", "2026-12-31",
        "--unit", "natural_resources", "--measures", "征缴闲置费，限期开工",
        "--milestone", "开工@2026-06-30", "--date", "2026-01-19",
    )  # fmt: skip
    ok(city, "cases", "move", case, "planned", "--date", "2026-01-20", "--reason", "专班审批")
    ok(city, "cases", "task", case, "--unit", "natural_resources", "--what", "督促开工",
       "--due", "2026-03-31", "--date", "2026-01-20")  # fmt: skip
    task = str(json.loads(ok(city, "cases", "show", case, "--format", "json"))["tasks"][0]["task"])
    ok(city, "cases", "accept", task, "--date", "2026-01-21")
    ok(city, "cases", "done", task, "--note", "已督促开工", "--date", "2026-02-01")
    ok(city, "cases", "move", case, "in_progress", "--date", "2026-01-21", "--reason", "整治")
    ok(city, "cases", "move", case, "evaluating", "--date", "2026-02-02", "--reason", "申请出库")
    assert "超过约定动工开发日期满一年未动工开发" in refused(
        city, "cases", "move", case, "closed", "--date", "2026-02-03", "--reason", "评估"
    )

    correction = tmp_path / "correction"
    correction.mkdir()
    with (correction / "construction.csv").open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["parcel_id", "as_of", "started_date"])
        writer.writerow([parcel, "2026-02-01", "2026-02-01"])
    ok(city, "import", str(correction), "--reason", "开工核查")
    ok(city, "cases", "move", case, "closed", "--date", "2026-02-03", "--reason", "评估通过")

    listed = json.loads(ok(city, "cases", "list", "--state", "closed", "--format", "json"))
    assert [c["case"] for c in listed["cases"]] == [number]
    history = json.loads(ok(city, "cases", "show", case, "--format", "json"))["history"]
    assert [h["state"] for h in history] == [
        "surveyed",
        "confirmed",
        "planned",
        "in_progress",
        "evaluating",
        "closed",
    ]
