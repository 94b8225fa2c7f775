"""The demo city: generate it, import it like any data set, and show what it holds."""

from pathlib import Path
from typing import Annotated

import typer

from mujun.cli.context import settings, stdout
from mujun.cli.interchange import report_import, show_summary
from mujun.cli.render import OutputFormat, progress_bar
from mujun.demo import generate
from mujun.interchange.exporter import write_csv_folder
from mujun.interchange.importer import import_data_set


def register(app: typer.Typer) -> None:
    app.command("demo")(demo_command)


def demo_command(
    ctx: typer.Context,
    enterprises: Annotated[
        int, typer.Option(min=1, help="How many enterprises: 2000 a county, 200000 a province.")
    ] = 2000,
    seed: Annotated[int, typer.Option(help="The same seed gives the same city.")] = 1,
    out: Annotated[
        Path, typer.Option(help="Folder the generated CSV data set is written to.")
    ] = Path("demo-data"),
) -> None:
    """Generate a synthetic city, import it, and print its summary (示范城市)."""
    s = settings(ctx)
    with progress_bar() as progress:
        progress(s.say("生成示范数据…", "generating…"), 0.0)
        write_csv_folder(out, generate(enterprises=enterprises, seed=seed))
        stdout.print(s.say(f"示范数据已写入 {out}/", f"Demo data set written to {out}/"))
        outcome = import_data_set(
            engine=s.engine(), path=out, actor="demo", reason="mujun demo", on_progress=progress
        )
    report_import(s, outcome, OutputFormat.TABLE)
    show_summary(s, OutputFormat.TABLE)
