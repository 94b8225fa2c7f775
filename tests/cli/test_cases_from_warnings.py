"""``mujun cases open --warning``: the case of a warning (interface.md §3), one JSON document
shaped as ``cases open --format json`` with ``warning`` for ``run``; a refusal as exit status 1
with a one-line reason; on SQLite and PostgreSQL. The world is tests/disposal/test_warned.py's."""

from pathlib import Path

import openpyxl
from sqlalchemy import Engine

from tests.cli.test_cases import Cli
from tests.disposal.test_warned import FEED, IMMINENT, START_DUE, build


def test_a_warning_opens_its_case_from_the_command_line(engine: Engine, tmp_path: Path) -> None:
    warnings = build(engine)
    cli = Cli(engine.url.render_as_string(hide_password=False))
    assert "--run 或 --warning" in cli.refused("cases", "open")
    assert "--run 或 --warning" in cli.refused(
        "cases", "open", "--run", "1", "--warning", str(warnings[IMMINENT])
    )
    assert "报送数据的部门" in cli.refused("cases", "open", "--warning", str(warnings[FEED]))
    early = cli.refused(
        "cases", "open", "--warning", str(warnings[IMMINENT]), "--date", "2025-06-30"
    )
    assert "不能早于此日" in early and "2025-07-01 起可办理" in early

    opened = cli.json("cases", "open", "--warning", str(warnings[IMMINENT]), "--date", "2025-07-03")
    (case,) = opened["opened"]
    assert opened == {
        "warning": warnings[IMMINENT],
        "opened": [
            {
                "case": case["case"],
                "subject_type": "parcel",
                "subject_id": "P1",
                "category": "idle_land",
                "criteria": [IMMINENT],
            }
        ],
        "joined": [],
    }
    joined = cli.json("cases", "open", "--warning", str(warnings[START_DUE]))
    assert [j["case"] for j in joined["joined"]] == [case["case"]] and joined["opened"] == []
    shown = cli.json("cases", "show", str(case["case"]), "--as-of", "2025-07-03")
    assert (shown["criteria"], shown["warning"]) == ([IMMINENT], warnings[IMMINENT])
    assert shown["history"][0]["date"] == "2025-07-03"
    words = cli.ok("cases", "open", "--warning", str(warnings[IMMINENT]))
    assert f"预警 第 {warnings[IMMINENT]} 号" in words and "并入已有案件 1 件" in words
    cli.ok("cases", "list", "--out", str(tmp_path / "台账.xlsx"))
    sheet = openpyxl.load_workbook(tmp_path / "台账.xlsx", read_only=True).active
    assert sheet is not None
    cells = {cell for row in sheet.iter_rows(values_only=True) for cell in row}
    assert "即将构成闲置土地" in cells  # the criterion by its title in the ledger (台账)
