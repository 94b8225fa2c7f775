"""A record's history, and the log's completeness: an import's inserts are recorded by the
import each record names and the file it kept, its updates and every other write by change-log
rows; between them, every record's every value is accounted for."""

import csv
import io
import itertools
from pathlib import Path

import pyarrow as pa
from sqlalchemy import Connection, Engine, select
from sqlalchemy.orm import Session

from mujun.interchange import schema
from mujun.interchange.archive import file_bytes, kept_file
from mujun.interchange.exporter import write_csv_folder
from mujun.interchange.history import history_of
from mujun.interchange.importer import import_data_set
from mujun.records import Change, DataImport, Enterprise, bulk
from mujun.records.changes import KEY_SEPARATOR
from mujun.records.fields import IMPORTED_BY
from mujun.records.vocabulary import ChangeAction
from tests.planted import planted_city


def _changed(data: dict[str, pa.Table]) -> dict[str, pa.Table]:
    """The data set with its first enterprise renamed and the first of its last year's tax
    figures raised."""
    enterprises = data["enterprises"].to_pylist()
    enterprises[0]["name"] = "新名称有限公司"
    metrics = data["annual_metrics"].to_pylist()
    metrics[0]["tax_yuan"] = (metrics[0]["tax_yuan"] or 0) + 1000
    return {
        **data,
        "enterprises": pa.Table.from_pylist(enterprises, data["enterprises"].schema),
        "annual_metrics": pa.Table.from_pylist(metrics, data["annual_metrics"].schema),
    }


def _city(engine: Engine, tmp_path: Path) -> tuple[int, int, str]:
    """Three writes: an import, an import that changes two records, and an edit and an insert
    in the system. Returns the imports and the enterprise edited."""
    write_csv_folder(tmp_path / "one", planted_city(enterprises=20, seed=1))
    first = import_data_set(engine=engine, path=tmp_path / "one", actor="clerk", reason="年报")
    write_csv_folder(tmp_path / "two", _changed(planted_city(enterprises=20, seed=1)))
    second = import_data_set(engine=engine, path=tmp_path / "two", actor="tax", reason="更正")
    assert first.import_id is not None and second.import_id is not None
    assert second.changes["enterprises"].updated >= 1
    with Session(engine) as db:
        last = select(Enterprise.credit_code).order_by(Enterprise.credit_code.desc())
        code = db.scalars(last).first()
        assert code is not None
        enterprise = db.get(Enterprise, code)
        assert enterprise is not None
        enterprise.name = "核实后名称有限公司"
        db.add(Enterprise(credit_code="91330122MA2ORM0001", name="系统录入企业"))
        db.info["reason"] = "核实名称"
        db.commit()
    return first.import_id, second.import_id, code


def test_a_records_history_names_the_imports_and_files_that_wrote_it(
    engine: Engine, tmp_path: Path
) -> None:
    first, second, code = _city(engine, tmp_path)
    with Session(engine) as db:
        renamed = db.scalars(select(Enterprise).where(Enterprise.name == "新名称有限公司")).one()
        history = history_of(db, "enterprises", renamed.credit_code)
        edited = history_of(db, "enterprises", code)
    inserted = [e for e in history if e.action == ChangeAction.INSERT]
    assert {(e.table, e.import_id, e.source) for e in inserted} >= {
        ("enterprises", first, "enterprises.csv"),
        ("annual_metrics", first, "annual_metrics.csv"),
    }
    (metrics,) = (e for e in inserted if e.table == "annual_metrics")
    assert metrics.records > 1 and metrics.table_zh == "年度指标"
    assert (metrics.actor, metrics.reason) == ("clerk", "年报")
    (rename,) = (e for e in history if e.action == ChangeAction.UPDATE and e.table == "enterprises")
    assert (rename.import_id, rename.actor, rename.reason, rename.source) == (
        second,
        "tax",
        "更正",
        "enterprises.csv",
    )
    assert [e.at for e in history] == sorted((e.at for e in history), reverse=True)
    (edit,) = (e for e in edited if e.reason == "核实名称")
    assert (edit.action, edit.import_id, edit.source) == (ChangeAction.UPDATE, None, None)
    assert edited[0] == edit  # the latest first


def test_every_value_of_every_record_is_accounted_for(engine: Engine, tmp_path: Path) -> None:
    """The log is complete: each record was inserted by the import it names (and is in the file
    that import kept for its table) or by a logged insert; each logged update starts from the
    values the record had, and the latest leaves the values it has now."""
    _city(engine, tmp_path)
    with engine.connect() as conn, Session(bind=conn) as db:
        imports = {d.id: d for d in db.scalars(select(DataImport))}
        logged: dict[tuple[str, str], list[Change]] = {}
        for change in db.scalars(select(Change).order_by(Change.id)):
            logged.setdefault((change.table_name, change.object_key), []).append(change)
        kept: dict[tuple[int, str], set[str]] = {}
        checked = 0
        for spec in schema.tables():
            rows = bulk.read_rows(conn, spec.table, [*spec.column_names, IMPORTED_BY]).to_pylist()
            for row in rows:
                key = KEY_SEPARATOR.join(_written(row[k]) for k in spec.key)
                changes = logged.get((spec.name, key), [])
                now = {c: _written(row[c]) for c in spec.column_names}
                number = row[IMPORTED_BY]
                if number is None:
                    assert changes and changes[0].action == ChangeAction.INSERT, (spec.name, key)
                else:
                    assert number in imports, (spec.name, key)
                    assert all(c.action == ChangeAction.UPDATE for c in changes)
                    source = (imports[number].sources or {})[spec.name]
                    if (number, source) not in kept:
                        kept[number, source] = _keys_in(conn, number, source, spec)
                    assert key in kept[number, source], (spec.name, key, source)
                for earlier, later in itertools.pairwise(changes):
                    assert _values(later.before) == _values(earlier.after), (spec.name, key)
                if changes:
                    assert _values(changes[-1].after) == now, (spec.name, key)
                checked += 1
    assert checked > 100


def _keys_in(conn: Connection, number: int, name: str, spec: schema.TableSpec) -> set[str]:
    """The keys of the rows of a kept CSV file."""
    file = kept_file(conn, number, name)
    assert file is not None, (number, name)
    text = b"".join(file_bytes(conn, file)).decode("utf-8-sig")
    reader = csv.DictReader(io.StringIO(text))
    headers = {c.name: c.label_zh for c in spec.columns}
    return {
        KEY_SEPARATOR.join(row.get(k) or row.get(headers[k]) or "" for k in spec.key)
        for row in reader
    }


def _written(value: object) -> str:
    return "" if value is None else value.isoformat() if hasattr(value, "isoformat") else str(value)


def _values(snapshot: dict[str, object] | None) -> dict[str, str]:
    assert snapshot is not None
    return {c: _written(v) for c, v in snapshot.items() if c != IMPORTED_BY}
