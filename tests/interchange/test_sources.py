"""Reading data sets: CSV folders and files in every encoding departments send, and workbooks."""

import datetime as dt
import json
import subprocess
import sys
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import openpyxl
import pytest
import xlsxwriter

from mujun.interchange.raw import RawTable, ReadResult
from mujun.interchange.sources import csv_files, read_data_set

Read = Callable[..., ReadResult]


@pytest.fixture
def db() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect()
    yield connection
    connection.close()


@pytest.fixture
def read(db: duckdb.DuckDBPyConnection, tmp_path: Path) -> Read:
    def read(path: Path, **kwargs: Any) -> ReadResult:
        return read_data_set(path, db, workdir=tmp_path / "work", **kwargs)

    return read


def rows(db: duckdb.DuckDBPyConnection, table: RawTable) -> list[dict[str, Any]]:
    relation = db.sql(f'SELECT * FROM "{table.relation}" ORDER BY _row')
    return [dict(zip(relation.columns, values, strict=True)) for values in relation.fetchall()]


def codes(result: ReadResult) -> list[str]:
    return [p.reason.code for p in result.problems]


def only(result: ReadResult) -> RawTable:
    assert len(result.tables) == 1, result
    return result.tables[0]


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path


# --- CSV -----------------------------------------------------------------------------------------


def test_csv_folder_utf8(read: Read, db: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    folder = tmp_path / "data"
    write(
        folder / "parcels.csv",
        "parcel_id,area_m2,land_use,supply_date\n"
        "P001, 1200.5 ,industrial,2020-01-02\n"
        "P002,800,,\n"
        "  ,  ,,\n",
    )
    result = read(folder)
    table = only(result)
    assert result.problems == ()
    assert table.spec.name == "parcels"
    assert table.label == "parcels.csv"
    assert table.path == folder / "parcels.csv"
    assert table.sheet is None
    assert table.header_row == 1
    assert table.relation == "raw_parcels"
    assert dict(table.column_index) == {
        "parcel_id": 0,
        "area_m2": 1,
        "land_use": 2,
        "supply_date": 3,
    }
    assert dict(table.headers)["area_m2"] == "area_m2"
    assert table.rows == 2
    assert rows(db, table) == [
        {
            "parcel_id": "P001",
            "area_m2": "1200.5",
            "land_use": "industrial",
            "supply_date": "2020-01-02",
            "_row": 2,
        },
        {"parcel_id": "P002", "area_m2": "800", "land_use": None, "supply_date": None, "_row": 3},
    ]
    types = dict(db.execute("DESCRIBE raw_parcels").fetchall()[i][:2] for i in range(5))
    assert types == {
        "parcel_id": "VARCHAR",
        "area_m2": "VARCHAR",
        "land_use": "VARCHAR",
        "supply_date": "VARCHAR",
        "_row": "BIGINT",
    }


def test_csv_utf8_bom_with_chinese_headers(
    read: Read, db: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    path = tmp_path / "企业.csv"
    path.write_bytes(
        "\ufeff统一社会信用代码,企业名称,规上\r\n91330100MA2XXXXXX1,杭州某某机械有限公司,true\r\n".encode()
    )
    table = only(read(path))
    assert table.spec.name == "enterprises"
    assert table.headers["credit_code"] == "统一社会信用代码"
    assert rows(db, table) == [
        {
            "credit_code": "91330100MA2XXXXXX1",
            "name": "杭州某某机械有限公司",
            "above_scale": "true",
            "_row": 2,
        }
    ]


def test_csv_gbk_is_transcoded(read: Read, db: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    folder = tmp_path / "data"
    write(
        folder / "宗地.csv",
        "宗地号,面积(平方米),规划用途,备注\n西区-001,1500,industrial,东侧临河\n",
        "gbk",
    )
    write(
        folder / "企业.csv", "统一社会信用代码,企业名称\n91330100MA2XXXXXX1,某某纺织厂\n", "gb18030"
    )
    result = read(folder)
    assert result.problems == ()
    by_name = {t.spec.name: t for t in result.tables}
    assert rows(db, by_name["parcels"]) == [
        {"parcel_id": "西区-001", "area_m2": "1500", "land_use": "industrial", "_row": 2}
    ]
    assert rows(db, by_name["enterprises"])[0]["name"] == "某某纺织厂"
    assert by_name["parcels"].label == "宗地.csv"
    assert any("GBK" in n and "宗地.csv" in n for n in map(str, result.notices))
    assert any("备注" in n for n in map(str, result.notices))
    assert list((tmp_path / "work").iterdir()) == []  # the transcoded copy is gone


@pytest.mark.parametrize(
    "data",
    [
        pytest.param("parcel_id,area_m2\nP1,1\n".encode("utf-16"), id="utf-16 with BOM"),
        pytest.param("parcel_id,area_m2\nP1,1\n".encode("utf-16-le"), id="utf-16 without BOM"),
        pytest.param("宗地號,面積\n甲一,1\n".encode("big5"), id="big5"),
    ],
)
def test_csv_wrong_encoding(read: Read, tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "parcels.csv"
    path.write_bytes(data)
    result = read(path)
    assert result.tables == ()
    assert codes(result) == ["wrong_encoding"]
    problem = result.problems[0]
    assert problem.file == "parcels.csv"
    assert "CSV UTF-8" in problem.message("en")
    assert "GBK" in problem.message("zh")


@pytest.mark.parametrize("content", [b"", b"  \r\n\n\t ", b"\xef\xbb\xbf\r\n"])
def test_csv_empty_file(read: Read, tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "parcels.csv"
    path.write_bytes(content)
    result = read(path)
    assert result.tables == ()
    assert codes(result) == ["empty_file"]
    assert result.problems[0].file == "parcels.csv"


def test_csv_header_only_is_a_notice(read: Read, tmp_path: Path) -> None:
    path = write(tmp_path / "parcels.csv", "parcel_id,area_m2,land_use\n\n")
    result = read(path)
    assert result.tables == ()
    assert result.problems == ()
    assert any("parcels.csv" in n and "header" in n for n in map(str, result.notices))


def test_csv_missing_required_column(
    read: Read, db: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    path = write(tmp_path / "parcels.csv", "parcel_id,land_use\nP1,industrial\n")
    result = read(path)
    assert codes(result) == ["missing_column"]
    problem = result.problems[0]
    assert (problem.file, problem.row, problem.column, problem.value) == (
        "parcels.csv",
        1,
        "area_m2",
        None,
    )
    assert "面积(平方米)" in problem.message("zh")
    table = only(result)
    assert rows(db, table) == [{"parcel_id": "P1", "land_use": "industrial", "_row": 2}]


def test_csv_unknown_column_is_ignored_with_a_notice(
    read: Read, db: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    path = write(tmp_path / "parcels.csv", "序号,parcel_id,area_m2,联系人\n1,P1,10,张三\n")
    result = read(path)
    assert result.problems == ()
    table = only(result)
    assert dict(table.column_index) == {"parcel_id": 1, "area_m2": 2}
    assert rows(db, table) == [{"parcel_id": "P1", "area_m2": "10", "_row": 2}]
    assert any("序号" in n and "联系人" in n for n in map(str, result.notices))


def test_csv_duplicated_column(read: Read, db: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    path = write(tmp_path / "parcels.csv", "parcel_id,area_m2,宗地号\nP1,10,P9\n")
    result = read(path)
    assert codes(result) == ["duplicate_column"]
    problem = result.problems[0]
    assert (problem.row, problem.column, problem.value) == (1, "parcel_id", "宗地号")
    assert "C" in problem.message("en")
    table = only(result)
    assert table.column_index["parcel_id"] == 0
    assert rows(db, table)[0]["parcel_id"] == "P1"


def test_csv_ragged_rows(read: Read, db: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    path = write(
        tmp_path / "parcels.csv",
        "parcel_id,area_m2,land_use\n"
        "P1,10,industrial\n"
        "P2,20\n"  # short: padded
        "P3,30,industrial,extra,more\n"  # too long: a problem
        "P4\n"
        "P5,5,1,2\n"
        "P6,60,other\n",
    )
    result = read(path)
    assert codes(result) == ["too_many_fields", "too_many_fields"]
    assert [(p.row, p.value) for p in result.problems] == [
        (4, "P3,30,industrial,extra,more"),
        (6, "P5,5,1,2"),
    ]
    assert result.problems[0].params == {"found": 5, "expected": 3}
    table = only(result)
    assert [(r["parcel_id"], r["area_m2"], r["land_use"], r["_row"]) for r in rows(db, table)] == [
        ("P1", "10", "industrial", 2),
        ("P2", "20", None, 3),
        ("P4", None, None, 5),
        ("P6", "60", "other", 7),
    ]


@pytest.mark.parametrize(
    ("cell", "read_as"),
    [
        ("P1", "P1"),
        ('""', None),
        (" P1", "P1"),
        ("P1\t", "P1"),
        ("\u00a0P1", "P1"),
        ("P1\u3000", "P1"),
        ("\u200bP1", "P1"),
        ("P1\ufeff", "P1"),
        ('"P1\r\n"', "P1"),
        ('"\nP1"', "P1"),
        ("\u3000", None),
    ],
)
def test_csv_cells_are_trimmed_of_every_blank(
    read: Read, db: duckdb.DuckDBPyConnection, tmp_path: Path, cell: str, read_as: str | None
) -> None:
    """A file is searched for blanks before it is loaded, its cells trimmed only if it has
    any: a blank of each kind, wherever it is, gets them trimmed; a file without is read as is."""
    path = write(tmp_path / "parcels.csv", f"parcel_id,land_use\r\n{cell},industrial\r\n")
    assert [r["parcel_id"] for r in rows(db, only(read(path)))] == [read_as]


@pytest.mark.parametrize(
    ("text", "padded"),
    [
        ("a,b\r\n1,2\r\n3,4\r\n", False),
        ("a,b\n1,2\n3,4", False),
        ('a,b,c\n1,"x,y",2\n', False),
        ("a,b\n1,2\u3000\n", True),
        ('a,b\r\n1,"2\r\n"\r\n', True),
        ("a,b\r1,2\r", True),
    ],
)
def test_scan_tells_whether_cells_need_trimming_across_chunks(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, text: str, padded: bool
) -> None:
    path = write(tmp_path / "x.csv", text)
    for chunk in (1, 2, 3, 5, 1 << 20):
        monkeypatch.setattr(csv_files, "CHUNK_BYTES", chunk)
        assert csv_files.scan_bytes(path).padded is padded, chunk


def test_files_scanned_ahead_are_scanned_as_one_at_a_time(tmp_path: Path) -> None:
    """A folder's files are scanned by a thread while the one before is read: each scan is
    the file's own, and a file that cannot be opened fails its own scan alone."""
    texts = {"a.csv": "a,b\n1,2\u3000\n", "b.csv": "a,b\n1,2\n", "c.csv": "a\n\n1\n"}
    paths = [write(tmp_path / name, text) for name, text in texts.items()]
    missing = tmp_path / "gone.csv"
    with csv_files.scanned_ahead([*paths, missing]) as scans:
        assert [scans[p].result() for p in paths] == [csv_files.scan_bytes(p) for p in paths]
        with pytest.raises(FileNotFoundError):
            scans[missing].result()


def test_a_folders_files_read_side_by_side_are_reported_in_name_order(
    read: Read, db: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    """The CSV files of a folder are read two at a time, the largest first; what each
    holds, what is wrong with it and the progress are still told in the files' name order."""
    folder = tmp_path / "data"
    write(folder / "buildings.csv", "building_id,parcel_id\nB1,P1,x\nB2,P1\n")
    many = "".join(f"9133010000000{n:05d},企业{n},extra\n" for n in range(20_000))
    write(folder / "enterprises.csv", "credit_code,name\n" + many)
    write(folder / "notes.txt", "见附件")
    write(folder / "parcels.csv", "parcel_id,area_m2\n")
    write(folder / "宗地.csv", "宗地号,面积\nP2,2\n")
    seen: list[tuple[str, int]] = []
    result = read(folder, on_progress=lambda label, done: seen.append((label, done)))
    found = [(p.file, p.reason.code, p.row) for p in result.problems]
    assert found[:3] == [
        ("buildings.csv", "missing_column", 1),
        ("buildings.csv", "missing_column", 1),
        ("buildings.csv", "too_many_fields", 2),
    ]
    assert found[3:-1] == [("enterprises.csv", "too_many_fields", n + 2) for n in range(20_000)]
    assert found[-1] == ("宗地.csv", "duplicate_source", None)
    assert [(t.label, t.rows) for t in result.tables] == [
        ("buildings.csv", 1),
        ("enterprises.csv", 0),
    ]
    assert [str(n).split("：")[0] for n in result.notices] == ["notes.txt", "parcels.csv"]
    assert seen == [
        ("buildings.csv", 0),
        ("buildings.csv", 1),
        ("enterprises.csv", 0),
        ("enterprises.csv", 0),
        ("parcels.csv", 0),
        ("parcels.csv", 0),
    ]
    assert rows(db, result.tables[0]) == [{"building_id": "B2", "parcel_id": "P1", "_row": 3}]


def test_csv_quoted_commas_newlines_and_blank_lines(
    read: Read, db: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    path = write(
        tmp_path / "enterprises.csv",
        "credit_code,name,status\r\n"
        '91330100MA2XXXXXX1,"某某机械有限公司, 杭州分公司",operating\r\n'
        '91330100MA2XXXXXX2,"第一行\r\n\r\n第二行",halted\r\n'
        "\r\n"
        '91330100MA2XXXXXX3,"引号""中""的名称",\r\n'
        "91330100MA2XXXXXX4,a,b,c\r\n"
        "91330100MA2XXXXXX5,最后一家,operating",
    )
    result = read(path)
    assert [(p.reason.code, p.row) for p in result.problems] == [("too_many_fields", 6)]
    assert [(r["name"], r["_row"]) for r in rows(db, only(result))] == [
        ("某某机械有限公司, 杭州分公司", 2),
        ("第一行\r\n\r\n第二行", 3),
        ('引号"中"的名称', 5),
        ("最后一家", 7),
    ]


def test_csv_title_row_above_header(
    read: Read, db: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    path = write(
        tmp_path / "宗地.csv",
        "2024年度宗地台账,,\n,,\n宗地号,面积(平方米),规划用途\nP1,100,industrial\n",
    )
    result = read(path)
    assert result.problems == ()
    table = only(result)
    assert table.header_row == 3
    assert rows(db, table) == [
        {"parcel_id": "P1", "area_m2": "100", "land_use": "industrial", "_row": 4}
    ]
    assert any("第 3 行" in n for n in map(str, result.notices))


def test_two_sources_for_one_table(read: Read, tmp_path: Path) -> None:
    folder = tmp_path / "data"
    write(folder / "parcels.csv", "parcel_id,area_m2\nP1,1\n")
    write(folder / "宗地.csv", "宗地号,面积\nP2,2\n")
    result = read(folder)
    assert codes(result) == ["duplicate_source"]
    assert result.problems[0].file == "宗地.csv"
    assert "parcels.csv" in result.problems[0].message("zh")
    assert [t.label for t in result.tables] == ["parcels.csv"]


def test_unmatched_files_are_passed_over(read: Read, tmp_path: Path) -> None:
    folder = tmp_path / "data"
    write(folder / "notes.csv", "a,b\n1,2\n")
    write(folder / "说明.txt", "见附件")
    write(folder / "parcels.csv", "parcel_id,area_m2\nP1,1\n")
    result = read(folder)
    assert result.problems == ()
    assert [t.spec.name for t in result.tables] == ["parcels"]
    assert any("notes.csv" in n for n in map(str, result.notices))
    assert any("说明.txt" in n for n in map(str, result.notices))


def test_unsupported_and_missing_paths(read: Read, tmp_path: Path) -> None:
    assert codes(read(tmp_path / "nothing-here")) == ["source_not_found"]
    assert codes(read(write(tmp_path / "data.json", "{}"))) == ["unsupported_source"]


def test_progress_is_reported(read: Read, tmp_path: Path) -> None:
    seen: list[tuple[str, int]] = []
    path = write(tmp_path / "parcels.csv", "parcel_id,area_m2\nP1,1\nP2,2\n")
    read(path, on_progress=lambda label, done: seen.append((label, done)))
    assert seen[0] == ("parcels.csv", 0)
    assert seen[-1] == ("parcels.csv", 2)


def test_relations_do_not_collide(db: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    path = write(tmp_path / "parcels.csv", "parcel_id,area_m2\nP1,1\n")
    first = read_data_set(path, db, workdir=tmp_path)
    second = read_data_set(path, db, workdir=tmp_path)
    assert only(first).relation != only(second).relation


# --- workbooks -----------------------------------------------------------------------------------


def workbook(path: Path, build: Callable[[xlsxwriter.Workbook], None]) -> Path:
    book = xlsxwriter.Workbook(str(path))
    build(book)
    book.close()
    return path


def test_workbook_english_and_chinese_sheets(
    read: Read, db: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    def build(book: xlsxwriter.Workbook) -> None:
        notes = book.add_worksheet("填表说明")
        notes.write("A1", "请按模板填写")
        parcels = book.add_worksheet("parcels")
        parcels.write_row("A1", ["parcel_id", "area_m2"])
        parcels.write_row("A2", ["P1", 100])
        enterprises = book.add_worksheet("企业")
        enterprises.write_row("A1", ["统一社会信用代码(credit_code)", "企业名称"])
        enterprises.write_row("A2", ["91330100MA2XXXXXX1", "某某机械"])

    path = workbook(tmp_path / "台账.xlsx", build)
    result = read(path)
    assert result.problems == ()
    by_name = {t.spec.name: t for t in result.tables}
    assert by_name["enterprises"].label == "台账.xlsx » 企业"
    assert by_name["enterprises"].sheet == "企业"
    assert by_name["enterprises"].path == path
    assert by_name["enterprises"].headers["credit_code"] == "统一社会信用代码(credit_code)"
    assert rows(db, by_name["parcels"]) == [{"parcel_id": "P1", "area_m2": "100", "_row": 2}]
    assert rows(db, by_name["enterprises"]) == [
        {"credit_code": "91330100MA2XXXXXX1", "name": "某某机械", "_row": 2}
    ]
    assert any("填表说明" in n for n in map(str, result.notices))


def test_workbook_title_row_and_leading_empty_rows(
    read: Read, db: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    def build(book: xlsxwriter.Workbook) -> None:
        sheet = book.add_worksheet("宗地")
        sheet.merge_range("B3:D3", "2024年度宗地台账")
        sheet.write_row("B4", ["宗地号", "面积(平方米)", "规划用途"])
        sheet.write_row("B5", ["P1", 100, "industrial"])
        sheet.write_row("B7", ["P2", 200, "warehouse"])

    result = read(workbook(tmp_path / "data.xlsx", build))
    assert result.problems == ()
    table = only(result)
    assert table.header_row == 4
    assert dict(table.column_index) == {"parcel_id": 1, "area_m2": 2, "land_use": 3}
    assert [(r["parcel_id"], r["_row"]) for r in rows(db, table)] == [("P1", 5), ("P2", 7)]


def test_workbook_two_level_merged_header(
    read: Read, db: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    def build(book: xlsxwriter.Workbook) -> None:
        # Row 1 holds the key headers merged down over row 2, and a group over two columns.
        sheet = book.add_worksheet("宗地")
        sheet.merge_range("A1:A2", "宗地号")
        sheet.merge_range("B1:B2", "面积(平方米)")
        sheet.merge_range("C1:D1", "区位")
        sheet.write_row("C2", ["所在区划代码", "所在园区代码"])
        sheet.write_row("A3", ["P1", 100, "330101", "P-01"])
        # Row 1 is only groups; the real headers are on row 2.
        other = book.add_worksheet("企业")
        other.merge_range("A1:B1", "基本信息")
        other.merge_range("C1:D1", "其他")
        other.write_row("A2", ["统一社会信用代码", "企业名称", "规上", "经营状态"])
        other.write_row("A3", ["91330100MA2XXXXXX1", "某某机械", True, "operating"])

    result = read(workbook(tmp_path / "data.xlsx", build))
    assert result.problems == ()
    by_name = {t.spec.name: t for t in result.tables}
    parcels, enterprises = by_name["parcels"], by_name["enterprises"]
    assert parcels.header_row == 2
    assert dict(parcels.column_index) == {
        "parcel_id": 0,
        "area_m2": 1,
        "jurisdiction_code": 2,
        "park_code": 3,
    }
    assert rows(db, parcels) == [
        {
            "parcel_id": "P1",
            "area_m2": "100",
            "jurisdiction_code": "330101",
            "park_code": "P-01",
            "_row": 3,
        }
    ]
    assert enterprises.header_row == 2
    assert rows(db, enterprises) == [
        {
            "credit_code": "91330100MA2XXXXXX1",
            "name": "某某机械",
            "above_scale": "true",
            "status": "operating",
            "_row": 3,
        }
    ]


def test_workbook_cell_text(read: Read, db: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    def build(book: xlsxwriter.Workbook) -> None:
        date = book.add_format({"num_format": "yyyy-mm-dd"})
        moment = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
        sheet = book.add_worksheet("parcels")
        sheet.write_row(
            "A1", ["parcel_id", "area_m2", "supply_date", "use_change_expires", "dynamic_reserve"]
        )
        sheet.write_row("A2", ["  P1\u3000", 1200.0])
        sheet.write_datetime("C2", dt.datetime(2024, 3, 1), date)
        sheet.write_datetime("D2", dt.datetime(2024, 3, 1, 10, 30), moment)
        sheet.write_boolean("E2", True)
        sheet.write_row("A3", ["0012", 1234.5678, None, None, False])
        sheet.write_row("A4", [12345, 1e-05, "  ", "2024-03-01"])
        sheet.write_row("A5", ["P5", 1e20])

    table = only(read(workbook(tmp_path / "data.xlsx", build)))
    order = ["parcel_id", "area_m2", "supply_date", "use_change_expires", "dynamic_reserve", "_row"]
    assert [[r[name] for name in order] for r in rows(db, table)] == [
        ["P1", "1200", "2024-03-01", "2024-03-01 10:30:00", "true", 2],
        ["0012", "1234.5678", None, None, "false", 3],
        ["12345", "0.00001", None, "2024-03-01", None, 4],
        ["P5", "100000000000000000000", None, None, None, 5],
    ]


def test_workbook_formulas(read: Read, db: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    def build(book: xlsxwriter.Workbook) -> None:
        sheet = book.add_worksheet("宗地")
        sheet.write_row("A1", ["宗地号", "面积", "备注"])
        sheet.write_row("A2", ["P1", 1000])
        sheet.write("A3", "P2")
        sheet.write_formula("B3", "=B2*2", None, 2000)  # saved with its value
        sheet.write("A4", "P3")
        sheet.write_formula("B4", "=B2*3", None, "")  # never calculated
        sheet.write_formula("C4", "=A4&A3", None, "")  # never calculated, but not read
        sheet.write("A5", "P4")
        sheet.write_formula("B5", "=1/0", None, "#DIV/0!")
        sheet.write("A6", "P5")
        sheet.write_formula("B6", "=B2-1000")  # xlsxwriter's placeholder result: 0

    result = read(workbook(tmp_path / "data.xlsx", build))
    assert [(p.reason.code, p.row, p.column, p.value) for p in result.problems] == [
        ("formula_without_value", 4, "area_m2", "=B2*3"),
        ("cell_error", 5, "area_m2", "#DIV/0!"),
        ("formula_without_value", 6, "area_m2", "=B2-1000"),
    ]
    assert "B4" in result.problems[0].message("zh")
    assert "Excel" in result.problems[0].message("en")
    table = only(result)
    assert [(r["parcel_id"], r["area_m2"]) for r in rows(db, table)] == [
        ("P1", "1000"),
        ("P2", "2000"),
        ("P3", None),
        ("P4", None),
        ("P5", "0"),
    ]
    assert any("1 formula cells" in n for n in map(str, result.notices))


def test_workbook_saved_zero_is_trusted_once_calculated(read: Read, tmp_path: Path) -> None:
    def build(book: xlsxwriter.Workbook) -> None:
        sheet = book.add_worksheet("宗地")
        sheet.write_row("A1", ["宗地号", "面积"])
        sheet.write("A2", "P1")
        sheet.write_formula("B2", "=1-1", None, 0)

    written = workbook(tmp_path / "written.xlsx", build)
    # What saving in a spreadsheet application does: the full-recalculation request goes.
    saved = tmp_path / "saved.xlsx"
    with zipfile.ZipFile(written) as source, zipfile.ZipFile(saved, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/workbook.xml":
                assert b'fullCalcOnLoad="1"' in data
                data = data.replace(b' fullCalcOnLoad="1"', b"")
            target.writestr(item, data)
    assert codes(read(written)) == ["formula_without_value"]
    result = read(saved)
    assert result.problems == ()
    assert any("1 formula cells" in n for n in map(str, result.notices))


def test_workbook_formula_written_by_openpyxl(read: Read, tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "parcels"
    sheet.append(["parcel_id", "area_m2"])
    sheet.append(["P1", "=2*3"])
    path = tmp_path / "data.xlsx"
    book.save(path)
    result = read(path)
    assert [(p.reason.code, p.row, p.column) for p in result.problems] == [
        ("formula_without_value", 2, "area_m2")
    ]


def test_workbook_header_problems_and_duplicate_sheets(
    read: Read, db: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    def build(book: xlsxwriter.Workbook) -> None:
        first = book.add_worksheet("宗地")
        first.write("A1", "宗地台账")
        first.write_row("A2", ["宗地号", "规划用途", "规划用途", "联系人"])
        first.write_row("A3", ["P1", "industrial", "other", "张三"])
        second = book.add_worksheet("parcels")
        second.write_row("A1", ["parcel_id", "area_m2"])
        second.write_row("A2", ["P2", 1])

    result = read(workbook(tmp_path / "data.xlsx", build))
    assert [(p.reason.code, p.file, p.row, p.column) for p in result.problems] == [
        ("duplicate_column", "data.xlsx » 宗地", 2, "land_use"),
        ("missing_column", "data.xlsx » 宗地", 2, "area_m2"),
        ("duplicate_source", "data.xlsx » parcels", None, None),
    ]
    table = only(result)
    assert rows(db, table) == [{"parcel_id": "P1", "land_use": "industrial", "_row": 3}]
    assert any("联系人" in n for n in map(str, result.notices))


def test_workbook_empty_and_header_only_sheets(read: Read, tmp_path: Path) -> None:
    def build(book: xlsxwriter.Workbook) -> None:
        book.add_worksheet("宗地")
        header_only = book.add_worksheet("企业")
        header_only.write_row("A1", ["统一社会信用代码", "企业名称"])

    result = read(workbook(tmp_path / "data.xlsx", build))
    assert result.tables == ()
    assert result.problems == ()
    assert any("宗地" in n and "empty" in n for n in map(str, result.notices))
    assert any("企业" in n and "header" in n for n in map(str, result.notices))


def test_workbook_merged_data_cells_fill_their_rows(
    read: Read, db: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    def build(book: xlsxwriter.Workbook) -> None:
        sheet = book.add_worksheet("用地情况")
        sheet.write_row("A1", ["统一社会信用代码", "宗地号", "用地类型", "面积"])
        sheet.merge_range("A2:A4", "91330100MA2XXXXXX1")
        sheet.write_row("B2", ["P1", "owned", 100])
        sheet.write_row("B3", ["P2", "owned", 200])
        sheet.write_row("B4", ["P3", "leased_in", 300])
        sheet.write_row("A5", ["91330100MA2XXXXXX2", "P4", "owned", 400])

    result = read(workbook(tmp_path / "data.xlsx", build))
    assert result.problems == ()
    assert [(r["credit_code"], r["parcel_id"], r["_row"]) for r in rows(db, only(result))] == [
        ("91330100MA2XXXXXX1", "P1", 2),
        ("91330100MA2XXXXXX1", "P2", 3),
        ("91330100MA2XXXXXX1", "P3", 4),
        ("91330100MA2XXXXXX2", "P4", 5),
    ]


def test_workbook_progress_and_batches(
    read: Read, db: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    def build(book: xlsxwriter.Workbook) -> None:
        sheet = book.add_worksheet("月度指标")
        sheet.write_row("A1", ["统一社会信用代码", "月份", "用电量(千瓦时)"])
        for i in range(1, 120_001):
            sheet.write_row(i, 0, [f"91330100MA2X{i:06d}", "2024-01", i * 0.5])

    seen: list[tuple[str, int]] = []
    result = read(
        workbook(tmp_path / "data.xlsx", build),
        on_progress=lambda label, done: seen.append((label, done)),
    )
    table = only(result)
    assert table.rows == 120_000
    assert seen == [
        ("data.xlsx » 月度指标", 0),
        ("data.xlsx » 月度指标", 50_000),
        ("data.xlsx » 月度指标", 100_000),
        ("data.xlsx » 月度指标", 120_000),
    ]
    last = db.execute(
        f'SELECT credit_code, electricity_kwh, _row FROM "{table.relation}" ORDER BY _row DESC '
        "LIMIT 1"
    ).fetchall()
    assert last == [("91330100MA2X120000", "60000", 120_001)]


def test_unreadable_workbook(read: Read, tmp_path: Path) -> None:
    path = write(tmp_path / "data.xlsx", "not a zip file")
    assert codes(read(path)) == ["unreadable_workbook"]


# --- memory --------------------------------------------------------------------------------------

_MEASURE = """
import json, resource, sys
from pathlib import Path
import duckdb
from mujun.interchange.sources import csv_files, read_data_set

source, work = Path(sys.argv[1]), Path(sys.argv[2])
(work / "duckdb").mkdir(parents=True)
db = duckdb.connect()
db.execute("SET memory_limit = '200MB'")
db.execute("SET enable_progress_bar = false")
db.execute(f"SET temp_directory = '{work / 'duckdb'}'")
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
result = read_data_set(source, db, workdir=work)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
table = result.tables[0]
((rows, last),) = db.execute(
    f'SELECT count(*), max(_row) FROM "{table.relation}"'
).fetchall()
print(json.dumps({
    "growth_mb": (after - before) / 1024,
    "rows": rows,
    "last_row": last,
    "problems": [(p.reason.code, p.row) for p in result.problems],
}))
"""


def test_large_csv_reads_in_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / "monthly_metrics.csv"
    written = 0
    with path.open("w", encoding="utf-8", newline="") as file:
        file.write(
            "统一社会信用代码,月份,用电量(千瓦时),最高负荷(千瓦),开票销售额(元),税收(元),贷款逾期\n"
        )
        while file.tell() < 50 * 1024 * 1024:
            lines = [
                f"91330100MA2X{n:06d},2024-{n % 12 + 1:02d},{n * 1.5},{n},{n * 10.25},12.5,false\n"
                for n in range(written, written + 10_000)
            ]
            if written == 100_000:
                lines[0] = "\n"  # an empty line DuckDB passes over
                lines[1] = "x,2024-01,1,2,3,4,false,surplus\n"  # a row with too many fields
            file.write("".join(lines))
            written += 10_000
    finished = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(path), str(tmp_path / "work")],
        capture_output=True,
        text=True,
        check=True,
    )
    measured = json.loads(finished.stdout)
    size_mb = path.stat().st_size / 1e6
    print(f"peak RSS growth reading {size_mb:.0f} MB: {measured['growth_mb']:.0f} MB")
    assert measured["problems"] == [["too_many_fields", 100_003]]
    assert measured["rows"] == written - 2
    assert measured["last_row"] == written + 1
    assert measured["growth_mb"] < 400, measured
