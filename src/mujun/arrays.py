"""Arrow arrays of values known in Python, made from their bytes.

pyarrow converts a Python value (``pa.array``, ``pa.repeat``, a scalar passed to a compute
function, ``Schema.empty_table``) only after asking whether it is a pandas object, which imports
pandas: 0.17-0.40 s the first time, in a command that never uses it. A run that replays its
plan (:mod:`mujun.analytics.plans`) gets every other column from DuckDB, so these few are
made here instead, from buffers.
"""

import numpy as np
import numpy.typing as npt
import pyarrow as pa


def repeated_integer(value: int, rows: int) -> pa.Array:
    """``value`` ``rows`` times, as 64-bit integers."""
    return _integers(np.full(rows, value, dtype=np.int64))


def repeated_text(value: str, rows: int) -> pa.Array:
    """``value`` ``rows`` times, as text (at most 2 GiB of it, as Arrow's text holds)."""
    data = value.encode()
    offsets = np.arange(rows + 1, dtype=np.int64) * len(data)
    if offsets[-1] > np.iinfo(np.int32).max:
        raise OverflowError(f"{rows} times {len(data)} bytes is more text than an array holds")
    return pa.Array.from_buffers(
        pa.string(),
        rows,
        [None, pa.py_buffer(offsets.astype(np.int32)), pa.py_buffer(data * rows)],
    )


def positions(rows: int) -> pa.Array:
    """0, 1, … ``rows`` - 1, as 64-bit integers."""
    return _integers(np.arange(rows, dtype=np.int64))


def binary_scalar(value: bytes) -> pa.Scalar:
    """``value`` as an Arrow scalar of bytes."""
    offsets = np.array([0, len(value)], dtype=np.int32)
    one = pa.Array.from_buffers(pa.binary(), 1, [None, pa.py_buffer(offsets), pa.py_buffer(value)])
    return one[0]


def integer_scalar(value: int, data_type: pa.DataType) -> pa.Scalar:
    """``value`` as an Arrow scalar of the integer type ``data_type``."""
    number = np.array([value], dtype=f"<i{data_type.bit_width // 8}")
    return pa.Array.from_buffers(data_type, 1, [None, pa.py_buffer(number)])[0]


def zero(data_type: pa.DataType) -> pa.Scalar:
    """The zero of a fixed-width type of at most 8 bytes (False, 0, 0.0, the epoch), from its
    bytes."""
    return pa.Array.from_buffers(data_type, 1, [None, pa.py_buffer(bytes(8))])[0]


def empty(schema: pa.Schema) -> pa.Table:
    """A table of ``schema`` without rows."""
    return pa.Table.from_batches([], schema=schema)


def _integers(values: npt.NDArray[np.int64]) -> pa.Array:
    """``values`` as an Arrow array, their buffer shared."""
    return pa.Array.from_buffers(pa.int64(), len(values), [None, pa.py_buffer(values)])
