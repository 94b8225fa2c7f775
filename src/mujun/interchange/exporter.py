"""Writing the records out in the interchange format: a folder of CSV files, or a workbook.

Importing an export reproduces the database: every table, every column, keys in order.
"""

from collections.abc import Iterator, Mapping
from pathlib import Path

import duckdb
import pyarrow as pa
from sqlalchemy import Engine

from mujun.interchange.schema import TableSpec, tables
from mujun.interchange.sql import identifier as quoted
from mujun.interchange.workbooks.export import write_workbook
from mujun.progress import Progress, silent
from mujun.records import bulk


def export_data_set(
    *, engine: Engine, path: Path, chinese: bool = False, on_progress: Progress = silent
) -> dict[str, int]:
    """Write every table to ``path`` (``.xlsx``: one workbook; else a folder of CSV files).

    Returns the rows written per table.
    """
    every = tables()
    with engine.connect() as conn:

        def stored(spec: TableSpec) -> pa.Table:
            on_progress(spec.name, every.index(spec) / len(every))
            return _in_key_order(bulk.read_rows(conn, spec.table, spec.column_names), spec)

        if path.suffix.lower() == ".xlsx":
            counts: dict[str, int] = {}

            def batches() -> Iterator[tuple[TableSpec, list[pa.RecordBatch]]]:
                for spec in tables():
                    data = stored(spec)
                    counts[spec.name] = data.num_rows
                    yield spec, data.to_batches()

            write_workbook(path, batches(), chinese=chinese)
            return counts
        return write_csv_folder(path, {spec.name: stored(spec) for spec in tables()})


def _in_key_order(data: pa.Table, spec: TableSpec) -> pa.Table:
    return data.sort_by([(k, "ascending") for k in spec.key])


def write_csv_folder(folder: Path, data: Mapping[str, pa.Table]) -> dict[str, int]:
    """Write each table as ``<name>.csv`` (UTF-8, header row, ISO dates, true/false)."""
    folder.mkdir(parents=True, exist_ok=True)
    db = duckdb.connect()
    counts = {}
    for name, table in data.items():
        relation = db.from_arrow(table)
        columns = ", ".join(quoted(c) for c in table.column_names)
        target = str(folder / f"{name}.csv").replace("'", "''")
        relation.query("t", f"COPY (SELECT {columns} FROM t) TO '{target}' (HEADER, DELIMITER ',')")
        counts[name] = table.num_rows
    return counts
