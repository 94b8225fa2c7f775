"""The files an import read are kept byte for byte with the import; a failed or an empty
import keeps none."""

import hashlib
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from mujun.interchange import archive
from mujun.records import DataImport, ImportFile, ImportFilePiece
from tests.interchange.test_importer import BASE, run_import, with_change, write_data_set


def _kept(engine: Engine) -> dict[str, bytes]:
    with engine.connect() as conn:
        (number,) = conn.execute(select(func.max(DataImport.id))).one()
        return {
            file.name: b"".join(archive.file_bytes(conn, file))
            for file in archive.kept_files(conn, [number])[number]
        }


def test_every_file_read_is_kept_as_it_was_sent(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(archive, "PIECE_BYTES", 64)  # several pieces a file
    folder = write_data_set(tmp_path / "ds", BASE)
    (folder / "说明.txt").write_text("not a data file")
    assert run_import(engine, folder, tmp_path).committed
    kept = _kept(engine)
    assert kept == {f"{name}.csv": (folder / f"{name}.csv").read_bytes() for name in BASE}
    with engine.connect() as conn:
        pieces = conn.scalar(select(func.count()).select_from(ImportFilePiece))
        files = conn.execute(select(ImportFile.name, ImportFile.size, ImportFile.sha256)).all()
    assert pieces is not None and pieces > len(BASE)
    for name, size, digest in files:
        content = (folder / name).read_bytes()
        assert (size, digest) == (len(content), hashlib.sha256(content).hexdigest())


def test_a_failed_import_and_one_that_changes_nothing_keep_no_file(
    engine: Engine, tmp_path: Path
) -> None:
    bad = write_data_set(tmp_path / "bad", with_change("parcels", 0, area_m2="many"))
    assert not run_import(engine, bad, tmp_path).committed
    good = write_data_set(tmp_path / "good", BASE)
    assert run_import(engine, good, tmp_path).committed
    assert not run_import(engine, good, tmp_path).committed
    with engine.connect() as conn:
        kept = conn.execute(select(ImportFile.import_id).distinct()).scalars().all()
        imports = conn.execute(select(DataImport.id)).scalars().all()
    assert kept == imports and len(imports) == 1
