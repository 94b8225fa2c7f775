"""``mujun monitor`` (interface.md §3) and ``mujun warnings``: judge a month and keep its
warnings; list them and receive (签收), report on (处置反馈) and close (办结) them, through the
same service functions the web application calls (:mod:`mujun.monitoring`)."""

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.orm import Session

from mujun.cli.context import Settings, fail, parse_date, settings, stdout
from mujun.cli.profiles import named_profile, run_date
from mujun.cli.render import FormatOption, OutputFormat, print_json, print_table, progress_bar
from mujun.disposal.periods import CalendarError
from mujun.monitoring.bulletin import (
    BulletinError,
    bulletin,
    write_bulletin_document,
    write_bulletin_workbook,
)
from mujun.monitoring.engine import check_profile
from mujun.monitoring.inbox import WarningFilters, list_warnings
from mujun.monitoring.months import MonthError, last_day, parse_month
from mujun.monitoring.runs import run_document
from mujun.monitoring.service import monitor_and_keep
from mujun.monitoring.signals import SIGNALS, Level
from mujun.monitoring.warnings import (
    WarningRefusedError,
    WarningState,
    close,
    receive,
    report,
)
from mujun.policy.parameters import ParameterError
from mujun.policy.profiles import ProfileError
from mujun.records.changes import current_actor

warnings_app = typer.Typer(
    name="warnings",
    help="Early warnings (预警): list, receive (签收), report (处置反馈), close (办结); the "
    "month's bulletin (预警通报).",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.command("monitor")(monitor_command)
    app.add_typer(warnings_app)


def monitor_command(
    ctx: typer.Context,
    profile_id: Annotated[str, typer.Option("--profile", help="The profile whose signals apply.")],
    month: Annotated[str, typer.Option("--month", help="The month judged (YYYY-MM).")],
    on: Annotated[
        str | None,
        typer.Option("--on", help="The day the warnings are issued (YYYY-MM-DD; default today)."),
    ] = None,
    output: FormatOption = OutputFormat.TABLE,
) -> None:
    """Judge every subject for a month and keep the warnings (月度监测预警)."""
    s = settings(ctx)
    try:
        month = parse_month(month)
    except MonthError:
        fail(s.say(f"月份应为 YYYY-MM：{month}", f"Not a month (YYYY-MM): {month}"))
    run_date(s, last_day(month))
    issued_on = parse_date(s, on) if on else dt.date.today()
    profile = named_profile(s, profile_id)
    try:
        check_profile(profile)
        profile.values(last_day(month)).in_force()
    except (ProfileError, ParameterError) as error:
        fail(
            s.say(
                f"{profile.id} 不能用于 {month} 的监测：{error}",
                f"{profile.id} cannot monitor {month}: {error}",
            )
        )
    engine = s.engine()
    with progress_bar(output is OutputFormat.TABLE) as progress:
        kept = monitor_and_keep(
            engine=engine,
            profile=profile,
            month=month,
            issued_on=issued_on,
            actor=current_actor(),
            on_progress=progress,
        )
    with Session(engine) as db:
        document = run_document(db, kept.run_id, lifted=kept.outcome.lifted)
    if output is OutputFormat.JSON:
        print_json(document)
        return
    outcome = kept.outcome
    stdout.print(
        s.say(
            f"第 {kept.run_id} 批监测（{profile.id}，{month}）：预警 {len(document['warnings'])} 条"
            f"（新发 {len(outcome.raised)}，持续 {len(outcome.continued)}），"
            f"解除 {len(outcome.lifted)} 条",
            f"Monitoring run {kept.run_id} ({profile.id}, {month}): "
            f"{len(document['warnings'])} warnings ({len(outcome.raised)} new, "
            f"{len(outcome.continued)} continued), {len(outcome.lifted)} lifted",
        ),
        markup=False,
    )
    print_table(
        s.say("各信号预警与无法判定", "Warnings and subjects not judged, by signal"),
        [s.say("信号", "signal"), s.say("预警", "warnings"), s.say("无法判定", "not judged")],
        [
            (
                f"{SIGNALS[signal].title_zh} {signal}" if s.lang == "zh" else signal,
                sum(1 for w in document["warnings"] if w["signal"] == signal),
                next((u["subjects"] for u in document["unjudged"] if u["signal"] == signal), 0),
            )
            for signal in sorted(SIGNALS)
        ],
    )


@contextmanager
def _working(s: Settings) -> Iterator[Session]:
    """A session committed when the command succeeds; a refusal (or a receipt deadline beyond
    the holiday calendar's years) changes nothing."""
    with Session(s.engine(), expire_on_commit=False) as db:
        try:
            yield db
            db.commit()
        except (WarningRefusedError, CalendarError) as refused:
            db.rollback()
            fail(s.say(refused.zh, refused.en))


@warnings_app.command("list")
def list_command(
    ctx: typer.Context,
    state: Annotated[WarningState | None, typer.Option("--state")] = None,
    level: Annotated[Level | None, typer.Option("--level")] = None,
    signal: Annotated[str | None, typer.Option("--signal")] = None,
    county: Annotated[str | None, typer.Option("--county")] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Escalations as of (YYYY-MM-DD; default today).")
    ] = None,
    output: FormatOption = OutputFormat.TABLE,
) -> None:
    """The warnings, newest first, with their receipt deadline and escalation (逾期未签收报市)."""
    s = settings(ctx)
    today = parse_date(s, as_of) if as_of else dt.date.today()
    with _working(s) as db:
        chosen = WarningFilters(level=level, signal=signal, county=county, state=state)
        views = list_warnings(db, chosen, today=today)
        documents = [v.as_json() for v in views]
    if output is OutputFormat.JSON:
        print_json({"as_of": today.isoformat(), "warnings": documents})
        return
    print_table(
        s.say(f"预警（共 {len(documents)} 条）", f"Warnings ({len(documents)})"),
        [
            s.say("编号", "warning"),
            s.say("等级", "level"),
            s.say("信号", "signal"),
            s.say("对象", "subject"),
            s.say("区县", "county"),
            s.say("推送", "routed to"),
            s.say("起始月", "since"),
            s.say("状态", "state"),
            s.say("签收期限", "receive by"),
            s.say("报市", "escalated to"),
        ],
        [
            (
                d["warning"],
                Level(d["level"]).label_zh if s.lang == "zh" else d["level"],
                SIGNALS[d["signal"]].title_zh if s.lang == "zh" else d["signal"],
                f"{d['subject_name'] or ''} {d['subject_id']}".strip(),
                d["county_code"],
                ",".join(d["routed_to"]),
                d["since"],
                WarningState(d["state"]).label_zh if s.lang == "zh" else d["state"],
                d["receive_by"],
                d["escalated_to"],
            )
            for d in documents
        ],
    )


DateOption = Annotated[str, typer.Option("--date", help="The date (YYYY-MM-DD).")]


@warnings_app.command("receive")
def receive_command(ctx: typer.Context, warning: int, date: DateOption) -> None:
    """签收: take up a warning."""
    s = settings(ctx)
    with _working(s) as db:
        receive(db, warning, on=parse_date(s, date), actor=current_actor())
    stdout.print(s.say(f"预警 {warning} 已签收", f"Warning {warning} received"), markup=False)


@warnings_app.command("feedback")
def feedback_command(
    ctx: typer.Context,
    warning: int,
    date: DateOption,
    text: Annotated[str, typer.Option("--text", help="What was done (处置情况).")],
) -> None:
    """处置反馈: report what was done about a received warning."""
    s = settings(ctx)
    with _working(s) as db:
        report(db, warning, on=parse_date(s, date), text=text, actor=current_actor())
    stdout.print(
        s.say(f"预警 {warning} 已反馈", f"Feedback on warning {warning} kept"), markup=False
    )


@warnings_app.command("close")
def close_command(
    ctx: typer.Context,
    warning: int,
    date: DateOption,
    reason: Annotated[str, typer.Option("--reason", help="Why it is closed (办结理由).")],
) -> None:
    """办结: close a warning that has been handled."""
    s = settings(ctx)
    with _working(s) as db:
        close(db, warning, on=parse_date(s, date), reason=reason, actor=current_actor())
    stdout.print(s.say(f"预警 {warning} 已办结", f"Warning {warning} closed"), markup=False)


@warnings_app.command("bulletin")
def bulletin_command(
    ctx: typer.Context,
    month: Annotated[str, typer.Option("--month", help="The month (YYYY-MM).")],
    out: Annotated[
        Path,
        typer.Option("--out", help="The file: FILE.xlsx (workbook) or FILE.docx (Word notice)."),
    ],
    profile_id: Annotated[
        str | None,
        typer.Option("--profile", help="The profile whose run is read (default: the latest)."),
    ] = None,
    on: Annotated[
        str | None,
        typer.Option(
            "--on", help="The bulletin's day: its date, and escalations as of (default today)."
        ),
    ] = None,
    issuer: Annotated[
        str | None,
        typer.Option("--issuer", help="The issuing office (default: the city's joint office)."),
    ] = None,
    number: Annotated[
        str | None, typer.Option("--number", help="Its number (default: 2025年第6期).")
    ] = None,
) -> None:
    """预警通报: the month's warnings by county, level and signal, new, continuing and lifted,
    and the red list, as a workbook (.xlsx) or an official notice (.docx)."""
    s = settings(ctx)
    try:
        month = parse_month(month)
    except MonthError:
        fail(s.say(f"月份应为 YYYY-MM：{month}", f"Not a month (YYYY-MM): {month}"))
    suffix = out.suffix.lower()
    if suffix not in (".xlsx", ".docx"):
        fail(
            s.say(
                f"通报应写成 .xlsx 或 .docx：{out}", f"Write the bulletin as .xlsx or .docx: {out}"
            )
        )
    if not out.parent.is_dir():
        fail(s.say(f"找不到文件夹 {out.parent}", f"{out.parent} does not exist"))
    today = parse_date(s, on) if on else dt.date.today()
    with Session(s.engine()) as db:
        try:
            data = bulletin(db, month=month, profile=profile_id, today=today)
        except BulletinError as error:
            fail(s.say(error.zh, error.en))
    if suffix == ".xlsx":
        write_bulletin_workbook(data, out, lang=s.lang)
    else:
        write_bulletin_document(data, out, issuer=issuer, number=number, issued_on=today)
    levels = data.by_level()
    stdout.print(
        s.say(
            f"{out}：{data.month} 预警 {len(data.warnings)} 条（红 {levels[Level.RED]}，"
            f"橙 {levels[Level.ORANGE]}，黄 {levels[Level.YELLOW]}；新发 {len(data.new)}，"
            f"持续 {len(data.continuing)}），解除 {len(data.lifted)} 条，"
            f"逾期未签收 {len(data.escalated)} 条",
            f"{out}: {data.month}, {len(data.warnings)} warnings ({levels[Level.RED]} red, "
            f"{levels[Level.ORANGE]} orange, {levels[Level.YELLOW]} yellow; {len(data.new)} new, "
            f"{len(data.continuing)} continuing), {len(data.lifted)} lifted, "
            f"{len(data.escalated)} escalated",
        ),
        markup=False,
    )
