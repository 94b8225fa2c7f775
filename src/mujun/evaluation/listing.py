"""The evaluation's results as a county publishes them: a workbook laid out like the notice, a
CSV, and the display rows the command line prints.

Every sheet of the workbook is a titled list (:mod:`mujun.interchange.workbooks.lists`: title
row, frozen header with a filter, landscape A4 one page wide, page numbers), in this order:

- one per cohort, named after it (规上工业企业, 规下工业企业): the notice itself — 序号, 企业名称,
  统一社会信用代码, 综合得分, 等级, in rank order. 序号 is the row's position: enterprises with
  equal scores share a 名次 (the engine's competition rank) but not a 序号. The score is
  rounded to two decimals, as published.
- one 评分明细 per cohort (规上评分明细 …): for each enterprise, one row per indicator — 指标值
  and 基准值 in the unit the notice writes them in (万元/亩 …), 权重, 得分 — then 出租扣分 (a
  negative number) and 综合得分. Each row's points are 权重 × 指标值 ÷ 基准值 (under the
  benchmark-ratio method), and the 得分 of an enterprise's rows above 综合得分 add up to it, so
  anyone can recompute a score by hand; a note under the table says so. An indicator scored
  without its figure reads （平均分） (the cohort's average points) or （缺项记零分） in
  place of its value. Every row repeats the enterprise's 名次, name and code so that filtering
  on 评分项目 (one indicator across the cohort, or 综合得分 alone) keeps them. One row per
  indicator rather than a column per indicator: the sheet has the same nine columns whatever
  the cohort's indicators, and it still prints legibly one page wide.
- 等级分布: per cohort and grade, the number of enterprises, their share of the cohort, the
  share the profile sets (equal scores across a boundary all take the better grade, so the two
  can differ) and the differential policy the grade triggers.
- 未参评: the enterprises not evaluated and why, grouped by reason.

Values and benchmarks come from the results in base units (yuan); an absolute benchmark's
parameter tells the unit the notice writes them in (:attr:`~mujun.policy.parameters.Unit.in_yuan`).
A relative benchmark, computed from the reference year, has no published unit: those values are
shown in base units. The workbook is written streaming, like the identification list.
"""

import json
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import islice, takewhile
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from mujun.evaluation.engine import Evaluation
from mujun.evaluation.indicators import INDICATORS, Indicator
from mujun.interchange.problems import Language
from mujun.interchange.workbooks.lists import (
    MAX_LISTED,
    Cell,
    ListStyles,
    list_columns,
    write_csv,
    write_merged,
    write_titled_table,
)
from mujun.interchange.workbooks.styles import MAX_SHEET_NAME, streaming_workbook
from mujun.policy.evaluation import GRADES, METHOD, MISSING_INDICATOR, Cohort, EvaluationSpec

NOTICE_HEADERS: Mapping[Language, tuple[str, ...]] = {
    "zh": ("序号", "企业名称", "统一社会信用代码", "综合得分", "等级"),
    "en": ("No.", "Enterprise", "Credit code", "Score", "Grade"),
}
DETAIL_HEADERS: Mapping[Language, tuple[str, ...]] = {
    "zh": (
        "名次",
        "企业名称",
        "统一社会信用代码",
        "评分项目",
        "单位",
        "指标值",
        "基准值",
        "权重",
        "得分",
    ),
    "en": (
        "Rank",
        "Enterprise",
        "Credit code",
        "Item",
        "Unit",
        "Value",
        "Benchmark",
        "Weight",
        "Points",
    ),
}
CSV_HEADERS: Mapping[Language, tuple[str, ...]] = {
    "zh": ("序号", "企业类别", "名次", "统一社会信用代码", "企业名称", "综合得分", "等级"),
    "en": ("no", "cohort", "rank", "credit_code", "name", "score", "grade"),
}
"""The CSV's first columns; one column per indicator figure follows."""
REASONS: Mapping[str, Mapping[Language, str]] = {
    "deregistered": {"zh": "已注销", "en": "Deregistered"},
    "no_land": {"zh": "无用地", "en": "No land"},
    "no_figures": {"zh": "当年无数据", "en": "No figures for the year"},
    "scale_unknown": {"zh": "规模未知", "en": "Scale unknown"},
    "new_enterprise": {"zh": "新注册未满年限", "en": "Registered too recently"},
    "new_land": {"zh": "新供地未满年限", "en": "Land supplied too recently"},
    "below_min_land": {"zh": "用地面积不足参评标准", "en": "Less land than the cohort's minimum"},
    "no_cohort": {"zh": "无对应参评类别", "en": "No cohort of its scale"},
}
"""Why an enterprise was not evaluated, in the order the 未参评 sheet groups them."""


def reason_in(code: str, lang: Language) -> str:
    """Why an enterprise was not evaluated, in words (the code itself if it has none)."""
    return REASONS.get(code, {}).get(lang, code)


_DISPLAY_HEADERS: Mapping[Language, tuple[str, ...]] = {
    "zh": ("企业类别", "名次", "企业名称", "统一社会信用代码", "综合得分", "等级"),
    "en": ("Cohort", "Rank", "Enterprise", "Credit code", "Score", "Grade"),
}
_GRADES_HEADERS: Mapping[Language, tuple[str, ...]] = {
    "zh": ("企业类别", "等级", "企业数", "占比", "设定比例", "差别化政策"),
    "en": ("Cohort", "Grade", "Enterprises", "Share", "Share set", "Differential policy"),
}
_EXCLUDED_HEADERS: Mapping[Language, tuple[str, ...]] = {
    "zh": ("序号", "企业名称", "统一社会信用代码", "未参评原因"),
    "en": ("No.", "Enterprise", "Credit code", "Reason"),
}
# Each column's style (see ListColumn) and the widest it gets, in characters.
_NOTICE_LAYOUT = (("whole", 6), ("wrap", 40), ("text", 22), ("decimal", 12), ("text", 6))
_DETAIL_LAYOUT = (
    ("whole", 6),
    ("wrap", 30),
    ("text", 22),
    ("wrap", 24),
    ("text", 14),
    ("precise", 16),
    ("text", 12),
    ("text", 8),
    ("decimal", 12),
)
_GRADES_LAYOUT = (
    ("text", 22),
    ("text", 6),
    ("whole", 10),
    ("percent", 8),
    ("text", 10),
    ("wrap", 60),
)
_EXCLUDED_LAYOUT = (("whole", 6), ("wrap", 40), ("text", 22), ("text", 24))

_WORDS: Mapping[Language, Mapping[str, str]] = {
    "zh": {
        "notice": "结果",
        "detail": "评分明细",
        "grades": "等级分布",
        "excluded": "未参评企业",
        "detail_sheet": "{}评分明细",
        "grades_sheet": "等级分布",
        "excluded_sheet": "未参评",
        "deduction": "出租扣分",
        "total": "综合得分",
    },
    "en": {
        "notice": "results",
        "detail": "score details",
        "grades": "grades",
        "excluded": "enterprises not evaluated",
        "detail_sheet": "{} score details",
        "grades_sheet": "Grades",
        "excluded_sheet": "Not evaluated",
        "deduction": "Lessor deduction",
        "total": "Score",
    },
}
_IMPUTED: Mapping[str, Mapping[Language, tuple[str, str]]] = {
    # the marker in place of the value, and what it means
    "cohort_average": {
        "zh": ("（平均分）", "缺该项数据，取同类企业该项平均得分"),
        "en": ("(cohort average)", "figure missing, the cohort's average points"),
    },
    "zero": {
        "zh": ("（缺项记零分）", "缺该项数据，记0分"),
        "en": ("(missing, zero)", "figure missing, no points"),
    },
}
_FORMULAS: Mapping[str, Mapping[Language, str]] = {
    "benchmark_ratio": {
        "zh": "得分 = 权重 × 指标值 ÷ 基准值，指标值为负的记0分",
        "en": "points = weight × value ÷ benchmark, 0 for a negative value",
    },
    "min_max": {
        "zh": "得分 = 权重 × (20 + 80 × (指标值 − 同类最小值) ÷ (同类最大值 − 同类最小值)) ÷ 100",
        "en": "points = weight × (20 + 80 × (value − min) ÷ (max − min)) ÷ 100 over the cohort",
    },
}
_CAPPED: Mapping[Language, str] = {"zh": "，设有封顶的以封顶分为限", "en": ", at most the cap"}
_UNITS_EN = {
    "万元/亩": "10k yuan/mu",
    "万元/吨标煤": "10k yuan/tce",
    "万元/吨": "10k yuan/t",
    "万元/人": "10k yuan/person",
    "元/亩": "yuan/mu",
    "元/吨标煤": "yuan/tce",
    "元/吨": "yuan/t",
    "元/人": "yuan/person",
    "元/千瓦时": "yuan/kWh",
}


def evaluation_headers(lang: Language = "zh") -> list[str]:
    """The headers of the display rows (:func:`evaluation_rows`)."""
    return list(_DISPLAY_HEADERS[lang])


def evaluation_rows(
    evaluation: Evaluation, lang: Language = "zh", *, limit: int | None = None
) -> list[list[str]]:
    """The results as text, cohort by cohort in rank order: 企业类别, 名次, 企业名称,
    统一社会信用代码, 综合得分, 等级 (:func:`evaluation_headers`); the first ``limit`` of each
    cohort if given."""
    return [
        [
            _cohort_title(cohort, lang),
            str(result["rank"]),
            result["name"] or "",
            result["credit_code"],
            f"{result['score']:.2f}",
            result["grade"],
        ]
        for cohort in _spec(evaluation).cohorts
        for result in islice(_members(evaluation, cohort), limit)
    ]


def write_evaluation_csv(path: Path, evaluation: Evaluation, lang: Language = "zh") -> None:
    """Write the results as CSV, one row per evaluated enterprise, cohort by cohort in rank order;
    UTF-8 with a byte-order mark so that Excel reads the Chinese. 序号 runs through all
    cohorts; the cohort stays its code; the score has two decimals, as published; then each
    indicator figure of any cohort in base units (empty where the enterprise's cohort has no
    such indicator or its figure is missing). Headers follow ``lang``."""
    spec = _spec(evaluation)
    figures = _figures(spec)
    write_csv(
        path,
        [*CSV_HEADERS[lang], *(_figure_header(i, lang) for i in figures)],
        _csv_rows(evaluation, spec, figures),
    )


def _csv_rows(
    evaluation: Evaluation, spec: EvaluationSpec, figures: Sequence[Indicator]
) -> Iterator[list[Cell]]:
    ranked = ((c, result) for c in spec.cohorts for result in _members(evaluation, c))
    for number, (cohort, result) in enumerate(ranked, start=1):
        values = json.loads(result["indicators"])
        yield [
            number,
            cohort.id,
            result["rank"],
            result["credit_code"],
            result["name"] or "",
            f"{result['score']:.2f}",
            result["grade"],
            *("" if values.get(i.figure) is None else values[i.figure] for i in figures),
        ]


def write_evaluation_workbook(path: Path, evaluation: Evaluation, lang: Language = "zh") -> None:
    """Write the results as a workbook laid out like the published notice: a sheet per cohort,
    a 评分明细 per cohort, 等级分布 and 未参评 (see the module's docstring). Nothing appears at
    ``path`` if writing fails; a sheet longer than a sheet holds raises ValueError before
    anything is written."""
    sheets = _sheets(evaluation, lang)
    for sheet in sheets:
        if sheet.length > MAX_LISTED:
            raise ValueError(
                f"{sheet.name} would take {sheet.length:,} rows, more than the "
                f"{MAX_LISTED:,} a sheet lists; write the results as CSV instead"
            )
    with streaming_workbook(path) as (book, formats):
        styles = ListStyles(book, formats)
        for sheet in sheets:
            sheet.write(book, styles, lang)


# The sheets.


@dataclass(frozen=True)
class _Sheet:
    """One titled list of the workbook; its rows are made as they are written."""

    name: str
    title: str
    headers: Sequence[str]
    layout: Sequence[tuple[str, int]]
    rows: Iterable[Sequence[Cell]]
    length: int
    """How many rows it lists."""
    note: str = ""

    def write(self, book: Any, styles: ListStyles, lang: Language) -> None:
        sheet = book.add_worksheet(self.name)
        last = write_titled_table(
            sheet,
            styles,
            title=self.title,
            columns=list_columns(self.headers, self.layout),
            rows=self.rows,
            lang=lang,
        )
        sheet.autofilter(1, 0, last, len(self.headers) - 1)
        if self.note:
            write_merged(sheet, last + 2, len(self.headers), self.note, styles.note)


def _sheets(evaluation: Evaluation, lang: Language) -> list[_Sheet]:
    cohorts = _spec(evaluation).cohorts
    sizes = Counter(evaluation.results["cohort"].to_pylist())
    titles = [_cohort_title(cohort, lang) for cohort in cohorts]
    words = _WORDS[lang]
    notices = [
        _Sheet(
            name=_sheet_name(title),
            title=_title(evaluation, "notice", lang, title),
            headers=NOTICE_HEADERS[lang],
            layout=_NOTICE_LAYOUT,
            rows=_notice_rows(evaluation, cohort),
            length=sizes[cohort.id],
        )
        for cohort, title in zip(cohorts, titles, strict=True)
    ]
    details = [
        _Sheet(
            name=_sheet_name(words["detail_sheet"].format(short)),
            title=_title(evaluation, "detail", lang, title),
            headers=DETAIL_HEADERS[lang],
            layout=_DETAIL_LAYOUT,
            rows=_detail_rows(evaluation, cohort, lang),
            length=sizes[cohort.id] * (len(cohort.indicators) + 2),
            note=_detail_note(evaluation, cohort, lang),
        )
        for cohort, title, short in zip(cohorts, titles, _short_titles(titles), strict=True)
    ]
    grades = _Sheet(
        name=words["grades_sheet"],
        title=_title(evaluation, "grades", lang),
        headers=_GRADES_HEADERS[lang],
        layout=_GRADES_LAYOUT,
        rows=_grade_rows(evaluation, lang),
        length=len(cohorts) * len(GRADES),
    )
    excluded = _Sheet(
        name=words["excluded_sheet"],
        title=_title(evaluation, "excluded", lang),
        headers=_EXCLUDED_HEADERS[lang],
        layout=_EXCLUDED_LAYOUT,
        rows=_excluded_rows(evaluation, lang),
        length=evaluation.excluded.num_rows,
    )
    return [*notices, *details, grades, excluded]


def _notice_rows(evaluation: Evaluation, cohort: Cohort) -> Iterator[tuple[Cell, ...]]:
    for number, result in enumerate(_members(evaluation, cohort), start=1):
        score = round(result["score"], 2)
        yield number, result["name"], result["credit_code"], score, result["grade"]


def _detail_rows(
    evaluation: Evaluation, cohort: Cohort, lang: Language
) -> Iterator[tuple[Cell, ...]]:
    """Per enterprise: a row per indicator it was scored on (a run kept under an earlier
    version of the profile may lack one), the lessor deduction, the score."""
    shown = [_shown(evaluation, cohort, INDICATORS[key], lang) for key in cohort.indicators]
    marker, _ = _IMPUTED[evaluation.parameters[MISSING_INDICATOR]][lang]
    words = _WORDS[lang]
    for result in _members(evaluation, cohort):
        enterprise = (result["rank"], result["name"], result["credit_code"])
        points = json.loads(result["points"])
        for indicator in shown:
            if indicator.key in points:
                yield *enterprise, *indicator.cells(points[indicator.key], marker)
        deduction = 0.0 - result["deduction_points"]  # not -x: no deduction shows as 0, not -0
        yield *enterprise, words["deduction"], None, None, None, None, deduction
        yield *enterprise, words["total"], None, None, None, None, result["score"]


def _detail_note(evaluation: Evaluation, cohort: Cohort, lang: Language) -> str:
    """How a row's points and an enterprise's score are reckoned."""
    formula = _FORMULAS[evaluation.parameters[METHOD]][lang]
    capped = any(cohort.parameter(key, "cap") in evaluation.parameters for key in cohort.indicators)
    if capped:
        formula += _CAPPED[lang]
    marker, meaning = _IMPUTED[evaluation.parameters[MISSING_INDICATOR]][lang]
    if lang == "zh":
        return f"注：{formula}；{marker}：{meaning}；各项得分与出租扣分之和为综合得分。"
    return f"Note: {formula}; {marker}: {meaning}; points and lessor deduction add up to the score."


def _grade_rows(evaluation: Evaluation, lang: Language) -> Iterator[tuple[Cell, ...]]:
    spec = _spec(evaluation)
    results = evaluation.results
    cohorts = results["cohort"].to_pylist()
    counts = Counter(zip(cohorts, results["grade"].to_pylist(), strict=True))
    sizes = Counter(cohorts)
    for cohort in spec.cohorts:
        size = sizes[cohort.id]
        for grade in GRADES:
            count = counts[cohort.id, grade]
            policy = spec.policies.get(grade)
            yield (
                _cohort_title(cohort, lang),
                grade,
                count,
                count / size if size else None,
                evaluation.parameters.get(cohort.share(grade), ""),
                "" if policy is None else (policy.zh if lang == "zh" else policy.en),
            )


def _excluded_rows(evaluation: Evaluation, lang: Language) -> Iterator[tuple[Cell, ...]]:
    """The enterprises not evaluated, by reason (in :data:`REASONS` order) and credit code."""
    order = list(REASONS)
    excluded = sorted(
        evaluation.excluded.to_pylist(),
        key=lambda entry: (order.index(entry["reason"]), entry["credit_code"]),
    )
    for number, entry in enumerate(excluded, start=1):
        yield number, entry["name"], entry["credit_code"], REASONS[entry["reason"]][lang]


# Indicators as the notice writes them.


@dataclass(frozen=True)
class _Shown:
    """One indicator of a cohort as the notice writes it: in ``unit``, each ``per_unit`` base
    units."""

    key: str
    label: str
    unit: str
    per_unit: int

    def cells(self, detail: Mapping[str, Any], marker: str) -> tuple[Cell, ...]:
        """评分项目, 单位, 指标值, 基准值, 权重, 得分 of one enterprise on this indicator; the
        ``marker`` in place of the value where its points were imputed."""
        value = marker if detail["imputed"] else self._in_unit(detail["value"])
        benchmark = self._in_unit(detail["benchmark"])
        return self.label, self.unit, value, benchmark, detail["weight"], detail["points"]

    def _in_unit(self, base: float | None) -> float | None:
        return None if base is None else base / self.per_unit


def _shown(evaluation: Evaluation, cohort: Cohort, indicator: Indicator, lang: Language) -> _Shown:
    """The unit of the indicator's absolute benchmark; base units for a relative one (or none
    for a plain ratio)."""
    label = indicator.label_zh if lang == "zh" else indicator.label_en
    benchmark = evaluation.profile.parameters.get(cohort.parameter(indicator.key, "benchmark"))
    if benchmark is None or not indicator.unit_zh:
        return _Shown(indicator.key, label, unit_in(indicator.unit_zh, lang), 1)
    unit = benchmark.unit
    return _Shown(indicator.key, label, unit_in(unit.label_zh, lang), unit.in_yuan)


def unit_in(label_zh: str, lang: Language) -> str:
    """A unit (written in Chinese, as the notices write it) in ``lang``."""
    return label_zh if lang == "zh" else _UNITS_EN.get(label_zh, label_zh)


def _figures(spec: EvaluationSpec) -> list[Indicator]:
    """The indicators of every cohort, each once, in the cohorts' order."""
    keys = dict.fromkeys(key for cohort in spec.cohorts for key in cohort.indicators)
    return [INDICATORS[key] for key in keys]


def _figure_header(indicator: Indicator, lang: Language) -> str:
    """亩均税收（元/亩） in Chinese; the figure's name, with its base unit, in English."""
    if lang == "en":
        return indicator.figure
    unit = f"（{indicator.unit_zh}）" if indicator.unit_zh else ""
    return indicator.label_zh + unit


# Results, titles and names.


def _spec(evaluation: Evaluation) -> EvaluationSpec:
    spec = evaluation.profile.evaluation
    if spec is None:
        raise ValueError(f"{evaluation.profile.id} defines no comprehensive evaluation")
    return spec


def _members(evaluation: Evaluation, cohort: Cohort) -> list[dict[str, Any]]:
    """The cohort's results in rank order, equal ranks by credit code."""
    results: pa.Table = evaluation.results
    members = results.filter(pc.equal(results["cohort"], cohort.id))
    ranked = members.sort_by([("rank", "ascending"), ("credit_code", "ascending")])
    rows: list[dict[str, Any]] = ranked.to_pylist()
    return rows


def _cohort_title(cohort: Cohort, lang: Language) -> str:
    return cohort.title_zh if lang == "zh" else cohort.title_en


def _title(evaluation: Evaluation, what: str, lang: Language, cohort_title: str = "") -> str:
    """A sheet's title: the profile's, what the sheet lists (``what``), the cohort if any, and
    the year whose figures were evaluated."""
    heading = _WORDS[lang][what]
    profile, year = evaluation.profile, evaluation.year
    cohort = f" — {cohort_title}" if cohort_title else ""
    if lang == "zh":
        return f"{profile.title_zh}{heading}{cohort}（{year}年度数据）"
    return f"{profile.title_en}: {heading}{cohort} ({year} figures)"


def _short_titles(titles: Sequence[str]) -> list[str]:
    """The titles less the ending all of them share, from a word on (规上工业企业 and 规下工业企业
    → 规上 and 规下; Above-scale and Below-scale industrial enterprises → Above-scale and
    Below-scale); the titles themselves where that leaves nothing to tell them apart."""
    if len(titles) < 2:
        return list(titles)
    backwards = zip(*(title[::-1] for title in titles), strict=False)  # up to the shortest
    same = takewhile(lambda chars: len(set(chars)) == 1, backwards)
    ending = "".join(chars[0] for chars in same)[::-1]
    if " " in ending:
        ending = ending[ending.index(" ") :]
    short = [title.removesuffix(ending).strip() for title in titles]
    return short if all(short) else list(titles)


def _sheet_name(text: str) -> str:
    """``text`` cut to the 31 characters a sheet name holds, at a word where it has one."""
    if len(text) <= MAX_SHEET_NAME:
        return text
    head = text[: MAX_SHEET_NAME + 1].rsplit(" ", 1)[0].rstrip()
    return head if 0 < len(head) <= MAX_SHEET_NAME else text[:MAX_SHEET_NAME]


__all__ = [
    "CSV_HEADERS",
    "DETAIL_HEADERS",
    "NOTICE_HEADERS",
    "REASONS",
    "evaluation_headers",
    "evaluation_rows",
    "write_evaluation_csv",
    "write_evaluation_workbook",
]
