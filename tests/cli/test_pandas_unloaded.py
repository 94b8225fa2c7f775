"""A run that replays its plan never loads pandas: pyarrow imports it on the first Python
value it converts, which costs a command most of half a second (:mod:`mujun.arrays`)."""

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pytest
from typer.testing import CliRunner

from mujun.arrays import empty, positions, repeated_integer, repeated_text
from mujun.cli.app import app
from mujun.interchange.exporter import write_csv_folder
from tests.planted import planted_city

COMMANDS = {
    "identify": ["identify", "--profile", "ankang-2024", "--as-of", "2025-12-31"],
    "identify --only": [
        "identify", "--profile", "ankang-2024", "--as-of", "2025-12-31",
        "--only", "idle/not-started,idle/stalled,ankang/low/5",
    ],
    "evaluate": ["evaluate", "--profile", "huangyan-2022", "--year", "2025"],
}  # fmt: skip


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("unloaded")
    url = f"sqlite:///{folder / 'records.db'}"
    write_csv_folder(folder / "d", planted_city(enterprises=20, seed=3))
    result = CliRunner().invoke(app, ["--db", url, "import", str(folder / "d")])
    assert result.exit_code == 0, result.output
    yield url


def test_a_replayed_run_never_loads_pandas(db: str, plans: Path) -> None:
    runs = [["--db", db, *args, "--format", "json"] for args in COMMANDS.values()]
    for args in runs:  # each compiles and keeps its plan
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 0, result.output
    script = (
        "import sys; from typer.testing import CliRunner; from mujun.cli.app import app\n"
        f"for args in {runs!r}:\n"
        "    result = CliRunner().invoke(app, args)\n"
        "    assert result.exit_code == 0, result.output\n"
        "    print('pandas' in sys.modules)"
    )
    replayed = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert replayed.stdout.split() == ["False"] * len(runs)


def test_arrays_made_from_their_bytes() -> None:
    assert repeated_text("安康/low/5", 3).to_pylist() == ["安康/low/5"] * 3
    assert repeated_text("", 2).to_pylist() == ["", ""]
    assert repeated_text("x", 0).to_pylist() == []
    assert repeated_integer(7, 2).to_pylist() == [7, 7]
    assert positions(4).to_pylist() == [0, 1, 2, 3]
    schema = pa.schema([("a", pa.string()), ("b", pa.int64())])
    assert empty(schema).schema == schema and empty(schema).num_rows == 0
    for array in (repeated_text("安康", 5), repeated_integer(1, 5), positions(5)):
        array.validate(full=True)
    with pytest.raises(OverflowError):
        repeated_text("x" * 1024, 2**21)
