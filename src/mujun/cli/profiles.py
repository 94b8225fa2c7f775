"""The profiles command: the policy profiles, their rules, evaluations, parameters and
sources (政策配置)."""

import datetime as dt
import os
from pathlib import Path
from typing import Annotated, Any

import typer

from mujun.cli.context import Settings, fail, settings, stdout
from mujun.cli.render import FormatOption, OutputFormat, print_json, print_table
from mujun.evaluation.indicators import INDICATORS
from mujun.identification.engine import rule_parameters
from mujun.policy.evaluation import EvaluationSpec
from mujun.policy.parameters import Parameter, format_value
from mujun.policy.profiles import Category, Profile, all_profiles
from mujun.policy.what_if import (
    RequestedProfileError,
    plausible_as_of,
    plausible_year,
    shipped_profile,
    with_what_if,
)


def register(app: typer.Typer) -> None:
    app.add_typer(profiles_app, name="profiles")


profiles_app = typer.Typer(
    help="The policy profiles: their rules, parameters and sources (政策配置).",
    invoke_without_command=True,
    no_args_is_help=False,
)


@profiles_app.callback()
def profiles_command(ctx: typer.Context, output: FormatOption = OutputFormat.TABLE) -> None:
    """List the profiles, their rules and their sources."""
    if ctx.invoked_subcommand is not None:
        return
    s = settings(ctx)
    profiles = all_profiles()
    if output is OutputFormat.JSON:
        print_json({"profiles": [_profile_document(p) for p in profiles]})
        return
    for profile in profiles:
        extends = s.say(f"（继承 {profile.extends}）", f" (extends {profile.extends})")
        print_table(
            f"{profile.id} v{profile.version}  {_title(s, profile)}"
            + (extends if profile.extends else "")
            + "\n"
            + s.say(f"文件：{profile.document}", f"Document: {profile.document}"),
            [s.say("规则", "rule"), s.say("类别", "category"), s.say("内容", "rule text")],
            [
                (rule.id, category_label(s, rule.category), s.say(rule.title_zh, rule.title_en))
                for rule in sorted(profile.rules.values(), key=lambda r: r.id)
            ],
        )
        if profile.evaluation is not None:
            stdout.print(_evaluation_line(s, profile.evaluation), markup=False)
    stdout.print(
        s.say(
            "mujun profiles show <配置> 查看参数与条款。",
            "mujun profiles show <profile> for its parameters and clauses.",
        ),
        markup=False,
    )


@profiles_app.command("show")
def profiles_show(
    ctx: typer.Context,
    profile_id: Annotated[str, typer.Argument(help="A profile id, e.g. ankang-2024.")],
    output: FormatOption = OutputFormat.TABLE,
) -> None:
    """Show one profile in full: every rule and every dated parameter with its source."""
    s = settings(ctx)
    profile = named_profile(s, profile_id)
    if output is OutputFormat.JSON:
        print_json(_profile_document(profile))
        return
    stdout.print(f"{profile.id} v{profile.version}  {_title(s, profile)}", markup=False)
    stdout.print(s.say(f"文件：{profile.document}", f"Document: {profile.document}"), markup=False)
    if profile.rules:
        _print_rules(s, profile)
    if profile.evaluation is not None:
        _print_evaluation(s, profile.evaluation)
    print_table(
        s.say("参数", "Parameters"),
        [
            s.say("参数", "parameter"),
            s.say("含义", "meaning"),
            s.say("单位（允许范围）", "unit (allowed range)"),
            s.say("取值（自生效日起）", "values (from the date on)"),
            s.say("依据", "source"),
        ],
        [
            (
                p.name,
                s.say(p.label_zh, p.label_en),
                s.say(p.unit.label_zh, p.unit.value)
                + ("" if p.range is None else f"\n{p.range.text(p.unit, s.lang)}"),
                _values(p),
                p.source + (f"\n{p.note}" if p.note else ""),
            )
            for p in sorted(profile.parameters.values(), key=lambda p: p.name)
        ],
    )


def _evaluation_line(s: Settings, evaluation: EvaluationSpec) -> str:
    cohorts = "、".join(
        s.say(f"{c.title_zh}（{len(c.indicators)} 项指标）", f"{c.title_en} ({len(c.indicators)})")
        for c in evaluation.cohorts
    )
    return s.say(f"综合评价：{cohorts}", f"Comprehensive evaluation: {cohorts}")


def _print_evaluation(s: Settings, evaluation: EvaluationSpec) -> None:
    print_table(
        s.say("综合评价", "Comprehensive evaluation"),
        [s.say("类别", "cohort"), s.say("指标", "indicator"), s.say("参数", "parameters")],
        [
            (
                s.say(cohort.title_zh, cohort.title_en),
                s.say(INDICATORS[key].label_zh, INDICATORS[key].label_en),
                f"{cohort.parameter(key, 'weight')}\n{cohort.parameter(key, 'benchmark')}",
            )
            for cohort in evaluation.cohorts
            for key in cohort.indicators
        ],
    )
    if evaluation.policies:
        print_table(
            s.say("差别化政策", "Differential policies"),
            [s.say("等级", "grade"), s.say("政策", "policy")],
            [(grade, s.say(p.zh, p.en)) for grade, p in evaluation.policies.items()],
        )


def _print_rules(s: Settings, profile: Profile) -> None:
    print_table(
        s.say("规则", "Rules"),
        [
            s.say("规则", "rule"),
            s.say("类别", "category"),
            s.say("对象", "subjects"),
            s.say("内容", "rule text"),
            s.say("依据", "source"),
        ],
        [
            (
                rule.id,
                category_label(s, rule.category),
                "、".join(s.say(t.label_zh, t.value) for t in rule.subjects),
                s.say(rule.title_zh, rule.title_en) + (f"\n{rule.note}" if rule.note else ""),
                rule.source,
            )
            for rule in sorted(profile.rules.values(), key=lambda r: r.id)
        ],
    )


def _title(s: Settings, profile: Profile) -> str:
    return s.say(profile.title_zh, profile.title_en)


def category_label(s: Settings, category: Category) -> str:
    return str(s.say(category.label_zh, category.value))


def _values(parameter: Parameter) -> str:
    return "\n".join(
        f"{since.isoformat() if since != dt.date.min else '—'}: "
        f"{format_value(parameter.unit, value)}"
        for since, value in parameter.values
    )


def _profile_document(profile: Profile) -> dict[str, Any]:
    return {
        "id": profile.id,
        "version": profile.version,
        "title": profile.title_zh,
        "title_en": profile.title_en,
        "document": profile.document,
        "extends": profile.extends,
        "rules": [
            {
                "id": rule.id,
                "category": rule.category.value,
                "subjects": [t.value for t in rule.subjects],
                "title": rule.title_zh,
                "title_en": rule.title_en,
                "source": rule.source,
                "note": rule.note,
                "parameters": list(rule_parameters(rule.id)),
            }
            for rule in sorted(profile.rules.values(), key=lambda r: r.id)
        ],
        "evaluation": None
        if profile.evaluation is None
        else {
            "cohorts": [
                {
                    "id": c.id,
                    "title": c.title_zh,
                    "above_scale": c.above_scale,
                    "indicators": list(c.indicators),
                }
                for c in profile.evaluation.cohorts
            ],
            "policies": {g: p.zh for g, p in profile.evaluation.policies.items()},
        },
        "parameters": [
            {
                "name": p.name,
                "label": p.label_zh,
                "label_en": p.label_en,
                "unit": p.unit.value,
                "range": None
                if p.range is None
                else [
                    None if bound is None else format_value(p.unit, bound)
                    for bound in (p.range.low, p.range.high)
                ],
                "source": p.source,
                "note": p.note,
                "values": {since.isoformat(): format_value(p.unit, v) for since, v in p.values},
            }
            for p in sorted(profile.parameters.values(), key=lambda p: p.name)
        ],
    }


def named_profile(s: Settings, profile_id: str) -> Profile:
    """The shipped profile ``profile_id``, or fail naming the ones there are."""
    try:
        return shipped_profile(profile_id)
    except RequestedProfileError as error:
        fail(s.say(error.zh, error.en))


def what_if_profile(s: Settings, profile: Profile, what_if: list[str]) -> Profile:
    """``profile`` with the ``--set NAME=VALUE`` parameters of one run, or fail."""
    try:
        return with_what_if(profile, what_if)
    except RequestedProfileError as error:
        fail(s.say(error.zh, error.en))


def run_date(s: Settings, day: dt.date) -> dt.date:
    """``--as-of``, if a plausible date to run as of, or fail saying the range."""
    try:
        return plausible_as_of(day)
    except RequestedProfileError as error:
        fail(s.say(error.zh, error.en))


def run_year(s: Settings, year: int) -> int:
    """``--year``, if a plausible year to evaluate, or fail saying the range."""
    try:
        return plausible_year(year)
    except RequestedProfileError as error:
        fail(s.say(error.zh, error.en))


def list_file(s: Settings, out: Path | None) -> Path | None:
    """``--out``: an .xlsx or .csv file that can be written, or fail before any work is done
    (so that a list which cannot be written leaves no run kept)."""
    if out is None:
        return None
    if out.suffix.lower() not in {".xlsx", ".csv"}:
        fail(s.say(f"--out 须为 .xlsx 或 .csv：{out}", f"--out must end in .xlsx or .csv: {out}"))
    if not _writable(out):
        fail(s.say(f"无法写入 --out 文件：{out}", f"cannot write the --out file: {out}"))
    return out


def _writable(path: Path) -> bool:
    """Whether a file can be written at ``path``: an existing folder one may write in, and no
    folder or read-only file by that name."""
    folder = path.absolute().parent
    if path.is_dir() or not folder.is_dir() or not os.access(folder, os.W_OK):
        return False
    return not path.exists() or os.access(path, os.W_OK)


def list_not_written(s: Settings, out: Path, error: OSError | ValueError) -> str:
    """Why writing the list ``out`` failed (and its run was forgotten), as a command says it."""
    reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
    return s.say(
        f"无法写入 {out}（本次结果未保存）：{reason}",
        f"cannot write {out} (the run was not kept): {reason}",
    )
