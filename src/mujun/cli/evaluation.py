"""The evaluate command: per-mu comprehensive evaluation of a year (亩均效益综合评价)."""

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from mujun.analytics.facts import load_facts
from mujun.cli.context import Settings, assignment, fail, settings, stdout
from mujun.cli.profiles import named_profile
from mujun.cli.render import FormatOption, OutputFormat, print_json, print_table, progress_bar
from mujun.evaluation.engine import Evaluation, EvaluationError, evaluate
from mujun.evaluation.listing import (
    evaluation_headers,
    evaluation_rows,
    write_evaluation_csv,
    write_evaluation_workbook,
)
from mujun.policy.evaluation import GRADES
from mujun.policy.parameters import ParameterError
from mujun.policy.profiles import Profile, ProfileError
from mujun.progress import phase

ELECTRICITY = ("electricity_kwh",)


def register(app: typer.Typer) -> None:
    app.command("evaluate")(evaluate_command)


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
    limit: Annotated[int, typer.Option(help="Enterprises shown per cohort.")] = 20,
    output: FormatOption = OutputFormat.TABLE,
) -> None:
    """Grade enterprises A/B/C/D by the per-mu comprehensive evaluation of a year (综合评价)."""
    s = settings(ctx)
    profile = _evaluation_profile(s, profile_id, what_if or [])
    if out is not None and out.suffix.lower() not in {".xlsx", ".csv"}:
        fail(s.say(f"--out 须为 .xlsx 或 .csv：{out}", f"--out must end in .xlsx or .csv: {out}"))
    with progress_bar(output is OutputFormat.TABLE) as progress:
        facts = load_facts(s.engine(), monthly=ELECTRICITY, on_progress=phase(progress, 0, 2))
        try:
            result = evaluate(
                facts=facts, profile=profile, year=year, on_progress=phase(progress, 1, 2)
            )
        except (ParameterError, EvaluationError) as error:
            fail(
                s.say(
                    f"{profile.id} 不适用于 {year} 年度：{error}",
                    f"{profile.id} does not apply to {year}: {error}",
                )
            )
        finally:
            facts.close()
    if out is not None:
        if out.suffix.lower() == ".xlsx":
            write_evaluation_workbook(out, result, s.lang)
        else:
            write_evaluation_csv(out, result, s.lang)
    if output is OutputFormat.JSON:
        print_json(_document(result))
        return
    _print(s, result, limit)
    if out is not None:
        stdout.print(s.say(f"结果已写入 {out}", f"Results written to {out}"), markup=False)


def _evaluation_profile(s: Settings, profile_id: str, what_if: list[str]) -> Profile:
    profile = named_profile(s, profile_id)
    try:
        if what_if:
            profile = profile.with_overrides(dict(assignment(s, item) for item in what_if))
    except ProfileError as error:
        fail(str(error))
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
            + ", ".join(f"{reason} {count}" for reason, count in sorted(reasons.items())),
            markup=False,
        )


def _document(result: Evaluation) -> dict[str, Any]:
    return {
        "profile": result.profile.id,
        "year": result.year,
        "profile_version": result.profile.version,
        "fingerprint": result.fingerprint,
        "parameters": dict(result.parameters),
        "overrides": dict(result.profile.overrides),
        "results": [
            {
                "credit_code": r["credit_code"],
                "score": r["score"],
                "grade": r["grade"],
                "rank": r["rank"],
                "indicators": json.loads(r["indicators"]),
                "cohort": r["cohort"],
                "name": r["name"],
                "points": json.loads(r["points"]),
                "deduction_points": r["deduction_points"],
                "land_mu": r["land_mu"],
            }
            for r in result.results.to_pylist()
        ],
        "excluded": result.excluded.to_pylist(),
    }
