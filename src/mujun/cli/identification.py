"""Commands of identification: profiles, identify, runs, diff."""

import json
from pathlib import Path
from typing import Annotated, Any

import pyarrow as pa
import typer

from mujun.cli.context import Settings, fail, parse_date, settings, stdout
from mujun.cli.profiles import (
    category_label,
    list_file,
    list_not_written,
    named_profile,
    run_date,
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
from mujun.identification.engine import Identification
from mujun.identification.runs import (
    RunDifference,
    RunNotFoundError,
    delete_run,
    diff_runs,
    get_run,
    list_runs,
)
from mujun.identification.service import KeptRun, identify_and_keep
from mujun.interchange.problems import Language
from mujun.policy.parameters import ParameterError
from mujun.policy.profiles import Profile
from mujun.records.changes import current_actor


def register(app: typer.Typer) -> None:
    app.command("identify")(identify_command)
    app.command("runs")(runs_command)
    app.command("diff")(diff_command)


# -- identify ---------------------------------------------------------------------------------


def identify_command(
    ctx: typer.Context,
    profile_id: Annotated[str, typer.Option("--profile", help="The profile to apply.")],
    as_of: Annotated[
        str, typer.Option("--as-of", help="The date the data are judged as of (YYYY-MM-DD).")
    ],
    what_if: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            help="What-if: PARAMETER=VALUE for this run only (repeatable), e.g. "
            "tonglu.low.line_yuan_per_mu=50000. The difference from the published profile "
            "is reported.",
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(help="Also write every finding to FILE.xlsx (a bureau's list) or FILE.csv."),
    ] = None,
    limit: Annotated[
        int, typer.Option(min=0, help="Findings shown in the table (all go to --out).")
    ] = 30,
    only: Annotated[
        str | None,
        typer.Option(
            "--only",
            metavar="RULE,…",
            help="Judge only these rules of the profile (comma-separated rule ids); the kept "
            "run records them and is never the run of record.",
        ),
    ] = None,
    output: FormatOption = OutputFormat.TABLE,
) -> None:
    """Run a profile's identification rules on the data as of a date, and keep the run (认定)."""
    s = settings(ctx)
    day = run_date(s, parse_date(s, as_of))
    profile = named_profile(s, profile_id)
    if not profile.rules:
        fail(
            s.say(
                f"{profile_id} 没有认定规则（它是综合评价配置：用 mujun evaluate）",
                f"{profile_id} has no identification rules (it is an evaluation: mujun evaluate)",
            )
        )
    rules = _only_rules(s, profile, only)
    profile = what_if_profile(s, profile, what_if or [])
    out = list_file(s, out)
    try:
        profile.values(day).in_force()
    except ParameterError as error:
        fail(
            s.say(
                f"{profile.id} 在 {day} 尚未施行：{error}",
                f"{profile.id} is not in force on {day}: {error}",
            )
        )
    with (
        progress_bar(output is OutputFormat.TABLE) as progress,
        rendered_ahead(FINDING_FIELDS, raw=("evidence",)) as findings,
    ):
        kept = identify_and_keep(
            engine=s.engine(),
            profile=profile,
            as_of=day,
            actor=current_actor(),
            only=rules,
            on_progress=progress,
            on_identified=(
                (lambda identification: findings.render(identification.findings))
                if output is OutputFormat.JSON
                else None
            ),
        )
    result = kept.identification
    if out is not None:
        try:
            _write_list(out, result, s.lang)
        except (OSError, ValueError) as error:
            delete_run(s.engine(), kept.run_id)
            fail(list_not_written(s, out, error))
    if output is OutputFormat.JSON:
        print_json(_identification_document(kept), {"findings": findings.rows()})
        return
    _print_identification(s, kept, limit)
    if out is not None:
        stdout.print(s.say(f"清单已写入 {out}", f"List written to {out}"), markup=False)


def _only_rules(s: Settings, profile: Profile, only: str | None) -> list[str] | None:
    """The rule ids ``--only`` names, each a rule of ``profile``; None without ``--only``."""
    if only is None:
        return None
    rules = sorted({r.strip() for r in only.split(",") if r.strip()})
    unknown = [r for r in rules if r not in profile.rules]
    if unknown or not rules:
        known = ", ".join(sorted(profile.rules))
        fail(
            s.say(
                f"{profile.id} 没有规则 {', '.join(unknown) or '（空）'}（它的规则：{known}）",
                f"{profile.id} has no rule {', '.join(unknown) or '(none given)'} "
                f"(its rules: {known})",
            )
        )
    return rules


def _write_list(out: Path, result: Identification, lang: Language) -> None:
    """The findings as a bureau's list, a workbook or CSV by ``out``'s suffix."""
    from mujun.identification.listing import (  # noqa: PLC0415 (see _print_identification)
        write_findings_csv,
        write_findings_workbook,
    )

    if out.suffix.lower() == ".xlsx":
        write_findings_workbook(
            out,
            profile=result.profile,
            as_of=result.as_of,
            findings=result.findings,
            unjudged_summary=result.unjudged_summary(),
            lang=lang,
        )
    else:
        write_findings_csv(out, result.findings, lang)


def _print_identification(s: Settings, kept: KeptRun, limit: int) -> None:
    # The lists and the evidence labels import the workbook writer (openpyxl); imported here,
    # they cost nothing to a program reading --format json.
    from mujun.identification.evidence import evidence_label  # noqa: PLC0415
    from mujun.identification.listing import findings_headers, findings_rows  # noqa: PLC0415

    result = kept.identification
    profile = result.profile
    tallies = result.tallies()
    print_table(
        s.say(
            f"{profile.id} 认定结果（截至 {result.as_of}，运行 #{kept.run_id}）",
            f"{profile.id} findings as of {result.as_of} (run #{kept.run_id})",
        ),
        [
            s.say("规则", "rule"),
            s.say("类别", "category"),
            s.say("认定", "found"),
            s.say("其中重点", "key"),
            s.say("无法判定", "not judged"),
            s.say("缺少的数据", "missing figures"),
        ],
        [
            (
                rule.id,
                category_label(s, rule.category),
                tallies[rule.id].found,
                tallies[rule.id].key,
                tallies[rule.id].unjudged,
                "、".join(evidence_label(name, s.lang) for name in tallies[rule.id].missing),
            )
            for rule in sorted(profile.rules.values(), key=lambda r: r.id)
        ],
    )
    rows = findings_rows(result.findings, profile, s.lang, limit=limit)
    if rows:
        print_table(
            s.say(
                f"认定清单（前 {len(rows)} 条，共 {result.findings.num_rows} 条）",
                f"Findings (first {len(rows)} of {result.findings.num_rows})",
            ),
            findings_headers(s.lang),
            rows,
        )
    else:
        stdout.print(s.say("没有认定结果。", "Nothing found."), markup=False)
    if profile.overrides:
        stdout.print(
            s.say("假设参数：", "What-if parameters: ")
            + ", ".join(f"{k}={v}" for k, v in profile.overrides.items()),
            markup=False,
        )
    if kept.difference is not None:
        _print_counts(s, kept.difference)


FINDING_FIELDS = (
    "subject_type",
    "subject_id",
    "category",
    "criterion",
    "key",
    "evidence",
    "source",
    "subject_name",
    "area_m2",
    "county_code",
)
"""The fields of each finding in ``identify --format json``, in their order."""


def _identification_document(kept: KeptRun) -> dict[str, Any]:
    """The run's document but for its findings, which follow it in ``identify --format json``
    (:data:`FINDING_FIELDS`, each finding's evidence as the run wrote it)."""
    result = kept.identification
    document: dict[str, Any] = {
        "profile": result.profile.id,
        "as_of": result.as_of.isoformat(),
        "run": kept.run_id,
        "profile_version": result.profile.version,
        "fingerprint": result.fingerprint,
        "parameters": dict(result.parameters),
        "overrides": dict(result.profile.overrides),
        "rules": sorted(result.profile.rules),
        "unjudged": result.unjudged_summary(),
    }
    if kept.difference is not None:
        document["difference"] = _difference_document(kept.difference)
    return document


def _findings_document(findings: pa.Table) -> list[dict[str, Any]]:
    return [
        {
            "subject_type": f["subject_type"],
            "subject_id": f["subject_id"],
            "category": f["category"],
            "criterion": f["criterion"],
            "key": f["key"],
            "evidence": json.loads(f["evidence"]),
            "source": f["source"],
            "subject_name": f["subject_name"],
            "area_m2": f["area_m2"],
            "county_code": f["county_code"],
        }
        for f in findings.to_pylist()
    ]


# -- runs and diff ----------------------------------------------------------------------------


def runs_command(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option(min=0, help="How many of the latest runs.")] = 50,
    delete: Annotated[
        int | None, typer.Option(help="Delete this run and its findings first.")
    ] = None,
    output: FormatOption = OutputFormat.TABLE,
) -> None:
    """List the kept identification runs, the latest first (认定批次)."""
    s = settings(ctx)
    if delete is not None:
        try:
            delete_run(s.engine(), delete)
        except RunNotFoundError as error:
            fail(s.say(f"没有认定批次 {error.run_id}", str(error)))
    runs = list_runs(s.engine(), limit=limit)
    documents: list[dict[str, Any]] = [
        {
            "run": r.id,
            "profile": r.profile,
            "profile_version": r.profile_version,
            "as_of": r.as_of.isoformat(),
            "overrides": r.overrides,
            "findings": r.finding_count,
            "fingerprint": r.fingerprint,
            "finished_at": r.finished_at.isoformat(),
            "actor": r.actor,
            "unjudged": r.unjudged,
            "rules": r.rules,
        }
        for r in runs
    ]
    if output is OutputFormat.JSON:
        print_json({"runs": documents})
        return
    if not runs:
        stdout.print(
            s.say(
                "还没有认定批次：先运行 mujun identify。", "No runs yet: run mujun identify first."
            ),
            markup=False,
        )
        return
    print_table(
        s.say("认定批次", "Identification runs"),
        [
            s.say("批次", "run"),
            s.say("配置", "profile"),
            s.say("截至", "as of"),
            s.say("假设参数", "what-if"),
            s.say("认定数", "findings"),
            s.say("数据指纹", "data fingerprint"),
            s.say("完成时间", "finished"),
            s.say("操作人", "by"),
        ],
        [
            (
                d["run"],
                f"{d['profile']} v{d['profile_version']}",
                d["as_of"],
                ", ".join(
                    [f"{k}={v}" for k, v in d["overrides"].items()]
                    + ([f"--only {','.join(d['rules'])}"] if d["rules"] else [])
                ),
                d["findings"],
                d["fingerprint"][:12],
                d["finished_at"][:19],
                d["actor"],
            )
            for d in documents
        ],
    )


def diff_command(
    ctx: typer.Context,
    run_a: Annotated[int, typer.Argument(help="The earlier (or published) run.")],
    run_b: Annotated[int, typer.Argument(help="The later (or what-if) run.")],
    limit: Annotated[int, typer.Option(min=0, help="Rows shown per kind of change.")] = 50,
    output: FormatOption = OutputFormat.TABLE,
) -> None:
    """Compare two runs: findings added, dropped and changed (比对)."""
    from mujun.identification.evidence import format_evidence  # noqa: PLC0415

    s = settings(ctx)
    engine = s.engine()
    try:
        runs = get_run(engine, run_a), get_run(engine, run_b)
    except RunNotFoundError as error:
        fail(s.say(f"没有认定批次 {error.run_id}", str(error)))
    difference = diff_runs(engine, run_a, run_b)
    if output is OutputFormat.JSON:
        print_json(_difference_document(difference))
        return
    for run in runs:
        stdout.print(
            f"#{run.id}  {run.profile} v{run.profile_version}  {run.as_of}  "
            + ", ".join(f"{k}={v}" for k, v in run.overrides.items()),
            markup=False,
        )
    _print_counts(s, difference)
    for name, label in (
        ("added", s.say("新增", "Added")),
        ("dropped", s.say("移出", "Dropped")),
        ("changed", s.say("变化", "Changed")),
    ):
        table: pa.Table = getattr(difference, name)
        if table.num_rows:
            print_table(
                f"{label} ({table.num_rows})",
                [
                    s.say("规则", "rule"),
                    s.say("对象", "subject"),
                    s.say("名称", "name"),
                    s.say("重点", "key"),
                    s.say("关键数据", "evidence"),
                ],
                [
                    (
                        r["criterion"],
                        r["subject_id"],
                        r["subject_name"],
                        s.say("是", "yes") if r["key"] else "",
                        format_evidence(json.loads(r["evidence"]), s.lang),
                    )
                    for r in table.slice(0, limit).to_pylist()
                ],
            )


def _print_counts(s: Settings, difference: RunDifference) -> None:
    c = difference.counts()
    stdout.print(
        s.say(
            f"与批次 #{difference.a} 相比：新增 {c['added']}，移出 {c['dropped']}，"
            f"变化 {c['changed']}",
            f"Against run #{difference.a}: {c['added']} added, {c['dropped']} dropped, "
            f"{c['changed']} changed",
        ),
        markup=False,
    )


def _difference_document(difference: RunDifference) -> dict[str, Any]:
    return {
        "a": difference.a,
        "b": difference.b,
        **difference.counts(),
        "added_findings": _findings_document(difference.added),
        "dropped_findings": _findings_document(difference.dropped),
        "changed_findings": [
            {
                **f,
                "key_before": row["key_before"],
                "evidence_before": json.loads(row["evidence_before"]),
            }
            for f, row in zip(
                _findings_document(
                    difference.changed.select(
                        [n for n in difference.changed.column_names if not n.endswith("_before")]
                    )
                ),
                difference.changed.to_pylist(),
                strict=True,
            )
        ],
    }
