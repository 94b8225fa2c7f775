"""Opening the records: a new SQLite file is made with larger pages; a file made before keeps
its own and works as it did."""

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from mujun.records.database import SQLITE_PAGE_BYTES, open_engine, upgrade, written_in_place


def _page_size(engine: Engine) -> int:
    with engine.connect() as conn:
        size: int = conn.execute(text("PRAGMA page_size")).scalar_one()
    return size


def test_a_new_sqlite_file_has_pages_of_sixteen_kib(tmp_path: Path) -> None:
    engine = open_engine(f"sqlite:///{tmp_path / 'new.db'}")
    upgrade(engine)
    assert _page_size(engine) == SQLITE_PAGE_BYTES == 16384
    engine.dispose()


def test_a_file_made_with_other_pages_keeps_them(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as made:
        made.execute("PRAGMA page_size = 4096")
        made.execute("CREATE TABLE placeholder (x)")
    engine = open_engine(f"sqlite:///{path}")
    upgrade(engine)
    assert _page_size(engine) == 4096
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar_one() == "wal"
    engine.dispose()


# -- a bulk write in place --------------------------------------------------------------------


def _new_file(path: Path) -> Engine:
    engine = open_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE rows (n INTEGER)"))
        conn.execute(text("INSERT INTO rows VALUES (1)"))
    return engine


def _journal(path: Path) -> str:
    with sqlite3.connect(path) as other:
        mode: str = other.execute("PRAGMA journal_mode").fetchone()[0]
        return mode


def _rows(path: Path) -> list[int]:
    with sqlite3.connect(path) as other:
        return [n for (n,) in other.execute("SELECT n FROM rows ORDER BY n")]


def test_a_transaction_alone_on_the_file_is_written_in_place_and_the_log_comes_back(
    tmp_path: Path,
) -> None:
    path = tmp_path / "records.db"
    engine = _new_file(path)
    with engine.connect() as conn, written_in_place(conn) as switched, conn.begin():
        assert switched
        assert conn.execute(text("PRAGMA main.journal_mode")).scalar_one() == "delete"
        conn.execute(text("INSERT INTO rows VALUES (2)"))
    assert _journal(path) == "wal"
    assert _rows(path) == [1, 2]
    engine.dispose()


def test_a_failed_transaction_written_in_place_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "records.db"
    engine = _new_file(path)
    with (
        pytest.raises(RuntimeError),
        engine.connect() as conn,
        written_in_place(conn) as switched,
        conn.begin(),
    ):
        assert switched
        conn.execute(text("INSERT INTO rows SELECT n + 1 FROM rows"))
        raise RuntimeError("the load failed")
    assert _rows(path) == [1]
    assert _journal(path) == "wal"
    engine.dispose()


def test_with_another_connection_on_the_file_the_log_is_kept(tmp_path: Path) -> None:
    """Without waiting: the other connection may be a server's, idle in its pool."""
    path = tmp_path / "records.db"
    engine = _new_file(path)
    with sqlite3.connect(path) as reader:
        assert reader.execute("SELECT count(*) FROM rows").fetchone() == (1,)
        with engine.connect() as conn, written_in_place(conn) as switched, conn.begin():
            assert not switched
            assert conn.execute(text("PRAGMA main.journal_mode")).scalar_one() == "wal"
            conn.execute(text("INSERT INTO rows VALUES (2)"))
        assert reader.execute("SELECT count(*) FROM rows").fetchone() == (2,)
    engine.dispose()


def test_a_connection_opened_during_a_write_in_place_reads_the_file_as_it_was(
    tmp_path: Path,
) -> None:
    """Its own attempt to turn the log on, refused while the writer holds the file, fails
    no connection; the writer turns it on again."""
    path = tmp_path / "records.db"
    engine = _new_file(path)
    meanwhile = open_engine(f"sqlite:///{path}?timeout=0.05")
    with engine.connect() as conn, written_in_place(conn) as switched, conn.begin():
        assert switched
        conn.exec_driver_sql("BEGIN IMMEDIATE")
        conn.execute(text("INSERT INTO rows VALUES (2)"))
        with meanwhile.connect() as reader:
            assert reader.execute(text("SELECT count(*) FROM rows")).scalar_one() == 1
    with meanwhile.connect() as reader:
        assert reader.execute(text("SELECT count(*) FROM rows")).scalar_one() == 2
    assert _journal(path) == "wal"
    meanwhile.dispose()
    engine.dispose()


def test_postgresql_is_never_switched(postgres_engine: Engine) -> None:
    with postgres_engine.connect() as conn, written_in_place(conn) as switched:
        assert not switched
