"""Benchmark: one month of the province judged and kept (issue 13).

On a records database holding the demo province (``--db``; without one, the province is
generated (``--enterprises``, seed 1: 36 months of monthly figures, 2023-01 to 2025-12, for
about two thirds of the enterprises) and imported into a new SQLite file under ``--work``),
each phase in a fresh process, its wall time and peak memory printed:

1. monitoring of 2025-11 under ``yancheng-2021`` (the first month judged: every warning new),
   judged and kept by ``mujun.monitoring.service.monitor_and_keep``, the time split into
   reading the records, judging the signals and keeping the run and its warnings (and, of
   that, the run's row with its unjudged subjects);
2. monitoring of 2025-12 (the warnings of 2025-11 continued or lifted);
3. the 预警通报 of 2025-12: its workbook and its Word document.

Each monitoring phase prints the warnings, the unjudged rows kept for the run, the subjects
counted unjudged in its summary, and how much the records file grew (SQLite).

    python bench/monitor.py [--db URL | --postgres URL] [--enterprises 200000] [--work DIR]
"""

import argparse
import os
import platform
import shutil
from pathlib import Path

from import_province import GENERATE, IMPORT, run_phase
from mujun.records.database import recreate_database

HERE = Path(__file__).resolve().parent

MONITOR = """
import sys, time, datetime as dt
from sqlalchemy import func, select
from sqlalchemy.orm import Session
import mujun.monitoring.service as service
from mujun.monitoring.service import monitor_and_keep
from mujun.policy.profiles import load_profile
from mujun.records import MonitoringRun, MonitoringUnjudged
from mujun.records.database import open_engine, upgrade
engine = open_engine(sys.argv[1])
upgrade(engine)
marks = {}
keep = service.keep
def timed_keep(*args, **kwargs):  # the run's row and its unjudged subjects
    started = time.perf_counter()
    kept = keep(*args, **kwargs)
    marks["run and unjudged kept"] = time.perf_counter() - started
    return kept
service.keep = timed_keep
started = time.perf_counter()
def progress(stage, done):
    marks.setdefault(stage, time.perf_counter() - started)
kept = monitor_and_keep(engine=engine, profile=load_profile("yancheng-2021"), month=sys.argv[2],
                        issued_on=dt.date.fromisoformat(sys.argv[3]), actor="bench",
                        on_progress=progress)
total = time.perf_counter() - started
read = min(t for stage, t in marks.items() if stage.startswith("monitor/"))
judged = marks["warnings"]
with Session(engine) as db:
    rows = db.scalar(select(func.count()).select_from(MonitoringUnjudged)
                     .where(MonitoringUnjudged.run_id == kept.run_id))
    summary = db.get(MonitoringRun, kept.run_id).unjudged
counted = sum(u["subjects"] for u in summary)
o = kept.outcome
print(f"read {read:.1f} s, judge {judged - read:.1f} s, keep {total - judged:.1f} s "
      f"(of which the run and its unjudged rows {marks['run and unjudged kept']:.1f} s); "
      f"{kept.monitoring.fired.num_rows:,} warnings ({len(o.raised):,} new, "
      f"{len(o.continued):,} continued, {len(o.lifted):,} lifted); "
      f"unjudged: {rows:,} rows kept, {counted:,} counted")
"""

BULLETIN = """
import sys, time, tempfile
from pathlib import Path
from sqlalchemy.orm import Session
from mujun.monitoring.bulletin import bulletin, write_bulletin_document, write_bulletin_workbook
from mujun.records.database import open_engine
engine = open_engine(sys.argv[1])
out = Path(tempfile.mkdtemp())
started = time.perf_counter()
with Session(engine) as db:
    data = bulletin(db, month=sys.argv[2], profile="yancheng-2021")
read = time.perf_counter() - started
write_bulletin_workbook(data, out / "bulletin.xlsx", lang="zh")
book = time.perf_counter() - started - read
write_bulletin_document(data, out / "bulletin.docx")
doc = time.perf_counter() - started - read - book
print(f"{len(data.warnings):,} warnings ({len(data.red):,} red): read {read:.1f} s, "
      f"workbook {book:.1f} s ({(out / 'bulletin.xlsx').stat().st_size / 1e6:.1f} MB), "
      f"document {doc:.1f} s ({(out / 'bulletin.docx').stat().st_size / 1e3:.0f} kB)")
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="a records database holding the province")
    parser.add_argument("--enterprises", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--work", type=Path, default=HERE / "out" / "monitor")
    parser.add_argument("--postgres", help="prepare the province on this PostgreSQL server")
    parser.add_argument("--skip-bulletin", action="store_true")
    args = parser.parse_args()
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
        f"Python {platform.python_version()}; {args.enterprises:,} enterprises"
    )
    url = scratch(args.db or prepare(args), args.work)
    monitored(url, "2025-11", "2025-12-05")
    monitored(url, "2025-12", "2026-01-05")
    if not args.skip_bulletin:
        run_phase("bulletin 2025-12 (workbook, document)", BULLETIN, url, "2025-12")


def monitored(url: str, month: str, issued: str) -> None:
    before = _size(url)
    run_phase(f"monitor {month} (judged and kept)", MONITOR, url, month, issued)
    if before is not None:
        grown = (_size(url) or 0) - before
        print(f"{'':<40} records file grew {grown / 1e6:,.1f} MB", flush=True)


def scratch(url: str, work: Path) -> str:
    """A SQLite province copied, so that the phases can be run again on the records as
    imported; any other database as it is."""
    if not url.startswith("sqlite:///"):
        return url
    copy = work / "monitored.db"
    work.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(url.removeprefix("sqlite:///"), copy)
    return f"sqlite:///{copy}"


def _size(url: str) -> int | None:
    if not url.startswith("sqlite:///"):
        return None
    path = Path(url.removeprefix("sqlite:///"))
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*") if p.is_file())


def prepare(args: argparse.Namespace) -> str:
    shutil.rmtree(args.work, ignore_errors=True)
    args.work.mkdir(parents=True)
    data = args.work / "csv"
    run_phase("generate", GENERATE, str(args.enterprises), str(args.seed), str(data))
    if args.postgres:
        url = recreate_database(args.postgres, "mujun_bench_monitor")
    else:
        url = f"sqlite:///{args.work / 'province.db'}"
    run_phase("import", IMPORT, url, str(data))
    shutil.rmtree(data)
    return url


if __name__ == "__main__":
    main()
