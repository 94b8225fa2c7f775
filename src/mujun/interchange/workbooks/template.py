"""The template: the empty workbook a department fills in.

A 填表说明 sheet, then one sheet per table with Chinese headers, required headers in red,
drop-downs and formats.
"""

from datetime import date
from pathlib import Path
from typing import Any

from xlsxwriter import Workbook

from mujun.interchange.schema import ColumnSpec, TableSpec, table, tables
from mujun.interchange.workbooks.styles import (
    FALSE_ZH,
    GUIDE_SHEET,
    LINE_HEIGHT,
    MAX_DATA_ROWS,
    TRUE_ZH,
    Formats,
    cell_location,
    display_width,
    freeze_header,
    write_header,
)
from mujun.records.fields import ValueKind

_KIND_ZH: dict[ValueKind, str] = {
    ValueKind.TEXT: "文本",
    ValueKind.INTEGER: "整数",
    ValueKind.YEAR: "年份",
    ValueKind.NUMBER: "数值",
    ValueKind.SHARE: "0–1比例",
    ValueKind.DATE: "日期",
    ValueKind.MONTH: "月份",
    ValueKind.BOOLEAN: "是否",
    ValueKind.CODE: "代码",
    ValueKind.CREDIT_CODE: "统一社会信用代码",
    ValueKind.WKT: "WKT",
}

_KIND_HINT: dict[ValueKind, str] = {
    ValueKind.YEAR: "四位年份，如 2024",
    ValueKind.SHARE: "0 到 1 之间的小数，如 85% 填 0.85",
    ValueKind.DATE: "格式 YYYY-MM-DD，如 2024-03-15",
    ValueKind.MONTH: "格式 YYYY-MM，如 2024-03",
    ValueKind.BOOLEAN: "填 是 或 否",
    ValueKind.CODE: "从下拉列表中选择",
    ValueKind.CREDIT_CODE: "18 位，末位为校验位（GB 32100）",
}

_GUIDE_COLUMNS = (
    ("表头", 24),
    ("英文列名", 30),
    ("类型", 16),
    ("必填", 6),
    ("可选值", 36),
    ("引用", 40),
    ("说明", 50),
)

_RULES = (
    "本工作簿用于向亩均平台报送数据：一个工作表对应一类数据（如「宗地」「企业」），"
    "工作表名称和表头请勿修改。",
    "可只填部分工作表；不涉及的工作表保持空白即可。",
    "每个工作表第一行是表头，从第二行起每行填写一条记录；请勿合并单元格。",
    "红色加粗的表头是必填列：每一行都必须填写。其余列不知道时可留空。",
    "空白表示未知（不是零）：数值为零时请填 0。",
    "面积单位为平方米，金额单位为元（不是万元）。",
    "日期格式 YYYY-MM-DD（如 2024-03-15）；月份格式 YYYY-MM（如 2024-03）；年份填四位数字。",
    "是否类的列填「是」或「否」；代码类的列从下拉列表中选择。",
    "统一社会信用代码为 18 位，须通过校验位校验（GB 32100-2015）。",
    "引用其他表的列（如所在区划代码、宗地号）须为已有记录，或在本工作簿相应工作表中一并填报。",
    "宗地图形用 WKT 文本，坐标为 CGCS2000（EPSG:4490）经纬度。",
    "导入时整份数据要么全部导入，要么全部不导入；如有错误，系统给出带标注的副本，逐格说明问题。",
)


def write_template(path: Path) -> None:
    """Write the empty workbook a department fills in: 填表说明, then one sheet per table."""
    book = Workbook(str(path))
    formats = Formats(book)
    guide = book.add_worksheet(GUIDE_SHEET)
    sheets = [(spec, book.add_worksheet(spec.label_zh)) for spec in tables()]
    _write_guide(guide, formats)
    for spec, sheet in sheets:
        headers = [c.label_zh for c in spec.columns]
        write_header(sheet, spec.columns, headers, formats, note=_header_note)
        for col, column in enumerate(spec.columns):
            validation = _validation(column)
            if validation is not None:
                sheet.data_validation(1, col, MAX_DATA_ROWS, col, validation)
    book.close()


def _choices_zh(column: ColumnSpec) -> list[str]:
    """The Chinese values a column's drop-down offers."""
    if column.field.choices is not None:
        return [member.label_zh for member in column.field.choices]
    if column.kind is ValueKind.BOOLEAN:
        return [TRUE_ZH, FALSE_ZH]
    return []


def _reference_zh(column: ColumnSpec) -> str:
    if column.field.references is None:
        return ""
    target = table(column.field.references)
    key = target.column(target.key[0])
    return (
        f"须为已有的{target.label_zh}的{key.label_zh}"
        f"（已导入，或在「{target.label_zh}」工作表中一并填报）"
    )


def _help_zh(column: ColumnSpec) -> str:
    parts = [column.field.help_zh or _KIND_HINT.get(column.kind, "")]
    if column.field.non_negative:
        parts.append("不得为负")
    return "；".join(part for part in parts if part)


def _header_note(column: ColumnSpec) -> str:
    lines = ["必填"] if column.required else []
    lines += [column.name, f"类型：{_KIND_ZH[column.kind]}"]
    if choices := _choices_zh(column):
        lines.append("可选：" + " / ".join(choices))
    lines += [text for text in (_reference_zh(column), _help_zh(column)) if text]
    return "\n".join(lines)


def _validation(column: ColumnSpec) -> dict[str, object] | None:
    """The data validation of a template column, if its kind has one."""
    kind = column.kind
    rule: dict[str, object]
    if choices := _choices_zh(column):
        rule = {"validate": "list", "source": choices}
        message = "请从下拉列表中选择：" + " / ".join(choices)
    elif kind is ValueKind.SHARE:
        rule = {"validate": "decimal", "criteria": "between", "minimum": 0, "maximum": 1}
        message = "请填写 0 到 1 之间的小数，如 85% 填 0.85"
    elif kind is ValueKind.YEAR:
        rule = {"validate": "integer", "criteria": "between", "minimum": 1900, "maximum": 2199}
        message = "请填写四位年份，如 2024"
    elif kind is ValueKind.DATE:
        rule = {
            "validate": "date",
            "criteria": "between",
            "minimum": date(1900, 1, 1),
            "maximum": date(2199, 12, 31),
        }
        message = "请填写日期，格式 YYYY-MM-DD，如 2024-03-15"
    elif kind in (ValueKind.NUMBER, ValueKind.INTEGER) and column.field.non_negative:
        validate = "integer" if kind is ValueKind.INTEGER else "decimal"
        rule = {"validate": validate, "criteria": ">=", "value": 0}
        message = "请填写不小于 0 的" + ("整数" if kind is ValueKind.INTEGER else "数值")
    else:
        return None
    return {**rule, "error_title": column.label_zh, "error_message": message}


def _write_guide(sheet: Any, formats: Formats) -> None:
    for col, (_, width) in enumerate(_GUIDE_COLUMNS):
        sheet.set_column(col, col, width, formats.get("wrap" if col >= 4 else "top"))
    sheet.write_string(0, 0, "亩均用地数据填报模板 · 填表说明", formats.get("title"))
    sheet.write_string(
        1,
        0,
        "本模板用于各部门向亩均平台报送企业、宗地、厂房、指标等数据，"
        "平台据此认定闲置和低效工业用地、开展亩均效益评价。",
    )
    row = 3
    sheet.write_string(row, 0, "一、通用规则", formats.get("section"))
    for number, rule in enumerate(_RULES, start=1):
        row += 1
        sheet.write_string(row, 0, f"{number}. {rule}")
    row += 2
    sheet.write_string(row, 0, "二、各工作表及其列", formats.get("section"))
    for spec in tables():
        row = _write_guide_table(sheet, row + 2, spec, formats)
    freeze_header(sheet, rows=0)


def _write_guide_table(sheet: Any, row: int, spec: TableSpec, formats: Formats) -> int:
    """One table's part of 填表说明 from ``row`` on; returns the last row written."""
    sheet.write_url(
        row,
        0,
        f"internal:{cell_location(spec.label_zh, 1, 0)}",
        formats.get("table"),
        string=f"工作表「{spec.label_zh}」（英文名 {spec.name}，CSV 文件 {spec.file_name}）",
    )
    keys = "、".join(f"「{spec.column(name).label_zh}」" for name in spec.key)
    notes = [f"每行由{keys}唯一确定；再次报送同一{keys}的行，更新原记录。"]
    notes += [
        f"「{spec.column(a).label_zh}」不得晚于「{spec.column(b).label_zh}」。"
        for a, b in spec.in_order
    ]
    notes += [
        f"「{spec.column(a).label_zh}」不得大于「{spec.column(b).label_zh}」。"
        for a, b in spec.not_above
    ]
    for note in notes:
        row += 1
        sheet.write_string(row, 0, note)
    row += 1
    for col, (title, _) in enumerate(_GUIDE_COLUMNS):
        sheet.write_string(row, col, title, formats.get("header"))
    for column in spec.columns:
        row += 1
        cells = (
            column.label_zh,
            column.name,
            _KIND_ZH[column.kind],
            "必填" if column.required else "",
            " / ".join(_choices_zh(column)),
            _reference_zh(column),
            _help_zh(column),
        )
        for col, text in enumerate(cells):
            cell_format = formats.get("required") if col == 0 and column.required else None
            if text:
                sheet.write_string(row, col, text, cell_format)
        # Spreadsheets do not grow a row for wrapped text written by a program: size it here.
        widths = (width for _, width in _GUIDE_COLUMNS)
        lines = max(-(-display_width(text) // w) for text, w in zip(cells, widths, strict=True))
        if lines > 1:
            sheet.set_row(row, LINE_HEIGHT * lines)
    return row
