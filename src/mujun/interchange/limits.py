"""How much a data set may make the importer read: each limit in one place.

A workbook is a zip archive of XML: its sizes are read from the archive's directory before
anything is unpacked, and each sheet's used range (rows × columns, which is what the workbook
reader holds in memory) from a streaming pass over its XML, before it is parsed. A CSV file's
lines are counted while its bytes are scanned, before DuckDB loads it. What exceeds a limit is
a problem of the file, reported like any other, and nothing of it is read further.

:data:`UPLOAD` bounds the web application's uploads, whose senders are not trusted with the
server's memory and time; :data:`LOCAL` bounds ``mujun import``, run by the operator on files
at hand, ten times the largest file of a province (``mujun demo --enterprises 200000``:
4,802,724 monthly rows of 8 columns, 953,951 annual rows of 18), so that only a damaged or
hostile file meets it.
"""

from dataclasses import dataclass

_GIB = 1 << 30


@dataclass(frozen=True)
class Limits:
    rows: int
    """Data rows of one CSV file or one sheet."""
    cells: int
    """Cells of one CSV file (rows × columns), or of one workbook: its sheets' used ranges."""
    columns: int
    """Columns of one CSV file or one sheet."""
    unpacked_bytes: int
    """A workbook's archive members, uncompressed, together."""
    compression_ratio: int
    """An archive member's uncompressed size over its compressed size. Workbooks written by
    Excel, WPS, openpyxl or xlsxwriter compress 5 to 15 times; a zip bomb, hundreds."""


_EXCEL_COLUMNS = 16_384  # what Excel and WPS allow a sheet

UPLOAD = Limits(
    rows=2_000_000,
    cells=20_000_000,
    columns=_EXCEL_COLUMNS,
    unpacked_bytes=_GIB,
    compression_ratio=100,
)
"""The web upload (200 MB at most): a province's annual metrics (953,951 rows × 18 columns,
17.2 million cells) still fit, as a CSV file or a sheet."""

LOCAL = Limits(
    rows=50_000_000,
    cells=1_000_000_000,
    columns=_EXCEL_COLUMNS,
    unpacked_bytes=32 * _GIB,
    compression_ratio=100,
)
"""``mujun import``: ten times a province's largest file."""
