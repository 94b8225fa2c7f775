"""The findings of a run as a bureau files them: a workbook list, a CSV, and the display rows
the command line prints.

The workbook has three sheets, each with a title row merged across its columns, a frozen header
repeated on every printed page, landscape A4 one page wide, and page numbers in the footer:

- 认定清单: every finding, one row each: 序号, 宗地号/企业名称, 面积(亩), 类别, 认定依据, 关键数据.
  One numbered list rather than a sheet per category: the 序号 of a finding is the same here,
  in the CSV and on screen, so a finding is cited by one number whichever copy is at hand; the
  stamped list is one document; and each department keeps to its category with the filter on
  the header. Rows run by category (in the order of :class:`~mujun.policy.profiles.Category`:
  idle land first), then rule, subject type and id.
- 汇总: per rule of the profile, including those that found nothing, the number of findings,
  how many are 重点, and their land (亩) and building floor area (平方米) — what a report to
  the government cites. A subject several rules find is counted under each, so the totals row
  adds up findings, not subjects, and gives no area.
- 无法判定: per rule and missing figures, how many subjects could not be judged — the list of
  data to collect before the next run.

面积(亩) is land: a parcel's area, an enterprise's land, an approval's unsupplied area. A building
has no land area of its own, so its cell is empty and its floor area leads 关键数据 as
建筑面积（平方米）; 汇总 totals floor area in its own column. 认定依据 is the rule's title and
clause, with the file names of shipped documents replaced by their titles. The workbook is
written streaming (xlsxwriter ``constant_memory``): a list as long as a sheet holds takes
little memory.
"""

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from itertools import islice
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from mujun.identification.evidence import evidence_label, format_evidence
from mujun.interchange.problems import Language
from mujun.interchange.workbooks.lists import (
    MAX_LISTED,
    Cell,
    ListStyles,
    list_columns,
    write_cell,
    write_csv,
    write_merged,
    write_titled_table,
)
from mujun.interchange.workbooks.styles import FALSE_ZH, TRUE_ZH, streaming_workbook
from mujun.policy.profiles import Category, Profile, Rule, SubjectType, all_profiles
from mujun.units import m2_to_mu

LIST_HEADERS: Mapping[Language, tuple[str, ...]] = {
    "zh": ("序号", "宗地号/企业名称", "面积(亩)", "类别", "认定依据", "关键数据"),
    "en": ("No.", "Parcel / enterprise", "Area (mu)", "Category", "Basis", "Key figures"),
}
CSV_HEADERS: Mapping[Language, tuple[str, ...]] = {
    "zh": (
        "序号",
        "认定标准",
        "类别",
        "对象类型",
        "对象编号",
        "名称",
        "面积(亩)",
        "重点",
        "认定数据",
        "依据",
    ),
    "en": (
        "no",
        "criterion",
        "category",
        "subject_type",
        "subject_id",
        "subject_name",
        "area_mu",
        "key",
        "evidence",
        "source",
    ),
}
SHEETS: Mapping[Language, tuple[str, str, str]] = {
    "zh": ("认定清单", "汇总", "无法判定"),
    "en": ("Findings", "Summary", "Unjudged"),
}

_SUMMARY_HEADERS: Mapping[Language, tuple[str, ...]] = {
    "zh": (
        "编号",
        "类别",
        "认定标准",
        "依据",
        "认定数量",
        "其中重点",
        "土地面积合计(亩)",
        "建筑面积合计(平方米)",
    ),
    "en": (
        "Rule",
        "Category",
        "Criterion",
        "Source",
        "Findings",
        "Of which key",
        "Land (mu)",
        "Floor area (m²)",
    ),
}
_UNJUDGED_HEADERS: Mapping[Language, tuple[str, ...]] = {
    "zh": ("编号", "类别", "认定标准", "缺少的数据", "涉及对象数"),
    "en": ("Rule", "Category", "Criterion", "Missing figures", "Subjects"),
}
# Each column's style (see ListColumn) and the widest it gets, in characters.
_LIST_LAYOUT = (
    ("whole", 6),
    ("wrap", 36),
    ("decimal", 12),
    ("text", 22),
    ("wrap", 40),
    ("wrap", 60),
)
_SUMMARY_LAYOUT = (
    ("text", 14),
    ("text", 22),
    ("wrap", 36),
    ("wrap", 40),
    ("whole", 10),
    ("whole", 10),
    ("decimal", 14),
    ("decimal", 14),
)
_UNJUDGED_LAYOUT = (("text", 14), ("text", 22), ("wrap", 36), ("wrap", 50), ("whole", 10))
_CATEGORY_ORDER = pa.array([category.value for category in Category])
_HEADINGS: Mapping[Language, Mapping[str, str]] = {
    "zh": {"list": "认定清单", "summary": "认定汇总", "unjudged": "无法判定情况"},
    "en": {"list": "Findings", "summary": "Summary of findings", "unjudged": "Subjects not judged"},
}
_BATCH_ROWS = 1000


def findings_headers(lang: Language = "zh") -> list[str]:
    """The headers of the display rows (:func:`findings_rows`)."""
    return list(LIST_HEADERS[lang])


@dataclass(frozen=True)
class _Listed:
    """One finding as the list shows it."""

    number: int
    subject: str
    area_mu: float | None
    category: str
    basis: str
    figures: str

    def cells(self) -> tuple[Cell, ...]:
        return (self.number, self.subject, self.area_mu, self.category, self.basis, self.figures)

    def texts(self) -> list[str]:
        area = "" if self.area_mu is None else f"{self.area_mu:,.2f}"
        return [str(self.number), self.subject, area, self.category, self.basis, self.figures]


def findings_rows(
    findings: pa.Table, profile: Profile, lang: Language = "zh", *, limit: int | None = None
) -> list[list[str]]:
    """The findings as the list shows them, as text: 序号, 宗地号/企业名称, 面积(亩), 类别,
    认定依据, 关键数据 (:func:`findings_headers`); the first ``limit`` of them if given, numbered
    as in the full list."""
    return [listed.texts() for listed in islice(_listed(findings, profile, lang), limit)]


def write_findings_csv(path: Path, findings: pa.Table, lang: Language = "zh") -> None:
    """Write the findings as CSV in the order and numbering of the list; UTF-8 with a byte-order
    mark so that Excel reads the Chinese. Codes stay codes and ``evidence`` stays JSON, for
    programs; headers follow ``lang``. No cell is a formula (:func:`write_csv`)."""
    write_csv(path, CSV_HEADERS[lang], _csv_rows(findings, lang))


def _csv_rows(findings: pa.Table, lang: Language) -> Iterator[list[Cell]]:
    for number, finding in enumerate(_records(_ordered(findings)), start=1):
        area = _land_mu(finding)
        yield [
            number,
            finding["criterion"],
            finding["category"],
            finding["subject_type"],
            finding["subject_id"],
            finding["subject_name"] or "",
            "" if area is None else f"{area:.2f}",
            _yes_no(bool(finding["key"]), lang),
            finding["evidence"],
            finding["source"],
        ]


def write_findings_workbook(
    path: Path,
    *,
    profile: Profile,
    as_of: date,
    findings: pa.Table,
    unjudged_summary: list[dict[str, Any]],
    lang: Language = "zh",
) -> None:
    """Write the findings as a workbook: 认定清单, 汇总 and 无法判定 (see the module's
    docstring); nothing appears at ``path`` if writing fails. More findings than a sheet holds
    raise ValueError before anything is written."""
    if findings.num_rows > MAX_LISTED:
        raise ValueError(
            f"{findings.num_rows:,} findings are more than the {MAX_LISTED:,} a sheet lists; "
            "write them as CSV instead"
        )
    list_sheet, summary_sheet, unjudged_sheet = SHEETS[lang]
    with streaming_workbook(path) as (book, formats):
        styles = ListStyles(book, formats)
        sheet = book.add_worksheet(list_sheet)
        last = write_titled_table(
            sheet,
            styles,
            title=_title(profile, as_of, "list", lang),
            columns=list_columns(LIST_HEADERS[lang], _LIST_LAYOUT),
            rows=(listed.cells() for listed in _listed(findings, profile, lang)),
            lang=lang,
        )
        sheet.autofilter(1, 0, last, len(LIST_HEADERS[lang]) - 1)
        _write_summary(
            book.add_worksheet(summary_sheet),
            styles,
            profile=profile,
            as_of=as_of,
            findings=findings,
            lang=lang,
        )
        write_titled_table(
            book.add_worksheet(unjudged_sheet),
            styles,
            title=_title(profile, as_of, "unjudged", lang),
            columns=list_columns(_UNJUDGED_HEADERS[lang], _UNJUDGED_LAYOUT),
            rows=_unjudged_rows(profile, unjudged_summary, lang),
            lang=lang,
        )


# The findings, in order and as listed.


def _ordered(findings: pa.Table) -> pa.Table:
    """The findings by category (in :class:`Category` order), rule, subject type and id."""
    rank = pc.index_in(findings["category"], value_set=_CATEGORY_ORDER)
    ranked = findings.append_column("category_rank", rank)
    keys = ["category_rank", "criterion", "subject_type", "subject_id"]
    return ranked.sort_by([(key, "ascending") for key in keys]).drop_columns(["category_rank"])


def _records(table: pa.Table) -> Iterator[dict[str, Any]]:
    """The rows of ``table`` as dicts, a thousand at a time."""
    for batch in table.to_batches(max_chunksize=_BATCH_ROWS):
        yield from batch.to_pylist()


def _listed(findings: pa.Table, profile: Profile, lang: Language) -> Iterator[_Listed]:
    documents = _document_titles(profile, lang)
    for number, finding in enumerate(_records(_ordered(findings)), start=1):
        rule = profile.rules[finding["criterion"]]
        yield _Listed(
            number=number,
            subject=_subject(finding),
            area_mu=_land_mu(finding),
            category=_category(rule.category, bool(finding["key"]), lang),
            basis=_basis(rule, finding["source"], documents, lang),
            figures=format_evidence(_figures(finding), lang),
        )


def _subject(finding: Mapping[str, Any]) -> str:
    """An enterprise's name over its credit code; a parcel's or building's id over its holder's
    or owner's name; an approval's id."""
    identifier, name = finding["subject_id"], finding["subject_name"]
    enterprise = finding["subject_type"] == SubjectType.ENTERPRISE
    lines = (name, identifier) if enterprise else (identifier, name)
    return "\n".join(line for line in lines if line)


def _land_mu(finding: Mapping[str, Any]) -> float | None:
    """The subject's land in mu to two decimals; None for a building (its floor area is not
    land) or an unknown area."""
    area = finding["area_m2"]
    if area is None or finding["subject_type"] == SubjectType.BUILDING:
        return None
    return round(m2_to_mu(area), 2)


def _figures(finding: Mapping[str, Any]) -> dict[str, Any]:
    """The finding's evidence; a building's floor area first."""
    evidence: dict[str, Any] = json.loads(finding["evidence"])
    if finding["subject_type"] == SubjectType.BUILDING and finding["area_m2"] is not None:
        return {"floor_area_m2": finding["area_m2"], **evidence}
    return evidence


def _category(category: Category, key: bool, lang: Language) -> str:
    """The category's label, marked when the finding is 重点."""
    label: str = category.label_zh if lang == "zh" else category.label_en
    marker = ("（重点）" if lang == "zh" else " (key)") if key else ""
    return label + marker


def _basis(rule: Rule, source: str, documents: Mapping[str, str], lang: Language) -> str:
    """The rule's title and the clause the finding rests on (``source``)."""
    source = _source(source, documents)
    return f"{rule.title_zh}（{source}）" if lang == "zh" else f"{rule.title_en} ({source})"


def _source(source: str, documents: Mapping[str, str]) -> str:
    for document, title in documents.items():
        source = source.replace(document, title)
    return source


def cited_source(source: str, lang: Language) -> str:
    """A finding's clause with the file names of the shipped documents replaced by their
    titles: ``《安康市…》 §二(二)5``."""
    return _source(source, _shipped_titles(lang))


@cache
def _shipped_titles(lang: Language) -> dict[str, str]:
    return {p.document: _shipped_title(p, lang) for p in all_profiles()}


def _document_titles(profile: Profile, lang: Language) -> dict[str, str]:
    """The title of every shipped profile's document (and ``profile``'s), by its file name."""
    return {**_shipped_titles(lang), profile.document: _shipped_title(profile, lang)}


def _shipped_title(profile: Profile, lang: Language) -> str:
    return f"《{profile.title_zh}》" if lang == "zh" else profile.title_en


def _rule_order(rule: Rule) -> tuple[int, str]:
    return list(Category).index(rule.category), rule.id


def _yes_no(value: bool, lang: Language) -> str:
    if lang == "zh":
        return TRUE_ZH if value else FALSE_ZH
    return "yes" if value else "no"


def _title(profile: Profile, as_of: date, what: str, lang: Language) -> str:
    """A sheet's title: the document, what the sheet lists (``what``) and the as-of date."""
    heading = _HEADINGS[lang][what]
    if lang == "zh":
        return f"《{profile.title_zh}》{heading}（截至{as_of.year}年{as_of.month}月{as_of.day}日）"
    return f"{heading} under {profile.title_en} (as of {as_of.isoformat()})"


# 汇总 and 无法判定.


@dataclass
class _Tally:
    """One rule's findings counted."""

    findings: int = 0
    key: int = 0
    land_m2: float = 0.0
    floor_m2: float = 0.0

    def add(self, subject_type: str, key: bool, area_m2: float | None) -> None:
        self.findings += 1
        self.key += int(key)
        if area_m2 is None:
            return
        if subject_type == SubjectType.BUILDING:
            self.floor_m2 += area_m2
        else:
            self.land_m2 += area_m2


def _tallies(findings: pa.Table) -> dict[str, _Tally]:
    tallies: dict[str, _Tally] = {}
    columns = [
        findings[name].to_pylist() for name in ("criterion", "subject_type", "key", "area_m2")
    ]
    for criterion, subject_type, key, area_m2 in zip(*columns, strict=True):
        tallies.setdefault(criterion, _Tally()).add(subject_type, bool(key), area_m2)
    return tallies


def _write_summary(
    sheet: Any,
    styles: ListStyles,
    *,
    profile: Profile,
    as_of: date,
    findings: pa.Table,
    lang: Language,
) -> None:
    """Per rule of the profile: findings, key findings, land and floor area; then the totals
    and what they count."""
    tallies = _tallies(findings)
    documents = _document_titles(profile, lang)
    rules = sorted(profile.rules.values(), key=_rule_order)
    rows = [_summary_row(rule, tallies.get(rule.id, _Tally()), documents, lang) for rule in rules]
    columns = list_columns(_SUMMARY_HEADERS[lang], _SUMMARY_LAYOUT)
    last = write_titled_table(
        sheet,
        styles,
        title=_title(profile, as_of, "summary", lang),
        columns=columns,
        rows=rows,
        lang=lang,
    )
    total = sum(tally.findings for tally in tallies.values())
    key = sum(tally.key for tally in tallies.values())
    label = "合计" if lang == "zh" else "Total"
    totals: list[Cell] = [label, None, None, None, total, key, None, None]
    for col, value in enumerate(totals):
        if value is None:
            sheet.write_blank(last + 1, col, None, styles.header)
        else:
            write_cell(sheet, last + 1, col, value, styles.header)
    write_merged(sheet, last + 2, len(columns), _summary_note(lang), styles.note)


def _summary_row(
    rule: Rule, tally: _Tally, documents: Mapping[str, str], lang: Language
) -> tuple[Cell, ...]:
    land = any(subject != SubjectType.BUILDING for subject in rule.subjects)
    building = SubjectType.BUILDING in rule.subjects
    return (
        rule.id,
        _category(rule.category, False, lang),
        rule.title_zh if lang == "zh" else rule.title_en,
        _source(rule.source, documents),
        tally.findings,
        tally.key,
        round(m2_to_mu(tally.land_m2), 2) if land else None,
        round(tally.floor_m2, 2) if building else None,
    )


def _summary_note(lang: Language) -> str:
    if lang == "zh":
        return (
            "注：同一对象可能被多项标准认定，合计为认定条数而非对象数；"
            "面积按标准分别合计，不作总计。"
        )
    return (
        "Note: a subject several rules find is counted under each, so the total counts "
        "findings, not subjects; areas are totalled per rule only."
    )


def _unjudged_rows(
    profile: Profile, summary: Iterable[Mapping[str, Any]], lang: Language
) -> Iterator[tuple[Cell, ...]]:
    """Per rule and missing figures (named by their labels), the subjects not judged."""
    for entry in summary:
        rule = profile.rules[entry["criterion"]]
        missing = [evidence_label(name, lang) for name in str(entry["missing"]).split(",")]
        yield (
            rule.id,
            _category(rule.category, False, lang),
            rule.title_zh if lang == "zh" else rule.title_en,
            ("、" if lang == "zh" else ", ").join(missing),
            int(entry["subjects"]),
        )


__all__ = [
    "CSV_HEADERS",
    "LIST_HEADERS",
    "SHEETS",
    "findings_headers",
    "findings_rows",
    "write_findings_csv",
    "write_findings_workbook",
]
