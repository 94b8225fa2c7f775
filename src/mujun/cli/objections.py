"""``mujun publish`` and ``mujun objections``: a kept run's preliminary list published for a
period (公示), objections to its figures lodged, routed, answered, and the run repeated after
corrections (workflow.md §6).

Every command calls the service functions of :mod:`mujun.disposal.objections`; a refusal ends
with its one-line reason (and the date it becomes possible) and exit status 1.
"""

import datetime as dt
from typing import Annotated

import typer

from mujun.cli.casework import refuse, working
from mujun.cli.context import Settings, fail, parse_date, settings, stdout
from mujun.cli.render import FormatOption, OutputFormat, print_json, print_table
from mujun.disposal.errors import CaseRefusedError
from mujun.disposal.objections import (
    ObjectionFilters,
    ObjectionState,
    answer_corrected,
    answer_upheld,
    lodge,
    objection_json,
    objections_query,
    publication_json,
    publish,
    repeat_run,
)
from mujun.policy.duties import DEPARTMENTS, department
from mujun.records.changes import current_actor

objections_app = typer.Typer(
    name="objections",
    help="Objections (异议) to a published list's figures: lodge, list, answer, repeat the run.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.command("publish")(publish_command)
    app.add_typer(objections_app)


def _day(s: Settings, date: str | None) -> dt.date:
    return parse_date(s, date) if date else dt.date.today()


DateOption = Annotated[
    str | None, typer.Option("--date", help="The date (YYYY-MM-DD; default today).")
]


def publish_command(
    ctx: typer.Context,
    run: Annotated[int, typer.Argument(help="The kept identification run to publish.")],
    date: DateOption = None,
    note: Annotated[str | None, typer.Option("--note", help="A note on the publication.")] = None,
    output: FormatOption = OutputFormat.TABLE,
) -> None:
    """Publish a kept run's preliminary list (公示) for the profile's period of working days."""
    s = settings(ctx)
    on = _day(s, date)
    with working(s) as db:
        publication = publish(db, run, on, current_actor(), note=note)
    if output is OutputFormat.JSON:
        print_json(publication_json(publication))
        return
    stdout.print(
        s.say(
            f"第 {run} 批初步名单已公示（第 {publication.id} 号），公示期 "
            f"{publication.published_on.isoformat()} 至 {publication.ends_on.isoformat()}"
            f"（{publication.working_days} 个工作日）。",
            f"Run {run} published (publication {publication.id}) from "
            f"{publication.published_on.isoformat()} to {publication.ends_on.isoformat()} "
            f"({publication.working_days} working days).",
        ),
        markup=False,
    )


@objections_app.command("lodge")
def lodge_command(
    ctx: typer.Context,
    table: Annotated[str, typer.Option("--table", help="The table of the value disputed.")],
    key: Annotated[
        str, typer.Option("--key", help="The record's key, its parts joined by | (P2|2024-06-01).")
    ],
    column: Annotated[str, typer.Option("--column", help="The column of the value disputed.")],
    reason: Annotated[str, typer.Option("--reason", help="Why the value is wrong.")],
    by: Annotated[str, typer.Option("--by", help="The enterprise or locality that objects.")],
    publication: Annotated[
        int | None, typer.Option("--publication", help="The publication objected to.")
    ] = None,
    case: Annotated[
        int | None, typer.Option("--case", help="The case (dismissed) whose figures are disputed.")
    ] = None,
    claimed: Annotated[
        str | None, typer.Option("--claimed", help="The value claimed instead.")
    ] = None,
    subject_type: Annotated[
        str | None, typer.Option("--subject-type", help="The subject's type (parcel, …).")
    ] = None,
    subject_id: Annotated[str | None, typer.Option("--subject-id", help="The subject.")] = None,
    date: DateOption = None,
    output: FormatOption = OutputFormat.TABLE,
) -> None:
    """Lodge an objection to one value of one record; it goes to the department that
    supplied the value."""
    s = settings(ctx)
    on = _day(s, date)
    with working(s) as db:
        objection = lodge(
            db,
            table=table,
            key=key,
            column=column,
            reason=reason,
            lodged_by=by,
            on=on,
            actor=current_actor(),
            publication_id=publication,
            case_id=case,
            claimed=claimed,
            subject_type=subject_type,
            subject_id=subject_id,
        )
        document = objection_json(objection)
    if output is OutputFormat.JSON:
        print_json(document)
        return
    stdout.print(
        s.say(
            f"异议第 {objection.id} 号已登记：{table}.{column}（{key}）现值 "
            f"{_shown(s, objection.stored_value)}，转{_department_zh(objection.routed_to)}答复。",
            f"Objection {objection.id} lodged: {table}.{column} of {key} is "
            f"{_shown(s, objection.stored_value)}; routed to "
            f"{_department_en(objection.routed_to)}.",
        ),
        markup=False,
    )


def _shown(s: Settings, value: str | None) -> str:
    return s.say("（空）", "(empty)") if value is None else value


def _department_zh(code: str | None) -> str:
    found = department(code)
    return found.label_zh if found else "系统管理员"


def _department_en(code: str | None) -> str:
    found = department(code)
    return found.label_en if found else "the administrator"


@objections_app.command("list")
def list_command(
    ctx: typer.Context,
    publication: Annotated[
        int | None, typer.Option("--publication", help="Only this publication's.")
    ] = None,
    state: Annotated[
        ObjectionState | None, typer.Option("--state", help="Only objections in this state.")
    ] = None,
    department_code: Annotated[
        str | None,
        typer.Option("--department", help="Only those routed to this department (its code)."),
    ] = None,
    county: Annotated[
        str | None, typer.Option("--county", help="Only those on a subject of this county.")
    ] = None,
    output: FormatOption = OutputFormat.TABLE,
) -> None:
    """The objections, oldest first."""
    s = settings(ctx)
    if department_code is not None and department(department_code) is None:
        known = ", ".join(d.code for d in DEPARTMENTS)
        fail(
            s.say(
                f"没有部门 {department_code}（可选：{known}）",
                f"no department {department_code} (the departments: {known})",
            )
        )
    filters = ObjectionFilters(
        publication=publication, state=state, department=department_code, county=county
    )
    with working(s) as db:
        found = [objection_json(o) for o in db.scalars(objections_query(filters))]
    if output is OutputFormat.JSON:
        print_json({"total": len(found), "objections": found})
        return
    print_table(
        s.say(f"异议（共 {len(found)} 件）", f"Objections ({len(found)})"),
        [
            s.say("编号", "id"),
            s.say("公示", "publication"),
            s.say("对象", "subject"),
            s.say("数据", "value"),
            s.say("现值", "stored"),
            s.say("主张", "claimed"),
            s.say("提出", "by"),
            s.say("日期", "lodged"),
            s.say("答复部门", "department"),
            s.say("状态", "state"),
        ],
        [
            (
                o["id"],
                o["publication"] or "",
                o["subject_id"] or "",
                f"{o['table']}.{o['column']} ({o['key']})",
                _shown(s, o["stored_value"]),
                o["claimed_value"] or "",
                o["lodged_by"],
                o["lodged_on"],
                s.say(_department_zh(o["routed_to"]), o["routed_to"] or "administrator"),
                _state_label(s, o["state"]),
            )
            for o in found
        ],
    )


def _state_label(s: Settings, state: str) -> str:
    value = ObjectionState(state)
    return s.say(value.label_zh, value.label_en)


@objections_app.command("answer")
def answer_command(
    ctx: typer.Context,
    objection: Annotated[int, typer.Argument(help="The objection's number.")],
    corrected_by: Annotated[
        int | None,
        typer.Option("--corrected-by", help="The import that corrected the value."),
    ] = None,
    upheld: Annotated[
        str | None, typer.Option("--upheld", help="Why the value stands (it is upheld).")
    ] = None,
    date: DateOption = None,
    output: FormatOption = OutputFormat.TABLE,
) -> None:
    """Answer an objection: corrected by an import, or upheld with a reason."""
    s = settings(ctx)
    if (corrected_by is None) == (upheld is None):
        fail(
            s.say(
                "请二选一：--corrected-by 导入编号（已更正）或 --upheld 理由（维持原值）",
                "give one of --corrected-by IMPORT (corrected) or --upheld REASON (upheld)",
            )
        )
    on = _day(s, date)
    with working(s) as db:
        if corrected_by is not None:
            answered = answer_corrected(db, objection, corrected_by, on, current_actor())
        else:
            assert upheld is not None
            answered = answer_upheld(db, objection, upheld, on, current_actor())
        document = objection_json(answered)
    if output is OutputFormat.JSON:
        print_json(document)
        return
    if answered.state == ObjectionState.CORRECTED:
        message = s.say(
            f"异议第 {objection} 号：已由第 {corrected_by} 次导入更正为 "
            f"{_shown(s, answered.corrected_value)}。",
            f"Objection {objection} corrected by import {corrected_by}: now "
            f"{_shown(s, answered.corrected_value)}.",
        )
    else:
        message = s.say(
            f"异议第 {objection} 号：维持原值。", f"Objection {objection}: the value is upheld."
        )
    stdout.print(message, markup=False)


@objections_app.command("repeat")
def repeat_command(
    ctx: typer.Context,
    publication: Annotated[int, typer.Argument(help="The publication whose run to repeat.")],
    output: FormatOption = OutputFormat.TABLE,
) -> None:
    """Repeat the published run on the current data as of the same date, and show the
    difference (added, dropped, changed findings)."""
    s = settings(ctx)
    try:
        repeated = repeat_run(s.engine(), publication, current_actor())
    except CaseRefusedError as refused:
        refuse(s, refused)
    if output is OutputFormat.JSON:
        print_json(repeated.as_json())
        return
    counts = repeated.difference.counts()
    stdout.print(
        s.say(
            f"第 {publication} 号公示：第 {repeated.published_run} 批重新认定为第 "
            f"{repeated.run_id} 批，新增 {counts['added']}、移出 {counts['dropped']}、"
            f"变化 {counts['changed']}。",
            f"Publication {publication}: run {repeated.published_run} repeated as run "
            f"{repeated.run_id}: {counts['added']} added, {counts['dropped']} dropped, "
            f"{counts['changed']} changed.",
        ),
        markup=False,
    )
    rows = [
        (s.say(zh, en), f["criterion"], f["subject_type"], f["subject_id"])
        for zh, en, key in (("新增", "added", "added"), ("移出", "dropped", "dropped"))
        for f in repeated.as_json()[key]
    ]
    if rows:
        print_table(
            s.say("差异", "Difference"),
            [s.say("变化", "change"), s.say("规则", "rule"), s.say("类型", "type"), "id"],
            rows,
        )
