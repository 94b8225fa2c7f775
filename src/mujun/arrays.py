"""Arrow arrays of values known in Python, made from their bytes.

pyarrow converts a Python value (``pa.array``, ``pa.repeat``, a scalar passed to a compute
function, ``Schema.empty_table``) only after asking whether it is a pandas object, which imports
pandas: 0.17-0.40 s the first time, in a command that never uses it. A run that replays its
plan (:mod:`mujun.analytics.plans`) gets every other column from DuckDB, so these few are
made here instead, from buffers.
"""

import struct

import pyarrow as pa


def repeated_integer(value: int, rows: int) -> pa.Array:
    """``value`` ``rows`` times, as 64-bit integers."""
    return pa.Array.from_buffers(
        pa.int64(), rows, [None, pa.py_buffer(struct.pack("<q", value) * rows)]
    )


def repeated_text(value: str, rows: int) -> pa.Array:
    """``value`` ``rows`` times, as text."""
    data = value.encode()
    offsets = struct.pack(f"<{rows + 1}i", *(len(data) * row for row in range(rows + 1)))
    return pa.Array.from_buffers(
        pa.string(), rows, [None, pa.py_buffer(offsets), pa.py_buffer(data * rows)]
    )


def positions(rows: int) -> pa.Array:
    """0, 1, … ``rows`` - 1, as 64-bit integers."""
    return pa.Array.from_buffers(
        pa.int64(), rows, [None, pa.py_buffer(struct.pack(f"<{rows}q", *range(rows)))]
    )


def empty(schema: pa.Schema) -> pa.Table:
    """A table of ``schema`` without rows."""
    return pa.Table.from_batches([], schema=schema)
