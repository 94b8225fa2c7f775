"""``mujun publish`` and ``mujun objections`` as an official drives them, on SQLite and
PostgreSQL: publish a run, lodge an objection, answer it, repeat the run; refusals end with
one line on stderr and exit 1; ``--format json`` prints one JSON document.

The world is the one of :mod:`tests.disposal.test_objections`."""

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from mujun.cli.app import app
from tests.disposal.test_objections import (
    HOUSING,
    OFFICER,
    P2_RECORD,
    World,
    build_world,
    construction,
)

runner = CliRunner()


def mujun(world: World, *args: str, actor: str = OFFICER) -> tuple[int, str, str]:
    url = world.engine.url.render_as_string(hide_password=False)
    result = runner.invoke(app, ["--db", url, *args], env={"MUJUN_ACTOR": actor})
    return result.exit_code, result.stdout, result.stderr


def lodge_args(publication: int, date: str = "2024-07-02") -> list[str]:
    return [
        "objections",
        "lodge",
        "--publication",
        str(publication),
        "--table",
        "construction",
        "--key",
        P2_RECORD,
        "--column",
        "started_date",
        "--claimed",
        "2023-05-01",
        "--reason",
        "已于2023年5月开工",
        "--by",
        "乙公司",
        "--subject-type",
        "parcel",
        "--subject-id",
        "P2",
        "--date",
        date,
    ]


@pytest.fixture
def world(engine: Engine, tmp_path: Path) -> World:
    return build_world(engine, tmp_path, identified=True)


def test_publish_lodge_answer_and_repeat(world: World) -> None:
    code, out, err = mujun(
        world, "publish", str(world.run), "--date", "2024-07-01", "--format", "json"
    )
    assert code == 0, err
    publication = json.loads(out)
    assert (publication["ends_on"], publication["working_days"]) == ("2024-07-08", 5)

    code, out, err = mujun(world, *lodge_args(publication["id"]), "--format", "json")
    assert code == 0, err
    lodged = json.loads(out)
    assert (lodged["routed_to"], lodged["stored_value"], lodged["state"]) == (
        "natural_resources",
        None,
        "open",
    )

    code, out, _ = mujun(world, "objections", "list", "--department", "natural_resources")
    assert code == 0 and "乙公司" in out and "自然资源和规划局" in out
    code, out, _ = mujun(world, "objections", "list", "--state", "upheld", "--format", "json")
    assert json.loads(out) == {"total": 0, "objections": []}

    correcting = world.imported("start", construction("P2", "2023-05-01"))
    code, out, err = mujun(
        world,
        "--lang",
        "en",
        "objections",
        "answer",
        str(lodged["id"]),
        "--corrected-by",
        str(correcting),
        "--date",
        "2024-07-04",
        actor=HOUSING,
    )
    assert code == 0, err
    assert f"corrected by import {correcting}: now 2023-05-01" in out

    code, out, err = mujun(
        world, "objections", "repeat", str(publication["id"]), "--format", "json"
    )
    assert code == 0, err
    repeated = json.loads(out)
    assert repeated["counts"] == {"added": 0, "dropped": 1, "changed": 0}
    assert repeated["dropped"][0]["subject_id"] == "P2"

    code, out, _ = mujun(world, "objections", "list", "--format", "json")
    (listed,) = json.loads(out)["objections"]
    assert (listed["state"], listed["answer_import"], listed["answered_by"]) == (
        "corrected",
        correcting,
        HOUSING,
    )


def test_refusals_are_one_line_on_stderr(world: World) -> None:
    code, out, _ = mujun(world, "publish", str(world.run), "--date", "2024-07-01")
    assert code == 0 and "2024-07-08" in out

    code, out, err = mujun(world, "--lang", "en", *lodge_args(1, date="2024-07-09"))
    assert code == 1 and out == ""
    assert err.strip().count("\n") == 0
    assert "period ended on 2024-07-08" in err

    code, _, err = mujun(world, *lodge_args(1))
    assert code == 0, err
    answer = ("objections", "answer", "1", "--date", "2024-07-03")
    code, _, err = mujun(world, *answer, "--upheld", " ")
    assert code == 1 and "理由" in err
    code, _, err = mujun(world, *answer)
    assert code == 1 and "--corrected-by" in err
    code, _, err = mujun(world, "--lang", "en", "objections", "repeat", "9")
    assert code == 1 and "no publication 9" in err
