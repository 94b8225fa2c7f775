"""Benchmark: mujun against the analyst's scripts of ``../shared/reference/`` (issue 14).

Generates the demo data set (the generator ``mujun demo --out DIR`` writes; 200,000 enterprises,
seed 1) or reuses one (``--data DIR``), imports it into a fresh SQLite file (and, with
``--postgres URL``, into a fresh PostgreSQL database), then times each task in fresh processes,
the product and the references alternating (A B C A B C …, ``--repeat`` rounds):

- ``mujun identify --only idle/not-started,idle/stalled,ankang/low/5 --profile ankang-2024``
  against ``duckdb_ref.py --task identify`` and ``pandas_ref.py --task identify``;
- the full ``ankang-2024`` identification (all its rules) against the same references;
- ``mujun evaluate --profile huangyan-2022 --year 2025`` against ``--task evaluate``;
- ``mujun import`` into an empty database against ``duckdb_load.py`` (bare DuckDB load);
- ``mujun import`` again with nothing changed, against the same load (the very files of the
  latest import: known by their digest, not read again);
- ``mujun import`` again with one tax figure changed, against the same load (every file read,
  checked and compared; one record updated).

With ``--before OTHER/src`` another checkout of mujun is timed too, in the same alternation, on
records of its own in each database (``before.db``, ``before_ref``; mujun's are ``mujun.db``,
``mujun_ref``), which it imports itself: the two checkouts' schemas may differ.

Prints the medians, the ratios (mujun ÷ DuckDB, mujun ÷ pandas) and each one's peak memory
(``wait4``'s maximum resident set size: the largest of the process and its children) as one
Markdown table, then checks that mujun's findings of the three rules and its grades agree with
the references' (and says which documented reading explains a difference).

    python bench/reference.py [--enterprises 200000] [--seed 1] [--data DIR]
        [--postgres URL] [--repeat 2] [--work DIR] [--tasks identify,full,evaluate,import]

Goal (issue 14), at 200,000 enterprises: identify of the three rules ≤ 2 × DuckDB and faster
than pandas, the full profile within 2 × of that; evaluate ≤ 2 × DuckDB and faster than pandas;
import ≤ 5 × the bare load, a re-import with nothing changed ≤ 2 × it; peak memory ≤ 1.5 GB.
"""

import argparse
import csv
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from mujun.records.database import recreate_database

HERE = Path(__file__).resolve().parent
REFERENCE = HERE.parent.parent / "shared" / "reference"
ONLY = "idle/not-started,idle/stalled,ankang/low/5"
MUJUN, BEFORE = "mujun", "before"
"""Whose records: the code under test's, and the ``--before`` code's (named after them)."""
AS_OF = "2025-12-31"
YEAR = "2025"

GENERATE = """
import sys
from pathlib import Path
from mujun.demo import generate
from mujun.interchange.exporter import write_csv_folder
write_csv_folder(Path(sys.argv[3]), generate(enterprises=int(sys.argv[1]), seed=int(sys.argv[2])))
"""


@dataclass(frozen=True)
class Sample:
    seconds: float
    peak_mb: float
    load: float
    """The one-minute load average when the process ended."""


@dataclass
class Row:
    task: str
    database: str
    samples: dict[str, list[Sample]] = field(default_factory=dict)

    def median(self, who: str) -> float | None:
        s = self.samples.get(who)
        return statistics.median(x.seconds for x in s) if s else None

    def peak(self, who: str) -> float | None:
        s = self.samples.get(who)
        return max(x.peak_mb for x in s) if s else None


def timed(label: str, argv: Sequence[str], out: Path | None = None) -> Sample:
    """Run ``argv`` in a fresh process; its wall time and peak resident memory."""
    sink = open(out, "wb") if out is not None else subprocess.DEVNULL  # noqa: SIM115
    try:
        started = time.perf_counter()
        process = subprocess.Popen(argv, stdout=sink, stderr=subprocess.PIPE)
        assert process.stderr is not None
        err = process.stderr.read()
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
    finally:
        if out is not None:
            sink.close()  # type: ignore[union-attr]
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{label} failed:\n{err.decode(errors='replace')[-2000:]}")
    sample = Sample(seconds, usage.ru_maxrss / 1024, os.getloadavg()[0])
    print(
        f"  {label:<44} {seconds:8.2f} s {sample.peak_mb:8.0f} MB  load {sample.load:.1f}",
        flush=True,
    )
    return sample


Job = tuple[str, Callable[[], None] | None, Sequence[str], Path | None]
"""Who (mujun, duckdb, pandas), what to prepare untimed, the command, where its stdout goes."""


def alternate(row: Row, jobs: Sequence[Job], repeat: int) -> Row:
    print(f"{row.task} ({row.database})", flush=True)
    for _ in range(repeat):
        for who, prepare, argv, out in jobs:
            if prepare is not None:
                prepare()
            row.samples.setdefault(who, []).append(timed(who, argv, out))
    return row


def mujun(url: str, *args: str) -> list[str]:
    return [sys.executable, "-m", "mujun", "--db", url, "--lang", "en", *args]


def reference(script: str, *args: str) -> list[str]:
    return [sys.executable, str(REFERENCE / script), *args]


# -- checks ----------------------------------------------------------------------------------


def product_findings(path: Path) -> dict[str, dict[str, bool]]:
    """Per rule, subject id → 重点 flag, from ``identify --format json``."""
    found: dict[str, dict[str, bool]] = {}
    for f in json.loads(path.read_bytes())["findings"]:
        found.setdefault(f["criterion"], {})[f["subject_id"]] = bool(f["key"])
    return found


def reference_findings(path: Path) -> dict[str, dict[str, bool]]:
    found: dict[str, dict[str, bool]] = {}
    with open(path, newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            if r["task"] == "identify":
                key = r["key"].strip().lower() in ("true", "1")
                found.setdefault(r["criterion"], {})[r["subject_id"]] = key
    return found


def product_grades(path: Path) -> dict[str, str]:
    return {r["credit_code"]: r["grade"] for r in json.loads(path.read_bytes())["results"]}


def reference_grades(path: Path) -> dict[str, str]:
    with open(path, newline="", encoding="utf-8") as f:
        return {r["subject_id"]: r["grade"] for r in csv.DictReader(f) if r["task"] == "evaluate"}


def compare_findings(ours: dict[str, dict[str, bool]], theirs: dict[str, dict[str, bool]]) -> str:
    parts = []
    for rule in ONLY.split(","):
        a, b = ours.get(rule, {}), theirs.get(rule, {})
        same = a.keys() & b.keys()
        key_diff = sum(a[s] != b[s] for s in same)
        parts.append(
            f"{rule}: {len(a):,} vs {len(b):,} (key {sum(a.values()):,} vs {sum(b.values()):,}); "
            f"only mujun {len(a.keys() - b.keys()):,}, only ref {len(b.keys() - a.keys()):,}, "
            f"key differs {key_diff:,}"
        )
    return "; ".join(parts)


def compare_grades(ours: dict[str, str], theirs: dict[str, str]) -> str:
    same = ours.keys() & theirs.keys()
    differ = sum(ours[c] != theirs[c] for c in same)

    def counts(grades: dict[str, str]) -> str:
        return ", ".join(f"{k} {v:,}" for k, v in sorted(Counter(grades.values()).items()))

    return (
        f"graded {len(ours):,} vs {len(theirs):,} (mujun {counts(ours)}; ref {counts(theirs)}); "
        f"only mujun {len(ours.keys() - theirs.keys()):,}, only ref "
        f"{len(theirs.keys() - ours.keys()):,}, grade differs {differ:,}"
    )


# -- the run ---------------------------------------------------------------------------------


@dataclass
class Bench:
    data: Path
    work: Path
    repeat: int
    before: Path | None = None
    """Another mujun's source folder (``src``): timed too, alternating, as "before"."""
    before_urls: dict[str, str] = field(default_factory=dict)
    """By database (SQLite, PostgreSQL): the records "before" runs on, of its own (the two
    codes' schemas may differ), imported by it."""
    rows: list[Row] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)
    pending: list[Callable[[], None]] = field(default_factory=list)
    edits: int = 0
    """The comparisons, made once every time is taken: parsing a province's findings grows
    this process, and a child's peak memory (``ru_maxrss``) starts from its parent's size at
    the fork."""

    def ref(self, script: str, task: str, out: Path, *extra: str) -> list[str]:
        when = ["--as-of", AS_OF] if task == "identify" else ["--year", YEAR]
        return reference(script, str(self.data), "--task", task, *when, *extra, "--out", str(out))

    def imports(self, name: str, url: str, fresh: Callable[[str], str]) -> None:
        """The three imports into ``url`` (made empty again by ``fresh(MUJUN)``), and into
        the records of ``--before``'s code (``fresh(BEFORE)``) alternating, if given."""
        loaded = self.work / "load.duckdb"
        load: Job = (
            "duckdb",
            lambda: loaded.unlink(missing_ok=True),
            reference("duckdb_load.py", str(self.data), str(loaded)),
            None,
        )
        edited = self.work / "data-one-value-changed"

        def emptied(who: str) -> Callable[[], None]:
            def empty() -> None:
                fresh(who)

            return empty

        def edited_again(_who: str) -> Callable[[], None]:
            return lambda: self.edit(edited)

        tasks: list[tuple[str, Callable[[str], Callable[[], None]] | None, Path]] = [
            ("import into an empty database", emptied, self.data),
            ("import again, nothing changed", None, self.data),
            ("import again, one tax figure changed", edited_again, edited),
        ]
        for task, prepare, data in tasks:
            args = ["import", str(data), "--format", "json"]
            jobs: list[Job] = [
                (who, None if prepare is None else prepare(BEFORE), argv, out)
                for who, _, argv, out in self.versus(name, args)
            ]
            jobs.append(
                ("mujun", None if prepare is None else prepare(MUJUN), mujun(url, *args), None)
            )
            self.rows.append(alternate(Row(task, name), [*jobs, load], self.repeat))

    def edit(self, folder: Path) -> None:
        """The data set in ``folder`` with the first annual tax figure changed, to a new value
        on every call (so that every import updates one record); the other files are links to
        the data set's."""
        self.edits += 1
        folder.mkdir(exist_ok=True)
        for source in self.data.iterdir():
            if source.name != "annual_metrics.csv" and not (folder / source.name).exists():
                (folder / source.name).symlink_to(source.resolve())
        header, first, rest = (self.data / "annual_metrics.csv").read_bytes().split(b"\n", 2)
        cells = first.split(b",")
        tax = header.split(b",").index(b"tax_yuan")
        cells[tax] = f"{float(cells[tax] or 0) + self.edits / 100:.2f}".encode()
        (folder / "annual_metrics.csv").write_bytes(b"\n".join([header, b",".join(cells), rest]))

    def versus(self, database: str, args: Sequence[str], out: Path | None = None) -> list[Job]:
        """``mujun args`` run by the ``before`` source on its own records of ``database``, if a
        source is given, its output written as the command's is (to a file of its own where
        the command's goes to ``out``: writing a run's document to a file takes time that
        /dev/null does not)."""
        if self.before is None:
            return []
        return self._before(mujun(self.before_urls[database], *args), out)

    def _before(self, argv: list[str], out: Path | None = None) -> list[Job]:
        if self.before is None:
            return []
        mine = None if out is None else out.with_name(f"{out.stem}_before{out.suffix}")
        return [("before", None, ["env", f"PYTHONPATH={self.before}", *argv], mine)]

    def identify_refs(self, name: str) -> list[Job]:
        duck, pandas = self.work / f"duckdb_id_{name}.csv", self.work / f"pandas_id_{name}.csv"
        return [
            ("duckdb", None, self.ref("duckdb_ref.py", "identify", duck), None),
            ("pandas", None, self.ref("pandas_ref.py", "identify", pandas), None),
        ]

    def identify(self, name: str, url: str, *, only: bool) -> None:
        args = ["identify", "--profile", "ankang-2024", "--as-of", AS_OF, "--format", "json"]
        if not only:
            task, ours = "identify, all of `ankang-2024`", self.work / f"mujun_full_{name}.json"
            self.rows.append(
                alternate(
                    Row(task, name),
                    [
                        *self.versus(name, args, ours),
                        ("mujun", None, mujun(url, *args), ours),
                        *self.identify_refs(name),
                    ],
                    self.repeat,
                )
            )
            return
        ours = self.work / f"mujun_identify_{name}.json"
        self.rows.append(
            alternate(
                Row(f"identify `--only {ONLY}`", name),
                [
                    *self.versus(name, [*args, "--only", ONLY], ours),
                    ("mujun", None, mujun(url, *args, "--only", ONLY), ours),
                    *self.identify_refs(name),
                ],
                self.repeat,
            )
        )
        readings = self.work / f"pandas_id_readings_{name}.csv"
        timed("pandas --mujun-readings (check only)",
              self.ref("pandas_ref.py", "identify", readings, "--mujun-readings"))  # fmt: skip

        def check() -> None:
            found = product_findings(ours)
            for who, path in (
                ("DuckDB", self.work / f"duckdb_id_{name}.csv"),
                ("pandas", self.work / f"pandas_id_{name}.csv"),
                ("pandas --mujun-readings", readings),
            ):
                compared = compare_findings(found, reference_findings(path))
                self.checks.append(f"identify ({name}) vs {who}: {compared}")

        self.pending.append(check)

    def evaluate(self, name: str, url: str) -> None:
        ours = self.work / f"mujun_evaluate_{name}.json"
        duck, pandas = self.work / f"duckdb_ev_{name}.csv", self.work / f"pandas_ev_{name}.csv"
        args = ["evaluate", "--profile", "huangyan-2022", "--year", YEAR, "--format", "json"]
        self.rows.append(
            alternate(
                Row("evaluate `huangyan-2022` 2025", name),
                [
                    *self.versus(name, args, ours),
                    ("mujun", None, mujun(url, *args), ours),
                    ("duckdb", None, self.ref("duckdb_ref.py", "evaluate", duck), None),
                    ("pandas", None, self.ref("pandas_ref.py", "evaluate", pandas), None),
                ],
                self.repeat,
            )
        )
        readings = self.work / f"pandas_ev_readings_{name}.csv"
        timed("pandas --mujun-readings (check only)",
              self.ref("pandas_ref.py", "evaluate", readings, "--mujun-readings"))  # fmt: skip

        def check() -> None:
            grades = product_grades(ours)
            for who, path in (
                ("DuckDB", duck),
                ("pandas", pandas),
                ("pandas --mujun-readings", readings),
            ):
                compared = compare_grades(grades, reference_grades(path))
                self.checks.append(f"evaluate ({name}) vs {who}: {compared}")

        self.pending.append(check)

    def startup(self) -> None:
        for args in (["--help"], ["identify", "--help"]):
            argv = [sys.executable, "-m", "mujun", *args]
            self.rows.append(
                alternate(
                    Row(f"`mujun {' '.join(args)}` (start-up)", "—"),
                    [*self._before(argv), ("mujun", None, argv, None)],
                    self.repeat + 1,
                )
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--enterprises", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--data", type=Path, help="reuse this CSV data set (else generate it)")
    parser.add_argument("--postgres", help="also on PostgreSQL: a server URL to create DBs on")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--work", type=Path, default=HERE / "out" / "reference")
    parser.add_argument("--tasks", default="import,identify,full,evaluate,startup")
    parser.add_argument(
        "--before",
        type=Path,
        help="also time the mujun of this source folder (its src), alternating: before/after",
    )
    parser.add_argument(
        "--keep-db",
        action="store_true",
        help="without the import task: reuse the SQLite file of --work if there is one",
    )
    args = parser.parse_args()
    tasks = set(args.tasks.split(","))
    work: Path = args.work
    work.mkdir(parents=True, exist_ok=True)
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
        f"Python {platform.python_version()}; load average at start {_load()}",
        flush=True,
    )
    data = _data_set(args.data or work / f"data-{args.enterprises}-{args.seed}", args)
    before = args.before.resolve() if args.before else None
    bench = Bench(data=data, work=work, repeat=args.repeat, before=before)
    databases: list[tuple[str, Callable[[str], str]]] = [
        ("SQLite", lambda who: _fresh_sqlite(work / f"{who}.db"))
    ]
    if args.postgres:
        server = args.postgres
        databases.append(("PostgreSQL", lambda who: recreate_database(server, f"{who}_ref")))
    for name, fresh in databases:
        kept = name == "SQLite" and args.keep_db and (work / f"{MUJUN}.db").exists()
        url = f"sqlite:///{work / f'{MUJUN}.db'}" if kept else fresh(MUJUN)
        if before is not None:
            bench.before_urls[name] = fresh(BEFORE)
        if "import" in tasks:
            bench.imports(name, url, fresh)
        else:
            if not kept:
                timed("import (setup, not compared)", mujun(url, "import", str(data)))
            for who, _, argv, _ in bench.versus(name, ["import", str(data)]):
                timed(f"import by {who} (setup, not compared)", argv)
        if "identify" in tasks:
            bench.identify(name, url, only=True)
        if "full" in tasks:
            bench.identify(name, url, only=False)
        if "evaluate" in tasks:
            bench.evaluate(name, url)
    if "startup" in tasks:
        bench.startup()
    for check in bench.pending:
        check()
    print(f"\nload average at end {_load()}\n")
    print(table(bench.rows))
    print()
    for line in bench.checks:
        print(f"- {line}")
    figures = {
        "data": str(data),
        "rows": [
            {"task": r.task, "database": r.database,
             "samples": {k: [vars(s) for s in v] for k, v in r.samples.items()}}
            for r in bench.rows
        ],
        "checks": bench.checks,
    }  # fmt: skip
    (work / "figures.json").write_text(json.dumps(figures, indent=1))


def _data_set(data: Path, args: argparse.Namespace) -> Path:
    if not (data / "enterprises.csv").exists():
        shutil.rmtree(data, ignore_errors=True)
        argv = [sys.executable, "-c", GENERATE, str(args.enterprises), str(args.seed), str(data)]
        timed("generate the CSV data set", argv)
    size = sum(f.stat().st_size for f in data.glob("*.csv")) / 1e6
    with open(data / "enterprises.csv", encoding="utf-8") as f:
        enterprises = sum(1 for _ in f) - 1
    print(f"data set {data}: {enterprises:,} enterprises, {size:,.0f} MB of CSV", flush=True)
    return data


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def table(rows: Sequence[Row]) -> str:
    before = any("before" in r.samples for r in rows)
    extra = " before | mujun ÷ before |" if before else ""
    lines = [
        f"| task | database | mujun |{extra} DuckDB | pandas | mujun ÷ DuckDB | mujun ÷ pandas "
        "| peak mujun / DuckDB / pandas | load (1 min) |",
        "|---|---|---|" + ("---|---|" if before else "") + "---|---|---|---|---|---|",
    ]
    for r in rows:
        m, d, p, b = (r.median(w) for w in ("mujun", "duckdb", "pandas", "before"))
        loads = [s.load for samples in r.samples.values() for s in samples]
        peaks = " / ".join(
            f"{r.peak(w):,.0f} MB" if r.peak(w) is not None else "—"
            for w in ("mujun", "duckdb", "pandas")
        )
        versus = f" {_s(b)} | {_ratio(m, b)} |" if before else ""
        lines.append(
            f"| {r.task} | {r.database} | {_s(m)} |{versus} {_s(d)} | {_s(p)} | {_ratio(m, d)} "
            f"| {_ratio(m, p)} | {peaks} | {min(loads):.1f}–{max(loads):.1f} |"
        )
    return "\n".join(lines)


def _s(seconds: float | None) -> str:
    return "—" if seconds is None else f"{seconds:.1f} s"


def _ratio(a: float | None, b: float | None) -> str:
    return "—" if a is None or b is None else f"{a / b:.2f}"


def _fresh_sqlite(path: Path) -> str:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{path}"


if __name__ == "__main__":
    main()
