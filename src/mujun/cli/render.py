"""Showing results: rich tables for people, one JSON document for programs."""

import json
import sys
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from enum import StrEnum
from typing import Annotated, Any, BinaryIO

import pyarrow as pa
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


SEPARATOR = ", "
"""What follows each element of a list :func:`json_rows` makes (the last's is not written)."""


def print_json(document: Any, encoded: Mapping[str, pa.Table] | None = None) -> None:
    """Exactly one JSON document on stdout. Each list named in ``encoded`` is given as a table
    whose one column holds each element as JSON text already, each followed by the separator
    (see :func:`json_rows`), and goes out as the bytes Arrow holds: a province's hundreds of
    thousands of results are neither parsed, dumped, copied nor decoded again."""
    encoded = encoded or {}
    marks = {name: f"\x00{name}\x00" for name in encoded}
    text = json.dumps(document | marks, ensure_ascii=False, default=str)
    sys.stdout.flush()
    out = sys.stdout.buffer
    for name in sorted(encoded, key=lambda n: text.index(json.dumps(marks[n]))):
        head, text = text.split(json.dumps(marks[name]), 1)
        out.write(head.encode())
        out.write(b"[")
        _write_elements(out, encoded[name].column(0))
        out.write(b"]")
    out.write(text.encode() + b"\n")
    out.flush()


def _write_elements(out: BinaryIO, texts: pa.ChunkedArray) -> None:
    """The texts back to back, each followed by :data:`SEPARATOR` but the last."""
    chunks = [c for c in texts.chunks if len(c)]
    for index, chunk in enumerate(chunks):
        written = _utf8_bytes(chunk)
        last = index == len(chunks) - 1
        out.write(written[: -len(SEPARATOR)] if last else written)


def _utf8_bytes(texts: pa.StringArray) -> memoryview:
    """The texts back to back, as Arrow holds them (no Python string made)."""
    width = pa.int64() if pa.types.is_large_string(texts.type) else pa.int32()
    offsets = pa.Array.from_buffers(
        width, len(texts) + 1, [None, texts.buffers()[1]], offset=texts.offset
    )
    return memoryview(texts.buffers()[2])[offsets[0].as_py() : offsets[-1].as_py()]


def json_rows(rows: pa.Table, fields: Sequence[str], *, raw: Sequence[str] = ()) -> pa.Table:
    """Each row of ``rows`` as a JSON object of ``fields`` in their order, followed by
    :data:`SEPARATOR`, as an element of a list that :func:`print_json` writes. The ``raw``
    fields hold JSON text already (kept so by the run) and are embedded as they are: the
    object's text is put together around them, so they are neither parsed nor written again."""
    import duckdb  # noqa: PLC0415 (not needed on the command line's start-up path)

    members = []
    for index, name in enumerate(fields):
        value = f'"{name}"' if name in raw else f'to_json("{name}")::VARCHAR'
        opening = ("{" if index == 0 else ",") + json.dumps(name) + ":"
        members.append(f"'{opening}' || coalesce({value}, 'null')")
    with duckdb.connect() as db:
        db.register("rows", rows)
        ending = f"'}}{SEPARATOR}'"
        return db.sql(f"SELECT {' || '.join(members)} || {ending} FROM rows").to_arrow_table()


class RenderedAhead:
    """A result's rows as JSON (:func:`json_rows`), rendered on a thread of their own as soon as
    the result is computed (:meth:`render`, a service's hook), while the run is still being
    kept: DuckDB renders on one core while the records database writes on the other. Nothing
    is written out until the caller has the kept run and asks for the rows (:meth:`rows`)."""

    def __init__(
        self, thread: ThreadPoolExecutor, fields: Sequence[str], raw: Sequence[str]
    ) -> None:
        self._thread, self._fields, self._raw = thread, fields, raw
        self._rendered: Future[pa.Table] | None = None

    def render(self, rows: pa.Table) -> None:
        self._rendered = self._thread.submit(json_rows, rows, self._fields, raw=self._raw)

    def rows(self) -> pa.Table:
        assert self._rendered is not None, "the result's rows were never given to render"
        return self._rendered.result()


@contextmanager
def rendered_ahead(fields: Sequence[str], *, raw: Sequence[str] = ()) -> Iterator[RenderedAhead]:
    """Rows to render as :func:`json_rows` does, on a thread of their own while this context
    lasts (see :class:`RenderedAhead`)."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="mujun-json") as thread:
        yield RenderedAhead(thread, fields, raw)


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
