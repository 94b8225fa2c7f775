"""Arrow building blocks for the demo tables: typed columns, vectorised text.

Every demo table is assembled by :func:`assemble` from a mapping of column name to Arrow array
(or numpy array); columns not given are all null. Text such as credit codes, names, ids and WKT
is built column-wise with Arrow compute functions, never row by row in Python.
"""

from collections.abc import Mapping
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from mujun.interchange.schema import TableSpec, table, tables
from mujun.records import bulk

EPOCH = date(1970, 1, 1)

Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]


def schema_of(spec: TableSpec) -> pa.Schema:
    """The Arrow schema of an interchange table: its columns in order, as the records type them."""
    return bulk.arrow_schema(spec.table, spec.column_names)


def table_names() -> tuple[str, ...]:
    return tuple(spec.name for spec in tables())


def assemble(name: str, columns: Mapping[str, Any], rows: int) -> pa.Table:
    """The table ``name`` with the columns given (Arrow or numpy arrays), the rest all null."""
    spec = table(name)
    unknown = set(columns) - set(spec.column_names)
    if unknown:
        raise KeyError(f"{name}: no such columns {sorted(unknown)}")
    schema = schema_of(spec)
    arrays = []
    for column in spec.columns:
        arrow_type = schema.field(column.name).type
        value = columns.get(column.name)
        if value is None:
            arrays.append(pa.nulls(rows, arrow_type))
            continue
        array = value if isinstance(value, pa.Array | pa.ChunkedArray) else pa.array(value)
        if isinstance(array, pa.ChunkedArray):
            array = array.combine_chunks()
        if len(array) != rows:
            raise ValueError(f"{name}.{column.name}: {len(array)} values for {rows} rows")
        arrays.append(array if array.type == arrow_type else array.cast(arrow_type))
    return pa.Table.from_arrays(arrays, schema=schema_of(spec))


# -- typed arrays with nulls ----------------------------------------------------------------


def floats(values: npt.ArrayLike, valid: Bools | None = None, *, decimals: int = 2) -> pa.Array:
    """Float64 values rounded to ``decimals``; NaN, and where ``valid`` is false, are null."""
    data = np.round(np.asarray(values, dtype=np.float64), decimals)
    mask = np.isnan(data)
    if valid is not None:
        mask |= ~valid
    return pa.array(data, type=pa.float64(), mask=mask if mask.any() else None)


def integers(values: npt.ArrayLike, valid: Bools | None = None) -> pa.Array:
    data = np.asarray(values, dtype=np.int64)
    return pa.array(data, type=pa.int64(), mask=None if valid is None else ~valid)


def booleans(values: npt.ArrayLike, valid: Bools | None = None) -> pa.Array:
    data = np.asarray(values, dtype=np.bool_)
    return pa.array(data, type=pa.bool_(), mask=None if valid is None else ~valid)


def day_number(day: date) -> int:
    """Days since 1970-01-01 (Arrow's date32)."""
    return (day - EPOCH).days


def dates(days: npt.ArrayLike, valid: Bools | None = None) -> pa.Array:
    """Dates from day numbers (days since 1970-01-01); null where ``valid`` is false."""
    data = np.asarray(days, dtype=np.int32)
    return pa.array(data, type=pa.int32(), mask=None if valid is None else ~valid).cast(pa.date32())


def year_of(days: Ints) -> Ints:
    """The calendar year of each day number."""
    years: Ints = days.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
    return years


def strings(values: npt.ArrayLike) -> pa.Array:
    """A string array from a numpy array or list of str (for short vocabularies)."""
    return pa.array(np.asarray(values, dtype=object).tolist(), type=pa.string())


def pick(vocabulary: pa.Array | list[str], index: npt.ArrayLike) -> pa.Array:
    """Vocabulary entries at ``index`` (a vectorised lookup)."""
    words = vocabulary if isinstance(vocabulary, pa.Array) else strings(vocabulary)
    return words.take(pa.array(np.asarray(index, dtype=np.int64)))


def with_nulls(array: pa.Array, valid: Bools) -> pa.Array:
    """``array`` with null where ``valid`` is false."""
    return pc.if_else(pa.array(valid), array, pa.scalar(None, array.type))


def text(values: npt.ArrayLike) -> pa.Array:
    """Integers as decimal text."""
    return pc.cast(pa.array(np.asarray(values, dtype=np.int64)), pa.string())


def padded(values: npt.ArrayLike, width: int) -> pa.Array:
    """Non-negative integers as zero-padded decimal text of at least ``width`` digits."""
    return pc.utf8_lpad(text(values), width=width, padding="0")


def join(*parts: pa.Array | str) -> pa.Array:
    """Element-wise concatenation of string arrays and constant strings."""
    return pc.binary_join_element_wise(*parts, "")


def fixed_width_strings(chars: npt.NDArray[np.uint8]) -> pa.Array:
    """A string array from an (n, width) array of ASCII bytes, without a Python loop."""
    rows, width = chars.shape
    offsets = np.arange(0, rows * width + 1, width, dtype=np.int32)
    data = np.ascontiguousarray(chars).tobytes()
    return pa.StringArray.from_buffers(rows, pa.py_buffer(offsets.tobytes()), pa.py_buffer(data))


def decimal_text(values: Floats, decimals: int) -> pa.Array:
    """Numbers as fixed-point text with exactly ``decimals`` decimals (e.g. WKT coordinates)."""
    scale = 10**decimals
    scaled = np.rint(np.asarray(values, dtype=np.float64) * scale).astype(np.int64)
    negative = scaled < 0
    magnitude = np.abs(scaled)
    whole = text(magnitude // scale)
    fraction = padded(magnitude % scale, decimals)
    sign = pc.if_else(pa.array(negative), "-", "")
    return join(sign, whole, ".", fraction)
