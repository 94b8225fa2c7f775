"""The warning inbox as a workbook, in the titled-list layout every bureau list of mujun shares
(:mod:`mujun.interchange.workbooks.lists`): one row per warning the filters keep, names not
codes."""

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from mujun.interchange.problems import Language
from mujun.interchange.workbooks.lists import Cell, ListStyles, list_columns, write_titled_table
from mujun.interchange.workbooks.styles import streaming_workbook

HEADERS: dict[Language, list[str]] = {
    "zh": [
        "序号",
        "预警编号",
        "预警等级",
        "预警信号",
        "预警对象",
        "对象说明",
        "县（市、区）",
        "推送单位",
        "起始月份",
        "持续月数",
        "办理状态",
        "签收期限",
        "逾期未签收报市",
        "关联案件",
    ],
    "en": [
        "No.",
        "Warning",
        "Level",
        "Signal",
        "Subject",
        "Detail",
        "County",
        "Routed to",
        "Since",
        "Months",
        "State",
        "Receive by",
        "Escalated",
        "Case",
    ],
}
_LAYOUT = [
    ("whole", 6),
    ("whole", 8),
    ("text", 8),
    ("wrap", 24),
    ("wrap", 28),
    ("wrap", 24),
    ("text", 14),
    ("wrap", 24),
    ("text", 12),
    ("whole", 8),
    ("text", 10),
    ("text", 14),
    ("text", 10),
    ("whole", 8),
]


def write_inbox(
    path: Path, rows: Iterable[Mapping[str, Any]], *, today: dt.date, lang: Language
) -> None:
    """Write ``rows`` (the inbox's rows as :func:`mujun.web.warning_inbox.shown_warning` makes
    them) as the workbook at ``path``."""
    title = (
        f"监测预警清单（截至{today.year}年{today.month}月{today.day}日）"
        if lang == "zh"
        else f"Early warnings as of {today.isoformat()}"
    )
    with streaming_workbook(path) as (book, formats):
        sheet = book.add_worksheet("监测预警" if lang == "zh" else "Warnings")
        last = write_titled_table(
            sheet,
            ListStyles(book, formats),
            title=title,
            columns=list_columns(HEADERS[lang], _LAYOUT),
            rows=_rows(rows, lang),
            lang=lang,
        )
        sheet.autofilter(1, 0, last, len(HEADERS[lang]) - 1)


def _rows(rows: Iterable[Mapping[str, Any]], lang: Language) -> Iterator[list[Cell]]:
    zh = lang == "zh"
    separator = "、" if zh else ", "
    for number, row in enumerate(rows, start=1):
        yield [
            number,
            row["id"],
            row["level_label"],
            row["signal_title"],
            row["subject"]["name"],
            row["subject"]["detail"] or None,
            row["county"],
            separator.join(row["routed_to"]),
            row["since"],
            row["months"],
            row["state_label"],
            None if row["receive_by"] is None else row["receive_by"].isoformat(),
            ("是" if zh else "yes") if row["escalated"] else None,
            row["case"],
        ]
