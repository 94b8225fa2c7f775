"""The evaluate command: per-mu comprehensive evaluation of a year (亩均效益综合评价)."""

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import pyarrow as pa
import typer
from sqlalchemy.orm import Session

from mujun.analytics.facts import Facts
from mujun.analytics.land import RELATIONS
from mujun.cli.context import Settings, fail, settings, stdout
from mujun.cli.profiles import (
    list_file,
    list_not_written,
    named_profile,
    run_year,
    what_if_profile,
)
from mujun.cli.render import (
    FormatOption,
    OutputFormat,
    print_json,
    print_table,
    progress_bar,
    rendered_ahead,
)
from mujun.evaluation.engine import Evaluation, EvaluationError, evaluate
from mujun.evaluation.indicators import INDICATORS
from mujun.evaluation.listing import (
    REASONS,
    evaluation_headers,
    evaluation_rows,
    reason_in,
    write_evaluation_csv,
    write_evaluation_workbook,
)
from mujun.evaluation.portrait import EnterpriseNotFoundError, Portrait, portrait
from mujun.evaluation.rankings import Grouping, rankings
from mujun.evaluation.runs import delete_evaluation
from mujun.evaluation.service import KeptEvaluation, evaluate_and_keep, load_evaluation_facts
from mujun.policy.evaluation import GRADES
from mujun.policy.parameters import ParameterError
from mujun.policy.profiles import Profile
from mujun.records.changes import current_actor
from mujun.units import m2_to_mu


def register(app: typer.Typer) -> None:
    app.command("evaluate")(evaluate_command)
    app.command("rankings")(rankings_command)
    app.command("enterprise")(enterprise_command)


def evaluate_command(
    ctx: typer.Context,
    profile_id: Annotated[str, typer.Option("--profile", help="The evaluation profile.")],
    year: Annotated[int, typer.Option("--year", help="The year evaluated.")],
    what_if: Annotated[
        list[str] | None,
        typer.Option("--set", help="What-if: PARAMETER=VALUE for this evaluation only."),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(help="Also write the results to FILE.xlsx (as a notice) or FILE.csv."),
    ] = None,
    limit: Annotated[int, typer.Option(min=0, help="Enterprises shown per cohort.")] = 20,
    output: FormatOption = OutputFormat.TABLE,
) -> None:
    """Grade enterprises A/B/C/D by the per-mu comprehensive evaluation of a year, and keep the
    run (综合评价)."""
    s = settings(ctx)
    year = run_year(s, year)
    profile = _evaluation_profile(s, profile_id, what_if or [])
    out = list_file(s, out)
    with (
        progress_bar(output is OutputFormat.TABLE) as progress,
        _year_applies(s, profile),
        rendered_ahead(RESULT_FIELDS, raw=RAW_FIELDS) as document,
    ):
        kept = evaluate_and_keep(
            engine=s.engine(),
            profile=profile,
            year=year,
            actor=current_actor(),
            on_progress=progress,
            on_evaluated=(
                (lambda evaluation: document.render(evaluation.results))
                if output is OutputFormat.JSON
                else None
            ),
        )
    result = kept.evaluation
    if out is not None:
        write = write_evaluation_workbook if out.suffix.lower() == ".xlsx" else write_evaluation_csv
        try:
            write(out, result, s.lang)
        except (OSError, ValueError) as error:
            delete_evaluation(s.engine(), kept.run_id)
            fail(list_not_written(s, out, error))
    if output is OutputFormat.JSON:
        _print_document(kept, document.rows())
        return
    _print(s, result, limit)
    stdout.print(
        s.say(f"本次评价已保存为评价批次 #{kept.run_id}", f"Kept as evaluation run #{kept.run_id}"),
        markup=False,
    )
    if out is not None:
        stdout.print(s.say(f"结果已写入 {out}", f"Results written to {out}"), markup=False)


@contextmanager
def evaluation_facts(s: Settings, profile: Profile, output: OutputFormat) -> Iterator[Facts]:
    """The records with the electricity the evaluation reads, closed afterwards; a year the
    profile does not cover ends the command."""
    with progress_bar(output is OutputFormat.TABLE) as progress, _year_applies(s, profile):
        facts = load_evaluation_facts(s.engine(), progress)
        try:
            yield facts
        finally:
            facts.close()


@contextmanager
def _year_applies(s: Settings, profile: Profile) -> Iterator[None]:
    """End the command in one line if the profile does not cover the year evaluated."""
    try:
        yield
    except (ParameterError, EvaluationError) as error:
        fail(
            s.say(
                f"{profile.id} 不适用于所选年度：{error}",
                f"{profile.id} does not apply to the year: {error}",
            )
        )


def _evaluation_profile(s: Settings, profile_id: str, what_if: list[str]) -> Profile:
    profile = what_if_profile(s, named_profile(s, profile_id), what_if)
    if profile.evaluation is None:
        fail(
            s.say(
                f"{profile_id} 没有综合评价（有评价的配置：见 mujun profiles）",
                f"{profile_id} defines no comprehensive evaluation (see mujun profiles)",
            )
        )
    return profile


def _print(s: Settings, result: Evaluation, limit: int) -> None:
    spec = result.profile.evaluation
    assert spec is not None
    distribution = []
    for cohort in spec.cohorts:
        grades = [r["grade"] for r in result.results.to_pylist() if r["cohort"] == cohort.id]
        distribution.append(
            (
                s.say(cohort.title_zh, cohort.title_en),
                len(grades),
                *(grades.count(g) for g in GRADES),
            )
        )
    print_table(
        s.say(
            f"{result.profile.id} {result.year}年度综合评价：等级分布",
            f"{result.profile.id} evaluation of {result.year}: grades",
        ),
        [s.say("类别", "cohort"), s.say("参评", "evaluated"), *GRADES],
        distribution,
    )
    print_table(
        s.say(f"评价结果（每类前 {limit} 名）", f"Results (first {limit} of each cohort)"),
        evaluation_headers(s.lang),
        evaluation_rows(result, s.lang, limit=limit),
    )
    if result.excluded.num_rows:
        reasons: dict[str, int] = {}
        for reason in result.excluded["reason"].to_pylist():
            reasons[reason] = reasons.get(reason, 0) + 1
        stdout.print(
            s.say("未参评：", "Not evaluated: ")
            + s.say("，", ", ").join(
                f"{reason_in(reason, s.lang)} {count}"
                for reason, count in sorted(
                    reasons.items(), key=lambda r: list(REASONS).index(r[0])
                )
            ),
            markup=False,
        )


RESULT_FIELDS = (
    "credit_code",
    "score",
    "grade",
    "rank",
    "indicators",
    "cohort",
    "name",
    "points",
    "deduction_points",
    "land_mu",
)
"""The fields of each result in ``evaluate --format json``, in their order."""
RAW_FIELDS = ("indicators", "points")
"""The fields of :data:`RESULT_FIELDS` that hold JSON already."""


def _print_document(kept: KeptEvaluation, results: pa.Table) -> None:
    """The run as one JSON document, its ``results`` rendered already (:data:`RESULT_FIELDS`),
    each result's indicators and points as the run wrote them."""
    result = kept.evaluation
    document = {
        "profile": result.profile.id,
        "year": result.year,
        "profile_version": result.profile.version,
        "fingerprint": result.fingerprint,
        "parameters": dict(result.parameters),
        "overrides": dict(result.profile.overrides),
        "excluded": result.excluded.to_pylist(),
        "run": kept.run_id,
    }
    print_json(document, {"results": results})


def rankings_command(
    ctx: typer.Context,
    profile_id: Annotated[str, typer.Option("--profile", help="The evaluation profile.")],
    year: Annotated[int, typer.Option("--year", help="The year ranked (against the year before).")],
    by: Annotated[Grouping, typer.Option(help="Rank counties, parks or industries.")] = "county",
    limit: Annotated[int, typer.Option(min=0, help="Enterprises shown whose grade fell.")] = 20,
    output: FormatOption = OutputFormat.TABLE,
) -> None:
    """Rank counties, parks or industries by per-mu figures, with grades and their change from
    the year before, and list the enterprises whose grade fell (排名与趋势)."""
    s = settings(ctx)
    profile = _evaluation_profile(s, profile_id, [])
    with evaluation_facts(s, profile, output) as facts:
        current, previous = (
            evaluate(facts=facts, profile=profile, year=y) for y in (year, year - 1)
        )
        ranked = rankings(facts=facts, current=current, previous=previous, by=by)
    if output is OutputFormat.JSON:
        print_json(
            {
                "profile": profile.id,
                "year": year,
                "by": by,
                "groups": ranked.groups.to_pylist(),
                "fallen": ranked.fallen.to_pylist(),
            }
        )
        return
    print_table(
        s.say(
            f"{year}年度排名（按{_BY_ZH[by]}，与{year - 1}年度比较）",
            f"{year} ranking by {by}, against {year - 1}",
        ),
        [
            s.say("名次", "No."),
            s.say("单位", "group"),
            s.say("参评企业", "enterprises"),
            s.say("用地(亩)", "land (mu)"),
            s.say("亩均税收(万元)", "tax/mu (10k yuan)"),
            s.say("同比(%)", "change (%)"),
            "A",
            "B",
            "C",
            "D",
            s.say("A类占比变化(百分点)", "A share change (points)"),
        ],
        [
            (
                number,
                " ".join(x for x in (g["group"], g["group_name"]) if x) or "—",
                g["enterprises"],
                f"{g['land_mu']:,.2f}",
                _money(g["tax_per_mu_yuan"], 10_000),
                _signed(g["tax_change_percent"]),
                g["grade_a"],
                g["grade_b"],
                g["grade_c"],
                g["grade_d"],
                _signed(g["share_a_change_points"]),
            )
            for number, g in enumerate(ranked.groups.to_pylist(), start=1)
        ],
    )
    fallen = ranked.fallen
    shown = min(limit, fallen.num_rows)
    print_table(
        s.say(
            f"等级下降的企业（{fallen.num_rows} 家，前 {shown} 家）",
            f"Enterprises whose grade fell ({fallen.num_rows}; first {shown})",
        ),
        [
            s.say("企业名称", "name"),
            s.say("统一社会信用代码", "credit code"),
            s.say("上年等级", "last year"),
            s.say("本年等级", "this year"),
            s.say("上年得分", "last score"),
            s.say("本年得分", "score"),
        ],
        [
            (
                r["name"],
                r["credit_code"],
                r["grade_before"],
                r["grade"],
                f"{r['score_before']:.2f}",
                f"{r['score']:.2f}",
            )
            for r in fallen.slice(0, limit).to_pylist()
        ],
    )


_BY_ZH = {"county": "区县", "park": "园区", "industry": "行业"}


def _money(value: float | None, unit: int) -> str:
    return "—" if value is None else f"{value / unit:,.2f}"


def _signed(value: float | None) -> str:
    return "—" if value is None else f"{value:+.2f}"


def enterprise_command(
    ctx: typer.Context,
    credit_code: Annotated[str, typer.Argument(help="统一社会信用代码")],
    profile_id: Annotated[
        str | None,
        typer.Option(
            "--profile",
            envvar="MUJUN_EVALUATION_PROFILE",
            help="Show the latest published runs of this profile (default: the runs of record).",
        ),
    ] = None,
    year: Annotated[
        int | None,
        typer.Option("--year", help="The year shown (default: the latest evaluated)."),
    ] = None,
    output: FormatOption = OutputFormat.TABLE,
) -> None:
    """An enterprise's portrait from the kept evaluation runs, as the web's enterprise file
    shows it: land, indicators and points, grades over the years, standing in its cohort, park
    and industry, and the policy it faces (企业画像)."""
    s = settings(ctx)
    if profile_id is not None:
        _evaluation_profile(s, profile_id, [])
    with Session(s.engine()) as session:
        try:
            found = portrait(
                session=session, credit_code=credit_code, year=year, profile=profile_id
            )
        except EnterpriseNotFoundError:
            fail(s.say(f"没有企业 {credit_code}", f"No enterprise {credit_code}"))
    if output is OutputFormat.JSON:
        print_json(dataclasses.asdict(found))
        return
    _print_portrait(s, found)


def _print_portrait(s: Settings, p: Portrait) -> None:
    e = p.enterprise
    scale = s.say("规上", "above scale") if e["above_scale"] else s.say("规下", "below scale")
    land = "—" if e["land_mu"] is None else f"{e['land_mu']:,.2f}"
    stdout.print(
        f"{e['name']}  {e['credit_code']}  {e['industry_code'] or ''}  {scale}  "
        f"{e['jurisdiction_code'] or ''} {e['park_code'] or ''}  "
        + s.say(f"用地 {land} 亩", f"land {land} mu"),
        markup=False,
    )
    print_table(
        s.say("用地", "Land"),
        [
            s.say("宗地号", "parcel"),
            s.say("关系", "relation"),
            s.say("宗地面积(亩)", "parcel area (mu)"),
        ],
        [
            (
                r["parcel_id"],
                s.say("、", ", ").join(
                    s.say(*RELATIONS.get(relation, (relation, relation)))
                    for relation in r["relations"]
                ),
                f"{m2_to_mu(r['area_m2']):,.2f}",
            )
            for r in p.land
        ],
    )
    if p.run is None:
        stdout.print(
            s.say(
                "没有保存的评价批次（先运行 mujun evaluate）",
                "No kept evaluation run (run mujun evaluate first)",
            ),
            markup=False,
        )
    elif p.result is None:
        reason = p.excluded_reason
        stdout.print(
            s.say(
                f"{p.year}年度未参评（批次 #{p.run}）："
                + (reason_in(reason, "zh") if reason else "不在评价范围"),
                f"Not evaluated in {p.year} (run #{p.run}): "
                + (reason_in(reason, "en") if reason else "not in the evaluation"),
            ),
            markup=False,
        )
    else:
        r = p.result
        average = s.say("（平均分）", " (average)")
        print_table(
            s.say(f"{p.year}年度评分（批次 #{p.run}）", f"Score of {p.year} (run #{p.run})"),
            [
                s.say("指标", "indicator"),
                s.say("指标值", "value"),
                s.say("基准值", "benchmark"),
                s.say("权重", "weight"),
                s.say("得分", "points"),
            ],
            [
                (
                    s.say(INDICATORS[key].label_zh, INDICATORS[key].label_en)
                    if key in INDICATORS
                    else key,
                    "—" if d.get("value") is None else f"{d['value']:,.4f}",
                    "—" if d.get("benchmark") is None else f"{d['benchmark']:,.4f}",
                    "—" if d.get("weight") is None else f"{d['weight']:g}",
                    ("—" if d.get("points") is None else f"{d['points']:.2f}")
                    + (average if d.get("imputed") else ""),
                )
                for key, d in r["points"].items()
            ],
        )
        percentile = "—" if p.percentile is None else f"{p.percentile:.1f}%"
        rank = f"{r['rank']}/{r['cohort_size']}"
        stdout.print(
            s.say(
                f"综合得分 {r['score']:.2f}，等级 {r['grade']}，名次 {rank}，"
                f"高于同类 {percentile} 的企业",
                f"Score {r['score']:.2f}, grade {r['grade']}, rank {rank},"
                f" above {percentile} of its cohort",
            ),
            markup=False,
        )
    own = None if p.result is None else p.result["indicators"].get("tax_per_mu_yuan")
    print_table(
        s.say("亩均税收对比（万元/亩）", "Tax per mu compared (10k yuan)"),
        [s.say("对象", "of"), s.say("亩均税收", "tax per mu")],
        [
            (s.say("本企业", "this enterprise"), _money(own, 10_000)),
            *(
                (
                    f"{label} {standing.group}（{standing.enterprises}）",
                    _money(standing.tax_per_mu_yuan, 10_000),
                )
                for label, standing in (
                    (s.say("园区", "park"), p.park),
                    (s.say("行业", "industry"), p.industry),
                )
                if standing is not None
            ),
        ],
    )
    print_table(
        s.say("历年等级", "Grades over the years"),
        [
            s.say("年度", "year"),
            s.say("等级", "grade"),
            s.say("得分", "score"),
            s.say("名次", "rank"),
            s.say("批次", "run"),
        ],
        [
            (
                h["year"],
                h["grade"],
                f"{h['score']:.2f}",
                f"{h['rank']}/{h['cohort_size']}",
                f"#{h['run']}",
            )
            for h in p.history
        ],
    )
    if p.policy is not None:
        stdout.print(s.say(f"差别化政策：{p.policy.zh}", f"Policy: {p.policy.en}"), markup=False)
