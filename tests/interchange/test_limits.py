"""Bounds on what a data set may make the importer read, checked before it is parsed."""

import dataclasses
import zipfile
from pathlib import Path

import duckdb
import pytest
import python_calamine
import xlsxwriter

from mujun.interchange.limits import LOCAL, UPLOAD, Limits
from mujun.interchange.problems import Problem
from mujun.interchange.sources import read_data_set, survey_data_set

SMALL = Limits(rows=3, cells=11, columns=4, unpacked_bytes=1 << 20, compression_ratio=100)


def _read(path: Path, tmp_path: Path, limits: Limits) -> list[Problem]:
    return list(read_data_set(path, duckdb.connect(), workdir=tmp_path, limits=limits).problems)


def _codes(problems: list[Problem]) -> list[tuple[str, str, object]]:
    return [(p.file, p.reason.code, p.params.get("what")) for p in problems]


def _workbook(path: Path, cells: dict[tuple[int, int], str]) -> Path:
    with xlsxwriter.Workbook(path) as book:
        sheet = book.add_worksheet("宗地")
        sheet.write_row(0, 0, ["宗地号", "面积(平方米)"])
        for (row, column), value in cells.items():
            sheet.write(row, column, value)
    return path


def test_the_limits_admit_a_province(tmp_path: Path) -> None:
    # mujun demo --enterprises 200000: its largest files, as rows x columns
    monthly, annual = (4_802_724, 8), (953_951, 18)
    for rows, columns in (monthly, annual):
        assert rows <= LOCAL.rows and rows * columns <= LOCAL.cells
    assert annual[0] <= UPLOAD.rows and annual[0] * annual[1] <= UPLOAD.cells


def test_a_csv_file_with_too_many_rows_or_cells_is_refused_before_it_is_loaded(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "ds"
    folder.mkdir()
    (folder / "parcels.csv").write_text(
        "parcel_id,area_m2\n" + "".join(f"P{i},1\n" for i in range(4)), encoding="utf-8"
    )
    (folder / "enterprises.csv").write_text(
        "credit_code,name,industry_code,status,jurisdiction_code\n1,2,3,4,5\n", encoding="utf-8"
    )
    (folder / "buildings.csv").write_text(
        "building_id,parcel_id,kind,floor_area_m2\n" + "B,P,factory,1\n" * 3, encoding="utf-8"
    )
    assert _codes(_read(folder, tmp_path, SMALL)) == [
        ("buildings.csv", "too_large", "cells"),
        ("enterprises.csv", "too_large", "columns"),
        ("parcels.csv", "too_large", "rows"),
    ]
    assert _read(folder, tmp_path, LOCAL) == []


def test_a_sheet_whose_used_range_is_vast_is_refused_before_it_is_parsed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two cells, far apart: the workbook is tiny, the range the reader would hold is not.
    book = _workbook(tmp_path / "sparse.xlsx", {(1, 0): "P1", (999_999, 16_000): "x"})
    assert book.stat().st_size < 20_000

    def no_parsing(*_: object) -> None:
        raise AssertionError("parsed")

    monkeypatch.setattr(python_calamine.CalamineWorkbook, "from_path", no_parsing)
    assert _codes(_read(book, tmp_path, UPLOAD)) == [("sparse.xlsx", "too_large", "cells")]
    assert survey_data_set(book, workdir=tmp_path, limits=UPLOAD) == {}


def test_a_sheet_with_too_many_rows_is_refused(tmp_path: Path) -> None:
    book = _workbook(tmp_path / "long.xlsx", {(r, 0): f"P{r}" for r in range(1, 5)})
    assert _codes(_read(book, tmp_path, SMALL)) == [("long.xlsx » 宗地", "too_large", "rows")]
    assert _read(book, tmp_path, dataclasses.replace(SMALL, rows=4)) == []


def test_a_workbook_that_unpacks_far_beyond_its_size_is_refused_unopened(tmp_path: Path) -> None:
    book = _workbook(tmp_path / "bomb.xlsx", {(1, 0): "P1", (1, 1): "5"})
    with zipfile.ZipFile(book, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/media/padding.bin", bytes(8 << 20))
    (problem,) = _read(book, tmp_path, UPLOAD)
    assert problem.reason.code == "suspicious_compression"
    assert problem.params["member"] == "xl/media/padding.bin"
    assert problem.message("zh") and problem.message("en")
    big = dataclasses.replace(UPLOAD, compression_ratio=10_000, unpacked_bytes=1 << 20)
    assert _codes(_read(book, tmp_path, big)) == [("bomb.xlsx", "too_large", "unpacked bytes")]


def test_a_survey_names_the_tables_with_rows_and_their_header_columns(tmp_path: Path) -> None:
    folder = tmp_path / "ds"
    folder.mkdir()
    (folder / "宗地.csv").write_text("宗地号,面积(平方米),备注\nP1,1,x\n", encoding="utf-8")
    (folder / "buildings.csv").write_text("building_id,parcel_id\n", encoding="utf-8")
    surveyed = survey_data_set(folder, workdir=tmp_path, limits=UPLOAD)
    assert surveyed == {"parcels": ("parcel_id", "area_m2")}  # header-only files supply nothing
