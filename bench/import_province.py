"""Benchmark: generate the province data set, import it into SQLite and PostgreSQL, read a
200,000-row sheet.

Each phase runs in a process of its own, so its wall time and peak memory (``wait4``'s maximum
resident set size) are its own. Prints one line per phase and a Markdown table to paste into
``docs/benchmarks.md``.

    python bench/import_province.py [--enterprises 200000] [--postgres URL]

Targets (issue 2): generate ≤ 2 min; import ≤ 3 min into each database; peak memory ≤ 3 GB;
a 200,000-row sheet read in ≤ 5 s.
"""

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from mujun.records.database import recreate_database

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Measure:
    phase: str
    seconds: float
    peak_mb: float
    detail: str = ""


def run_phase(phase: str, code: str, *args: str) -> Measure:
    """Run ``code`` in a fresh Python; its last stdout line is the detail shown."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-c", code, *args], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{phase} failed:\n{output}")
    detail = output.strip().splitlines()[-1] if output.strip() else ""
    measure = Measure(phase, seconds, usage.ru_maxrss / 1024, detail)
    print(f"{phase:<40} {seconds:8.1f} s  {measure.peak_mb:8.0f} MB  {detail}", flush=True)
    return measure


GENERATE = """
import sys, json
from pathlib import Path
from mujun.demo import generate, summary
from mujun.interchange.exporter import write_csv_folder
data = generate(enterprises=int(sys.argv[1]), seed=int(sys.argv[2]))
write_csv_folder(Path(sys.argv[3]), data)
print(json.dumps({"rows": sum(summary(data).values())}))
"""

GENERATE_ONLY = """
import sys, json
from mujun.demo import generate, summary
data = generate(enterprises=int(sys.argv[1]), seed=int(sys.argv[2]))
print(json.dumps({"rows": sum(summary(data).values())}))
"""

IMPORT = """
import sys, json
from pathlib import Path
from mujun.interchange.importer import import_data_set
from mujun.records.database import open_engine, upgrade
engine = open_engine(sys.argv[1])
upgrade(engine)
outcome = import_data_set(engine=engine, path=Path(sys.argv[2]), actor="bench")
assert not outcome.problems, outcome.problems[:5]
print(json.dumps({"inserted": sum(c.inserted for c in outcome.changes.values()),
                  "updated": sum(c.updated for c in outcome.changes.values()),
                  "committed": outcome.committed}))
"""

WRITE_SHEET = """
import sys
from pathlib import Path
import pyarrow.csv as pa_csv
from mujun.interchange.schema import table
from mujun.interchange.workbooks import write_workbook
spec = table("enterprises")
data = pa_csv.read_csv(Path(sys.argv[1]) / "enterprises.csv").slice(0, 200_000)
write_workbook(Path(sys.argv[2]), [(spec, data.to_batches())])
print(data.num_rows, "rows")
"""

READ_SHEET = """
import sys, tempfile, time
from pathlib import Path
import duckdb
from mujun.interchange.sources import read_data_set
db = duckdb.connect()
started = time.perf_counter()
with tempfile.TemporaryDirectory() as work:
    result = read_data_set(Path(sys.argv[1]), db, workdir=Path(work))
seconds = time.perf_counter() - started
print(f"{result.tables[0].rows} rows × {len(result.tables[0].column_index)} columns "
      f"read in {seconds:.2f} s")
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--enterprises", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--work", type=Path, default=HERE / "out")
    parser.add_argument(
        "--reuse", action="store_true", help="keep the data set already generated in --work"
    )
    parser.add_argument("--databases", default="sqlite,postgresql", help="which to import into")
    args = parser.parse_args()

    work, n, seed = args.work, str(args.enterprises), str(args.seed)
    data_set = work / "data-set"
    databases = set(args.databases.split(","))
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
        f"Python {platform.python_version()}; {args.enterprises} enterprises"
    )
    measures = []
    if not args.reuse:
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        measures.append(run_phase("generate (in memory)", GENERATE_ONLY, n, seed))
        measures.append(
            run_phase("generate + write CSV data set", GENERATE, n, seed, str(data_set))
        )
    targets: dict[str, tuple[str, Callable[[], str]]] = {
        "sqlite": ("SQLite", lambda: f"sqlite:///{work / 'records.db'}"),
        "postgresql": ("PostgreSQL", lambda: recreate_database(args.postgres, "mujun_bench")),
    }
    for key, (name, fresh) in targets.items():
        if key in databases:
            (work / "records.db").unlink(missing_ok=True)
            url = fresh()
            for phase in (f"import into {name} (empty)", f"import again into {name} (no change)"):
                measures.append(run_phase(phase, IMPORT, url, str(data_set)))
    sheet = work / "enterprises-200k.xlsx"
    if not args.reuse:
        run_phase("write a 200,000-row workbook", WRITE_SHEET, str(data_set), str(sheet))
        measures.append(run_phase("read a 200,000-row sheet", READ_SHEET, str(sheet)))

    size_mb = sum(f.stat().st_size for f in data_set.iterdir()) / 1e6
    print(f"\ndata set: {size_mb:,.0f} MB of CSV\n")
    print("| phase | wall time | peak memory | detail |\n|---|---|---|---|")
    for m in measures:
        print(f"| {m.phase} | {m.seconds:.1f} s | {m.peak_mb:,.0f} MB | {m.detail} |")
    (work / "figures.json").write_text(json.dumps([vars(m) for m in measures], indent=1))


if __name__ == "__main__":
    main()
