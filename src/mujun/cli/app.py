"""The ``mujun`` program: global options, and the command groups registered on it."""

import atexit
import contextlib
import importlib
import os
import sys
import threading
from enum import StrEnum
from typing import Annotated, Any, NoReturn

import typer
from typer.core import TyperGroup

from mujun.cli.context import Settings, default_language, stderr
from mujun.cli.start import loaded

COMMANDS: dict[str, tuple[str, ...]] = {
    "mujun.cli.interchange": ("import", "export", "template", "summary"),
    "mujun.cli.demo": ("demo",),
    "mujun.cli.profiles": ("profiles",),
    "mujun.cli.identification": ("identify", "runs", "diff"),
    "mujun.cli.evaluation": ("evaluate", "rankings", "enterprise"),
    "mujun.cli.web": ("serve", "accounts"),
    "mujun.cli.cases": ("cases",),
    "mujun.cli.objections": ("publish", "objections"),
    "mujun.cli.monitor": ("monitor", "warnings"),
}
"""Each module of commands (its ``register(app)`` adds them) and the commands it adds, in the
order the help lists them. A command's module is imported only when the command runs, so that
``mujun identify`` does not import the web application, the case files and the rest: start-up
is a large part of a short command. A command missing here is still found (every module is
then loaded), only not lazily."""


class LazyGroup(TyperGroup):
    """The program's commands, each module imported on first use (see :data:`COMMANDS`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.loaded: set[str] = set()

    def _load(self, module: str) -> None:
        if module in self.loaded:
            return
        self.loaded.add(module)
        commands = typer.Typer()
        importlib.import_module(module).register(commands)
        for name, command in typer.main.get_group(commands).commands.items():
            self.add_command(command, name)

    def _load_all(self) -> None:
        for module in COMMANDS:
            self._load(module)

    def list_commands(self, ctx: Any) -> list[str]:
        self._load_all()
        names = [name for module in COMMANDS for name in COMMANDS[module]]
        return [n for n in names if n in self.commands] + [
            n for n in self.commands if n not in names
        ]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        module = next((m for m, names in COMMANDS.items() if cmd_name in names), None)
        if module is not None:
            self._load(module)
        if cmd_name not in self.commands:
            self._load_all()
        return super().get_command(ctx, cmd_name)


class LanguageChoice(StrEnum):
    ZH = "zh"
    EN = "en"


app = typer.Typer(
    name="mujun",
    help=(
        "mujun (亩均): find, grade, watch and dispose of idle and low-efficiency industrial "
        "land. The records database comes from --db or MUJUN_DB; with neither, mujun.db in "
        "this folder."
    ),
    no_args_is_help=True,
    cls=LazyGroup,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def main_options(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            help="Records database URL (sqlite:///file.db, postgresql://…); default MUJUN_DB.",
            show_default=False,
        ),
    ] = None,
    lang: Annotated[
        LanguageChoice | None,
        typer.Option("--lang", help="Language of messages (default MUJUN_LANG, else zh)."),
    ] = None,
) -> None:
    loaded()  # the command's module is loaded by now: the collector runs again
    ctx.obj = Settings(
        db_url=db,
        lang=default_language() if lang is None else ("en" if lang is LanguageChoice.EN else "zh"),
    )
    ctx.call_on_close(ctx.obj.close)


def main() -> None:
    """Run the command; any failure ends with a one-line reason on stderr and exit status 1.

    Set MUJUN_DEBUG=1 to see the traceback instead.
    """
    try:
        app()
    except SystemExit as ending:
        leave(ending.code)
    except Exception as error:
        if os.environ.get("MUJUN_DEBUG"):
            raise
        detail = str(error).strip().splitlines()
        stderr.print(
            f"mujun: {type(error).__name__}: {detail[0] if detail else ''}",
            markup=False,
            highlight=False,
        )
        leave(1)


def leave(code: object) -> NoReturn:
    """End the process once the command is done, without the interpreter's tear-down.

    The tear-down frees every module and object one by one: 0.13 s of `mujun identify --help`
    (0.97 → 0.83 s), 0.4 s of `mujun --help`, about 0.2 s of an identification of the province
    (medians 3.97 → 3.80 s); and at its end DuckDB's bindings (nanobind) report the objects
    still alive as "leaked", forty lines on stderr under Python 3.11. What the command opened
    is closed by then (the records' connections close with its context, and SQLite folds its
    log back into the file); the exit handlers still run (temporary folders, log handlers).
    While another thread runs, the interpreter ends as usual and waits for it.
    """
    if isinstance(code, str):  # sys.exit("reason"): said on stderr, as Python would
        stderr.print(code, markup=False, highlight=False)
    status = code if isinstance(code, int) else int(code is not None)
    if threading.active_count() > 1:
        sys.exit(status)
    atexit._run_exitfuncs()  # what the interpreter would run first; it has no public name
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError):
            stream.flush()
    os._exit(status)
