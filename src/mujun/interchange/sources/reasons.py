"""What can go wrong in reading a data set, and what is worth telling about how it was read.

Problems stop a file, a header or a row from being read; notices tell what was passed over or
read in a way a person may not expect. Both are returned by
:func:`~mujun.interchange.sources.read_data_set`, never raised.
"""

from mujun.interchange.problems import Notice, Reason

# --- what can be wrong with a source as a whole --------------------------------------------------

SOURCE_NOT_FOUND = Reason(
    "source_not_found",
    "{file} does not exist.",
    "找不到 {file}。",
)
UNSUPPORTED_SOURCE = Reason(
    "unsupported_source",
    "{file} is not a folder of CSV files, a .csv file or an Excel workbook (.xlsx). Save it as "
    'an Excel workbook (.xlsx), or save each sheet as "CSV UTF-8 (Comma delimited)".',
    "{file} 不是 CSV 文件夹、CSV 文件或 Excel 工作簿（.xlsx）。请另存为 Excel 工作簿（.xlsx），"
    "或把每个工作表另存为“CSV UTF-8（逗号分隔）”文件。",
)
DUPLICATE_SOURCE = Reason(
    "duplicate_source",
    "{first} and {second} both hold the table {table} ({table_zh}). Put its rows in one of them "
    "and remove the other.",
    "{first} 和 {second} 都是“{table_zh}”（{table}）表。请把数据合并到其中一个，删除另一个。",
)
EMPTY_FILE = Reason(
    "empty_file",
    "{file} is empty. Fill it in from the template, or leave it out of the data set.",
    "{file} 是空文件。请按模板填写，或不要把它放进数据中。",
)
WRONG_ENCODING = Reason(
    "wrong_encoding",
    '{file} is not in UTF-8 or GBK (it may be UTF-16 "Unicode text" or Big5), so its text '
    'cannot be read. Open it in Excel and save it as "CSV UTF-8 (Comma delimited)", or in WPS '
    "save it as CSV with GBK encoding.",
    "{file} 不是 UTF-8 或 GBK 编码（可能是 UTF-16“Unicode 文本”或 Big5），无法读出其中文字。"
    "请用 Excel 打开，另存为“CSV UTF-8（逗号分隔）”；或用 WPS 另存为 GBK 编码的 CSV。",
)
MIXED_ENCODING = Reason(
    "mixed_encoding",
    "{file} mixes text encodings: this row is {odd} while {others} other rows are {usual} "
    "(first on row {usual_row}), so its text cannot be read reliably. Open the file in Excel, "
    'correct the row, and save it as "CSV UTF-8 (Comma delimited)".',
    "{file} 混用了两种编码：该行是 {odd}，而另外 {others} 行是 {usual}（首见于第 {usual_row} 行），"
    "无法可靠读出其中文字。请用 Excel 打开并改正该行，另存为“CSV UTF-8（逗号分隔）”。",
)
NO_DATA_FILES = Reason(
    "no_data_files",
    "{file} holds no file or sheet named after a table of the interchange format "
    "(e.g. parcels.csv or 宗地.csv): there is nothing to import.",
    "{file} 中没有以数据交换格式的表命名的文件或工作表（如 parcels.csv 或 宗地.csv），"
    "没有可导入的数据。",
)
UNREADABLE_FILE = Reason(
    "unreadable_file",
    "{file} cannot be read as a CSV file ({detail}). Open it in Excel and save it again as "
    '"CSV UTF-8 (Comma delimited)".',
    "{file} 无法按 CSV 文件读取（{detail}）。请用 Excel 打开，重新另存为“CSV UTF-8（逗号分隔）”。",
)
UNREADABLE_WORKBOOK = Reason(
    "unreadable_workbook",
    "{file} cannot be opened as a workbook ({detail}); it may be damaged or protected by a "
    "password. Open it in Excel and save it again as an Excel workbook (.xlsx) without a password.",
    "{file} 无法作为工作簿打开（{detail}），可能已损坏或设有密码。请用 Excel 打开，"
    "去掉密码后重新另存为 Excel 工作簿（.xlsx）。",
)

TOO_LARGE = Reason(
    "too_large",
    "{file} is too large to import here: {what} {found:,} exceeds the limit of {limit:,}. "
    "Split it into smaller files, or ask the administrator to import it with mujun import.",
    "{file} 过大，无法在此导入：{what_zh} {found:,} 超过上限 {limit:,}。"
    "请拆分为较小的文件，或请系统管理员用 mujun import 导入。",
)
SUSPICIOUS_COMPRESSION = Reason(
    "suspicious_compression",
    "{file} is not a workbook as Excel or WPS writes one: its part {member} unpacks to "
    "{ratio:,.0f} times its packed size (at most {limit:,} is accepted). Open it in Excel or WPS "
    "and save it again as an Excel workbook (.xlsx).",
    "{file} 不是 Excel 或 WPS 保存的普通工作簿：其中 {member} 解压后是压缩大小的 {ratio:,.0f} 倍"
    "（上限 {limit:,} 倍）。请用 Excel 或 WPS 打开后重新另存为 Excel 工作簿（.xlsx）。",
)

# --- what can be wrong with a header row ---------------------------------------------------------

MISSING_COLUMN = Reason(
    "missing_column",
    "The header row has no column {column} ({column_zh}), which must be present. Add it, with "
    "this header, or correct the header of the column that holds it.",
    "表头缺少必填列“{column_zh}”（{column}）。请添加该列，或把对应列的表头改为“{column_zh}”。",
)
DUPLICATE_COLUMN = Reason(
    "duplicate_column",
    'The column {column} ({column_zh}) appears twice in the header row: "{first}" in column '
    '{first_position} and "{header}" in column {position}. Delete one of them.',
    "表头中“{column_zh}”（{column}）列出现了两次：第 {first_position} 列“{first}”和"
    "第 {position} 列“{header}”。请删除其中一列。",
)

# --- what can be wrong with a row or a cell ------------------------------------------------------

TOO_MANY_FIELDS = Reason(
    "too_many_fields",
    "This row has {found} fields but the header has {expected}; a value probably contains a "
    "comma without quotes around it. Put the value in double quotes, or remove the extra cells.",
    "该行有 {found} 个字段，而表头只有 {expected} 列；可能某个值中含有逗号却没有加引号。"
    "请给该值加上英文双引号，或删除多出的单元格。",
)
UNREADABLE_ROW = Reason(
    "unreadable_row",
    "This row cannot be read as CSV ({detail}), usually because of an unmatched double quote. "
    "Check the quote marks in this row.",
    "该行无法按 CSV 读取（{detail}），通常是英文双引号不成对。请检查该行的引号。",
)
FORMULA_WITHOUT_VALUE = Reason(
    "formula_without_value",
    "Cell {cell} holds the formula {formula} but no calculated value: the workbook was written "
    "by a program and never opened in Excel. Open it in Excel or WPS and save it, or paste the "
    "values in place of the formulas.",
    "单元格 {cell} 是公式 {formula}，但没有计算结果：该工作簿由程序生成，从未在 Excel 中打开过。"
    "请用 Excel 或 WPS 打开后保存，或将公式“选择性粘贴”为数值。",
)
CELL_ERROR = Reason(
    "cell_error",
    "Cell {cell} shows the Excel error {error}. Correct the formula, or type the value.",
    "单元格 {cell} 显示 Excel 错误值 {error}。请修正公式，或直接填写数值。",
)

# --- notices: what was passed over or read in a way worth knowing ---------------------------------

NOTICE_UNMATCHED = Reason(
    "unmatched_source",
    "{file}: not a table of the interchange format; passed over.",
    "{file}：不是数据交换格式中的表，已跳过。",
)
NOTICE_UNKNOWN_COLUMNS = Reason(
    "unknown_columns",
    "{file}: columns not in the interchange format, ignored: {headers}.",
    "{file}：以下列不属于数据交换格式，已忽略：{headers}。",
)
NOTICE_HEADER_ONLY = Reason(
    "header_only",
    "{file}: a header but no rows; passed over.",
    "{file}：只有表头，没有数据行，已跳过。",
)
NOTICE_EMPTY_SHEET = Reason(
    "empty_sheet",
    "{file}: the sheet is empty; passed over.",
    "{file}：工作表为空，已跳过。",
)
NOTICE_ROWS_ABOVE_HEADER = Reason(
    "rows_above_header",
    "{file}: the header is on row {header_row}; the rows above it were passed over.",
    "{file}：表头在第 {header_row} 行，其上方的行已跳过。",
)
NOTICE_GBK = Reason(
    "read_as_gbk",
    "{file}: read as GBK (GB18030) text.",
    "{file}：已按 GBK（GB18030）编码读取。",
)
NOTICE_FORMULAS = Reason(
    "formulas_read_as_values",
    "{file}: {count} formula cells were read as the values last calculated and saved.",
    "{file}：{count} 个公式单元格按最近一次计算保存的结果读取。",
)
NOTICE_MERGED = Reason(
    "merged_cells_filled",
    "{file}: {count} merged cells below the header were read as holding their value on every "
    "row they span.",
    "{file}：表头以下的 {count} 个合并单元格，按其值填入所跨的每一行读取。",
)


def notice(reason: Reason, **params: object) -> Notice:
    return Notice(reason, params)
