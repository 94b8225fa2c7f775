"""Opening the records: a new SQLite file is made with larger pages; a file made before keeps
its own and works as it did."""

import sqlite3
from pathlib import Path

from sqlalchemy import Engine, text

from mujun.records.database import SQLITE_PAGE_BYTES, open_engine, upgrade


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
