"""Read a data set -- a folder of CSV files, one CSV file or one workbook -- into DuckDB as text.

Each file or sheet whose name names a table of the interchange format becomes a
:class:`~mujun.interchange.raw.RawTable`: a DuckDB table of trimmed text cells, one column per
interchange column the file has, and ``_row``, the row number a person sees in the file. Nothing
is typed or checked here beyond what it takes to read the file; the validator does the rest.

CSV files may be UTF-8 (with or without a byte order mark) or GBK/GB18030, which is transcoded
into ``workdir`` first; DuckDB parses them, so a large file never sits in Python memory.
Workbooks are read with python-calamine, in batches handed to DuckDB as Arrow tables. Either way
the header row is looked for among the first rows, so a title row or a two-level merged header
above it is passed over.

A row with no value in any cell is passed over: a person sees no row there.

The package's modules, each one concept: :mod:`.reasons` (the problems and notices),
:mod:`.headers` (finding and mapping the header row), :mod:`.csv_files` (encodings and loading
CSV files), :mod:`.sheets` (workbook cells, merged cells and formulas) and :mod:`.reader`
(which ties them together).
"""

from mujun.interchange.sources.reader import read_data_set, survey_data_set

__all__ = ["read_data_set", "survey_data_set"]
