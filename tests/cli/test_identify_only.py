"""identify --only: some rules of a profile judged, the run saying which, never of record."""

import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from mujun.cli.app import app
from mujun.identification.runs import run_findings, run_of_record
from mujun.interchange.exporter import write_csv_folder
from tests.planted import planted_city

runner = CliRunner()
ONLY = "idle/not-started,idle/stalled,ankang/low/5"


def mujun(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("only")
    url = f"sqlite:///{folder / 'records.db'}"
    write_csv_folder(folder / "d", planted_city(enterprises=60, seed=2))
    code, out, _ = mujun("--db", url, "import", str(folder / "d"))
    assert code == 0, out
    yield url


def identify(db: str, *extra: str) -> dict[str, Any]:
    code, out, err = mujun(
        "--db", db, "identify", "--profile", "ankang-2024", "--as-of", "2025-12-31",
        "--format", "json", *extra,
    )  # fmt: skip
    assert code == 0, err
    document: dict[str, Any] = json.loads(out)
    return document


def test_only_judges_the_rules_named_and_finds_what_the_full_run_finds(db: str) -> None:
    full = identify(db)
    some = identify(db, "--only", ONLY)
    wanted = set(ONLY.split(","))
    assert some["rules"] == sorted(wanted)
    assert len(full["rules"]) > len(wanted)

    def of(document: dict[str, Any]) -> list[Any]:
        return [f for f in document["findings"] if f["criterion"] in wanted]

    assert of(some) == of(full) and of(some)
    assert {f["criterion"] for f in some["findings"]} <= wanted

    code, out, _ = mujun("--db", db, "runs", "--format", "json")
    assert code == 0
    runs = {r["run"]: r for r in json.loads(out)["runs"]}
    assert runs[some["run"]]["rules"] == sorted(wanted)
    assert runs[full["run"]]["rules"] is None
    # the later run of some rules is not the run of record: the full run stays it
    with Session(create_engine(db)) as session:
        record = run_of_record(session=session)
    assert record is not None and record.id == full["run"]


def test_an_unknown_rule_is_refused_naming_the_profiles_rules(db: str) -> None:
    code, _, err = mujun(
        "--db", db, "--lang", "en", "identify", "--profile", "ankang-2024",
        "--as-of", "2025-12-31", "--only", "idle/not-started,no/such",
    )  # fmt: skip
    assert code == 1
    assert len(err.strip().splitlines()) == 1
    assert "no/such" in err and "ankang/low/5" in err and "idle/stalled" in err


def test_the_json_document_gives_the_kept_findings_as_they_are(db: str) -> None:
    """The findings are written without reparsing their evidence: the same values as the
    kept run's findings, each evidence parsed from what was kept."""
    document = identify(db)
    kept = run_findings(create_engine(db), document["run"])
    assert document["findings"] == [
        {
            "subject_type": f["subject_type"],
            "subject_id": f["subject_id"],
            "category": f["category"],
            "criterion": f["criterion"],
            "key": f["key"],
            "evidence": json.loads(f["evidence"]),
            "source": f["source"],
            "subject_name": f["subject_name"],
            "area_m2": f["area_m2"],
            "county_code": f["county_code"],
        }
        for f in kept.to_pylist()
    ]
    assert document["findings"] and document["unjudged"] is not None
