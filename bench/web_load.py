"""Benchmark: the web application under 20 concurrent users on the province data set.

Prepares (unless ``--reuse``) the demo province (200,000 enterprises) in PostgreSQL with an
``ankang-2024`` identification run and a ``huangyan-2022`` evaluation kept, and two accounts:
a city analyst (reads every county) and a county officer. Serves it with ``mujun serve`` in a
process of its own, then:

1. the first map request, which builds the map's parcel index, timed on its own;
2. ``--users`` simulated users (half analysts, half officers), each signed in with a session
   of its own, for ``--seconds``; each reads what it asked for for ``--think`` seconds (drawn
   uniformly, as a person reads a page; ``0-0`` sends requests back to back) and asks again:
   list pages (parcels, findings, grades, enterprises; a random page and sort), parcel files
   (page and API), enterprise files, map views (a random place at zoom 11 to 16) and map
   searches, the case list, board and files (page and API). Latency per kind:
   p50, p95, p99, max, and every error;
3. the cockpit in Debian's Chromium (Playwright): first contentful paint and the time until
   its charts are drawn, signed in as the analyst, over ``--paints`` fresh page loads.

Prints one Markdown table to paste into ``docs/benchmarks.md``.

    python bench/web_load.py [--enterprises 200000] [--users 20] [--seconds 60] [--reuse]

Sorting the enterprise list by land aggregates every enterprise's land first; it is timed as a
kind of its own.

Targets (issue 5): list pages, parcel file and map requests p95 ≤ 300 ms, p99 ≤ 1 s, no
errors; the cockpit's first paint ≤ 2 s. Issue 12: the case list and the case file p95 ≤ 300 ms
(every finding of the run is a case).
"""

import argparse
import asyncio
import os
import platform
import random
import shutil
import socket
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import shapely
from playwright.sync_api import sync_playwright
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from import_province import GENERATE, IMPORT, run_phase
from mujun.records import Case, Enterprise, EvaluationRun, IdentificationRun, Parcel
from mujun.records.database import open_engine, recreate_database

HERE = Path(__file__).resolve().parent
DATABASE = "mujun_bench_web"
PASSWORD = "bench-password"
CHROMIUM = "/usr/bin/chromium"

KEEP_RUNS = """
import sys, datetime as dt
from mujun.evaluation.service import evaluate_and_keep
from mujun.identification.service import identify_and_keep
from mujun.policy.profiles import load_profile
from mujun.records.database import open_engine
engine = open_engine(sys.argv[1])
found = identify_and_keep(engine=engine, profile=load_profile("ankang-2024"),
                          as_of=dt.date(2025, 12, 31), actor="bench")
graded = evaluate_and_keep(engine=engine, profile=load_profile("huangyan-2022"), year=2025,
                           actor="bench")
from sqlalchemy.orm import Session
from mujun.disposal.opening import open_cases
with Session(engine) as db:
    opened = open_cases(db, run_id=found.run_id, actor="bench")
    db.commit()
print(f"identification run #{found.run_id}: {found.identification.findings.num_rows:,} findings,"
      f" {len(opened.opened):,} cases; evaluation run #{graded.run_id}")
"""

ACCOUNTS = """
import sys
from sqlalchemy import delete
from sqlalchemy.orm import Session
from mujun.records import Account
from mujun.records.accounts import SignInClient
from mujun.records.database import open_engine
from mujun.web.accounts import create_account
from mujun.web.permissions import Role
engine = open_engine(sys.argv[1])
with Session(engine) as session:
    session.execute(delete(Account).where(Account.username.in_(["bench-city", "bench-county"])))
    session.execute(delete(SignInClient))  # an earlier run's sign-ins no longer count
    create_account(session, username="bench-city", password=sys.argv[2],
                   role=Role.CITY_ANALYST, display_name="bench-city", county_code=None)
    create_account(session, username="bench-county", password=sys.argv[2],
                   role=Role.COUNTY_OFFICER, display_name="bench-county", county_code=sys.argv[3])
    session.commit()
print("accounts bench-city and bench-county for", sys.argv[3])
"""


@dataclass
class Sample:
    """What the users may ask for: real parcel ids, credit codes and places of the data."""

    county: str
    parcels: list[str]
    county_parcels: list[str]
    enterprises: list[str]
    county_enterprises: list[str]
    places: list[tuple[float, float]]
    county_places: list[tuple[float, float]]
    names: list[str]
    cases: list[int]
    county_cases: list[int]


@dataclass
class Latencies:
    seconds: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--enterprises", type=int, default=200_000)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--paints", type=int, default=5)
    parser.add_argument("--think", default="1-3", help="seconds between requests, LOW-HIGH")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--work", type=Path, default=HERE / "out" / "web")
    parser.add_argument("--reuse", action="store_true", help="keep the database already made")
    parser.add_argument("--port", type=int, default=0, help="default: a free port")
    args = parser.parse_args()
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
        f"Python {platform.python_version()}; {args.enterprises:,} enterprises; "
        f"{args.users} users for {args.seconds:.0f} s"
    )
    url = args.postgres.rsplit("/", 1)[0] + f"/{DATABASE}"
    if not args.reuse:
        url = prepare(args)
    if not has_kept_runs(url):
        run_phase("identify and evaluate (kept)", KEEP_RUNS, url)
    sample = take_sample(url, random.Random(args.seed))
    run_phase("accounts", ACCOUNTS, url, PASSWORD, sample.county)
    port = args.port or free_port()
    base = f"http://127.0.0.1:{port}"
    with serving(url, port):
        first_map = asyncio.run(first_map_request(base))
        print(f"first map request (builds the parcel index): {first_map:.2f} s", flush=True)
        low, high = (float(v) for v in args.think.split("-"))
        measured = asyncio.run(
            load(base, sample, args.users, args.seconds, args.seed, think=(low, high))
        )
        paints = cockpit_paints(base, args.paints)
    report(measured, args.seconds, first_map, paints)


def prepare(args: argparse.Namespace) -> str:
    """The demo province, generated and imported into a new database; its URL."""
    shutil.rmtree(args.work, ignore_errors=True)
    args.work.mkdir(parents=True)
    data = args.work / "csv"
    run_phase("generate", GENERATE, str(args.enterprises), str(args.seed), str(data))
    url = recreate_database(args.postgres, DATABASE)
    run_phase("import into PostgreSQL", IMPORT, url, str(data))
    return url


def has_kept_runs(url: str) -> bool:
    engine = open_engine(url)
    with Session(engine) as session:
        kept = all(
            session.scalar(select(func.count()).select_from(model))
            for model in (IdentificationRun, EvaluationRun, Case)
        )
    engine.dispose()
    return kept


def take_sample(url: str, rng: random.Random) -> Sample:
    """A thousand parcels and enterprises at random, those of the busiest county, and places
    (parcel centroids) to look at."""
    engine = open_engine(url)
    with Session(engine) as session:
        rows = session.execute(
            select(
                Parcel.parcel_id,
                Parcel.county_code,
                Parcel.holder_credit_code,
                Parcel.geometry_wkt,
            )
            .where(Parcel.geometry_wkt.is_not(None))
            .order_by(func.random())
            .limit(4000)
        ).all()
        names = [
            name[:4]
            for name in session.scalars(select(Enterprise.name).order_by(func.random()).limit(200))
        ]
        cases = session.execute(
            select(Case.id, Case.county_code).order_by(func.random()).limit(4000)
        ).all()
    engine.dispose()
    counties = [r.county_code for r in rows]
    county = max(set(counties), key=counties.count)
    mine = [r for r, c in zip(rows, counties, strict=True) if c == county]
    centroids = shapely.centroid(shapely.from_wkt([r.geometry_wkt for r in rows]))
    places = [(float(p.x), float(p.y)) for p in centroids]
    in_county = [p for p, c in zip(places, counties, strict=True) if c == county]
    rng.shuffle(names)
    return Sample(
        county=str(county),
        parcels=[r.parcel_id for r in rows],
        county_parcels=[r.parcel_id for r in mine],
        enterprises=[r.holder_credit_code for r in rows if r.holder_credit_code],
        county_enterprises=[r.holder_credit_code for r in mine if r.holder_credit_code],
        places=places,
        county_places=in_county,
        names=names,
        cases=[c.id for c in cases],
        county_cases=[c.id for c in cases if c.county_code == county],
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def serving(url: str, port: int) -> Iterator[None]:
    """``mujun serve`` in a process of its own, until the block ends."""
    mujun = Path(sys.executable).with_name("mujun")
    process = subprocess.Popen(
        [str(mujun), "--db", url, "serve", "--port", str(port)], stdout=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 60
        while not _answers(port):
            if time.monotonic() > deadline:
                raise SystemExit("the server did not start")
            time.sleep(0.2)
        yield
    finally:
        process.terminate()
        process.wait(timeout=30)


def _answers(port: int) -> bool:
    try:
        httpx.get(f"http://127.0.0.1:{port}/login", timeout=1)
    except httpx.TransportError:
        return False
    return True


@asynccontextmanager
async def signed_in(
    base: str, username: str, one_at_a_time: asyncio.Lock
) -> AsyncIterator[httpx.AsyncClient]:
    """A client of its own, signed in as ``username`` (a session cookie). The users sign in one
    after another, as people do: twenty at once from one address would be throttled as a
    password-guessing client."""
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        async with one_at_a_time:
            response = await client.post(
                "/api/session", json={"username": username, "password": PASSWORD}
            )
        if response.status_code != 200:
            raise RuntimeError(f"{username} could not sign in: {response.text}")
        yield client


async def first_map_request(base: str) -> float:
    async with signed_in(base, "bench-city", asyncio.Lock()) as client:
        started = time.perf_counter()
        (await client.get("/api/map/extent")).raise_for_status()
        return time.perf_counter() - started


Request = Callable[[random.Random], tuple[str, str]]
"""A kind of request: given the user's random source, its kind and path."""


def requests_of(sample: Sample, officer: bool) -> list[Request]:
    parcels = sample.county_parcels if officer else sample.parcels
    enterprises = sample.county_enterprises if officer else sample.enterprises
    places = sample.county_places if officer else sample.places
    cases = sample.county_cases if officer else sample.cases

    def view(rng: random.Random) -> tuple[str, str]:
        x, y = rng.choice(places)
        zoom = rng.uniform(11, 16)
        half = 360 / 2**zoom * 2  # about a 1,000-pixel-wide screen
        bbox = f"{x - half:.6f},{y - half / 2:.6f},{x + half:.6f},{y + half / 2:.6f}"
        return "map view", f"/api/map/parcels?bbox={bbox}&zoom={zoom:.1f}"

    def page(path: str, sorts: tuple[str, ...]) -> Request:
        def listed(rng: random.Random) -> tuple[str, str]:
            return f"list {path}", f"{path}?page={rng.randint(1, 20)}&sort={rng.choice(sorts)}"

        return listed

    return [
        page("/", ("parcel_id", "-area_mu", "holder_name")),
        page("/findings", ("criterion", "-area_mu", "subject_id")),
        page("/grades", ("-score", "grade", "name")),
        page("/enterprises", ("name", "credit_code")),
        lambda rng: (
            "list /enterprises by land",
            f"/enterprises?page={rng.randint(1, 20)}&sort=-land_mu",
        ),
        page("/api/parcels", ("-area_mu", "parcel_id")),
        lambda rng: ("parcel file", f"/parcels/{rng.choice(parcels)}"),
        lambda rng: ("parcel file", f"/api/parcels/{rng.choice(parcels)}/file"),
        lambda rng: ("enterprise file", f"/enterprises/{rng.choice(enterprises)}"),
        view,
        view,
        lambda rng: ("map search", f"/api/map/search?q={rng.choice(sample.names)}"),
        lambda rng: ("list /cases", f"/cases?page={rng.randint(1, 20)}"),
        lambda rng: ("list /cases by state", f"/cases?state=surveyed&page={rng.randint(1, 20)}"),
        lambda rng: ("case board", "/cases/board"),
        lambda rng: ("case file", f"/cases/{rng.choice(cases)}"),
        lambda rng: ("case file", f"/api/cases/{rng.choice(cases)}"),
    ]


async def user(
    base: str,
    *,
    username: str,
    kinds: list[Request],
    until: float,
    seed: int,
    think: tuple[float, float],
    into: Latencies,
    signing_in: asyncio.Lock,
) -> None:
    rng = random.Random(seed)
    async with signed_in(base, username, signing_in) as client:
        while time.monotonic() < until:
            kind, path = rng.choice(kinds)(rng)
            started = time.perf_counter()
            try:
                response = await client.get(path)
                status = response.status_code
            except httpx.TransportError as error:
                status, response = 0, None
                into.errors[kind].append(f"{path}: {error!r}")
            into.seconds[kind].append(time.perf_counter() - started)
            if response is not None and status != 200:
                into.errors[kind].append(f"{path}: {status} {response.text[:120]}")
            await asyncio.sleep(rng.uniform(*think))


async def load(
    base: str,
    sample: Sample,
    users: int,
    seconds: float,
    seed: int,
    *,
    think: tuple[float, float],
) -> Latencies:
    measured = Latencies()
    until = time.monotonic() + seconds
    signing_in = asyncio.Lock()
    await asyncio.gather(
        *(
            user(
                base,
                username="bench-county" if i % 2 else "bench-city",
                kinds=requests_of(sample, officer=bool(i % 2)),
                until=until,
                seed=seed + i,
                think=think,
                into=measured,
                signing_in=signing_in,
            )
            for i in range(users)
        )
    )
    return measured


def cockpit_paints(base: str, times: int) -> list[tuple[float, float]]:
    """(first contentful paint, charts drawn) in seconds from navigation, per fresh load."""
    found = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        for _ in range(times):
            page = browser.new_context().new_page()
            page.goto(f"{base}/login")
            page.fill("input[name=username]", "bench-city")
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_load_state()
            page.goto(f"{base}/cockpit")
            page.wait_for_selector("#by-category canvas")
            fcp = page.evaluate(
                "performance.getEntriesByName('first-contentful-paint')[0].startTime / 1000"
            )
            drawn = page.evaluate("performance.now() / 1000")
            found.append((float(fcp), float(drawn)))
            page.context.close()
        browser.close()
    return found


def report(
    measured: Latencies, seconds: float, first_map: float, paints: list[tuple[float, float]]
) -> None:
    print("\n| requests | count | per second | p50 | p95 | p99 | max | errors |")
    print("|---|---|---|---|---|---|---|---|")
    total = sum(len(v) for v in measured.seconds.values())
    for kind in sorted(measured.seconds):
        took = sorted(measured.seconds[kind])
        cuts = statistics.quantiles(took, n=100, method="inclusive")
        print(
            f"| {kind} | {len(took):,} | {len(took) / seconds:.1f} | {_ms(cuts[49])} | "
            f"{_ms(cuts[94])} | {_ms(cuts[98])} | {_ms(took[-1])} | "
            f"{len(measured.errors[kind])} |"
        )
    failed = sum(len(e) for e in measured.errors.values())
    print(f"| all | {total:,} | {total / seconds:.1f} | | | | | {failed} |")
    print(f"\nfirst map request (index build): {first_map:.2f} s")
    if paints:
        print(
            "cockpit first contentful paint: "
            + ", ".join(f"{fcp:.2f} s" for fcp, _ in paints)
            + "; charts drawn: "
            + ", ".join(f"{drawn:.2f} s" for _, drawn in paints)
        )
    for kind, errors in measured.errors.items():
        for error in errors[:5]:
            print(f"error ({kind}): {error}")


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms"


if __name__ == "__main__":
    main()
