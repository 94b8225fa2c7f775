"""Benchmark: disposal cases at province scale (issue 12).

On a records database holding the demo province (``--db``; without one, the province is
generated (200,000 enterprises, seed 1) and imported into a new SQLite file under ``--work``),
with an ``ankang-2024`` identification run kept (made if missing), each phase in a fresh
process, its wall time and peak memory printed:

1. open a case for every finding of the run (``mujun.disposal.opening.open_cases``, one
   transaction, the change log written for every row);
2. open them again (nothing new: every finding is already in its case);
3. read the ledger: its first page of 50 (with each case's deadlines) and the overdue filter;
   then write the whole ledger as its workbook (处置台账, the whole-list export), the cases
   streamed from one query;
4. read 200 case files at random (``case_file``), each on its own, and print p50/p95/max.

    python bench/cases.py [--db URL | --postgres URL] [--enterprises 200000] [--work DIR]

``--postgres postgresql://postgres@127.0.0.1:5432/test`` prepares the province in a new
database ``mujun_bench_cases`` on that server instead of a SQLite file.

The web pages over the same functions are timed under 20 users by ``bench/web_load.py``.
"""

import argparse
import os
import platform
import shutil
from pathlib import Path

from import_province import GENERATE, IMPORT, run_phase
from mujun.records.database import recreate_database

HERE = Path(__file__).resolve().parent

KEEP_RUN = """
import sys, datetime as dt
from sqlalchemy import select
from sqlalchemy.orm import Session
from mujun.identification.service import identify_and_keep
from mujun.policy.profiles import load_profile
from mujun.records import IdentificationRun
from mujun.records.database import open_engine, upgrade
engine = open_engine(sys.argv[1])
upgrade(engine)
with Session(engine) as db:
    run = db.scalar(select(IdentificationRun.id).where(IdentificationRun.profile == "ankang-2024")
                    .order_by(IdentificationRun.id.desc()).limit(1))
if run is None:
    run = identify_and_keep(engine=engine, profile=load_profile("ankang-2024"),
                            as_of=dt.date(2025, 12, 31), actor="bench").run_id
print(run)
"""

OPEN = """
import sys
from sqlalchemy.orm import Session
from mujun.disposal.opening import open_cases
from mujun.records.database import open_engine
engine = open_engine(sys.argv[1])
with Session(engine) as db:
    opening = open_cases(db, run_id=int(sys.argv[2]), actor="bench")
    db.commit()
print(f"{len(opening.opened):,} opened, {len(opening.joined):,} joined")
"""

LEDGER = """
import sys, time, datetime as dt
from sqlalchemy.orm import Session
from mujun.disposal.ledger import CaseFilters, cases_query, ledger
from mujun.records.database import open_engine
engine = open_engine(sys.argv[1])
today = dt.date(2026, 6, 30)
with Session(engine) as db:
    started = time.perf_counter()
    page = ledger(db, cases_query(CaseFilters(), today), today=today, limit=50)
    first = time.perf_counter() - started
    started = time.perf_counter()
    late = ledger(db, cases_query(CaseFilters(overdue=True), today), today=today, overdue=True)
    overdue = time.perf_counter() - started
print(f"first page of 50 (of {page.total:,}): {first * 1000:.0f} ms; "
      f"overdue filter ({late.total:,}): {overdue * 1000:,.0f} ms")
"""

EXPORT = """
import sys, time, tempfile, datetime as dt
from pathlib import Path
from sqlalchemy.orm import Session
from mujun.disposal.ledger import CaseFilters, cases_query, every_file
from mujun.disposal.ledger_book import write_ledger
from mujun.records.database import open_engine
engine = open_engine(sys.argv[1])
today = dt.date(2026, 6, 30)
out = Path(tempfile.mkdtemp()) / "ledger.xlsx"
with Session(engine) as db:
    started = time.perf_counter()
    files = every_file(db, cases_query(CaseFilters(), today), today=today)
    write_ledger(db, out, files, today=today, lang="zh")
    took = time.perf_counter() - started
print(f"whole ledger workbook: {took:,.1f} s, {out.stat().st_size / 1e6:,.1f} MB")
"""

FILES = """
import sys, time, random, statistics, datetime as dt
from sqlalchemy import select
from sqlalchemy.orm import Session
from mujun.disposal.case_file import case_file
from mujun.records import Case
from mujun.records.database import open_engine
engine = open_engine(sys.argv[1])
with Session(engine) as db:
    ids = list(db.scalars(select(Case.id)))
    chosen = random.Random(1).sample(ids, min(200, len(ids)))
    times = []
    for case_id in chosen:
        started = time.perf_counter()
        case_file(db, case_id, dt.date(2026, 6, 30)).as_json()
        times.append(time.perf_counter() - started)
        db.expunge_all()
times.sort()
p95 = times[int(len(times) * 0.95) - 1]
print(f"{len(times)} case files: p50 {statistics.median(times) * 1000:.1f} ms, "
      f"p95 {p95 * 1000:.1f} ms, max {times[-1] * 1000:.1f} ms")
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="a records database holding the province")
    parser.add_argument("--enterprises", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--work", type=Path, default=HERE / "out" / "cases")
    parser.add_argument("--postgres", help="prepare the province on this PostgreSQL server")
    args = parser.parse_args()
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
        f"Python {platform.python_version()}"
    )
    url = args.db or prepare(args)
    run = run_phase("identification run (kept)", KEEP_RUN, url).detail
    run_phase("open a case for every finding", OPEN, url, run)
    run_phase("open again (nothing new)", OPEN, url, run)
    run_phase("ledger", LEDGER, url)
    run_phase("whole ledger export", EXPORT, url)
    run_phase("case files", FILES, url)


def prepare(args: argparse.Namespace) -> str:
    shutil.rmtree(args.work, ignore_errors=True)
    args.work.mkdir(parents=True)
    data = args.work / "csv"
    run_phase("generate", GENERATE, str(args.enterprises), str(args.seed), str(data))
    if args.postgres:
        url = recreate_database(args.postgres, "mujun_bench_cases")
    else:
        url = f"sqlite:///{args.work / 'province.db'}"
    run_phase("import", IMPORT, url, str(data))
    return url


if __name__ == "__main__":
    main()
