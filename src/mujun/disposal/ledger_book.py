"""The disposal ledger (处置台账) as a workbook, in the titled-list layout every bureau list of
mujun shares: one row per case, names not codes, its plan, tasks and next deadline."""

import datetime as dt
from collections.abc import Iterable, Iterator
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from mujun.disposal.case_file import CaseFile
from mujun.disposal.plans import TaskState, unit_name
from mujun.disposal.warned import criterion_title
from mujun.interchange.problems import Language
from mujun.interchange.workbooks.lists import (
    Cell,
    ListStyles,
    list_columns,
    write_titled_table,
)
from mujun.interchange.workbooks.styles import streaming_workbook
from mujun.policy.profiles import Category, load_profile
from mujun.records import Jurisdiction
from mujun.units import m2_to_mu

HEADERS: dict[Language, list[str]] = {
    "zh": [
        "序号",
        "案件编号",
        "县（市、区）",
        "对象编号",
        "对象名称",
        "类别",
        "面积（亩）",
        "认定依据",
        "办理状态",
        "状态日期",
        "处置路径",
        "责任单位",
        "方案时限",
        "任务（办结/派出）",
        "最近期限",
        "是否逾期",
    ],
    "en": [
        "No.",
        "Case",
        "County",
        "Subject",
        "Name",
        "Category",
        "Area (mu)",
        "Criteria",
        "State",
        "Since",
        "Path",
        "Responsible unit",
        "Plan due",
        "Tasks (done/sent)",
        "Next deadline",
        "Overdue",
    ],
}
_LAYOUT = [
    ("whole", 6),
    ("whole", 8),
    ("text", 14),
    ("text", 22),
    ("wrap", 28),
    ("text", 12),
    ("decimal", 10),
    ("wrap", 36),
    ("text", 10),
    ("text", 12),
    ("wrap", 18),
    ("wrap", 18),
    ("text", 12),
    ("text", 10),
    ("wrap", 28),
    ("text", 8),
]


def write_ledger(
    db: Session, path: Path, files: Iterable[CaseFile], *, today: dt.date, lang: Language
) -> None:
    """Write ``files`` as the ledger workbook at ``path`` (nothing there if writing fails)."""
    counties = {
        code: name for code, name in db.execute(select(Jurisdiction.code, Jurisdiction.name))
    }
    title = (
        f"闲置低效用地处置台账（截至{today.year}年{today.month}月{today.day}日）"
        if lang == "zh"
        else f"Disposal ledger as of {today.isoformat()}"
    )
    with streaming_workbook(path) as (book, formats):
        styles = ListStyles(book, formats)
        sheet = book.add_worksheet("处置台账" if lang == "zh" else "Ledger")
        last = write_titled_table(
            sheet,
            styles,
            title=title,
            columns=list_columns(HEADERS[lang], _LAYOUT),
            rows=_rows(db, files, counties, lang),
            lang=lang,
        )
        sheet.autofilter(1, 0, last, len(HEADERS[lang]) - 1)


def _rows(
    db: Session, files: Iterable[CaseFile], counties: dict[str, str], lang: Language
) -> Iterator[list[Cell]]:
    zh = lang == "zh"
    for number, file in enumerate(files, start=1):
        case = file.case
        profile = load_profile(case.profile)
        category = Category(case.category)
        plan = file.plan
        path = file.plan_path
        unit = unit_name(db, plan.unit) if plan and plan.unit else None
        done = sum(t.state == TaskState.DONE for t in file.tasks)
        due = file.next_deadline
        yield [
            number,
            case.id,
            counties.get(case.county_code or "", case.county_code),
            case.subject_id,
            case.subject_name,
            category.label_zh if zh else category.label_en,
            m2_to_mu(case.area_m2) if case.area_m2 is not None else None,
            "；".join(criterion_title(profile.rules, c, lang) for c in file.criteria),
            file.state.label_zh if zh else file.state.label_en,
            case.entered_on.isoformat(),
            (path.title_zh if zh else path.title_en) if path else (plan.path if plan else None),
            (unit[0] if zh else unit[1]) if unit else (plan.unit if plan else None),
            plan.due.isoformat() if plan else None,
            f"{done}/{len(file.tasks)}" if file.tasks else None,
            f"{due.date.isoformat()} {due.label_zh if zh else due.label_en}" if due else None,
            ("是" if zh else "yes") if file.overdue else None,
        ]
