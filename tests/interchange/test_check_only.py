"""Checking a data set without importing it (``commit=False``), on SQLite and PostgreSQL: the
same problems and changes an import would find, and nothing written."""

from pathlib import Path

from sqlalchemy import Engine

from mujun.interchange.importer import ImportOutcome, import_data_set
from tests.interchange.test_importer import BASE, run_import, snapshot, with_change, write_data_set


def check(engine: Engine, path: Path, tmp_path: Path) -> ImportOutcome:
    return import_data_set(
        engine=engine,
        path=path,
        actor="checker",
        marked_copy=tmp_path / "checked.xlsx",
        commit=False,
    )


def test_a_check_reports_what_an_import_would_do_and_writes_nothing(
    engine: Engine, tmp_path: Path
) -> None:
    data_set = write_data_set(tmp_path / "ds", BASE)
    before = snapshot(engine)
    checked = check(engine, data_set, tmp_path)
    assert checked.problems == [] and not checked.committed
    assert snapshot(engine) == before
    imported = run_import(engine, data_set, tmp_path)
    assert imported.committed
    assert checked.changes == imported.changes
    assert checked.supplied == imported.supplied
    assert checked.supplied["parcels"] == tuple(BASE["parcels"][0])


def test_a_check_after_an_import_counts_updates_and_unchanged_rows(
    engine: Engine, tmp_path: Path
) -> None:
    run_import(engine, write_data_set(tmp_path / "one", BASE), tmp_path)
    before = snapshot(engine)
    changed = with_change("parcels", 0, area_m2="14000.5")
    checked = check(engine, write_data_set(tmp_path / "two", changed), tmp_path)
    assert (checked.changes["parcels"].updated, checked.changes["parcels"].unchanged) == (1, 1)
    assert checked.changes["enterprises"].unchanged == len(BASE["enterprises"])
    assert snapshot(engine) == before


def test_a_check_of_a_bad_data_set_reports_every_problem_and_marks_it(
    engine: Engine, tmp_path: Path
) -> None:
    bad = with_change("parcels", 0, area_m2="-5")
    checked = check(engine, write_data_set(tmp_path / "bad", bad), tmp_path)
    assert [(p.file, p.row, p.column) for p in checked.problems] == [("parcels.csv", 2, "area_m2")]
    assert checked.changes == {}
    assert checked.marked_copy is not None and checked.marked_copy.exists()
    assert snapshot(engine)["parcels"] == []
