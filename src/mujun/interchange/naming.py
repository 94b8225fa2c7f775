"""Naming what a problem is about as the file does: the record by its natural key, the column
by its header as written (税收实缴(元), not ``tax_yuan``, when the file used the Chinese header)."""

import dataclasses
from collections import defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path

import duckdb
import pyarrow as pa

from mujun.interchange.problems import Problem
from mujun.interchange.raw import RawTable
from mujun.interchange.schema import TableSpec, table_for_name
from mujun.interchange.sql import identifier

_ROWS_VIEW = "_mujun_problem_rows"


def name_records(
    db: duckdb.DuckDBPyConnection, raw_tables: Sequence[RawTable], problems: Sequence[Problem]
) -> list[Problem]:
    """``problems`` with the header of their column and the key of their row's record, read
    from the raw tables of ``db`` (a row the reader could not load has no record)."""
    by_label = {raw.label: raw for raw in raw_tables}
    rows: dict[str, set[int]] = defaultdict(set)
    for problem in problems:
        if problem.row is not None and problem.file in by_label:
            rows[problem.file].add(problem.row)
    keys = {label: _keys(db, by_label[label], numbers) for label, numbers in rows.items()}
    return [
        dataclasses.replace(
            problem,
            header=header_of(problem, by_label.get(problem.file)),
            record=keys.get(problem.file, {}).get(problem.row or 0),
        )
        for problem in problems
    ]


def _keys(
    db: duckdb.DuckDBPyConnection, raw: RawTable, numbers: set[int]
) -> Mapping[int, dict[str, str]]:
    """The key cells as written of the rows ``numbers`` of ``raw``, by row number."""
    present = [k for k in raw.spec.key if k in raw.column_index]
    if not present:
        return {}
    db.register(_ROWS_VIEW, pa.table({"_row": pa.array(sorted(numbers), pa.int64())}))
    try:
        found = db.execute(
            f"SELECT r._row, {', '.join(f'r.{identifier(k)}' for k in present)} "
            f"FROM {identifier(raw.relation)} r JOIN {_ROWS_VIEW} USING (_row)"
        ).fetchall()
    finally:
        db.unregister(_ROWS_VIEW)
    return {
        row: {k: v for k, v in zip(present, values, strict=True) if v is not None}
        for row, *values in found
        if any(v is not None for v in values)
    }


def header_of(problem: Problem, raw: RawTable | None) -> str | None:
    """The column as the official knows it: the header as written, else the column's Chinese
    header (a required column the file lacks), else the name given."""
    name = problem.column
    if name is None:
        return None
    if raw is not None and name in raw.headers:
        return raw.headers[name]
    spec = raw.spec if raw is not None else spec_for_file(problem.file)
    if spec is not None and name in spec.column_names:
        return spec.column(name).label_zh
    return name


def spec_for_file(label: str) -> TableSpec | None:
    """The table a file or sheet label (``parcels.csv``, ``data.xlsx » 宗地``) stands for."""
    name = label.rsplit("»", 1)[-1].strip()
    return table_for_name(name) or table_for_name(Path(name).stem)
