"""The export: the database in the interchange format as one workbook, one sheet per table,
streamed (xlsxwriter ``constant_memory``)."""

from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa

from mujun.interchange.schema import ColumnSpec, TableSpec
from mujun.interchange.workbooks.styles import (
    MAX_CELL_CHARS,
    MAX_DATA_ROWS,
    Formats,
    streaming_workbook,
    write_header,
    write_value,
)


def write_workbook(
    path: Path,
    tables: Iterable[tuple[TableSpec, Iterable[pa.RecordBatch]]],
    *,
    chinese: bool = False,
) -> None:
    """Write tables in the interchange format as one workbook, a sheet per table, streaming.

    By default sheets and headers carry the interchange names (``parcels``, ``parcel_id``);
    ``chinese`` uses the Chinese sheet names and headers and writes codes as their Chinese
    labels, which an import accepts as well. A table longer than a sheet raises ValueError
    before anything is written.
    """
    items = list(tables)
    for spec, batches in items:
        if isinstance(batches, Sequence):
            _check_rows(spec, sum(batch.num_rows for batch in batches))
    with streaming_workbook(path) as (book, formats):
        for spec, batches in items:
            _write_table(book, spec, batches, formats, chinese=chinese)


def _check_rows(spec: TableSpec, rows: int) -> None:
    if rows > MAX_DATA_ROWS:
        raise ValueError(
            f"table {spec.name} has more rows than the {MAX_DATA_ROWS:,} an Excel sheet "
            "holds; export to a folder of CSV files instead"
        )


def _write_table(
    book: Any,
    spec: TableSpec,
    batches: Iterable[pa.RecordBatch],
    formats: Formats,
    *,
    chinese: bool,
) -> None:
    sheet = book.add_worksheet(spec.label_zh if chinese else spec.name)
    headers = [c.label_zh if chinese else c.name for c in spec.columns]
    write_header(sheet, spec.columns, headers, formats)
    convert = [_export_value(spec, column, chinese=chinese) for column in spec.columns]
    written = 0
    for batch in batches:
        _check_rows(spec, written + batch.num_rows)
        unknown = set(batch.schema.names) - set(spec.column_names)
        if unknown:
            raise ValueError(f"table {spec.name} has no column {', '.join(sorted(unknown))}")
        present = [
            (col, batch.column(column.name).to_pylist(), convert[col])
            for col, column in enumerate(spec.columns)
            if column.name in batch.schema.names
        ]
        for offset in range(batch.num_rows):
            row = written + offset + 1
            for col, values, converted in present:
                write_value(sheet, row, col, converted(values[offset]), formats)
        written += batch.num_rows
    sheet.autofilter(0, 0, written, len(spec.columns) - 1)


def _export_value(
    spec: TableSpec, column: ColumnSpec, *, chinese: bool
) -> Callable[[object], object]:
    """How a column's values are written: codes as Chinese labels in a Chinese export, text
    checked against the cell size (a longer value would be cut short, so it is refused)."""
    labels: Mapping[object, str] = (
        {member.value: member.label_zh for member in column.field.choices}
        if chinese and column.field.choices is not None
        else {}
    )

    def converted(value: object) -> object:
        if isinstance(value, str):
            if len(value) > MAX_CELL_CHARS:
                raise ValueError(
                    f"{spec.name}.{column.name} has a value of {len(value):,} characters, more "
                    f"than the {MAX_CELL_CHARS:,} an Excel cell holds; export to a folder of "
                    "CSV files instead"
                )
            return labels.get(value, value)
        return value

    return converted
