"""The command's entry point loads the program with the collector paused; the program has it
collect again, what was loaded frozen, once the command's module is loaded."""

import gc
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

import mujun.cli.app
from mujun.cli import start
from mujun.cli.app import app


@pytest.fixture
def collector() -> Iterator[None]:
    yield
    gc.enable()
    gc.unfreeze()


def test_the_program_is_loaded_with_the_collector_paused(
    monkeypatch: pytest.MonkeyPatch, collector: None
) -> None:
    seen: list[bool] = []
    monkeypatch.setattr(mujun.cli.app, "main", lambda: seen.append(gc.isenabled()))
    start.main()
    assert seen == [False]


def test_the_command_runs_with_the_collector_on_and_what_loaded_frozen(collector: None) -> None:
    gc.disable()  # as start.main leaves it
    result = CliRunner().invoke(app, ["--lang", "en", "profiles"])
    assert result.exit_code == 0, result.output
    assert gc.isenabled()
    assert gc.get_freeze_count() > 0


def test_a_program_driven_with_the_collector_on_is_left_as_it_is(collector: None) -> None:
    assert CliRunner().invoke(app, ["--lang", "en", "profiles"]).exit_code == 0
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0
