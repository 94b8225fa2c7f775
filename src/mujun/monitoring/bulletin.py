"""预警通报: the month's bulletin the joint office sends (workflow.md §3; Yancheng §三(五)).

A bulletin reads the month's kept monitoring run (the latest of the month, of the profile
asked for or of any): the warnings it fired, each new (begun this month) or continuing, and
the warnings lifted (解除) in the month; counted by level, signal and county, with those not
received in time (escalated to the city) and the red list.

It is sent two ways: a workbook in the titled-list layout every bureau list of mujun shares
(:mod:`mujun.interchange.workbooks.lists`; one sheet of totals by county and level, one sheet
listing every warning with names, not codes), and a Word document laid out as an official
notice (GB/T 9704), rendered from the editable template ``monitoring/templates/bulletin.docx``
like the disposal documents (:mod:`mujun.disposal.documents`; ``MUJUN_DOCUMENT_TEMPLATES``
overrides it with a ``bulletin.docx`` of its own). :func:`bulletin_download` gives either as
bytes, for the web application.
"""

import datetime as dt
import tempfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from mujun.disposal.documents import render_template, template_file
from mujun.interchange.problems import Language
from mujun.interchange.workbooks.lists import (
    Cell,
    ListStyles,
    list_columns,
    write_titled_table,
)
from mujun.interchange.workbooks.styles import streaming_workbook
from mujun.monitoring.months import last_day, parse_month
from mujun.monitoring.routing import departments_of
from mujun.monitoring.signals import DEPARTMENT, SIGNALS, Level
from mujun.monitoring.warnings import RECEIPT, WarningState, receipt
from mujun.policy.duties import department
from mujun.policy.profiles import load_profile
from mujun.records import EarlyWarning, Jurisdiction, MonitoringRun, WarningMonth
from mujun.writing import chinese_date

TEMPLATE = "bulletin"
"""The document's template: ``monitoring/templates/bulletin.docx``, or ``bulletin.docx`` in
``MUJUN_DOCUMENT_TEMPLATES``."""
LEVELS = (Level.RED, Level.ORANGE, Level.YELLOW)
"""Levels as a bulletin orders them: the most urgent first."""
ADDRESSEE = "各县（市、区）人民政府，市各有关部门"
NO_COUNTY = ("未归属区县", "No county")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


class BulletinError(LookupError):
    """No bulletin can be made (no run of the month): the reason in Chinese and English."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(en)
        self.zh = zh
        self.en = en


class News(StrEnum):
    """What became of a warning in the month."""

    NEW = "new"
    CONTINUING = "continuing"
    LIFTED = "lifted"

    @property
    def label_zh(self) -> str:
        return {"new": "新发", "continuing": "持续", "lifted": "解除"}[self.value]


SUBJECT_KINDS = {
    "enterprise": ("企业", "enterprise"),
    "parcel": ("地块", "parcel"),
    DEPARTMENT: ("部门", "department"),
}


def month_zh(month: str) -> str:
    """2025年6月."""
    year, number = month.split("-")
    return f"{int(year)}年{int(number)}月"


def months_from(since: str, until: str) -> int:
    """Months from ``since`` to ``until``, both counted: 2025-04 to 2025-06 is 3."""
    return _index(until) - _index(since) + 1


def _index(month: str) -> int:
    return int(month[:4]) * 12 + int(month[5:7])


@dataclass(frozen=True)
class BulletinRow:
    """One warning as the bulletin lists it."""

    warning: int
    signal: str
    level: Level
    subject_type: str
    subject_id: str
    subject_name: str | None
    county_code: str | None
    county_name: str | None
    since: str
    months: int
    """Months it has run, the month it began counted (to the month before it was lifted)."""
    news: News
    state: WarningState
    departments: tuple[str, ...]
    """The departments it was routed to (the duty table's codes)."""
    escalated: bool
    """Not received within the receipt period, as of the bulletin's day."""
    case_id: int | None

    def subject(self, lang: Language = "zh") -> str:
        """The subject by name: the enterprise's, the parcel's id, the department's."""
        if self.subject_type == DEPARTMENT:
            found = department(self.subject_id)
            return self.subject_id if found is None else _say(lang, found.label_zh, found.label_en)
        if self.subject_type == "enterprise":
            return self.subject_name or self.subject_id
        return self.subject_id

    def county(self, lang: Language = "zh") -> str:
        return self.county_name or self.county_code or _say(lang, *NO_COUNTY)

    def signal_title(self, lang: Language = "zh") -> str:
        one = SIGNALS.get(self.signal)
        return self.signal if one is None else _say(lang, one.title_zh, one.title_en)

    def department_names(self, lang: Language = "zh") -> str:
        names = []
        for code in self.departments:
            found = department(code)
            names.append(code if found is None else _say(lang, found.label_zh, found.label_en))
        return "、".join(names) if lang == "zh" else ", ".join(names)


@dataclass(frozen=True)
class CountyTotals:
    """One county's line of the totals sheet."""

    county_code: str | None
    county_name: str
    levels: dict[Level, int]
    new: int
    continuing: int
    lifted: int
    escalated: int

    @property
    def total(self) -> int:
        return sum(self.levels.values())


@dataclass(frozen=True)
class Bulletin:
    """The month's warnings: those its run fired (new and continuing) and those lifted."""

    month: str
    profile: str
    run_id: int
    as_of: dt.date
    """The day escalations are read as of (the bulletin's day)."""
    receipt_days: int
    city: str | None
    """The city's name, where the counties warned lie in one."""
    rows: tuple[BulletinRow, ...]
    county_order: tuple[tuple[str | None, str | None], ...] = field(default=())
    """Every county of the records (code, name), in code order: the totals list each."""

    @property
    def warnings(self) -> list[BulletinRow]:
        """The warnings the month's run fired: new and continuing."""
        return [r for r in self.rows if r.news is not News.LIFTED]

    @property
    def lifted(self) -> list[BulletinRow]:
        return [r for r in self.rows if r.news is News.LIFTED]

    @property
    def new(self) -> list[BulletinRow]:
        return [r for r in self.rows if r.news is News.NEW]

    @property
    def continuing(self) -> list[BulletinRow]:
        return [r for r in self.rows if r.news is News.CONTINUING]

    @property
    def red(self) -> list[BulletinRow]:
        """The red list: the month's red warnings."""
        return [r for r in self.warnings if r.level is Level.RED]

    @property
    def escalated(self) -> list[BulletinRow]:
        """The month's warnings not received in time (escalated to the city)."""
        return [r for r in self.warnings if r.escalated]

    def by_level(self) -> dict[Level, int]:
        counts = Counter(r.level for r in self.warnings)
        return {level: counts[level] for level in LEVELS}

    def by_signal(self) -> dict[str, int]:
        """The month's warnings per signal, every signal listed (in id order)."""
        counts = Counter(r.signal for r in self.warnings)
        return {signal: counts[signal] for signal in sorted(SIGNALS)}

    def by_county(self) -> list[CountyTotals]:
        """Per county (every county of the records, then any warned without one), the month's
        warnings by level, new, continuing, lifted and escalated."""
        order = list(self.county_order)
        known = {code for code, _ in order}
        for r in self.rows:
            if r.county_code not in known:
                order.append((r.county_code, r.county_name))
                known.add(r.county_code)
        totals = []
        for code, name in order:
            mine = [r for r in self.rows if r.county_code == code]
            fired = [r for r in mine if r.news is not News.LIFTED]
            levels = Counter(r.level for r in fired)
            totals.append(
                CountyTotals(
                    county_code=code,
                    county_name=name or code or NO_COUNTY[0],
                    levels={level: levels[level] for level in LEVELS},
                    new=sum(r.news is News.NEW for r in mine),
                    continuing=sum(r.news is News.CONTINUING for r in mine),
                    lifted=sum(r.news is News.LIFTED for r in mine),
                    escalated=sum(r.escalated for r in fired),
                )
            )
        return totals

    def as_json(self) -> dict[str, Any]:
        """The bulletin's figures and red list, as the web application shows them."""
        return {
            "month": self.month,
            "profile": self.profile,
            "run": self.run_id,
            "as_of": self.as_of.isoformat(),
            "warnings": len(self.warnings),
            "new": len(self.new),
            "continuing": len(self.continuing),
            "lifted": len(self.lifted),
            "escalated": len(self.escalated),
            "by_level": {level.value: n for level, n in self.by_level().items()},
            "by_signal": self.by_signal(),
            "by_county": [
                {
                    "county_code": c.county_code,
                    "county_name": c.county_name,
                    "levels": {level.value: n for level, n in c.levels.items()},
                    "total": c.total,
                    "new": c.new,
                    "continuing": c.continuing,
                    "lifted": c.lifted,
                    "escalated": c.escalated,
                }
                for c in self.by_county()
            ],
            "red": [
                {
                    "warning": r.warning,
                    "signal": r.signal,
                    "subject_type": r.subject_type,
                    "subject_id": r.subject_id,
                    "subject_name": r.subject_name,
                    "county_code": r.county_code,
                    "since": r.since,
                    "months": r.months,
                    "state": r.state.value,
                    "case": r.case_id,
                }
                for r in self.red
            ],
        }


def bulletin(
    db: Session, *, month: str, profile: str | None = None, today: dt.date | None = None
) -> Bulletin:
    """The bulletin of ``month`` from its latest kept monitoring run (of ``profile``, or of
    any); escalations as of ``today`` (default: the day it is made). :class:`BulletinError`
    when the month has no run."""
    month = parse_month(month)
    as_of = today or dt.date.today()
    query = select(MonitoringRun).where(MonitoringRun.month == month)
    if profile is not None:
        query = query.where(MonitoringRun.profile == profile)
    run = db.scalar(query.order_by(MonitoringRun.id.desc()).limit(1))
    if run is None:
        of = "" if profile is None else f"（{profile}）"
        raise BulletinError(
            f"{month_zh(month)}还没有监测批次{of}：请先运行 mujun monitor",
            f"no monitoring run of {month}{'' if profile is None else f' ({profile})'}: "
            "run mujun monitor first",
        )
    jurisdictions = {
        code: (name, level, parent)
        for code, name, level, parent in db.execute(
            select(
                Jurisdiction.code, Jurisdiction.name, Jurisdiction.level, Jurisdiction.parent_code
            )
        )
    }
    fired = db.execute(
        select(EarlyWarning, WarningMonth.level)
        .join(WarningMonth, WarningMonth.warning_id == EarlyWarning.id)
        .where(WarningMonth.run_id == run.id)
    ).all()
    lifted = db.scalars(
        select(EarlyWarning).where(
            EarlyWarning.lifted_month == month, EarlyWarning.profile == run.profile
        )
    ).all()
    receipts = _Receipts(as_of)
    rows = [_row(w, Level(level), month, jurisdictions, receipts) for w, level in fired]
    rows += [_row(w, Level(w.level), month, jurisdictions, receipts) for w in lifted]
    rows.sort(key=_order)
    counties = sorted(
        (code, name) for code, (name, level, _) in jurisdictions.items() if level == "county"
    )
    cities = {
        jurisdictions[parent][0]
        for _, level, parent in jurisdictions.values()
        if level == "county" and parent in jurisdictions and jurisdictions[parent][1] == "city"
    }
    days = load_profile(run.profile).values(last_day(month)).whole(RECEIPT)
    return Bulletin(
        month=month,
        profile=run.profile,
        run_id=run.id,
        as_of=as_of,
        receipt_days=days,
        city=next(iter(cities)) if len(cities) == 1 else None,
        rows=tuple(rows),
        county_order=tuple(counties),
    )


class _Receipts:
    """Whether each warning escalated, as of one day: :func:`receipt`, asked once per profile,
    day of issue, day of receipt and state (the warnings of a run share them; counting working
    days across the holiday calendar is slow)."""

    def __init__(self, as_of: dt.date) -> None:
        self.as_of = as_of
        self._known: dict[tuple[Any, ...], bool] = {}

    def escalated(self, w: EarlyWarning) -> bool:
        key = (w.profile, w.issued_on, w.received_on, w.state)
        if key not in self._known:
            self._known[key] = receipt(w, today=self.as_of).escalated
        return self._known[key]


def _row(
    w: EarlyWarning,
    level: Level,
    month: str,
    jurisdictions: dict[str, tuple[str, str, str | None]],
    receipts: _Receipts,
) -> BulletinRow:
    lifted = w.lifted_month == month and w.state == WarningState.LIFTED.value
    news = News.LIFTED if lifted else News.NEW if w.since == month else News.CONTINUING
    county = jurisdictions.get(w.county_code or "")
    return BulletinRow(
        warning=w.id,
        signal=w.signal,
        level=level,
        subject_type=w.subject_type,
        subject_id=w.subject_id,
        subject_name=w.subject_name,
        county_code=w.county_code,
        county_name=None if county is None else county[0],
        since=w.since,
        months=months_from(w.since, w.last_month if lifted else month),
        news=news,
        state=WarningState(w.state),
        departments=tuple(code for code in w.routed_to if code != w.county_code)
        or departments_of(w.signal),
        escalated=receipts.escalated(w),
        case_id=w.case_id,
    )


def _order(r: BulletinRow) -> tuple[Any, ...]:
    return (
        r.news is News.LIFTED,
        LEVELS.index(r.level),
        r.county_code or "~",
        r.signal,
        r.subject_type,
        r.subject_id,
    )


def _say(lang: Language, zh: str, en: str) -> str:
    return zh if lang == "zh" else en


# -- the workbook -------------------------------------------------------------------------

TOTAL_HEADERS: dict[Language, list[str]] = {
    "zh": [
        "序号",
        "县（市、区）",
        "红色",
        "橙色",
        "黄色",
        "预警合计",
        "其中新发",
        "其中持续",
        "本月解除",
        "逾期未签收",
    ],
    "en": [
        "No.",
        "County",
        "Red",
        "Orange",
        "Yellow",
        "Warnings",
        "New",
        "Continuing",
        "Lifted",
        "Escalated",
    ],
}
_TOTAL_LAYOUT = [("whole", 6), ("text", 16)] + [("whole", 10)] * 8

LIST_HEADERS: dict[Language, list[str]] = {
    "zh": [
        "序号",
        "预警编号",
        "县（市、区）",
        "预警对象",
        "对象类别",
        "统一社会信用代码",
        "土地使用权人",
        "预警信号",
        "等级",
        "起始月份",
        "持续月数",
        "本月情况",
        "办理状态",
        "推送部门",
        "逾期未签收",
        "处置案件",
    ],
    "en": [
        "No.",
        "Warning",
        "County",
        "Subject",
        "Kind",
        "Credit code",
        "Land holder",
        "Signal",
        "Level",
        "Since",
        "Months",
        "This month",
        "State",
        "Routed to",
        "Escalated",
        "Case",
    ],
}
_LIST_LAYOUT = [
    ("whole", 6),
    ("whole", 8),
    ("text", 14),
    ("wrap", 28),
    ("text", 8),
    ("text", 20),
    ("wrap", 24),
    ("wrap", 24),
    ("text", 6),
    ("text", 10),
    ("whole", 8),
    ("text", 8),
    ("text", 8),
    ("wrap", 24),
    ("text", 8),
    ("whole", 8),
]


def write_bulletin_workbook(data: Bulletin, path: Path, *, lang: Language = "zh") -> None:
    """The bulletin as a workbook at ``path`` (nothing there if writing fails): the totals by
    county and level, then every warning of the month."""
    zh = lang == "zh"
    title = (
        f"{month_zh(data.month)}企业运行监测预警通报"
        if zh
        else f"Monitoring and early warning bulletin, {data.month}"
    )
    with streaming_workbook(path) as (book, formats):
        styles = ListStyles(book, formats)
        totals = book.add_worksheet("分区县汇总" if zh else "By county")
        write_titled_table(
            totals,
            styles,
            title=f"{title}：分区县汇总" if zh else f"{title}: by county",
            columns=list_columns(TOTAL_HEADERS[lang], _TOTAL_LAYOUT),
            rows=_total_rows(data, lang),
            lang=lang,
        )
        listed = book.add_worksheet("预警明细" if zh else "Warnings")
        last = write_titled_table(
            listed,
            styles,
            title=f"{title}：预警明细" if zh else f"{title}: warnings",
            columns=list_columns(LIST_HEADERS[lang], _LIST_LAYOUT),
            rows=_list_rows(data, lang),
            lang=lang,
        )
        listed.autofilter(1, 0, last, len(LIST_HEADERS[lang]) - 1)


def _total_rows(data: Bulletin, lang: Language) -> Iterator[list[Cell]]:
    counties = data.by_county()
    for number, c in enumerate(counties, start=1):
        name = c.county_name if c.county_code or lang == "zh" else NO_COUNTY[1]
        yield [
            number,
            name,
            *(c.levels[level] for level in LEVELS),
            c.total,
            c.new,
            c.continuing,
            c.lifted,
            c.escalated,
        ]
    yield [
        None,
        _say(lang, "合计", "Total"),
        *(sum(c.levels[level] for c in counties) for level in LEVELS),
        sum(c.total for c in counties),
        sum(c.new for c in counties),
        sum(c.continuing for c in counties),
        sum(c.lifted for c in counties),
        sum(c.escalated for c in counties),
    ]


def _list_rows(data: Bulletin, lang: Language) -> Iterator[list[Cell]]:
    zh = lang == "zh"
    for number, r in enumerate(data.rows, start=1):
        kind = SUBJECT_KINDS.get(r.subject_type, (r.subject_type, r.subject_type))
        yield [
            number,
            r.warning,
            r.county(lang),
            r.subject(lang),
            kind[0] if zh else kind[1],
            r.subject_id if r.subject_type == "enterprise" else None,
            r.subject_name if r.subject_type == "parcel" else None,
            r.signal_title(lang),
            r.level.label_zh[0] if zh else r.level.value,
            month_zh(r.since) if zh else r.since,
            r.months,
            r.news.label_zh if zh else r.news.value,
            r.state.label_zh if zh else r.state.value,
            r.department_names(lang),
            _say(lang, "是", "yes") if r.escalated else None,
            r.case_id,
        ]


# -- the document -------------------------------------------------------------------------


def bulletin_document(
    data: Bulletin,
    *,
    issuer: str | None = None,
    number: str | None = None,
    issued_on: dt.date | None = None,
    addressee: str = ADDRESSEE,
) -> bytes:
    """The bulletin as a .docx official notice: the issuing office (by default the city's
    joint office), its number (by default 2025年第6期), the day (default: the bulletin's), the
    summary of the counts and the red list."""
    return render_template(
        template_file("mujun.monitoring", TEMPLATE),
        document_context(
            data, issuer=issuer, number=number, issued_on=issued_on, addressee=addressee
        ),
    )


def write_bulletin_document(data: Bulletin, path: Path, **options: Any) -> None:
    """:func:`bulletin_document` written to ``path``."""
    path.write_bytes(bulletin_document(data, **options))


def default_issuer(data: Bulletin) -> str:
    return f"{data.city or ''}企业运行监测预警联席会议办公室"


def document_context(
    data: Bulletin,
    *,
    issuer: str | None = None,
    number: str | None = None,
    issued_on: dt.date | None = None,
    addressee: str = ADDRESSEE,
) -> dict[str, Any]:
    """The names the template uses, every value written out as the notice prints it."""
    year, month = (int(p) for p in data.month.split("-"))
    return {
        "title": f"{month_zh(data.month)}企业运行监测预警通报",
        "issuer": issuer or default_issuer(data),
        "number": number or f"{year}年第{month}期",
        "addressee": addressee,
        "issued_on": chinese_date(issued_on or data.as_of),
        "summary": summary_text(data),
        "by_signal": _by_signal_text(data),
        "by_county": _by_county_text(data),
        "receipt_days": data.receipt_days,
        "count": len(data.warnings),
        "red_count": len(data.red),
        "red": [
            {
                "no": i,
                "county": r.county(),
                "subject": r.subject(),
                "signal": r.signal_title(),
                "since": month_zh(r.since),
                "months": r.months,
                "departments": r.department_names(),
                "state": r.state.label_zh,
            }
            for i, r in enumerate(data.red, start=1)
        ],
    }


def summary_text(data: Bulletin) -> str:
    """The summary paragraph: the month's warnings by level, new, continuing, lifted and
    escalated."""
    when = month_zh(data.month)
    levels = data.by_level()
    if not data.warnings:
        text = f"{when}，企业运行监测未发现需要预警的情形"
    else:
        text = (
            f"{when}，企业运行监测共发出预警{len(data.warnings)}条，其中红色预警"
            f"{levels[Level.RED]}条、橙色预警{levels[Level.ORANGE]}条、黄色预警"
            f"{levels[Level.YELLOW]}条；新发{len(data.new)}条，持续{len(data.continuing)}条"
        )
    text += f"；信号消失解除预警{len(data.lifted)}条。"
    escalated = len(data.escalated)
    if escalated:
        text += f"截至{chinese_date(data.as_of)}，逾期未签收、报市督办的预警{escalated}条。"
    return text


def _by_signal_text(data: Bulletin) -> str:
    counted = sorted(
        ((n, signal) for signal, n in data.by_signal().items() if n), key=lambda p: (-p[0], p[1])
    )
    if not counted:
        return ""
    parts = "、".join(f"{SIGNALS[signal].title_zh}{n}条" for n, signal in counted)
    return f"按预警信号分：{parts}。"


def _by_county_text(data: Bulletin) -> str:
    parts = []
    for c in data.by_county():
        if c.total:
            red = c.levels[Level.RED]
            parts.append(f"{c.county_name}{c.total}条" + (f"（红色{red}条）" if red else ""))
    return f"按区县分：{'、'.join(parts)}。" if parts else ""


# -- for the web application ----------------------------------------------------------------


@dataclass(frozen=True)
class Download:
    """A file to send: its name, media type and content."""

    filename: str
    media_type: str
    content: bytes


def bulletin_download(
    db: Session,
    *,
    month: str,
    kind: Literal["xlsx", "docx"],
    profile: str | None = None,
    today: dt.date | None = None,
    lang: Language = "zh",
) -> Download:
    """The month's bulletin as a workbook or a Word document, for a download (the web
    application's): :class:`BulletinError` when the month has no run, ``MonthError`` when
    ``month`` is no month."""
    data = bulletin(db, month=month, profile=profile, today=today)
    name = f"{month_zh(data.month)}企业运行监测预警通报"
    if kind == "docx":
        return Download(f"{name}.docx", DOCX, bulletin_document(data))
    with tempfile.TemporaryDirectory(prefix="mujun-bulletin-") as folder:
        path = Path(folder) / "bulletin.xlsx"
        write_bulletin_workbook(data, path, lang=lang)
        return Download(f"{name}.xlsx", XLSX, path.read_bytes())


__all__ = [
    "Bulletin",
    "BulletinError",
    "BulletinRow",
    "CountyTotals",
    "Download",
    "News",
    "bulletin",
    "bulletin_document",
    "bulletin_download",
    "document_context",
    "month_zh",
    "write_bulletin_document",
    "write_bulletin_workbook",
]
