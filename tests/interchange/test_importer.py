"""Importing data sets end to end, on SQLite and PostgreSQL: all or nothing, every bad row
reported, idempotent, logged."""

import csv
import os
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import duckdb
import openpyxl
import pytest
import xlsxwriter
from sqlalchemy import Connection, Engine, Table, inspect, select
from sqlalchemy.orm import Session

from mujun.analytics import derived
from mujun.demo import generate
from mujun.interchange import importer
from mujun.interchange.archive import keep_files
from mujun.interchange.credit_code import check_character
from mujun.interchange.exporter import export_data_set, write_csv_folder
from mujun.interchange.importer import ImportOutcome, import_data_set
from mujun.interchange.sources import read_data_set
from mujun.records import (
    DATA_MODELS,
    Base,
    Change,
    DataImport,
    Enterprise,
    EnterpriseCounty,
    ImportFile,
    Jurisdiction,
    Parcel,
    bulk,
    loading,
    table_of,
)
from mujun.records.fields import IMPORTED_BY

CODE_A = "91350100M000100Y43"
CODE_B = "91330122MA2H0X0X0" + check_character("91330122MA2H0X0X0")

BASE: dict[str, list[dict[str, str]]] = {
    "jurisdictions": [
        {"code": "330100", "name": "示范市", "level": "city", "parent_code": ""},
        {"code": "330122", "name": "示范县", "level": "county", "parent_code": "330100"},
    ],
    "enterprises": [
        {
            "credit_code": CODE_A,
            "name": "甲机械有限公司",
            "industry_code": "C3489",
            "above_scale": "true",
            "status": "operating",
            "jurisdiction_code": "330122",
        },
        {
            "credit_code": CODE_B,
            "name": "乙纺织有限公司",
            "industry_code": "C1711",
            "above_scale": "false",
            "status": "halted",
            "jurisdiction_code": "330122",
        },
    ],
    "parcels": [
        {
            "parcel_id": "P001",
            "area_m2": "13333.34",
            "jurisdiction_code": "330122",
            "land_use": "industrial",
            "supply_date": "2019-03-01",
            "holder_credit_code": CODE_A,
        },
        {
            "parcel_id": "P002",
            "area_m2": "20000",
            "jurisdiction_code": "330122",
            "land_use": "industrial",
            "supply_date": "1998-12-31",
            "holder_credit_code": CODE_B,
        },
    ],
    "land_occupancy": [
        {"credit_code": CODE_A, "parcel_id": "P001", "kind": "owned", "area_m2": "13333.34"},
        {"credit_code": CODE_B, "parcel_id": "P001", "kind": "leased_in", "area_m2": "2000"},
    ],
    "construction": [
        {
            "parcel_id": "P001",
            "as_of": "2024-12-31",
            "started_date": "2019-06-01",
            "completed_date": "2021-05-01",
        },
    ],
}


def write_data_set(
    folder: Path,
    tables: Mapping[str, Sequence[Mapping[str, str]]],
    *,
    encoding: str = "utf-8",
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in tables.items():
        with (folder / f"{name}.csv").open("w", encoding=encoding, newline="") as stream:
            writer = csv.DictWriter(stream, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    return folder


def with_change(table: str, row: int, **values: str) -> dict[str, list[dict[str, str]]]:
    """BASE with one row of one table changed (a missing key drops that column)."""
    changed = {name: [dict(r) for r in rows] for name, rows in BASE.items()}
    changed[table][row].update(values)
    return changed


def snapshot(engine: Engine) -> dict[str, list[dict[str, object]]]:
    """Everything the database holds, to compare before and after."""
    with engine.connect() as conn:
        data = {}
        models: tuple[type[Base], ...] = (*DATA_MODELS, Change, DataImport)
        for model in models:
            table = table_of(model)
            key = [c.name for c in table.primary_key.columns]
            data[table.name] = (
                bulk.read_rows(conn, table).sort_by([(k, "ascending") for k in key]).to_pylist()
            )
    return data


def run_import(engine: Engine, path: Path, tmp_path: Path) -> ImportOutcome:
    return import_data_set(
        engine=engine, path=path, actor="tester", marked_copy=tmp_path / "marked.xlsx"
    )


def problem_codes(outcome: ImportOutcome) -> list[tuple[str, int | None, str | None, str]]:
    return [(p.file, p.row, p.column, p.reason.code) for p in outcome.problems]


# -- a clean data set -------------------------------------------------------------------------


def test_a_clean_data_set_is_imported_and_recorded(engine: Engine, tmp_path: Path) -> None:
    """Each record inserted names the import, which says who, when, why and from which file;
    no change row is written for an insert (the import and the kept file say it)."""
    outcome = import_data_set(
        engine=engine, path=write_data_set(tmp_path / "ds", BASE), actor="tester", reason="年报"
    )
    assert outcome.problems == []
    assert outcome.committed
    assert {n: c.inserted for n, c in outcome.changes.items()} == {
        n: len(r) for n, r in BASE.items()
    }
    with Session(engine) as session:
        assert list(session.scalars(select(Change))) == []
        (record,) = session.scalars(select(DataImport))
    assert (record.actor, record.reason) == ("tester", "年报")
    assert record.sources == {name: f"{name}.csv" for name in BASE}
    data = snapshot(engine)
    for name, rows in BASE.items():
        assert [row[IMPORTED_BY] for row in data[name]] == [record.id] * len(rows)


def test_a_large_load_checks_references_once_and_keeps_the_keys_and_indexes(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The derived enterprises' counties, filled from empty, too."""
    monkeypatch.setattr(importer, "LARGE_LOAD", 1)
    tables = [*BASE, "enterprise_counties"]

    def schema() -> list[object]:
        found = inspect(engine)
        return [
            (found.get_foreign_keys(t), found.get_indexes(t), found.get_pk_constraint(t))
            for t in tables
        ]

    before = schema()
    outcome = run_import(engine, write_data_set(tmp_path / "ds", BASE), tmp_path)
    assert outcome.committed
    assert schema() == before
    assert len(snapshot(engine)["land_occupancy"]) == 2
    with engine.connect() as conn:
        assert bulk.count_rows(conn, table_of(EnterpriseCounty))


def test_a_large_import_alone_on_an_sqlite_file_writes_it_in_place(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In a rollback journal while it writes (on PostgreSQL nothing changes), the write-ahead
    log back once it has committed; a check alone (not committed) leaves the log on."""
    monkeypatch.setattr(importer, "LARGE_LOAD", 1)
    journals: list[str] = []

    def keep_and_note(conn: Connection, import_id: int, files: Sequence[Path]) -> None:
        if conn.dialect.name == "sqlite":
            journals.append(conn.exec_driver_sql("PRAGMA main.journal_mode").scalar_one())
        keep_files(conn, import_id, files)

    monkeypatch.setattr(importer, "keep_files", keep_and_note)
    data_set = write_data_set(tmp_path / "ds", BASE)
    checked = import_data_set(engine=engine, path=data_set, actor="tester", commit=False)
    assert checked.rows_changed and not checked.committed
    engine.dispose()  # the check's connections closed: the records are the import's alone
    assert run_import(engine, data_set, tmp_path).committed
    if engine.dialect.name == "sqlite":
        assert journals == ["delete"]
        assert engine.url.database is not None
        with sqlite3.connect(engine.url.database) as other:
            assert other.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert len(snapshot(engine)["enterprises"]) == len(BASE["enterprises"])


def test_a_large_import_compares_with_the_columnar_copy_made_current_first(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A large data set is compared with the records' columnar copy (geometries from the row
    store): the same data set changes nothing, and a fact written since the copy was made
    (here through the ORM) is seen."""
    monkeypatch.setattr(importer, "LARGE_LOAD", 1)
    attached: list[bool] = []
    attach = importer._attach_copy

    def attach_and_note(db: duckdb.DuckDBPyConnection, engine: Engine) -> Path | None:
        path = attach(db, engine)
        attached.append(path is not None)
        return path

    monkeypatch.setattr(importer, "_attach_copy", attach_and_note)
    outline = "POLYGON ((119.69 29.79, 119.70 29.79, 119.70 29.80, 119.69 29.80, 119.69 29.79))"
    shaped = {**BASE, "parcels": [{**p, "geometry_wkt": outline} for p in BASE["parcels"]]}
    data_set = write_data_set(tmp_path / "ds", shaped)
    run_import(engine, data_set, tmp_path)
    before = snapshot(engine)
    again = import_data_set(engine=engine, path=data_set, actor="tester", skip_repeated=False)
    assert not again.committed and again.rows_changed == 0
    assert snapshot(engine) == before
    with Session(engine) as session:
        parcel = session.get(Parcel, "P001")
        assert parcel is not None
        parcel.area_m2 = 1.0
        parcel.geometry_wkt = None
        session.commit()
    restored = run_import(engine, data_set, tmp_path)
    assert restored.changes["parcels"].updated == 1
    assert restored.changes["parcels"].unchanged == 1
    with Session(engine) as session:
        (update,) = session.scalars(
            select(Change).where(Change.import_id == restored.import_id)
        ).all()
    assert update.before is not None and update.after is not None
    assert (update.before["area_m2"], update.after["area_m2"]) == (1.0, 13333.34)
    assert (update.before["geometry_wkt"], update.after["geometry_wkt"]) == (None, outline)
    assert attached == [True, True, True]


@pytest.mark.parametrize("skip_repeated", [True, False])
def test_importing_the_same_data_set_twice_changes_nothing(
    engine: Engine, tmp_path: Path, skip_repeated: bool
) -> None:
    data_set = write_data_set(tmp_path / "ds", BASE)
    first = run_import(engine, data_set, tmp_path)
    before = snapshot(engine)
    again = import_data_set(
        engine=engine, path=data_set, actor="tester", skip_repeated=skip_repeated
    )
    assert again.problems == [] and not again.committed
    assert again.rows_changed == 0
    assert {n: vars(c) for n, c in again.changes.items()} == {
        n: {"inserted": 0, "updated": 0, "unchanged": len(BASE[n])} for n in BASE
    }
    assert again.supplied == first.supplied
    assert again.same_as == (first.import_id if skip_repeated else None)
    assert snapshot(engine) == before


def test_the_files_of_the_latest_import_are_not_read_again_while_the_records_stand(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nothing they hold can differ from the records: they are known by their digest, and
    the outcome says which import read them; a check alone (``commit`` False) says the same."""
    data_set = write_data_set(tmp_path / "ds", BASE)
    first = run_import(engine, data_set, tmp_path)
    reads = _noting_reads(monkeypatch)
    for commit in (True, False):
        again = import_data_set(engine=engine, path=data_set, actor="tester", commit=commit)
        assert again.same_as == first.import_id and again.rows_changed == 0
        assert [n.reason.code for n in again.notices] == ["already_imported"]
        assert f"第 {first.import_id} 次导入" in again.notices[0].message("zh")
    copied = write_data_set(tmp_path / "copy", BASE)  # the same files elsewhere
    assert run_import(engine, copied, tmp_path).same_as == first.import_id
    assert reads == []  # the files were not read again


def _logged_edit(engine: Engine) -> None:
    """A parcel's area corrected by hand (through the ORM, logged), as the web does."""
    with Session(engine, info={"actor": "clerk", "reason": "核实"}) as session:
        parcel = session.get(Parcel, "P001")
        assert parcel is not None
        parcel.area_m2 = 1.0
        session.commit()


def _noting_reads(monkeypatch: pytest.MonkeyPatch) -> list[set[str]]:
    """The files each reading of a data set is told are known already (not read)."""
    known: list[set[str]] = []

    def reading(*args: Any, **kwargs: Any) -> Any:
        known.append(set(kwargs.get("known", ())))
        return read_data_set(*args, **kwargs)

    monkeypatch.setattr(importer, "read_data_set", reading)
    return known


def test_the_files_a_data_set_shares_with_the_latest_import_are_not_read_again(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Sent again with one file changed, the data set has that file read, checked and
    compared, and the others claimed as they are: their rows stand, the outcome counts them
    unchanged and says so, and the import keeps every file."""
    first = run_import(engine, write_data_set(tmp_path / "one", BASE), tmp_path)
    reads = _noting_reads(monkeypatch)
    changed = write_data_set(tmp_path / "two", with_change("parcels", 0, area_m2="14000.5"))
    outcome = run_import(engine, changed, tmp_path)
    others = sorted(f"{name}.csv" for name in BASE if name != "parcels")
    assert reads == [set(others)]
    updated = {n: int(n == "parcels") for n in BASE}
    assert {n: vars(c) for n, c in outcome.changes.items()} == {
        n: {"inserted": 0, "updated": updated[n], "unchanged": len(rows) - updated[n]}
        for n, rows in BASE.items()
    }
    assert list(outcome.changes) == list(first.changes)  # in the order of the tables
    assert outcome.supplied == first.supplied
    assert [n.message("zh") for n in outcome.notices] == [
        f"{name}：与第 {first.import_id} 次导入读取的文件完全相同，且此后数据未变，未再读取。"
        for name in others
    ]
    (parcel,) = (p for p in snapshot(engine)["parcels"] if p["parcel_id"] == "P001")
    assert parcel["area_m2"] == 14000.5
    with Session(engine) as session:
        kept = session.scalars(
            select(ImportFile.name).where(ImportFile.import_id == outcome.import_id)
        ).all()
    assert sorted(kept) == sorted(f"{name}.csv" for name in BASE)


def test_a_known_file_still_claims_its_table(engine: Engine, tmp_path: Path) -> None:
    """A known file is not read, but a second file of its table is still a problem."""
    data_set = write_data_set(tmp_path / "one", BASE)
    run_import(engine, data_set, tmp_path)
    (data_set / "宗地.csv").write_bytes((data_set / "parcels.csv").read_bytes())
    again = run_import(engine, data_set, tmp_path)
    assert [p.reason.code for p in again.problems] == ["duplicate_source"]
    assert not again.committed


def test_files_known_when_the_import_began_are_read_after_all_if_the_records_changed_since(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fact written by hand between the import's first look and its lock: the import gives
    way and reads every file, and sets the fact back as its file has it."""
    run_import(engine, write_data_set(tmp_path / "one", BASE), tmp_path)
    reads = _noting_reads(monkeypatch)
    lock = importer._take_import_lock

    def edited_then_locked(conn: Connection) -> None:
        if len(reads) == 1:
            _logged_edit(engine)
        lock(conn)

    monkeypatch.setattr(importer, "_take_import_lock", edited_then_locked)
    changed = write_data_set(tmp_path / "two", with_change("enterprises", 0, name="甲机械股份公司"))
    outcome = run_import(engine, changed, tmp_path)
    assert reads == [{f"{name}.csv" for name in BASE if name != "enterprises"}, set()]
    assert outcome.changes["parcels"].updated == 1  # the area edited by hand, set back
    assert outcome.changes["enterprises"].updated == 1
    assert not outcome.notices


def test_the_files_of_the_latest_import_are_read_again_once_anything_else_changed(
    engine: Engine, tmp_path: Path
) -> None:
    """A fact changed since by hand, another import since, another file, or an import that
    did not note where the change log stood (made before it did) send the files through
    every check and comparison again."""
    data_set = write_data_set(tmp_path / "ds", BASE)
    run_import(engine, data_set, tmp_path)
    _logged_edit(engine)
    restored = run_import(engine, data_set, tmp_path)
    assert restored.same_as is None and restored.changes["parcels"].updated == 1

    other = write_data_set(tmp_path / "other", with_change("parcels", 0, area_m2="14000.5"))
    assert run_import(engine, other, tmp_path).changes["parcels"].updated == 1
    back = run_import(engine, data_set, tmp_path)
    assert back.same_as is None and back.changes["parcels"].updated == 1
    assert run_import(engine, data_set, tmp_path).same_as == back.import_id

    parcels = data_set / "parcels.csv"
    text = parcels.read_text(encoding="utf-8")
    parcels.write_text(text + "\n", encoding="utf-8")  # a blank line more: no row more
    reread = run_import(engine, data_set, tmp_path)
    assert reread.same_as is None and reread.rows_changed == 0 and not reread.problems
    parcels.write_text(text, encoding="utf-8")

    with engine.begin() as conn:
        conn.execute(table_of(DataImport).update().values(settled_change=None))
    unnoted = run_import(engine, data_set, tmp_path)
    assert unnoted.same_as is None and unnoted.rows_changed == 0


def test_a_changed_value_is_updated_with_before_and_after(engine: Engine, tmp_path: Path) -> None:
    first = run_import(engine, write_data_set(tmp_path / "one", BASE), tmp_path)
    changed = with_change("parcels", 0, area_m2="14000.5")
    outcome = import_data_set(
        engine=engine, path=write_data_set(tmp_path / "two", changed), actor="clerk", reason="更正"
    )
    assert outcome.changes["parcels"].updated == 1
    assert outcome.changes["parcels"].unchanged == 1
    with Session(engine) as session:
        update = session.scalars(select(Change).where(Change.action == "update")).one()
    assert update.object_key == "P001"
    assert (update.import_id, update.actor, update.reason) == (outcome.import_id, "clerk", "更正")
    assert update.before is not None and update.after is not None
    assert (update.before["area_m2"], update.after["area_m2"]) == (13333.34, 14000.5)
    assert update.after["supply_date"] == "2019-03-01"
    assert IMPORTED_BY not in update.after  # provenance, not a fact
    (parcel,) = (p for p in snapshot(engine)["parcels"] if p["parcel_id"] == "P001")
    assert parcel[IMPORTED_BY] == first.import_id  # still the import that inserted it


def test_a_file_without_an_optional_column_keeps_its_stored_values(
    engine: Engine, tmp_path: Path
) -> None:
    run_import(engine, write_data_set(tmp_path / "one", BASE), tmp_path)
    only_area = {"parcels": [{"parcel_id": "P001", "area_m2": "15000"}]}
    outcome = run_import(engine, write_data_set(tmp_path / "two", only_area), tmp_path)
    assert outcome.committed
    parcels = {p["parcel_id"]: p for p in snapshot(engine)["parcels"]}
    assert parcels["P001"]["area_m2"] == 15000.0
    assert parcels["P001"]["holder_credit_code"] == CODE_A
    assert str(parcels["P001"]["supply_date"]) == "2019-03-01"


def test_references_may_point_at_records_imported_earlier(engine: Engine, tmp_path: Path) -> None:
    run_import(engine, write_data_set(tmp_path / "one", BASE), tmp_path)
    later = {"annual_metrics": [{"credit_code": CODE_B, "year": "2024", "tax_yuan": "0"}]}
    outcome = run_import(engine, write_data_set(tmp_path / "two", later), tmp_path)
    assert outcome.problems == [] and outcome.changes["annual_metrics"].inserted == 1


# -- bad input: a clear message, and the database as it was ------------------------------


BAD_CELLS = [
    (
        "unknown enum value",
        with_change("parcels", 1, land_use="farmland"),
        ("parcels.csv", 3, "land_use", "not_a_choice"),
    ),
    (
        "impossible date",
        with_change("parcels", 0, supply_date="2023-02-29"),
        ("parcels.csv", 2, "supply_date", "not_date"),
    ),
    (
        "bad check digit",
        with_change("enterprises", 0, credit_code=CODE_A[:-1] + "4"),
        ("enterprises.csv", 2, "credit_code", "credit_code_check_digit"),
    ),
    (
        "duplicate key",
        with_change("parcels", 1, parcel_id="P001"),
        ("parcels.csv", 2, "parcel_id", "duplicate_key"),
    ),
    (
        "orphan reference",
        with_change("land_occupancy", 1, parcel_id="P999"),
        ("land_occupancy.csv", 3, "parcel_id", "unknown_reference"),
    ),
    (
        "negative area",
        with_change("parcels", 1, area_m2="-1"),
        ("parcels.csv", 3, "area_m2", "negative"),
    ),
    (
        "completion before start",
        with_change("construction", 0, completed_date="2019-05-31"),
        ("construction.csv", 2, "completed_date", "out_of_order"),
    ),
]


@pytest.mark.parametrize(("case", "tables", "expected"), BAD_CELLS, ids=[c[0] for c in BAD_CELLS])
def test_a_bad_cell_fails_the_whole_import_and_is_named(
    engine: Engine,
    tmp_path: Path,
    case: str,
    tables: dict[str, list[dict[str, str]]],
    expected: tuple[str, int, str, str],
) -> None:
    run_import(engine, write_data_set(tmp_path / "clean", BASE), tmp_path)
    before = snapshot(engine)
    outcome = run_import(engine, write_data_set(tmp_path / "bad", tables), tmp_path)
    assert not outcome.committed
    assert expected in problem_codes(outcome), case
    assert snapshot(engine) == before
    assert outcome.marked_copy is not None and outcome.marked_copy.exists()


def test_every_bad_row_is_reported_not_just_the_first(engine: Engine, tmp_path: Path) -> None:
    bad = with_change("parcels", 0, area_m2="-5", land_use="farmland")
    bad["parcels"][1]["supply_date"] = "2021-13-01"
    outcome = run_import(engine, write_data_set(tmp_path / "bad", bad), tmp_path)
    assert {(p.row, p.column) for p in outcome.problems} == {
        (2, "area_m2"),
        (2, "land_use"),
        (3, "supply_date"),
    }
    assert snapshot(engine)["parcels"] == []


def test_a_missing_required_column(engine: Engine, tmp_path: Path) -> None:
    bad = {"parcels": [{"parcel_id": "P1", "land_use": "industrial"}]}
    outcome = run_import(engine, write_data_set(tmp_path / "bad", bad), tmp_path)
    assert ("parcels.csv", 1, "area_m2", "missing_column") in problem_codes(outcome)
    assert not outcome.committed


def test_wrong_encoding(engine: Engine, tmp_path: Path) -> None:
    folder = tmp_path / "bad"
    folder.mkdir()
    text = "宗地号,面积(平方米)\nP1,100\n"
    (folder / "parcels.csv").write_bytes(text.encode("utf-16"))
    outcome = run_import(engine, folder, tmp_path)
    assert [p.reason.code for p in outcome.problems] == ["wrong_encoding"]
    assert snapshot(engine)["parcels"] == []


def test_gbk_with_chinese_headers_and_file_names_imports(engine: Engine, tmp_path: Path) -> None:
    folder = tmp_path / "gbk"
    folder.mkdir()
    (folder / "宗地.csv").write_bytes(
        "宗地号,面积(平方米),规划用途\nP1,666.67,工业\n".encode("gbk")
    )
    outcome = run_import(engine, folder, tmp_path)
    assert outcome.problems == []
    (parcel,) = snapshot(engine)["parcels"]
    assert (parcel["parcel_id"], parcel["area_m2"], parcel["land_use"]) == (
        "P1",
        666.67,
        "industrial",
    )


def test_a_bad_gbk_file_comes_back_marked_and_readable(engine: Engine, tmp_path: Path) -> None:
    folder = tmp_path / "gbk"
    folder.mkdir()
    (folder / "宗地.csv").write_bytes("宗地号,面积(平方米),规划用途\nP1,-1,工业\n".encode("gbk"))
    outcome = run_import(engine, folder, tmp_path)
    assert [(p.row, p.column) for p in outcome.problems] == [(2, "area_m2")]
    assert outcome.marked_copy is not None
    sheet = openpyxl.load_workbook(outcome.marked_copy)["宗地.csv"]
    assert [c.value for c in sheet[1]][:3] == ["宗地号", "面积(平方米)", "规划用途"]
    comment = sheet["B2"].comment
    assert comment is not None and "不能为负数" in comment.text


def test_an_empty_file_is_a_problem_and_a_header_only_file_is_passed_over(
    engine: Engine, tmp_path: Path
) -> None:
    folder = write_data_set(tmp_path / "ds", {"jurisdictions": BASE["jurisdictions"]})
    (folder / "parcels.csv").write_text("parcel_id,area_m2\n", encoding="utf-8")
    header_only = run_import(engine, folder, tmp_path)
    assert header_only.problems == [] and header_only.committed
    assert any("parcels" in str(n) for n in header_only.notices)

    (folder / "enterprises.csv").write_bytes(b"")
    before = snapshot(engine)
    empty = run_import(engine, folder, tmp_path)
    assert [p.reason.code for p in empty.problems] == ["empty_file"]
    assert snapshot(engine) == before


@pytest.mark.parametrize("value", ["inf", "1e309", "NaN", "-Infinity"])
def test_a_number_that_is_not_finite_is_a_problem_and_nothing_is_written(
    engine: Engine, tmp_path: Path, value: str
) -> None:
    bad = with_change("parcels", 1, area_m2=value)
    outcome = run_import(engine, write_data_set(tmp_path / "bad", bad), tmp_path)
    assert problem_codes(outcome) == [("parcels.csv", 3, "area_m2", "not_finite")]
    assert snapshot(engine)["parcels"] == []


def test_a_date_beyond_2100_is_a_problem(engine: Engine, tmp_path: Path) -> None:
    bad = with_change("parcels", 0, supply_date="9999-12-31")
    outcome = run_import(engine, write_data_set(tmp_path / "bad", bad), tmp_path)
    assert problem_codes(outcome) == [("parcels.csv", 2, "supply_date", "date_range")]
    assert "1949-10-01 – 2100-12-31" in outcome.problems[0].message("en")
    assert snapshot(engine)["parcels"] == []


def test_a_folder_without_data_files_is_a_problem(engine: Engine, tmp_path: Path) -> None:
    folder = tmp_path / "empty"
    folder.mkdir()
    (folder / "readme.txt").write_text("nothing here", encoding="utf-8")
    outcome = run_import(engine, folder, tmp_path)
    assert [(p.file, p.reason.code) for p in outcome.problems] == [("empty", "no_data_files")]
    assert not outcome.committed


@pytest.mark.parametrize("first", ["utf-8", "gbk"])
def test_a_csv_file_mixing_utf8_and_gbk_rows_is_refused_at_its_first_odd_row(
    engine: Engine, tmp_path: Path, first: str
) -> None:
    folder = tmp_path / "mixed"
    folder.mkdir()
    other = "gbk" if first == "utf-8" else "utf-8"
    lines = [("宗地号,面积(平方米),规划用途\n", first), ("P1,100,工业\n", first)]
    lines += [("P2,200,工业\n", first), ("P3,300,仓储\n", other)]
    (folder / "parcels.csv").write_bytes(b"".join(t.encode(e) for t, e in lines))
    outcome = run_import(engine, folder, tmp_path)
    assert problem_codes(outcome) == [("parcels.csv", 4, None, "mixed_encoding")]
    assert outcome.problems[0].message("zh") and outcome.problems[0].message("en")
    assert snapshot(engine)["parcels"] == []


def test_a_csv_file_neither_utf8_nor_gb18030_is_refused_at_its_first_bad_row(
    engine: Engine, tmp_path: Path
) -> None:
    folder = tmp_path / "bad"
    folder.mkdir()
    good = "宗地号,面积(平方米)\nP1,100\n".encode("gbk")
    (folder / "parcels.csv").write_bytes(good + b"P2,200\nP3\xff\x80,300\n")
    outcome = run_import(engine, folder, tmp_path)
    assert problem_codes(outcome) == [("parcels.csv", 4, None, "wrong_encoding")]


def test_a_problem_names_its_record_by_key_and_its_column_by_the_files_header(
    engine: Engine, tmp_path: Path
) -> None:
    run_import(engine, write_data_set(tmp_path / "clean", BASE), tmp_path)
    folder = tmp_path / "tax"
    folder.mkdir()
    text = f"统一社会信用代码,年度,税收实缴(元),营业收入(元)\n{CODE_A},2025,-80,abc\n"
    (folder / "年度指标.csv").write_text(text, encoding="utf-8")
    outcome = run_import(engine, folder, tmp_path)
    (problem,) = outcome.problems  # net tax may be negative; revenue must be a number
    assert problem.record == {"credit_code": CODE_A, "year": "2025"}
    assert (problem.column, problem.header) == ("revenue_yuan", "营业收入(元)")
    assert outcome.marked_copy is not None
    listed = openpyxl.load_workbook(outcome.marked_copy).worksheets[0]
    assert [c.value for c in listed[2]][2:5] == [2, f"{CODE_A} / 2025", "营业收入(元)"]


# -- workbooks ------------------------------------------------------------------------------


def test_a_workbook_with_a_merged_title_row_and_formulas(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "宗地台账.xlsx"
    book = xlsxwriter.Workbook(path)
    sheet = book.add_worksheet("宗地")
    sheet.merge_range(0, 0, 0, 2, "2024 年度工业用地台账")
    sheet.write_row(1, 0, ["宗地号", "面积(平方米)", "规划用途"])
    sheet.write_row(2, 0, ["P1", 1000, "工业"])
    sheet.write_row(3, 0, ["P2", None, "工业"])
    sheet.write_formula(3, 1, "=B3*2", None, 2000)
    sheet.write_row(4, 0, ["P3"])
    sheet.write_formula(4, 1, "=B3*3")  # never calculated: no value
    book.close()
    outcome = run_import(engine, path, tmp_path)
    assert [(p.row, p.column, p.reason.code) for p in outcome.problems] == [
        (5, "area_m2", "formula_without_value")
    ]
    # Named from the sheet's rows, though its check found nothing (and let them go)
    assert outcome.problems[0].record == {"parcel_id": "P3"}
    assert snapshot(engine)["parcels"] == []
    assert outcome.marked_copy is not None
    marked = openpyxl.load_workbook(outcome.marked_copy)
    assert marked["宗地"]["B5"].comment is not None


# -- a failed or killed import writes nothing --------------------------------------------


def test_an_error_while_writing_rolls_everything_back(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = bulk.insert_rows

    def failing(conn, table, batches):  # type: ignore[no-untyped-def]
        if table.name == "land_occupancy":
            raise OSError("disk full")
        return original(conn, table, batches)

    monkeypatch.setattr(bulk, "insert_rows", failing)
    with pytest.raises(OSError, match="disk full"):
        run_import(engine, write_data_set(tmp_path / "ds", BASE), tmp_path)
    assert all(rows == [] for rows in snapshot(engine).values())


def test_an_import_killed_half_way_writes_nothing(engine: Engine, tmp_path: Path) -> None:
    data_set = write_data_set(tmp_path / "ds", BASE)
    url = engine.url.render_as_string(hide_password=False)
    script = textwrap.dedent(f"""
        import os, signal
        from pathlib import Path
        from mujun.records import bulk
        from mujun.records.database import open_engine
        from mujun.interchange.importer import import_data_set

        original = bulk.insert_rows

        def dying(conn, table, batches):
            written = original(conn, table, batches)
            if table.name == "land_occupancy":
                os.kill(os.getpid(), signal.SIGKILL)
            return written

        bulk.insert_rows = dying
        import_data_set(engine=open_engine({url!r}), path=Path({str(data_set)!r}), actor="x")
    """)
    engine.dispose()
    result = subprocess.run([sys.executable, "-c", script], env=os.environ, check=False)
    assert result.returncode == -9
    assert all(rows == [] for rows in snapshot(engine).values())


# -- export and import again -------------------------------------------------------------


def _at_excel_precision(data: dict[str, list[dict[str, object]]]) -> dict[str, object]:
    """The records as a workbook holds them: numbers to 15 significant digits, as in Excel."""
    return {
        table: [
            {k: float(f"{v:.15g}") if isinstance(v, float) else v for k, v in row.items()}
            for row in rows
        ]
        for table, rows in data.items()
    }


@pytest.mark.parametrize("target", ["folder", "book.xlsx"])
def test_import_of_an_export_reproduces_the_database(
    engine: Engine, tmp_path: Path, target: str
) -> None:
    write_csv_folder(tmp_path / "demo", generate(enterprises=60, seed=3))
    assert run_import(engine, tmp_path / "demo", tmp_path).committed
    first = snapshot(engine)
    export_data_set(engine=engine, path=tmp_path / target)

    with engine.begin() as conn:
        for model in (Change, DataImport, *reversed(DATA_MODELS)):
            conn.execute(model.__table__.delete())  # type: ignore[attr-defined]
    outcome = run_import(engine, tmp_path / target, tmp_path)
    assert outcome.problems == []
    second = snapshot(engine)
    for log in ("change_log", "imports"):
        del first[log], second[log]
    for data in (first, second):  # which import inserted a record is not a fact
        for rows in data.values():
            for row in rows:
                del row[IMPORTED_BY]
    if target.endswith(".xlsx"):
        assert _at_excel_precision(second) == _at_excel_precision(first)
    else:
        assert second == first


def test_loads_written_through_scratch_files_store_what_rows_bound_one_by_one_store(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On SQLite a large load is written to a scratch file and copied from it
    (:mod:`mujun.records.loading`): here every table's, the records the same as loaded row by
    row (past SQLite's ten attached files, the last tables are)."""
    write_csv_folder(tmp_path / "demo", generate(enterprises=60, seed=3))
    stored = []
    for staged_from in (loading.STAGED_FROM, 1):
        monkeypatch.setattr(loading, "STAGED_FROM", staged_from)
        with engine.begin() as conn:
            for model in (Change, DataImport, *reversed(DATA_MODELS)):
                conn.execute(model.__table__.delete())  # type: ignore[attr-defined]
        assert run_import(engine, tmp_path / "demo", tmp_path).committed
        data = snapshot(engine)
        for log in ("change_log", "imports"):
            del data[log]
        for rows in data.values():
            for row in rows:
                del row[IMPORTED_BY]
        stored.append(data)
    assert stored[0] == stored[1]
    assert len(stored[0]["monthly_metrics"]) > 1_000


# -- values derived from the facts ------------------------------------------------------------


def _derived(engine: Engine) -> tuple[dict[str, object], dict[str, object], set[tuple[str, str]]]:
    with Session(engine) as session:
        return (
            {p.parcel_id: p.county_code for p in session.scalars(select(Parcel))},
            {e.credit_code: e.land_m2 for e in session.scalars(select(Enterprise))},
            {(c.credit_code, c.county_code) for c in session.scalars(select(EnterpriseCounty))},
        )


def test_an_import_derives_counties_and_land_without_logging_or_exporting_them(
    engine: Engine, tmp_path: Path
) -> None:
    assert run_import(engine, write_data_set(tmp_path / "ds", BASE), tmp_path).committed
    parcels, land, places = _derived(engine)
    assert parcels == {"P001": "330122", "P002": "330122"}
    assert land == {CODE_A: 13333.34, CODE_B: 2000.0}  # B's occupancy rows count, not P002
    assert places == {(CODE_A, "330122"), (CODE_B, "330122")}
    other_county = {"code": "330127", "name": "另一县", "level": "county", "parent_code": "330100"}
    moved = with_change("parcels", 1, jurisdiction_code="330127")
    moved["jurisdictions"].append(other_county)
    assert run_import(engine, write_data_set(tmp_path / "moved", moved), tmp_path).committed
    parcels, _, places = _derived(engine)
    assert parcels["P002"] == "330127"
    assert places == {(CODE_A, "330122"), (CODE_B, "330122"), (CODE_B, "330127")}
    with Session(engine) as session:
        logged = session.scalars(select(Change.after)).all()
    assert not any({"county_code", "land_m2"} & set(after or {}) for after in logged)
    export_data_set(engine=engine, path=tmp_path / "out")
    for name in ("jurisdictions", "parcels", "enterprises"):
        header = (tmp_path / "out" / f"{name}.csv").read_text(encoding="utf-8-sig").splitlines()[0]
        assert not {"county_code", "land_m2"} & set(header.split(","))


DERIVED_TABLES = {column.table.name for column in derived.COLUMNS}


def test_an_import_writes_new_rows_with_their_derived_values(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """New rows go in with their derived values, computed from the facts the import compared:
    the refresh after the writes updates only the stored rows whose values the import
    changed (into empty records, none, and reads none of them back)."""
    updated: list[tuple[str, int]] = []
    update_rows = bulk.update_rows
    read_back: list[str] = []
    read_rows = bulk.read_rows

    def noted(conn: Connection, table: Table, columns: Sequence[str] | None = None) -> Any:
        if table.name in DERIVED_TABLES and {"county_code", "land_m2"} & set(columns or ()):
            read_back.append(table.name)
        return read_rows(conn, table, columns)

    def counted(conn: Connection, table: Table, batches: Any, *, key: Sequence[str]) -> int:
        rows = update_rows(conn, table, batches, key=key)
        if rows:
            updated.append((table.name, rows))
        return rows

    monkeypatch.setattr(bulk, "update_rows", counted)
    monkeypatch.setattr(bulk, "read_rows", noted)
    assert run_import(engine, write_data_set(tmp_path / "ds", BASE), tmp_path).committed
    assert updated == []
    assert read_back == []
    assert _derived(engine)[0] == {"P001": "330122", "P002": "330122"}
    other_county = {"code": "330127", "name": "另一县", "level": "county", "parent_code": "330100"}
    moved = with_change("parcels", 1, jurisdiction_code="330127")
    moved["jurisdictions"].append(other_county)
    assert run_import(engine, write_data_set(tmp_path / "moved", moved), tmp_path).committed
    # The parcel's changed figure by the import, then its county by the refresh.
    assert updated == [("parcels", 1), ("parcels", 1)]
    assert sorted(read_back) == sorted(DERIVED_TABLES)
    with Session(engine) as session:
        county = session.get(Jurisdiction, "330127")
        assert county is not None
        assert county.county_code == "330127"
