"""Benchmark: identification and evaluation end to end from the records database, at three
sizes.

For each size (2,000, 20,000 and 200,000 enterprises by default) the demo data set is generated,
imported into SQLite and PostgreSQL; then ``ankang-2024`` is run as of 2025-12-31 the way
``mujun identify`` runs it (read every table the rules need into DuckDB, run every rule, store
the run and its findings), and ``huangyan-2022`` evaluates 2025 the way ``mujun evaluate`` does
(read the tables and the year's electricity, score and grade every enterprise). Each phase runs
in a process of its own (wall time and peak resident memory from ``wait4``). Prints one line
per phase and a Markdown table.

    python bench/identify_province.py [--sizes 2000,20000,200000] [--profile ankang-2024]
        [--evaluation-profile huangyan-2022] [--year 2025]

Targets: at 200,000 enterprises, identify ≤ 60 s and ≤ 4 GB (issue 3), evaluate ≤ 30 s and
≤ 3 GB (issue 4), end to end on each database.
"""

import argparse
import os
import platform
import shutil
from pathlib import Path

from import_province import GENERATE, IMPORT, Measure, run_phase
from mujun.records.database import recreate_database

HERE = Path(__file__).resolve().parent

IDENTIFY = """
import sys, json, datetime as dt
from mujun.records.database import open_engine, upgrade
from mujun.identification.service import identify_and_keep
from mujun.policy.profiles import load_profile
engine = open_engine(sys.argv[1])
upgrade(engine)
kept = identify_and_keep(engine=engine, profile=load_profile(sys.argv[2]),
                         as_of=dt.date.fromisoformat(sys.argv[3]), actor="bench")
result = kept.identification
print(f"run #{kept.run_id}: {result.findings.num_rows:,} findings, "
      f"{result.unjudged.num_rows:,} subjects not judged")
"""

EVALUATE = """
import sys
from mujun.analytics.facts import load_facts
from mujun.evaluation.engine import evaluate
from mujun.policy.profiles import load_profile
from mujun.records.database import open_engine, upgrade
engine = open_engine(sys.argv[1])
upgrade(engine)
facts = load_facts(engine, monthly=("electricity_kwh",))
result = evaluate(facts=facts, profile=load_profile(sys.argv[2]), year=int(sys.argv[3]))
print(f"{result.results.num_rows:,} enterprises graded, {result.excluded.num_rows:,} not in scope")
"""

READ = """
import sys
from mujun.analytics.facts import load_facts
from mujun.records.database import open_engine, upgrade
engine = open_engine(sys.argv[1])
upgrade(engine)
facts = load_facts(engine)
print(f"{sum(facts.rows.values()):,} rows read")
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="2000,20000,200000")
    parser.add_argument("--profile", default="ankang-2024")
    parser.add_argument("--as-of", default="2025-12-31")
    parser.add_argument("--evaluation-profile", default="huangyan-2022")
    parser.add_argument("--year", default="2025")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--work", type=Path, default=HERE / "out" / "identify")
    parser.add_argument("--reuse", action="store_true", help="keep databases already imported")
    parser.add_argument("--databases", default="sqlite,postgresql")
    args = parser.parse_args()
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
        f"Python {platform.python_version()}; profile {args.profile} as of {args.as_of}"
    )
    measures: list[tuple[int, str, Measure]] = []
    for size in (int(s) for s in args.sizes.split(",")):
        work = args.work / str(size)
        if not args.reuse:
            shutil.rmtree(work, ignore_errors=True)
            work.mkdir(parents=True)
            run_phase(f"{size}: generate", GENERATE, str(size), str(args.seed), str(work / "csv"))
        urls = {
            "SQLite": f"sqlite:///{work / 'records.db'}",
            "PostgreSQL": args.postgres.rsplit("/", 1)[0] + f"/mujun_bench_identify_{size}",
        }
        for name, given in urls.items():
            if name.lower() not in args.databases:
                continue
            url = given
            if not args.reuse:
                if name == "PostgreSQL":
                    url = recreate_database(args.postgres, f"mujun_bench_identify_{size}")
                run_phase(f"{size}: import into {name}", IMPORT, url, str(work / "csv"))
            measures.append((size, name, run_phase(f"{size}: read from {name}", READ, url)))
            identify = run_phase(
                f"{size}: identify on {name}", IDENTIFY, url, args.profile, args.as_of
            )
            measures.append((size, name, identify))
            evaluation = run_phase(
                f"{size}: evaluate on {name}", EVALUATE, url, args.evaluation_profile, args.year
            )
            measures.append((size, name, evaluation))
    print("\n| enterprises | database | phase | wall time | peak memory | detail |")
    print("|---|---|---|---|---|---|")
    for size, name, m in measures:
        phase = m.phase.split(": ", 1)[1].split(" ")[0]
        print(
            f"| {size:,} | {name} | {phase} | {m.seconds:.1f} s | {m.peak_mb:,.0f} MB "
            f"| {m.detail} |"
        )


if __name__ == "__main__":
    main()
