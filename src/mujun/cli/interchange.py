"""Commands moving data in and out: import, export, template, summary."""

from pathlib import Path
from typing import Annotated

import typer

from mujun.cli.context import Settings, fail, settings, stdout
from mujun.cli.render import (
    FormatOption,
    OutputFormat,
    print_json,
    print_table,
    problems_table,
    progress_bar,
)
from mujun.interchange.exporter import export_data_set
from mujun.interchange.importer import ImportBusyError, ImportOutcome, import_data_set
from mujun.interchange.workbooks.template import write_template
from mujun.records.changes import current_actor
from mujun.records.summary import per_county, rows_per_table


def register(app: typer.Typer) -> None:
    app.command("import")(import_command)
    app.command("export")(export_command)
    app.command("template")(template_command)
    app.command("summary")(summary_command)


def import_command(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="A folder of CSV files, or one .xlsx workbook.")],
    marked: Annotated[
        Path | None,
        typer.Option(help="Where to write the workbook with bad cells marked (on problems)."),
    ] = None,
    reason: Annotated[str | None, typer.Option(help="Why: kept in the change log.")] = None,
    output: FormatOption = OutputFormat.TABLE,
) -> None:
    """Import a data set: all or nothing, every bad row reported (导入数据)."""
    s = settings(ctx)
    if not path.exists():
        fail(s.say(f"找不到 {path}", f"{path} does not exist"))
    marked = marked or Path.cwd() / f"{path.stem}-problems.xlsx"
    try:
        with progress_bar(output is OutputFormat.TABLE) as progress:
            outcome = import_data_set(
                engine=s.engine(),
                path=path,
                actor=current_actor(),
                reason=reason,
                marked_copy=marked,
                on_progress=progress,
            )
    except ImportBusyError as error:
        fail(s.say(error.zh, error.en))
    report_import(s, outcome, output)


def report_import(s: Settings, outcome: ImportOutcome, output: OutputFormat) -> None:
    """Show what an import did; fail (non-zero) when it found problems."""
    if output is OutputFormat.JSON:
        print_json(
            {
                "source": str(outcome.source),
                "committed": outcome.committed,
                "import_id": outcome.import_id,
                "same_as": outcome.same_as,
                "changes": {name: vars(c) for name, c in outcome.changes.items()},
                "problems": [p.as_dict(s.lang) for p in outcome.problems],
                "notices": [n.message(s.lang) for n in outcome.notices],
                "marked_copy": str(outcome.marked_copy) if outcome.marked_copy else None,
            }
        )
    else:
        for notice in outcome.notices:
            stdout.print(f"· {notice.message(s.lang)}", style="dim", markup=False)
        if outcome.problems:
            problems_table(s, outcome.problems)
            if outcome.marked_copy:
                stdout.print(
                    s.say(
                        f"已标注问题的工作簿：{outcome.marked_copy}",
                        f"Workbook with the problems marked: {outcome.marked_copy}",
                    )
                )
        else:
            print_table(
                s.say("导入结果", "Import"),
                [
                    s.say("表", "table"),
                    s.say("新增", "inserted"),
                    s.say("更新", "updated"),
                    s.say("未变", "unchanged"),
                ],
                [(name, c.inserted, c.updated, c.unchanged) for name, c in outcome.changes.items()],
            )
    if len(outcome.problems) == 1 and outcome.problems[0].row is None:
        problem = outcome.problems[0]  # about the data set as a whole: its reason is the line
        fail(
            s.say(
                f"导入失败：{problem.message('zh')}（数据库未作任何修改）",
                f"import failed: {problem.message('en')} (the database was not changed)",
            )
        )
    if outcome.problems:
        fail(
            s.say(
                f"导入失败：发现 {len(outcome.problems)} 处问题，数据库未作任何修改",
                f"import failed: {len(outcome.problems)} problems found; "
                "the database was not changed",
            )
        )
    if not outcome.committed and output is OutputFormat.TABLE:
        stdout.print(
            s.say(
                "数据与数据库一致，未作任何修改。",
                "Nothing changed: the data set matches the database.",
            )
        )


def export_command(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="A folder for CSV files, or a file ending .xlsx.")],
    chinese: Annotated[
        bool, typer.Option(help="Workbook with Chinese sheet names and headers.")
    ] = False,
    output: FormatOption = OutputFormat.TABLE,
) -> None:
    """Write the database in the interchange format (导出数据)."""
    s = settings(ctx)
    with progress_bar(output is OutputFormat.TABLE) as progress:
        try:
            counts = export_data_set(
                engine=s.engine(), path=path, chinese=chinese, on_progress=progress
            )
        except ValueError as error:
            fail(str(error))
    if output is OutputFormat.JSON:
        print_json({"path": str(path), "rows": counts})
    else:
        print_table(
            s.say(f"已导出到 {path}", f"Exported to {path}"),
            [s.say("表", "table"), s.say("行数", "rows")],
            list(counts.items()),
        )


def template_command(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="The workbook to write, e.g. 填报模板.xlsx.")],
) -> None:
    """Write the empty workbook departments fill in (填报模板)."""
    s = settings(ctx)
    if path.suffix.lower() != ".xlsx":
        fail(s.say("模板须为 .xlsx 文件", "the template must be an .xlsx file"))
    write_template(path)
    stdout.print(s.say(f"已生成填报模板：{path}", f"Template written: {path}"))


def summary_command(ctx: typer.Context, output: FormatOption = OutputFormat.TABLE) -> None:
    """Rows per table and the main counts per county (数据概况)."""
    show_summary(settings(ctx), output)


def show_summary(s: Settings, output: OutputFormat) -> None:
    with s.engine().connect() as conn:
        tables, counties = rows_per_table(conn), per_county(conn)
    if output is OutputFormat.JSON:
        print_json({"tables": tables, "counties": [vars(c) for c in counties]})
        return
    print_table(
        s.say("各表记录数", "Rows per table"),
        [s.say("表", "table"), s.say("行数", "rows")],
        list(tables.items()),
    )
    print_table(
        s.say("分县概况", "Per county"),
        [
            s.say("区划代码", "code"),
            s.say("名称", "name"),
            s.say("企业", "enterprises"),
            s.say("宗地", "parcels"),
            s.say("用地(亩)", "land (mu)"),
        ],
        [(c.code, c.name, c.enterprises, c.parcels, f"{c.land_mu:,.1f}") for c in counties],
    )
