"""The ``mujun`` program: global options, and the command groups registered on it."""

import os
import sys
from enum import StrEnum
from typing import Annotated

import typer

from mujun.cli import (
    cases,
    demo,
    evaluation,
    identification,
    interchange,
    monitor,
    profiles,
    web,
)
from mujun.cli import objections as objection_commands
from mujun.cli.context import Settings, default_language, stderr


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
    ctx.obj = Settings(
        db_url=db,
        lang=default_language() if lang is None else ("en" if lang is LanguageChoice.EN else "zh"),
    )


interchange.register(app)
demo.register(app)
profiles.register(app)
identification.register(app)
evaluation.register(app)
web.register(app)
cases.register(app)
objection_commands.register(app)
monitor.register(app)


def main() -> None:
    """Run the command; any failure ends with a one-line reason on stderr and exit status 1.

    Set MUJUN_DEBUG=1 to see the traceback instead.
    """
    try:
        app()
    except Exception as error:
        if os.environ.get("MUJUN_DEBUG"):
            raise
        detail = str(error).strip().splitlines()
        stderr.print(
            f"mujun: {type(error).__name__}: {detail[0] if detail else ''}",
            markup=False,
            highlight=False,
        )
        sys.exit(1)
