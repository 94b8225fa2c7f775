"""``mujun monitor`` (interface.md §3) and ``mujun warnings``: one JSON document per
``--format json`` with the contract's keys, a refusal as exit status 1 with a one-line reason on
stderr, on SQLite and on PostgreSQL. The records are the warnings' small world
(tests/monitoring/conftest.py), judged once."""

from sqlalchemy import Engine

from tests.cli.test_cases import Cli
from tests.monitoring.conftest import COUNTY, DROP, E1, E2, build_records

WARNING_KEYS = {"subject_type", "subject_id", "signal", "level", "evidence", "routed_to", "since"}
UNJUDGED_KEYS = {"signal", "subjects", "missing"}
TENTH = {f"2025-{m:02d}": 10.0 for m in range(1, 4)}


def test_monitor_and_the_warnings_commands(engine: Engine) -> None:
    build_records(engine, {E1: {"electricity_kwh": TENTH}, E2: {"electricity_kwh": TENTH}})
    cli = Cli(engine.url.render_as_string(hide_password=False))
    document = cli.json(
        "monitor", "--profile", "yancheng-2021", "--month", "2025-03", "--on", "2025-04-01"
    )
    assert {"profile", "month", "run", "warnings", "unjudged"} <= set(document)
    assert (document["profile"], document["month"]) == ("yancheng-2021", "2025-03")
    assert isinstance(document["run"], int)
    first, second = document["warnings"]
    assert set(first) >= WARNING_KEYS
    assert (first["subject_id"], second["subject_id"]) == (E1, E2)
    assert (first["signal"], first["level"], first["since"]) == (DROP, "orange", "2025-03")
    assert first["routed_to"] == [COUNTY, "power"]
    assert first["evidence"]["electricity_kwh_2025-03"] == 10.0
    assert first["evidence"]["electricity_kwh_2024-03"] == 100.0
    assert all(set(u) == UNJUDGED_KEYS for u in document["unjudged"])
    assert {"signal": "monitor/tax-zero", "subjects": 2, "missing": ["tax_yuan"]} in document[
        "unjudged"
    ]

    listed = cli.json("warnings", "list", "--as-of", "2025-04-08", "--county", COUNTY)
    assert [w["escalated_to"] for w in listed["warnings"]] == ["320900", "320900"]
    number = str(first["warning"])
    assert "已签收" in cli.ok("warnings", "receive", number, "--date", "2025-04-08")
    cli.ok("warnings", "feedback", number, "--date", "2025-04-09", "--text", "已约谈企业")
    cli.ok("warnings", "close", number, "--date", "2025-04-10", "--reason", "企业复产")
    (closed,) = cli.json("warnings", "list", "--state", "closed")["warnings"]
    assert (closed["warning"], closed["state"]) == (first["warning"], "closed")
    table = cli.ok("warnings", "list", "--level", "orange", "--as-of", "2025-04-10")
    assert "用电量连续骤降" in table and "已办结" in table

    other = str(second["warning"])
    assert "不能办结" in cli.refused(
        "warnings", "close", other, "--date", "2025-04-10", "--reason", "x"
    )
    assert "999" in cli.refused("warnings", "receive", "999", "--date", "2025-04-10")
    assert "YYYY-MM" in cli.refused("monitor", "--profile", "yancheng-2021", "--month", "2025-13")
    assert "monitor." in cli.refused("monitor", "--profile", "ankang-2024", "--month", "2025-03")
