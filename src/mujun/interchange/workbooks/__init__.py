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

Each is imported from its own module: the package imports none of them, so that a command
writing one kind of workbook (or the lists of :mod:`.lists`) does not load the readers and
writers of the others (openpyxl alone is a tenth of a second of every start).
"""
