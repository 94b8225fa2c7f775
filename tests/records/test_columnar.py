"""The records' columnar copy: made once, read by every run, made again exactly when a fact
changed (whoever wrote it), and never read when it is not current."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pytest
from sqlalchemy import Connection, Engine, delete, event, select
from sqlalchemy.orm import Session

from mujun.analytics.facts import load_facts
from mujun.demo import generate
from mujun.interchange import importer
from mujun.interchange.exporter import write_csv_folder
from mujun.interchange.importer import import_data_set
from mujun.records import (
    DATA_MODELS,
    Account,
    Change,
    DataImport,
    ImportFile,
    ImportFilePiece,
    Parcel,
    table_of,
)
from mujun.records.columnar import (
    copies_folder,
    current_copy,
    keep_digests,
    read_digests,
    write_copy,
    write_patched_copy,
)
from mujun.records.database import open_engine
from tests.planted import planted_city

FACTS = [(table_of(Parcel), ["parcel_id", "area_m2"])]


@pytest.fixture
def city(engine: Engine, tmp_path: Path) -> Engine:
    write_csv_folder(tmp_path / "city", planted_city(enterprises=20, seed=1))
    import_data_set(engine=engine, path=tmp_path / "city", actor="test")
    return engine


def _copy(engine: Engine) -> Path:
    return current_copy(engine, FACTS)


def _areas(engine: Engine) -> dict[str, float]:
    facts = load_facts(engine)
    try:
        rows = facts["parcels"].select("parcel_id", "area_m2").to_pyarrow().to_pylist()
    finally:
        facts.close()
    return {r["parcel_id"]: r["area_m2"] for r in rows}


def test_a_copy_is_made_once_and_read_again_while_no_fact_changes(city: Engine) -> None:
    first = _copy(city)
    made = first.stat()
    assert _copy(city) == first
    assert first.stat().st_ino == made.st_ino
    assert [p.name for p in first.parent.iterdir()] == [first.name]


def test_a_change_to_something_else_keeps_the_copy_under_a_later_label(city: Engine) -> None:
    first = _copy(city)
    inode = first.stat().st_ino
    with Session(city) as db:
        db.add(Account(username="someone", password_hash="x", role="analyst", display_name="某"))
        db.commit()
    again = _copy(city)
    assert again != first  # relabelled: the next look scans from the account's change
    assert again.stat().st_ino == inode
    assert not first.exists()


def test_a_fact_written_through_the_orm_makes_a_new_copy_that_holds_it(city: Engine) -> None:
    before = _areas(city)
    first = _copy(city)
    some = sorted(before)[0]
    with Session(city) as db:
        parcel = db.get(Parcel, some)
        assert parcel is not None
        parcel.area_m2 = 12345.5
        db.commit()
    assert _areas(city)[some] == 12345.5
    assert _copy(city) != first
    assert not first.exists()


def test_an_import_that_changes_facts_makes_a_new_copy_and_one_that_changes_none_does_not(
    city: Engine, tmp_path: Path
) -> None:
    inode = _copy(city).stat().st_ino
    import_data_set(engine=city, path=tmp_path / "city", actor="test")
    assert _copy(city).stat().st_ino == inode
    changed = planted_city(enterprises=21, seed=1)
    write_csv_folder(tmp_path / "changed", changed)
    import_data_set(engine=city, path=tmp_path / "changed", actor="test")
    assert _copy(city).stat().st_ino != inode


def test_a_change_log_emptied_and_written_again_is_never_taken_for_the_same(
    city: Engine,
) -> None:
    """Ids count from 1 again after a log is emptied: the label's time tells them apart."""
    with Session(city) as db:
        parcel = db.scalars(select(Parcel).limit(1)).one()
        parcel.area_m2 += 1
        db.commit()
    first = _copy(city)
    with city.begin() as conn:
        latest = conn.execute(select(Change.id).order_by(Change.id.desc()).limit(1)).scalar_one()
        conn.execute(delete(Change).where(Change.id == latest))
    with Session(city) as db:
        db.add(Account(username="someone", password_hash="x", role="analyst", display_name="某"))
        db.commit()
        again = db.scalars(select(Change.id).order_by(Change.id.desc()).limit(1)).one()
    if city.dialect.name == "sqlite":
        assert again == latest  # numbered alike: only the time tells
    assert _copy(city) != first


def test_records_emptied_and_imported_again_are_never_taken_for_the_same(
    city: Engine, tmp_path: Path
) -> None:
    """An import numbered alike after the imports were emptied: its time tells it apart."""
    first = _copy(city)
    with city.begin() as conn:
        for model in reversed(DATA_MODELS):
            conn.execute(delete(model))
        conn.execute(delete(ImportFilePiece))
        conn.execute(delete(ImportFile))
        conn.execute(delete(DataImport))
    import_data_set(engine=city, path=tmp_path / "city", actor="test")
    assert _copy(city) != first


def test_the_fingerprint_follows_the_facts_not_the_copy(city: Engine) -> None:
    def fingerprint() -> str:
        facts = load_facts(city, monthly=("electricity_kwh",))
        facts.close()
        return facts.fingerprint

    first = fingerprint()
    with Session(city) as db:
        db.add(Account(username="someone", password_hash="x", role="analyst", display_name="某"))
        db.commit()
    assert fingerprint() == first
    with Session(city) as db:
        parcel = db.scalars(select(Parcel).limit(1)).one()
        parcel.area_m2 += 1
        db.commit()
    assert fingerprint() != first


def test_a_database_in_memory_is_refused_with_its_reason() -> None:
    with pytest.raises(ValueError, match="in memory"):
        copies_folder(open_engine("sqlite://"))


def test_a_large_import_makes_the_copy_and_one_that_cannot_be_made_fails_no_import(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importer, "LARGE_LOAD", 1)
    write_csv_folder(tmp_path / "city", planted_city(enterprises=20, seed=1))
    import_data_set(engine=engine, path=tmp_path / "city", actor="test")
    assert list(copies_folder(engine).glob("*.duckdb"))

    def full_disk(_engine: Engine) -> Path:
        raise OSError("No space left on device")

    def full_disk_too(*_args: object, **_kwargs: object) -> Path:
        raise OSError("No space left on device")

    monkeypatch.setattr(importer, "current_copy", full_disk)
    monkeypatch.setattr(importer, "write_copy", full_disk_too)
    write_csv_folder(tmp_path / "more", planted_city(enterprises=21, seed=1))
    assert import_data_set(engine=engine, path=tmp_path / "more", actor="test").committed


Described = dict[str, tuple[list[tuple[str, str]], list[tuple[object, ...]]]]


def _described(copy: Path) -> Described:
    """Each table of the copy at ``copy``: its columns with their types, and its rows in order."""
    with duckdb.connect(str(copy), read_only=True) as db:
        names = db.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall()
        return {
            name: (
                [
                    (column, kind)
                    for column, kind, *_ in db.execute(f'DESCRIBE "{name}"').fetchall()
                ],
                db.execute(f'SELECT * FROM "{name}" ORDER BY ALL').fetchall(),
            )
            for (name,) in names
        }


def _noting(monkeypatch: pytest.MonkeyPatch, write: Callable[..., Path | None]) -> list[Path]:
    """The copies the importer writes itself through ``write`` (a writer of
    :mod:`mujun.records.columnar`) and makes current, as it writes them."""
    written: list[Path] = []

    def write_and_note(*args: Any, **kwargs: Any) -> Path | None:
        made = write(*args, **kwargs)
        if made is not None:
            written.append(made)
        return made

    monkeypatch.setattr(importer, write.__name__, write_and_note)
    return written


def _as_read_from_the_records(engine: Engine, written: list[Path], aside: Path) -> None:
    """The one copy the import wrote is the current one (relabelled after the import's own
    change-log rows) and holds what a copy read from the records holds, table by table, type
    by type; ``written`` is emptied for the next import."""
    (copy,) = written
    inode = copy.stat().st_ino
    current = current_copy(engine)
    assert current.stat().st_ino == inode
    assert _described(current.rename(aside)) == _described(current_copy(engine))
    written.clear()


def test_the_copy_an_import_writes_is_the_one_read_from_the_records(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A large import that compared every table writes the copy from its own DuckDB: the next
    look finds it current, and it holds what a copy read from the records holds, table by
    table, type by type: into empty records, then adding, changing and keeping rows."""
    monkeypatch.setattr(importer, "LARGE_LOAD", 1)
    written = _noting(monkeypatch, write_copy)
    for enterprises in (30, 40):
        write_csv_folder(tmp_path / "demo", generate(enterprises=enterprises, seed=1))
        outcome = import_data_set(engine=engine, path=tmp_path / "demo", actor="test")
        _as_read_from_the_records(engine, written, tmp_path / "imported.duckdb")
    changed = outcome.changes["jurisdictions"]
    assert changed.inserted and changed.updated and changed.unchanged


def test_a_small_import_writes_the_copy_current_as_it_began_with_its_rows_replaced(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An import too small to write every fact again, a whole data set or one file, copies
    the copy current as it began and replaces the rows it wrote: the next look finds it
    current, and it holds what a copy read from the records holds."""
    write_csv_folder(tmp_path / "first", generate(enterprises=30, seed=1))
    import_data_set(engine=engine, path=tmp_path / "first", actor="test")
    current_copy(engine)
    patched = _noting(monkeypatch, write_patched_copy)
    whole = tmp_path / "whole"
    write_csv_folder(whole, generate(enterprises=40, seed=1))
    one_file = tmp_path / "one"
    write_csv_folder(tmp_path / "later", generate(enterprises=50, seed=2))
    one_file.mkdir()
    (tmp_path / "later" / "enterprises.csv").rename(one_file / "enterprises.csv")
    for data_set in (whole, one_file):
        outcome = import_data_set(engine=engine, path=data_set, actor="test")
        assert outcome.committed and outcome.changes["enterprises"].written
        _as_read_from_the_records(engine, patched, tmp_path / "patched.duckdb")


def test_a_fact_logged_while_an_import_reads_outdates_the_copy_it_writes(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The copy an import writes is labelled with the latest change-log row before it read
    the records: a fact another session logs meanwhile (PostgreSQL lets it; SQLite's import
    holds the write lock) may be missing from the copy, which is then not taken as current."""
    if engine.dialect.name != "postgresql":
        pytest.skip("on SQLite nothing else writes while an import holds the write lock")
    monkeypatch.setattr(importer, "LARGE_LOAD", 1)
    write_csv_folder(tmp_path / "demo", generate(enterprises=30, seed=1))
    import_data_set(engine=engine, path=tmp_path / "demo", actor="test")
    settled = importer._settled_change

    def settled_then_written(conn: Connection) -> int | None:
        seen = settled(conn)
        with Session(engine) as db:
            parcel = db.scalars(select(Parcel).limit(1)).one()
            parcel.area_m2 += 1
            db.commit()
        return seen

    monkeypatch.setattr(importer, "_settled_change", settled_then_written)
    written = _noting(monkeypatch, write_copy)
    again = import_data_set(
        engine=engine, path=tmp_path / "demo", actor="test", skip_repeated=False
    )
    assert again.changes["parcels"].updated == 1  # the area written meanwhile, set back
    (imported,) = written
    inode = imported.stat().st_ino
    assert current_copy(engine).stat().st_ino != inode


def test_the_copy_an_import_writes_as_it_commits_is_discarded_if_the_commit_fails(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The copy is written while the import's transaction commits: a commit that fails leaves
    the records as they were and the copy current before, and no trace of the new one."""
    monkeypatch.setattr(importer, "LARGE_LOAD", 1)
    write_csv_folder(tmp_path / "first", generate(enterprises=30, seed=1))
    import_data_set(engine=engine, path=tmp_path / "first", actor="test")
    before = current_copy(engine)
    kept = sorted(p.name for p in copies_folder(engine).iterdir())
    written = _noting(monkeypatch, write_copy)

    def refused(_conn: Connection) -> None:
        raise RuntimeError("the disk refused the commit")

    write_csv_folder(tmp_path / "second", generate(enterprises=40, seed=1))
    event.listen(engine, "commit", refused)
    try:
        with pytest.raises(RuntimeError, match="refused the commit"):
            import_data_set(engine=engine, path=tmp_path / "second", actor="test")
    finally:
        event.remove(engine, "commit", refused)
    assert written == []
    assert sorted(p.name for p in copies_folder(engine).iterdir()) == kept
    assert current_copy(engine) == before
    with Session(engine) as db:
        assert len(db.scalars(select(DataImport)).all()) == 1


def test_a_copys_digests_are_kept_beside_it_and_read_by_the_runs_after(city: Engine) -> None:
    """The first run on a copy hashes its rows and keeps the digests; the next runs read them
    (tampered with, they change the fingerprint: nothing was hashed again); digests missing or
    unreadable are computed again, the same; relabelling the copy moves them with it."""

    def facts_of() -> tuple[str, dict[str, int]]:
        facts = load_facts(city, monthly=("electricity_kwh",))
        facts.close()
        return facts.fingerprint, dict(facts.rows)

    first = facts_of()
    copy = current_copy(city)
    kept = read_digests(copy)
    assert {key.split(":")[0] for key in kept} == set(first[1])
    assert facts_of() == first
    tampered = {key: (rows, hashed + 1) for key, (rows, hashed) in kept.items()}
    keep_digests(copy, tampered)
    assert facts_of()[0] != first[0]
    for written in (None, "", "not json", "[1, 2]", '{"parcels:parcel_id": "ab"}'):
        beside = next(copies_folder(city).glob("*.digests.json"))
        if written is None:
            beside.unlink()
        else:
            beside.write_text(written)
        assert facts_of() == first
        assert read_digests(copy) == kept
    with Session(city) as db:  # no fact: the copy is relabelled, its digests with it
        db.add(Account(username="someone", password_hash="x", role="analyst", display_name="某"))
        db.commit()
    relabelled = current_copy(city)
    assert relabelled != copy
    assert read_digests(relabelled) == kept
    assert [p.name for p in copies_folder(city).glob("*.digests.json")] == [
        relabelled.name.removesuffix(".duckdb") + ".digests.json"
    ]
