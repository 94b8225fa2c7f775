"""The program imports a command's module only when the command runs: the map it loads by
names every command each module adds, and the help still lists them all."""

import importlib

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
