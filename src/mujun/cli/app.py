"""The ``mujun`` program: global options, and the command groups registered on it."""

from typing import Annotated

import typer

from mujun.cli import demo, interchange
from mujun.cli.context import Settings, default_language, fail

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
        str | None,
        typer.Option("--lang", help="Language of messages: zh or en (default MUJUN_LANG, zh)."),
    ] = None,
) -> None:
    if lang not in (None, "zh", "en"):
        fail(f"--lang must be zh or en, not {lang!r}")
    ctx.obj = Settings(db_url=db, lang="en" if lang == "en" else (lang or default_language()))  # type: ignore[arg-type]


interchange.register(app)
demo.register(app)


def main() -> None:
    app()
