"""Each check of the validator, on raw tables built by hand."""

from collections.abc import Mapping, Sequence
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from mujun.interchange.credit_code import check_character
from mujun.interchange.problems import Problem
from mujun.interchange.raw import RawTable
from mujun.interchange.schema import table
from mujun.interchange.validation import check_data_set, typed_columns

VALID_CODE = "91350100M000100Y43"
SQUARE = "POLYGON ((119.69 29.79, 119.70 29.79, 119.70 29.80, 119.69 29.80, 119.69 29.79))"
GOOD_PARCEL = {
    "area_m2": "100",
    "supply_date": "2020-01-01",
    "land_use": "industrial",
    "planning_adjustment": "false",
    "holder_credit_code": VALID_CODE,
    "geometry_wkt": SQUARE,
}


def _raw(
    db: duckdb.DuckDBPyConnection, name: str, rows: Sequence[Mapping[str, str | None]]
) -> RawTable:
    columns = list(rows[0])
    data = {c: pa.array([r[c] for r in rows], pa.string()) for c in columns}
    data["_row"] = pa.array(range(2, len(rows) + 2), pa.int64())
    relation = f"raw_{name}"
    db.from_arrow(pa.table(data)).create(relation)
    return RawTable(
        spec=table(name),
        label=f"{name}.csv",
        path=Path(f"{name}.csv"),
        sheet=None,
        header_row=1,
        column_index={c: i for i, c in enumerate(columns)},
        headers={c: c for c in columns},
        relation=relation,
        rows=len(rows),
    )


def _check(
    tables: dict[str, Sequence[Mapping[str, str | None]]],
    stored: Mapping[str, list[str]] | None = None,
) -> tuple[duckdb.DuckDBPyConnection, list[Problem]]:
    db = duckdb.connect()
    raws = [_raw(db, name, rows) for name, rows in tables.items()]
    keys = stored or {}
    _, problems = check_data_set(
        db, raws, existing_keys=lambda name: pa.array(keys.get(name, []), pa.string())
    )
    return db, problems


def _codes(problems: Sequence[Problem]) -> list[tuple[int | None, str | None, str]]:
    return [(p.row, p.column, p.reason.code) for p in problems]


def _enterprise(**overrides: str | None) -> dict[str, str | None]:
    return {"credit_code": VALID_CODE, "name": "桐庐示范机械有限公司"} | overrides


@pytest.mark.parametrize(
    ("column", "value", "code"),
    [
        ("area_m2", "-0.01", "negative"),
        ("area_m2", "十亩", "not_number"),
        ("area_m2", None, "required"),
        ("supply_date", "2023-02-29", "not_date"),
        ("supply_date", "2024-13-01", "not_date"),
        ("land_use", "farm", "not_a_choice"),
        ("planning_adjustment", "maybe", "not_boolean"),
        ("holder_credit_code", "91350100M000100Y44", "credit_code_check_digit"),
        ("holder_credit_code", "9135010OM000100Y43", "credit_code_format"),
        ("geometry_wkt", "POLYGON ((0 0, 1 0, 1 1, 0 0))", "bad_geometry"),
        ("geometry_wkt", "POINT (119.7 29.8)", "bad_geometry"),
        ("geometry_wkt", "not wkt", "bad_geometry"),
    ],
)
def test_a_bad_cell_is_named_with_its_row_column_value_and_reason(
    column: str, value: str | None, code: str
) -> None:
    good = {"parcel_id": "P1", "area_m2": "100", column: GOOD_PARCEL[column]}
    bad = {"parcel_id": "P2", "area_m2": "100", column: value}
    _, problems = _check({"parcels": [good, bad]}, {"enterprises": [VALID_CODE]})
    assert _codes(problems) == [(3, column, code)]
    assert problems[0].value == value
    assert problems[0].file == "parcels.csv"
    assert problems[0].message("zh") and problems[0].message("en")


def test_a_text_repeated_down_a_table_is_judged_once_and_reported_on_every_row() -> None:
    """Repeating kinds are typed through their distinct texts: each row still gets its value
    and its problem, a missing required one included."""
    months = ["2024-01", "2024/02", "2024-13", None, "2024-13", "2024-01"]
    codes = [VALID_CODE, VALID_CODE, VALID_CODE, "9135010OM000100Y43", VALID_CODE, None]
    rows = [
        {"credit_code": code, "month": month, "electricity_kwh": str(100 + i)}
        for i, (code, month) in enumerate(zip(codes, months, strict=True))
    ]
    db, problems = _check({"monthly_metrics": rows}, {"enterprises": [VALID_CODE]})
    assert sorted(_codes(problems)) == [
        (4, "month", "not_month"),
        (5, "credit_code", "credit_code_format"),
        (5, "month", "required"),
        (6, "month", "not_month"),
        (7, "credit_code", "required"),
    ]
    typed = db.sql("SELECT _row, credit_code, month FROM checked_raw_monthly_metrics ORDER BY _row")
    assert typed.fetchall()[:2] == [(2, VALID_CODE, "2024-01"), (3, VALID_CODE, "2024-02")]


def test_good_cells_in_every_spelling_are_typed() -> None:
    db, problems = _check(
        {
            "parcels": [
                {
                    "parcel_id": "P1",
                    "area_m2": "1,333.5",
                    "supply_date": "2020/2/29",
                    "land_use": "工业",
                    "planning_adjustment": "是",
                    "holder_credit_code": VALID_CODE.lower(),
                    "geometry_wkt": SQUARE,
                }
            ],
            "enterprises": [_enterprise()],
        }
    )
    assert problems == []
    row = db.execute(
        "SELECT area_m2, supply_date, land_use, planning_adjustment, holder_credit_code "
        "FROM checked_raw_parcels"
    ).fetchone()
    assert row is not None
    assert row[0] == 1333.5
    assert str(row[1]) == "2020-02-29"
    assert row[2:] == ("industrial", True, VALID_CODE)


@pytest.mark.parametrize(
    ("value", "ok"), [("0", True), ("1", True), ("35%", True), ("1.01", False), ("-0.1", False)]
)
def test_a_share_is_from_0_to_1(value: str, ok: bool) -> None:
    _, problems = _check(
        {
            "enterprises": [_enterprise()],
            "annual_metrics": [{"credit_code": VALID_CODE, "year": "2024", "capacity_use": value}],
        }
    )
    assert _codes(problems) == ([] if ok else [(2, "capacity_use", "share_range")])


def test_a_year_outside_range_and_a_month_that_does_not_exist() -> None:
    _, problems = _check(
        {
            "enterprises": [_enterprise()],
            "annual_metrics": [{"credit_code": VALID_CODE, "year": "1900"}],
            "monthly_metrics": [
                {"credit_code": VALID_CODE, "month": "2024-13"},
                {"credit_code": VALID_CODE, "month": "2024年2月"},
            ],
        }
    )
    assert _codes(problems) == [(2, "year", "year_range"), (2, "month", "not_month")]


MORTGAGE = {"kind": "mortgage", "date": "2024-01-01"}


@pytest.mark.parametrize(
    ("table_name", "column", "value", "code"),
    [
        ("annual_metrics", "tax_yuan", "inf", "not_finite"),
        ("annual_metrics", "tax_yuan", "-Infinity", "not_finite"),
        ("annual_metrics", "revenue_yuan", "1e309", "not_finite"),
        ("annual_metrics", "profit_yuan", "NaN", "not_finite"),
        ("annual_metrics", "capacity_use", "nan", "not_finite"),
        ("annual_metrics", "employees", "3000000000", "integer_range"),
        ("monthly_metrics", "month", "9999-12", "date_range"),
        ("legal_events", "date", "9999-12-31", "date_range"),
        ("legal_events", "date", "1900-01-01", "date_range"),
        ("legal_events", "closed_date", "2101-01-01", "date_range"),
    ],
)
def test_numbers_that_are_not_finite_and_implausible_dates_are_problems(
    table_name: str, column: str, value: str, code: str
) -> None:
    key = {"annual_metrics": {"year": "2024"}, "monthly_metrics": {"month": "2024-06"}}
    row = {"credit_code": VALID_CODE} | key.get(table_name, MORTGAGE) | {column: value}
    _, problems = _check({"enterprises": [_enterprise()], table_name: [row]})
    assert _codes(problems) == [(2, column, code)]
    assert problems[0].message("zh") and problems[0].message("en")


@pytest.mark.parametrize("table_name", ["annual_metrics", "monthly_metrics"])
def test_net_tax_may_be_negative_but_revenue_may_not(table_name: str) -> None:
    key = {"year": "2024"} if table_name == "annual_metrics" else {"month": "2024-06"}
    other = "revenue_yuan" if table_name == "annual_metrics" else "electricity_kwh"
    rows = [
        {"credit_code": VALID_CODE, **key, "tax_yuan": "-1200.5", other: "10"},
        {"credit_code": VALID_CODE, **key, "tax_yuan": "5", other: "-1"},
    ]
    rows[1] |= {"year": "2025"} if table_name == "annual_metrics" else {"month": "2024-07"}
    _, problems = _check({"enterprises": [_enterprise()], table_name: rows})
    assert _codes(problems) == [(3, other, "negative")]


def test_completion_before_start_is_out_of_order() -> None:
    _, problems = _check(
        {
            "parcels": [{"parcel_id": "P1", "area_m2": "100"}],
            "construction": [
                {
                    "parcel_id": "P1",
                    "as_of": "2024-12-31",
                    "started_date": "2023-05-01",
                    "completed_date": "2023-04-30",
                },
                {
                    "parcel_id": "P1",
                    "as_of": "2025-12-31",
                    "started_date": "2023-05-01",
                    "completed_date": "2023-05-01",
                },
            ],
        }
    )
    assert _codes(problems) == [(2, "completed_date", "out_of_order")]
    assert "2023-05-01" in problems[0].message("en")


def test_a_part_larger_than_its_whole() -> None:
    _, problems = _check(
        {
            "jurisdictions": [{"code": "330122", "name": "桐庐县", "level": "county"}],
            "land_approvals": [
                {
                    "approval_id": "A1",
                    "jurisdiction_code": "330122",
                    "approved_date": "2020-01-01",
                    "approved_area_m2": "100",
                    "supplied_area_m2": "100.5",
                },
            ],
        }
    )
    assert _codes(problems) == [(2, "supplied_area_m2", "exceeds")]


def test_every_row_of_a_duplicated_key_is_reported_with_the_others() -> None:
    _, problems = _check(
        {"parcels": [{"parcel_id": p, "area_m2": "1"} for p in ("P1", "P2", "P1", "P1")]}
    )
    assert _codes(problems) == [(r, "parcel_id", "duplicate_key") for r in (2, 4, 5)]
    assert "4, 5" in problems[0].message("en")


def test_references_resolve_against_the_data_set_and_the_database() -> None:
    stored_code = "91330122MA2H0X0X0"
    stored_code += check_character(stored_code)
    _, problems = _check(
        {
            "enterprises": [_enterprise()],
            "land_occupancy": [
                {
                    "credit_code": VALID_CODE,
                    "parcel_id": "P-in-db",
                    "kind": "owned",
                    "area_m2": "1",
                },
                {
                    "credit_code": stored_code,
                    "parcel_id": "P-nowhere",
                    "kind": "owned",
                    "area_m2": "1",
                },
            ],
        },
        {"parcels": ["P-in-db"], "enterprises": [stored_code]},
    )
    assert _codes(problems) == [(3, "parcel_id", "unknown_reference")]


def test_a_reference_is_judged_by_its_typed_value_and_reported_as_written_on_each_row() -> None:
    """A table refers to one listed after it (annual metrics before enterprises); references
    are looked up among a column's distinct texts, typed, and reported on every row."""
    unknown = "91330122MA2H0X0X0"
    unknown += check_character(unknown)
    rows = [
        {"credit_code": code, "year": str(year)}
        for code, year in [
            (VALID_CODE.lower(), 2021),
            (unknown, 2021),
            (unknown.lower(), 2022),
            (unknown, 2023),
        ]
    ]
    _, problems = _check({"annual_metrics": rows, "enterprises": [_enterprise()]})
    assert [(p.file, p.row, p.reason.code, p.value) for p in problems] == [
        ("annual_metrics.csv", r, "unknown_reference", value)
        for r, value in [(3, unknown), (4, unknown.lower()), (5, unknown)]
    ]


def test_a_missing_required_value_in_a_key_is_required_not_duplicate() -> None:
    _, problems = _check({"parcels": [{"parcel_id": None, "area_m2": "1"}] * 2})
    assert _codes(problems) == [(2, "parcel_id", "required"), (3, "parcel_id", "required")]


def test_a_raw_table_is_dropped_once_checked_unless_a_problem_is_named_from_it() -> None:
    db, problems = _check(
        {
            "enterprises": [_enterprise()],
            "parcels": [{"parcel_id": "P1", "area_m2": "-5"}],
        }
    )
    assert _codes(problems) == [(2, "area_m2", "negative")]
    tables = {name for (name,) in db.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    assert "raw_parcels" in tables
    assert "raw_enterprises" not in tables


def test_checked_tables_keep_only_the_columns_present() -> None:
    db = duckdb.connect()
    raw = _raw(db, "parcels", [{"parcel_id": "P1", "area_m2": "5"}])
    checked, problems = check_data_set(db, [raw], existing_keys=lambda _: pa.array([], pa.string()))
    assert problems == []
    assert checked[0].columns == ("parcel_id", "area_m2")
    assert db.execute(
        f"SELECT {typed_columns(checked[0])} FROM {checked[0].relation}"
    ).fetchall() == [("P1", 5.0)]
