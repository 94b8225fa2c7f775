"""Showing results: rich tables for people, one JSON document for programs."""

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from enum import StrEnum
from typing import Annotated, Any

import rich.progress
import typer
from rich.progress import BarColumn, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from mujun.cli.context import Settings, stderr, stdout
from mujun.interchange.problems import Problem
from mujun.progress import Progress, silent


class OutputFormat(StrEnum):
    TABLE = "table"
    JSON = "json"


FormatOption = Annotated[
    OutputFormat, typer.Option("--format", help="table for people, json for programs")
]


def print_json(document: Any) -> None:
    """Exactly one JSON document on stdout."""
    print(json.dumps(document, ensure_ascii=False, default=str))


def print_table(title: str, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    table = Table(title=title, title_justify="left")
    for header in headers:
        table.add_column(header, overflow="fold")
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row))
    stdout.print(table)


def problems_table(settings: Settings, problems: Sequence[Problem]) -> None:
    """Every problem: where (file, row), which record (its natural key), which column (as the
    file named it), the value and why."""
    say = settings.say
    print_table(
        say(f"数据问题（共 {len(problems)} 处）", f"Problems ({len(problems)})"),
        [
            say("文件", "file"),
            say("行", "row"),
            say("记录", "record"),
            say("列", "column"),
            say("值", "value"),
            say("问题", "reason"),
        ],
        [
            (p.file, p.row, p.record_text, p.shown_column, p.value, p.message(settings.lang))
            for p in problems
        ],
    )


@contextmanager
def progress_bar(enabled: bool = True) -> Iterator[Progress]:
    """A transient progress bar on stderr: the step under way, how much is done, time taken."""
    if not enabled or not stderr.is_terminal:
        yield silent
        return
    with rich.progress.Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        console=stderr,
        transient=True,
    ) as bar:
        task = bar.add_task("", total=1.0)
        yield lambda step, done: bar.update(task, description=step, completed=done)
