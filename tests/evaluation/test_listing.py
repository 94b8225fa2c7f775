"""The evaluation's results as published: the notice workbook, its score details that recompute
every score, the grade distribution, the enterprises not evaluated, the CSV and the display
rows; on the demo city under Huangyan's published benchmarks and Yancheng's relative ones."""

import csv
import dataclasses
import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pyarrow as pa
import pytest

from mujun.analytics.facts import Facts, facts_from_arrow
from mujun.evaluation import listing
from mujun.evaluation.engine import Evaluation, evaluate
from mujun.evaluation.indicators import INDICATORS
from mujun.evaluation.listing import (
    CSV_HEADERS,
    DETAIL_HEADERS,
    NOTICE_HEADERS,
    REASONS,
    evaluation_headers,
    evaluation_rows,
    write_evaluation_csv,
    write_evaluation_workbook,
)
from mujun.interchange.workbooks.lists import inert
from mujun.policy.profiles import load_profile
from tests.planted import planted_city

YEAR = 2025
SHEETS_ZH = ["规上工业企业", "规下工业企业", "规上评分明细", "规下评分明细", "等级分布", "未参评"]
SHEETS_EN = [
    "Above-scale industrial",
    "Below-scale industrial",
    "Above-scale score details",
    "Below-scale score details",
    "Grades",
    "Not evaluated",
]


@pytest.fixture(scope="module")
def facts() -> Iterator[Facts]:
    facts = facts_from_arrow(planted_city(enterprises=300, seed=1), monthly=("electricity_kwh",))
    yield facts
    facts.close()


@pytest.fixture(scope="module")
def evaluation(facts: Facts) -> Evaluation:
    return evaluate(facts=facts, profile=load_profile("huangyan-2022"), year=YEAR)


@pytest.fixture(scope="module")
def workbook(evaluation: Evaluation, tmp_path_factory: pytest.TempPathFactory) -> Any:
    path = tmp_path_factory.mktemp("evaluation") / "evaluation.xlsx"
    write_evaluation_workbook(path, evaluation)
    return openpyxl.load_workbook(path)


def _results(evaluation: Evaluation, cohort: str) -> list[dict[str, Any]]:
    rows = [row for row in evaluation.results.to_pylist() if row["cohort"] == cohort]
    return sorted(rows, key=lambda row: (row["rank"], row["credit_code"]))


def _listed(sheet: Any) -> list[tuple[Any, ...]]:
    """The rows below the title and header, up to the first empty one (a note may follow)."""
    rows = []
    for row in sheet.iter_rows(min_row=3, values_only=True):
        if row[0] is None:
            break
        rows.append(row)
    return rows


def _blocks(sheet: Any) -> dict[str, list[tuple[Any, ...]]]:
    """The score details' rows by credit code."""
    blocks: dict[str, list[tuple[Any, ...]]] = {}
    for row in _listed(sheet):
        blocks.setdefault(row[2], []).append(row)
    return blocks


def test_sheets_in_order(workbook: Any) -> None:
    assert workbook.sheetnames == SHEETS_ZH


def test_every_sheet_prints_as_a_filed_list(workbook: Any) -> None:
    for sheet in workbook:
        assert sheet.page_setup.orientation == "landscape"
        assert int(sheet.page_setup.paperSize) == 9
        assert sheet.page_setup.fitToHeight == 0
        assert sheet.freeze_panes == "A3"
        assert sheet.print_title_rows == "$1:$2"
        assert sheet.oddFooter.center.text
        assert sheet.auto_filter.ref.startswith("A2:")


def test_a_notice_per_cohort(workbook: Any, evaluation: Evaluation) -> None:
    for cohort, name in zip(("above_scale", "below_scale"), SHEETS_ZH[:2], strict=True):
        sheet = workbook[name]
        assert sheet["A1"].value == (
            f"黄岩区工业企业亩均效益综合评价（2022年度）结果 — {name}（{YEAR}年度数据）"
        )
        assert [str(merged) for merged in sheet.merged_cells.ranges] == ["A1:E1"]
        assert [cell.value for cell in sheet[2]] == list(NOTICE_HEADERS["zh"])
        rows = _listed(sheet)
        results = _results(evaluation, cohort)
        assert [row[0] for row in rows] == list(range(1, len(results) + 1))
        assert [row[2] for row in rows] == [result["credit_code"] for result in results]
        assert [row[3] for row in rows] == [round(result["score"], 2) for result in results]
        assert [row[4] for row in rows] == [result["grade"] for result in results]
        scores = [row[3] for row in rows]
        assert scores == sorted(scores, reverse=True)
        assert sheet["D3"].number_format == "#,##0.00"


def test_details_recompute_every_score(workbook: Any, evaluation: Evaluation) -> None:
    sheet = workbook["规上评分明细"]
    assert [cell.value for cell in sheet[2]] == list(DETAIL_HEADERS["zh"])
    blocks = _blocks(sheet)
    results = _results(evaluation, "above_scale")
    assert list(blocks) == [result["credit_code"] for result in results]
    checked = 0
    for result in results:
        *scored, deduction, total = blocks[result["credit_code"]]
        assert len(scored) == len(json.loads(result["points"]))
        assert [deduction[3], total[3]] == ["出租扣分", "综合得分"]
        assert sum(row[8] for row in scored) + deduction[8] == pytest.approx(total[8])
        assert total[8] == pytest.approx(result["score"])
        assert deduction[8] == pytest.approx(-result["deduction_points"])
        for row in scored:
            if row[5] != "（平均分）":
                value, benchmark, weight, points = row[5:9]
                assert weight * max(value, 0) / benchmark == pytest.approx(points)
                checked += 1
    assert checked > len(results)


def test_details_are_in_the_notices_units(workbook: Any, evaluation: Evaluation) -> None:
    first = _results(evaluation, "above_scale")[0]
    rows = {row[3]: row for row in _blocks(workbook["规上评分明细"])[first["credit_code"]]}
    tax = rows["亩均税收"]
    assert tax[4] == "万元/亩"
    assert tax[5] == pytest.approx(json.loads(first["indicators"])["tax_per_mu_yuan"] / 10_000)
    assert tax[6] == pytest.approx(24.097)
    assert tax[7] == 30
    assert rows["单位能耗增加值"][4] == "万元/吨标煤"
    assert rows["单位能耗增加值"][6] == pytest.approx(2.694)
    assert rows["R&D经费占营业收入比"][4] == ""
    assert rows["R&D经费占营业收入比"][6] == pytest.approx(0.0302)
    below = _listed(workbook["规下评分明细"])
    assert {row[4] for row in below if row[3] == "单位电耗税收"} == {"元/千瓦时"}
    assert workbook["规上评分明细"]["F3"].number_format == "#,##0.0000"


def test_imputed_points_are_marked(workbook: Any, evaluation: Evaluation) -> None:
    imputed = [
        (row["cohort"], row["credit_code"], key)
        for row in evaluation.results.to_pylist()
        for key, detail in json.loads(row["points"]).items()
        if detail["imputed"]
    ]
    marked = [
        (cohort, row[2], row[3])
        for cohort, name in (("above_scale", "规上评分明细"), ("below_scale", "规下评分明细"))
        for row in _listed(workbook[name])
        if row[5] == "（平均分）"
    ]
    assert imputed  # the demo has enterprises without emission or electricity figures
    labels = {key: indicator.label_zh for key, indicator in INDICATORS.items()}
    assert sorted(marked) == sorted((c, code, labels[key]) for c, code, key in imputed)
    note = [row[0] for row in workbook["规上评分明细"].iter_rows(values_only=True) if row[0]][-1]
    assert note.startswith("注：得分 = 权重 × 指标值 ÷ 基准值")


def test_grade_distribution(workbook: Any, evaluation: Evaluation) -> None:
    rows = _listed(workbook["等级分布"])
    results = evaluation.results.to_pylist()
    counts = Counter((row["cohort"], row["grade"]) for row in results)
    sizes = Counter(row["cohort"] for row in results)
    titles = {"规上工业企业": "above_scale", "规下工业企业": "below_scale"}
    assert [(row[0], row[1]) for row in rows] == [
        (title, grade) for title in titles for grade in "ABCD"
    ]
    spec = evaluation.profile.evaluation
    assert spec is not None
    for title, grade, count, share, share_set, policy in rows:
        cohort = titles[title]
        assert count == counts[cohort, grade]
        assert share == pytest.approx(count / sizes[cohort])
        assert share_set == evaluation.parameters[f"{cohort}.share.{grade}"]
        assert policy == spec.policies[grade].zh
    assert workbook["等级分布"]["D3"].number_format == "0.0%"


def test_enterprises_not_evaluated(workbook: Any, evaluation: Evaluation) -> None:
    rows = _listed(workbook["未参评"])
    excluded = {row["credit_code"]: row["reason"] for row in evaluation.excluded.to_pylist()}
    assert [row[0] for row in rows] == list(range(1, len(excluded) + 1))
    assert {row[2]: row[3] for row in rows} == {
        code: REASONS[reason]["zh"] for code, reason in excluded.items()
    }
    order = list(REASONS)
    reasons = [order.index(excluded[row[2]]) for row in rows]
    assert reasons == sorted(reasons)
    assert {"已注销", "无用地", "当年无数据", "新供地未满年限"} <= {row[3] for row in rows}


def test_workbook_in_english(evaluation: Evaluation, tmp_path: Path) -> None:
    path = tmp_path / "evaluation.xlsx"
    write_evaluation_workbook(path, evaluation, "en")
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == SHEETS_EN
    notice = book["Above-scale industrial"]
    assert notice["A1"].value.endswith(
        f"results — Above-scale industrial enterprises ({YEAR} figures)"
    )
    assert [cell.value for cell in notice[2]] == list(NOTICE_HEADERS["en"])
    assert [cell.value for cell in book["Below-scale score details"][2]] == list(
        DETAIL_HEADERS["en"]
    )
    assert {row[4] for row in _listed(book["Above-scale score details"])} >= {"10k yuan/mu"}
    assert {row[3] for row in _listed(book["Not evaluated"])} <= {
        reason["en"] for reason in REASONS.values()
    }


def test_a_sheet_too_long_is_refused_before_writing(
    evaluation: Evaluation, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(listing, "MAX_LISTED", 1000)  # the 规下 details take 290 × 4 rows
    path = tmp_path / "evaluation.xlsx"
    with pytest.raises(ValueError, match="规下评分明细"):
        write_evaluation_workbook(path, evaluation)
    assert not path.exists()


def test_csv(evaluation: Evaluation, tmp_path: Path) -> None:
    path = tmp_path / "evaluation.csv"
    write_evaluation_csv(path, evaluation)
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        header, *rows = list(csv.reader(handle))
    assert header[:7] == list(CSV_HEADERS["zh"])
    assert header[7:] == [
        "亩均税收（元/亩）",
        "亩均增加值（元/亩）",
        "单位能耗增加值（元/吨标煤）",
        "单位排放增加值（元/吨）",
        "全员劳动生产率（元/人）",
        "R&D经费占营业收入比",
        "单位电耗税收（元/千瓦时）",
    ]
    assert len(rows) == evaluation.results.num_rows
    assert [row[0] for row in rows] == [str(n) for n in range(1, len(rows) + 1)]
    ranked = _results(evaluation, "above_scale") + _results(evaluation, "below_scale")
    assert [row[3] for row in rows] == [result["credit_code"] for result in ranked]
    first, last = rows[0], rows[-1]
    assert first[1:3] == ["above_scale", "1"]
    assert first[5] == f"{ranked[0]['score']:.2f}"
    tax = json.loads(ranked[0]["indicators"])["tax_per_mu_yuan"]
    assert float(first[7]) == pytest.approx(tax)
    assert first[13] == ""  # no tax per kWh for an above-scale enterprise
    assert last[1] == "below_scale"
    assert last[8:13] == [""] * 5  # nor value added for a below-scale one

    write_evaluation_csv(path, evaluation, "en")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        english = next(csv.reader(handle))
    assert english[:7] == list(CSV_HEADERS["en"])
    assert english[7] == "tax_per_mu_yuan"


def test_display_rows(evaluation: Evaluation) -> None:
    assert evaluation_headers() == [
        "企业类别",
        "名次",
        "企业名称",
        "统一社会信用代码",
        "综合得分",
        "等级",
    ]
    rows = evaluation_rows(evaluation, limit=3)
    assert [row[0] for row in rows] == ["规上工业企业"] * 3 + ["规下工业企业"] * 3
    top = _results(evaluation, "above_scale")[0]
    assert rows[0][1:] == ["1", top["name"], top["credit_code"], f"{top['score']:.2f}", "A"]
    assert len(evaluation_rows(evaluation)) == evaluation.results.num_rows
    english = evaluation_rows(evaluation, "en", limit=1)
    assert [row[0] for row in english] == [
        "Above-scale industrial enterprises",
        "Below-scale industrial enterprises",
    ]
    assert evaluation_headers("en")[1] == "Rank"


def test_a_relative_benchmark_is_shown_in_base_units(facts: Facts, tmp_path: Path) -> None:
    relative = evaluate(facts=facts, profile=load_profile("yancheng-2021"), year=YEAR)
    path = tmp_path / "relative.xlsx"
    write_evaluation_workbook(path, relative)
    rows = _listed(openpyxl.load_workbook(path)["规上评分明细"])
    tax = [row for row in rows if row[3] == "亩均税收" and row[5] != "（平均分）"]
    assert {row[4] for row in tax} == {"元/亩"}
    assert len({row[6] for row in tax}) == 1  # one benchmark for the cohort
    for row in tax:
        assert row[7] * max(row[5], 0) / row[6] == pytest.approx(row[8])


def test_csv_cells_are_never_formulas_and_negative_numbers_stay_numbers(
    evaluation: Evaluation, tmp_path: Path
) -> None:
    """Issue 10 (9): an enterprise named ``=HYPERLINK(…)`` reaches the CSV as text; a negative
    figure (net tax after refunds) stays a number."""
    results = evaluation.results
    names = pa.array(['=HYPERLINK("http://x")', *results["name"].to_pylist()[1:]])
    indicators = results["indicators"].to_pylist()
    indicators[0] = json.dumps({**json.loads(indicators[0]), "tax_per_mu_yuan": -1234.5})
    crafted = results.set_column(results.schema.get_field_index("name"), "name", names).set_column(
        results.schema.get_field_index("indicators"), "indicators", pa.array(indicators)
    )
    path = tmp_path / "evaluation.csv"
    write_evaluation_csv(path, dataclasses.replace(evaluation, results=crafted))
    with path.open(encoding="utf-8-sig", newline="") as handle:
        _, first, *_ = list(csv.reader(handle))
    assert first[4] == '\'=HYPERLINK("http://x")'
    assert first[7] == "-1234.5"


def test_inert_cells() -> None:
    assert [inert(v) for v in ("=1+1", "+1+A1", "-x", "@A1", "\tx", "\rx", "a=b")] == [
        "'=1+1",
        "'+1+A1",
        "'-x",
        "'@A1",
        "'\tx",
        "'\rx",
        "a=b",
    ]
    assert [inert(v) for v in (-3.5, -3, "-3.50", "+2", None)] == [-3.5, -3, "-3.50", "+2", None]
