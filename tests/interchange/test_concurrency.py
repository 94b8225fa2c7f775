"""Imports at the same time, on SQLite and PostgreSQL: one after the other, each reading what
the one before wrote, or refused clearly when the wait is too long."""

import datetime as dt
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from mujun.interchange import importer
from mujun.interchange.importer import ImportBusyError, ImportOutcome, import_data_set
from mujun.records import Change
from tests.interchange.test_importer import BASE, run_import, snapshot, with_change, write_data_set


def _slow_writes(
    monkeypatch: pytest.MonkeyPatch, seconds: float, writing: threading.Event | None = None
) -> None:
    """Every import pauses ``seconds`` before it writes (after it read what is stored)."""
    write: Callable[..., int] = importer._write

    def slow(*args: Any, **kwargs: Any) -> int:
        if writing is not None:
            writing.set()
        time.sleep(seconds)
        return write(*args, **kwargs)

    monkeypatch.setattr(importer, "_write", slow)


def _import(engine: Engine, path: Path) -> ImportOutcome:
    return import_data_set(engine=engine, path=path, actor=path.name)


def test_two_imports_at_once_log_each_real_change_once_with_true_before_values(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_import(engine, write_data_set(tmp_path / "base", BASE), tmp_path)
    areas = ("14000", "15000")
    data_sets = [
        write_data_set(tmp_path / f"area-{area}", with_change("parcels", 0, area_m2=area))
        for area in areas
    ]
    _slow_writes(monkeypatch, 1.0)
    with ThreadPoolExecutor(2) as pool:
        outcomes = list(pool.map(lambda path: _import(engine, path), data_sets))
    assert all(o.committed and o.changes["parcels"].updated == 1 for o in outcomes)
    with Session(engine) as session:
        log = session.scalars(
            select(Change)
            .where(Change.table_name == "parcels", Change.action == "update")
            .order_by(Change.id)
        ).all()
    assert len(log) == 2
    first, second = log
    assert first.before is not None and second.before is not None
    assert first.before["area_m2"] == 13333.34
    assert second.before == first.after
    (stored,) = [p for p in snapshot(engine)["parcels"] if p["parcel_id"] == "P001"]
    assert second.after is not None and stored["area_m2"] == second.after["area_m2"]


def test_an_import_waiting_too_long_for_another_is_refused_and_writes_nothing(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_import(engine, write_data_set(tmp_path / "base", BASE), tmp_path)
    first = write_data_set(tmp_path / "first", with_change("parcels", 0, area_m2="14000"))
    second = write_data_set(tmp_path / "second", with_change("parcels", 1, area_m2="25000"))
    monkeypatch.setattr(importer, "LOCK_WAIT", dt.timedelta(seconds=0.3))
    writing = threading.Event()
    _slow_writes(monkeypatch, 2.0, writing)
    with ThreadPoolExecutor(1) as pool:
        running = pool.submit(_import, engine, first)
        assert writing.wait(10)
        with pytest.raises(ImportBusyError) as refused:
            _import(engine, second)
        assert running.result().committed
    assert "另一次导入正在进行" in refused.value.zh and "another import" in refused.value.en
    areas = {p["parcel_id"]: p["area_m2"] for p in snapshot(engine)["parcels"]}
    assert areas == {"P001": 14000.0, "P002": 20000.0}
