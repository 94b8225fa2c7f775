"""``mujun cases``: disposal cases from a kept run's findings to their exit (interface.md §3).

Every command calls the same service functions as the web application (:mod:`mujun.disposal`);
a refused move or step ends with its one-line reason (and the date it becomes possible) and
exit status 1.
"""

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import select

from mujun.cli.casework import working
from mujun.cli.context import Settings, fail, parse_date, settings, stdout
from mujun.cli.render import FormatOption, OutputFormat, print_json, print_table
from mujun.disposal.case_file import CaseFile, case_file
from mujun.disposal.documents import DocumentKind
from mujun.disposal.idle_track import record_event
from mujun.disposal.ledger import CaseFilters, cases_query, every_file, ledger
from mujun.disposal.ledger_book import write_ledger
from mujun.disposal.legal import Cause, LegalEvent, LegalEventKind, LegalStep, Step
from mujun.disposal.moves import Dispute, move_case
from mujun.disposal.opening import open_cases
from mujun.disposal.paperwork import issue_document
from mujun.disposal.plans import (
    Attachment,
    Milestone,
    accept_task,
    complete_task,
    dispatch_task,
    plan_case,
    unit_name,
)
from mujun.disposal.states import CaseState
from mujun.disposal.warned import open_case_from_warning
from mujun.policy.profiles import Category
from mujun.records import Jurisdiction
from mujun.records.changes import current_actor

cases_app = typer.Typer(
    name="cases",
    help="Disposal cases (处置案件): open from a run, plan, dispatch, record legal steps, close.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(cases_app)


def _today() -> dt.date:
    return dt.date.today()


DateOption = Annotated[str | None, typer.Option("--date", help="The date (YYYY-MM-DD).")]


@cases_app.command("open")
def open_command(
    ctx: typer.Context,
    run: Annotated[int | None, typer.Option("--run", help="The kept identification run.")] = None,
    warning: Annotated[
        int | None, typer.Option("--warning", help="The early warning (instead of a run).")
    ] = None,
    criterion: Annotated[
        str | None, typer.Option("--criterion", help="Only the findings of this rule.")
    ] = None,
    subject: Annotated[
        list[str] | None, typer.Option("--subject", help="Only this subject (repeatable).")
    ] = None,
    date: DateOption = None,
    output: FormatOption = OutputFormat.TABLE,
) -> None:
    """Open a case for each finding of a kept run, or for an early warning (a finding or
    warning whose subject has an open case of its category joins it)."""
    s = settings(ctx)
    if (run is None) == (warning is None):
        fail(s.say("请指定 --run 或 --warning 之一", "Give either --run or --warning"))
    if warning is not None and (criterion or subject):
        fail(
            s.say("--criterion、--subject 只用于 --run", "--criterion and --subject go with --run")
        )
    on = parse_date(s, date) if date else None
    with working(s) as db:
        if warning is not None:
            warned = open_case_from_warning(db, warning, actor=current_actor(), on=on)
            source = s.say(f"预警 第 {warning} 号", f"Warning {warning}")
            opened, joined, document = warned.opened, warned.joined, warned.as_json()
        else:
            assert run is not None
            opening = open_cases(
                db,
                run_id=run,
                actor=current_actor(),
                criterion=criterion,
                subjects=subject,
                on=on,
            )
            source = s.say(f"第 {run} 批", f"Run {run}")
            opened, joined, document = opening.opened, opening.joined, opening.as_json()
    if output is OutputFormat.JSON:
        print_json(document)
        return
    stdout.print(
        s.say(
            f"{source}：新立案 {len(opened)} 件，并入已有案件 {len(joined)} 件。",
            f"{source}: {len(opened)} cases opened, {len(joined)} joined.",
        ),
        markup=False,
    )


@cases_app.command("list")
def list_command(
    ctx: typer.Context,
    state: Annotated[CaseState | None, typer.Option("--state", help="Only this state.")] = None,
    county: Annotated[str | None, typer.Option("--county", help="Only this county.")] = None,
    category: Annotated[str | None, typer.Option("--category", help="Only this category.")] = None,
    unit: Annotated[
        str | None, typer.Option("--unit", help="Only cases with a plan or task of this unit.")
    ] = None,
    overdue: Annotated[bool, typer.Option("--overdue", help="Only overdue cases.")] = False,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Deadlines as of this date (default today).")
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the ledger (处置台账) to FILE.xlsx.")
    ] = None,
    limit: Annotated[
        int, typer.Option(min=1, help="Cases shown in the table (all go to --out and json).")
    ] = 50,
    output: FormatOption = OutputFormat.TABLE,
) -> None:
    """The cases, with their state and next deadline."""
    s = settings(ctx)
    today = parse_date(s, as_of) if as_of else _today()
    filters = CaseFilters(state=state, county=county, category=category, unit=unit, overdue=overdue)
    with working(s) as db:
        query = cases_query(filters, today)
        shown = limit if output is OutputFormat.TABLE else None
        found = ledger(db, query, today=today, overdue=overdue, limit=shown)
        if out is not None:
            every = every_file(db, query, today=today, overdue=overdue)
            write_ledger(db, out, every, today=today, lang=s.lang)
        counties = {c: n for c, n in db.execute(select(Jurisdiction.code, Jurisdiction.name))}
    if output is OutputFormat.JSON:
        print_json(found.as_json())
        return
    print_table(
        s.say(
            f"处置案件（共 {found.total} 件，显示 {len(found.files)} 件，截至 {today}）",
            f"Cases ({len(found.files)} of {found.total}, as of {today})",
        ),
        [
            s.say("案件", "case"),
            s.say("对象", "subject"),
            s.say("名称", "name"),
            s.say("类别", "category"),
            s.say("县区", "county"),
            s.say("状态", "state"),
            s.say("最近期限", "next deadline"),
        ],
        [
            (
                f.case.id,
                f.case.subject_id,
                f.case.subject_name,
                _category_label(s, f.case.category),
                counties.get(f.case.county_code or "", f.case.county_code),
                s.say(f.state.label_zh, f.state.label_en),
                _deadline_text(s, f),
            )
            for f in found.files
        ],
    )
    if out is not None:
        stdout.print(s.say(f"处置台账已写入 {out}", f"Ledger written to {out}"), markup=False)


def _category_label(s: Settings, category: str) -> str:
    value = Category(category)
    return s.say(value.label_zh, value.label_en)


def _deadline_text(s: Settings, file: CaseFile) -> str:
    due = file.next_deadline
    if due is None:
        return ""
    late = s.say("（已逾期）", " (overdue)") if due.overdue else ""
    return f"{due.date.isoformat()} {s.say(due.label_zh, due.label_en)}{late}"


@cases_app.command("show")
def show_command(
    ctx: typer.Context,
    case: Annotated[int, typer.Argument(help="The case number.")],
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Deadlines as of this date (default today).")
    ] = None,
    output: FormatOption = OutputFormat.TABLE,
) -> None:
    """One case: findings, states, plan, tasks, legal steps and deadlines."""
    s = settings(ctx)
    day = parse_date(s, as_of) if as_of else _today()
    with working(s) as db:
        file = case_file(db, case, day)
        document = file.as_json()
        unit = unit_name(db, file.plan.unit) if file.plan and file.plan.unit else None
    if output is OutputFormat.JSON:
        print_json(document)
        return
    c = file.case
    category = _category_label(s, c.category)
    stdout.print(
        s.say(
            f"案件 {c.id}：{c.subject_id} {c.subject_name or ''}（{category}，{c.county_code}）"
            f"  状态：{file.state.label_zh}",
            f"Case {c.id}: {c.subject_id} {c.subject_name or ''} ({category}, {c.county_code})"
            f"  state: {file.state.label_en}",
        ),
        markup=False,
    )
    print_table(
        s.say("经过", "History"),
        [
            s.say("日期", "date"),
            s.say("状态", "state"),
            s.say("经办", "by"),
            s.say("理由", "reason"),
        ],
        [(m.date.isoformat(), _state_label(s, m.state), m.actor, m.reason) for m in file.history],
    )
    if file.legal_problem is not None:
        stdout.print(
            s.say("闲置土地处置程序无法计算：", "The legal track cannot be read: ")
            + s.say(file.legal_problem.zh, file.legal_problem.en),
            markup=False,
        )
    if file.legal is not None and file.legal.steps:
        print_table(
            s.say("闲置土地处置程序", "Legal track"),
            [s.say("步骤", "step"), s.say("可办理日期", "from"), s.say("金额(元)", "yuan")],
            [
                (
                    s.say(x.step.label_zh, x.step.label_en),
                    x.available_from,
                    _amount(s, x),
                )
                for x in file.legal.steps
            ],
        )
    if file.deadlines:
        print_table(
            s.say("期限", "Deadlines"),
            [s.say("日期", "date"), s.say("事项", "what"), s.say("逾期", "overdue")],
            [
                (d.date.isoformat(), s.say(d.label_zh, d.label_en), "是" if d.overdue else "")
                for d in file.deadlines
            ],
        )
    if file.plan is not None:
        _print_plan(s, file, unit)
    stdout.print(
        s.say("可选处置路径：", "Paths: ")
        + s.say("、", ", ").join(f"{p.id}（{s.say(p.title_zh, p.title_en)}）" for p in file.paths),
        markup=False,
    )


def _print_plan(s: Settings, file: CaseFile, unit: tuple[str, str] | None) -> None:
    """The plan (一地一策): path, responsible unit, due date, measures, milestones and the
    per-mu tax it agrees, in 万元/亩 as officials write it."""
    plan = file.plan
    assert plan is not None
    path = file.plan_path
    titled = s.say(path.title_zh, path.title_en) if path else plan.path
    lines = [
        s.say(f"处置方案：{titled}（{plan.path}）", f"Plan: {titled} ({plan.path})"),
        s.say("  牵头单位：", "  Responsible unit: ")
        + (s.say(*unit) if unit else plan.unit or s.say("未定", "none named")),
        s.say("  完成时限：", "  Due: ") + plan.due.isoformat(),
    ]
    measures = [m.strip() for m in plan.measures.splitlines() if m.strip()]
    lines += [s.say(f"  措施{i}：{m}", f"  Measure {i}: {m}") for i, m in enumerate(measures, 1)]
    lines += [
        s.say(f"  节点：{m['due']} {m['what']}", f"  Milestone: {m['due']} {m['what']}")
        for m in plan.milestones
    ]
    target = plan.tax_per_mu_target_yuan
    lines.append(
        s.say("  约定亩均税收：", "  Agreed tax per mu: ")
        + (
            s.say("无", "none")
            if target is None
            else s.say(
                f"{target / 10_000:,.2f} 万元/亩（出库评估时须达到）",
                f"{target / 10_000:,.2f} 10k yuan/mu (required at the exit evaluation)",
            )
        )
    )
    for line in lines:
        stdout.print(line, markup=False)


def _amount(s: Settings, step: LegalStep) -> str:
    if step.step is Step.REVOCATION:
        return ""
    return s.say("不详", "unknown") if step.amount_yuan is None else f"{step.amount_yuan:,.2f}"


def _state_label(s: Settings, state: str) -> str:
    value = CaseState(state)
    return s.say(value.label_zh, value.label_en)


@cases_app.command("plan")
def plan_command(
    ctx: typer.Context,
    case: Annotated[int, typer.Argument(help="The case number.")],
    path: Annotated[str, typer.Option("--path", help="A disposal path (cases show lists them).")],
    due: Annotated[str, typer.Option("--due", help="The plan's due date (YYYY-MM-DD).")],
    unit: Annotated[str | None, typer.Option("--unit", help="The responsible unit.")] = None,
    measures: Annotated[str, typer.Option("--measures", help="The measures.")] = "",
    milestone: Annotated[
        list[str] | None,
        typer.Option("--milestone", help="WHAT@YYYY-MM-DD, a milestone (repeatable)."),
    ] = None,
    tax_per_mu_target: Annotated[
        float | None,
        typer.Option(
            "--tax-per-mu-target",
            help="The per-mu tax agreed with the holder (约定亩均税收), in yuan per mu (元/亩, "
            "not 万元): the exit evaluation requires it in the last full year.",
        ),
    ] = None,
    date: DateOption = None,
) -> None:
    """Record the plan (一地一策) of a case."""
    s = settings(ctx)
    with working(s) as db:
        plan_case(
            db,
            case,
            path=path,
            due=parse_date(s, due),
            on=parse_date(s, date) if date else _today(),
            actor=current_actor(),
            unit=unit,
            measures=measures,
            milestones=tuple(_milestone(s, m) for m in milestone or []),
            tax_per_mu_target_yuan=tax_per_mu_target,
        )
    stdout.print(s.say(f"案件 {case} 的处置方案已记录。", f"Plan of case {case} recorded."))


def _milestone(s: Settings, text: str) -> Milestone:
    what, _, day = text.rpartition("@")
    if not what.strip():
        fail(
            s.say(f"节点应写作 内容@YYYY-MM-DD：{text}", f"A milestone is WHAT@YYYY-MM-DD: {text}")
        )
    return Milestone(what.strip(), parse_date(s, day))


@cases_app.command("move")
def move_command(
    ctx: typer.Context,
    case: Annotated[int, typer.Argument(help="The case number.")],
    state: Annotated[CaseState, typer.Argument(help="The state to move to.")],
    date: Annotated[str, typer.Option("--date", help="The date of the move (YYYY-MM-DD).")],
    reason: Annotated[str, typer.Option("--reason", help="Why.")],
    dispute: Annotated[
        list[str] | None,
        typer.Option(
            "--dispute",
            help="On dismissal, a figure found wrong: TABLE:KEY:COLUMN[=CLAIMED] (repeatable), "
            "recorded as a data objection to the department that supplied it.",
        ),
    ] = None,
) -> None:
    """One state move, refused when workflow.md §1 does not allow it."""
    s = settings(ctx)
    disputes = [_dispute(s, text) for text in dispute or []]
    with working(s) as db:
        move_case(
            db,
            case,
            state,
            on=parse_date(s, date),
            reason=reason,
            actor=current_actor(),
            disputes=disputes,
        )
    stdout.print(
        s.say(f"案件 {case} 已转为「{state.label_zh}」。", f"Case {case} is now {state.value}."),
        markup=False,
    )


def _dispute(s: Settings, text: str) -> Dispute:
    spec, equals, claimed = text.partition("=")
    table, _, rest = spec.partition(":")
    key, _, column = rest.rpartition(":")
    if not (table and key and column):
        fail(
            s.say(
                f"有异议的数据应写作 表:主键:字段[=主张值]：{text}",
                f"A disputed figure is TABLE:KEY:COLUMN[=CLAIMED]: {text}",
            )
        )
    return Dispute(table, key, column, claimed if equals else None)


@cases_app.command("record")
def record_command(
    ctx: typer.Context,
    case: Annotated[int, typer.Argument(help="The case number.")],
    event: Annotated[LegalEventKind, typer.Argument(help="The legal step.")],
    date: Annotated[
        str, typer.Option("--date", help="The date (for a notice or decision: its service).")
    ],
    cause: Annotated[
        Cause | None, typer.Option("--cause", help="For cause: government or enterprise.")
    ] = None,
    until: Annotated[
        str | None, typer.Option("--until", help="For extension: the new agreed start date.")
    ] = None,
    note: Annotated[str | None, typer.Option("--note", help="A note.")] = None,
) -> None:
    """A legal step of an idle-land case, refused when the law does not yet allow it."""
    s = settings(ctx)
    if event is LegalEventKind.CAUSE and cause is None:
        fail(s.say("认定原因须给出 --cause", "cause needs --cause"))
    if event is LegalEventKind.EXTENSION and until is None:
        fail(s.say("延期须给出 --until", "extension needs --until"))
    step = LegalEvent(
        kind=event,
        date=parse_date(s, date),
        cause=cause,
        until=parse_date(s, until) if until else None,
    )
    with working(s) as db:
        record_event(db, case, step, actor=current_actor(), note=note)
    stdout.print(
        s.say(
            f"案件 {case}：已记录「{event.label_zh}」。", f"Case {case}: {event.value} recorded."
        ),
        markup=False,
    )


@cases_app.command("document")
def document_command(
    ctx: typer.Context,
    case: Annotated[int, typer.Argument(help="The case number.")],
    kind: Annotated[DocumentKind, typer.Argument(help="The document.")],
    out: Annotated[Path, typer.Option("--out", help="The .docx file to write.")],
    date: DateOption = None,
) -> None:
    """Write one of the case's documents (Word), numbered and kept with the case."""
    s = settings(ctx)
    if out.suffix.lower() != ".docx":
        fail(s.say(f"文书应写为 .docx 文件：{out}", f"Documents are .docx files: {out}"))
    with working(s) as db:
        issued = issue_document(
            db, case, kind, on=parse_date(s, date) if date else _today(), actor=current_actor()
        )
        try:
            out.write_bytes(issued.content)
        except OSError as error:
            db.rollback()
            fail(s.say(f"无法写入 {out}：{error}", f"Cannot write {out}: {error}"))
    stdout.print(
        s.say(
            f"{issued.document.number} {kind.label_zh} 已写入 {out}",
            f"{issued.document.number} {kind.label_en} written to {out}",
        ),
        markup=False,
    )


@cases_app.command("task")
def task_command(
    ctx: typer.Context,
    case: Annotated[int, typer.Argument(help="The case number.")],
    unit: Annotated[str, typer.Option("--unit", help="A department or jurisdiction code.")],
    what: Annotated[str, typer.Option("--what", help="What is to be done.")],
    due: Annotated[str, typer.Option("--due", help="The due date (YYYY-MM-DD).")],
    date: DateOption = None,
) -> None:
    """Dispatch a task of the case's plan to a unit (派单)."""
    s = settings(ctx)
    with working(s) as db:
        task = dispatch_task(
            db,
            case,
            unit=unit,
            what=what,
            due=parse_date(s, due),
            on=parse_date(s, date) if date else _today(),
            actor=current_actor(),
        )
        db.flush()
        number = task.id
    stdout.print(s.say(f"已派单：任务 {number}。", f"Task {number} dispatched."), markup=False)


@cases_app.command("accept")
def accept_command(
    ctx: typer.Context,
    task: Annotated[int, typer.Argument(help="The task number.")],
    date: DateOption = None,
) -> None:
    """The unit signs for a task (签收)."""
    s = settings(ctx)
    with working(s) as db:
        accept_task(db, task, on=parse_date(s, date) if date else _today(), actor=current_actor())
    stdout.print(s.say(f"任务 {task} 已签收。", f"Task {task} accepted."), markup=False)


@cases_app.command("done")
def done_command(
    ctx: typer.Context,
    task: Annotated[int, typer.Argument(help="The task number.")],
    note: Annotated[str, typer.Option("--note", help="What was done.")] = "",
    file: Annotated[Path | None, typer.Option("--file", help="A file attesting it.")] = None,
    date: DateOption = None,
) -> None:
    """The unit reports a task done (办结), with a note or a file."""
    s = settings(ctx)
    attachment = None
    if file is not None:
        try:
            attachment = Attachment(file.name, "application/octet-stream", file.read_bytes())
        except OSError as error:
            fail(s.say(f"无法读取 {file}：{error}", f"Cannot read {file}: {error}"))
    with working(s) as db:
        complete_task(
            db,
            task,
            on=parse_date(s, date) if date else _today(),
            actor=current_actor(),
            note=note,
            attachment=attachment,
        )
    stdout.print(s.say(f"任务 {task} 已办结。", f"Task {task} done."), markup=False)
