"""The program imports a command's module only when the command runs: the map it loads by
names every command each module adds, and the help still lists them all."""

import importlib
import subprocess
import sys

import typer
from typer.testing import CliRunner

from mujun.cli.app import COMMANDS, app


def test_the_map_names_every_command_of_each_module() -> None:
    for module, names in COMMANDS.items():
        commands = typer.Typer()
        importlib.import_module(module).register(commands)
        assert tuple(typer.main.get_group(commands).commands) == names, module


def test_the_help_lists_every_command() -> None:
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    for names in COMMANDS.values():
        for name in names:
            assert name in result.stdout


def test_the_help_does_not_import_the_web_application() -> None:
    """Listing the commands loads every command's module, not the web application, which only
    `mujun serve` runs (most of a second to import)."""
    listing = (
        "import sys; from typer.testing import CliRunner; from mujun.cli.app import app; "
        "assert CliRunner().invoke(app, ['--help']).exit_code == 0; "
        "print(sorted(m for m in ('mujun.web.app', 'uvicorn') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", listing], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
