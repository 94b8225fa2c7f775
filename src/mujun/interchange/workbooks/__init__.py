"""Excel workbooks the interchange layer writes: the template, exports and marked copies.

Three writers share one set of formats and helpers (:mod:`.styles`):

- :func:`write_template` (:mod:`.template`) — the empty workbook a department fills in: a
  填表说明 sheet, then one sheet per table with Chinese headers, required headers in red,
  drop-downs and formats.
- :func:`write_workbook` (:mod:`.export`) — the database in the interchange format, one sheet
  per table, streamed (xlsxwriter ``constant_memory``).
- :func:`write_marked_copy` (:mod:`.marked`) — the data set sent back to the department that
  supplied it, with every bad cell filled light red and commented, and an 错误清单 sheet
  listing every problem.
"""

from mujun.interchange.workbooks.export import write_workbook
from mujun.interchange.workbooks.marked import write_marked_copy
from mujun.interchange.workbooks.styles import (
    ERROR_SHEET,
    GUIDE_SHEET,
    MAX_DATA_ROWS,
    SHEET_ROWS,
)
from mujun.interchange.workbooks.template import write_template

__all__ = [
    "ERROR_SHEET",
    "GUIDE_SHEET",
    "MAX_DATA_ROWS",
    "SHEET_ROWS",
    "write_marked_copy",
    "write_template",
    "write_workbook",
]
