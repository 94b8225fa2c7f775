"""A run's statements to DuckDB, compiled once and kept for the runs after it.

Building a profile's Ibis expressions and compiling them to SQL took 0.6–1.0 s of an
identification of the province's records (docs/benchmarks.md). What the
statements say depends on the code, the rules judged, the values of their parameters, the
year judged and the columns of the facts; never on the records, nor on the day judged, which
they read from a DuckDB variable (:data:`~mujun.analytics.variables.AS_OF`). So a run records
each statement as it compiles it: an intermediate table it keeps, or a query whose rows it
reads back. Once the run has ended, the plan is kept under a key naming all it depends on. A
later run with the same key sends the kept statements in the same order, and builds and
compiles nothing.

A plan is kept only where it can be replayed: none whose statements read a table Ibis made
from Python values as it built them, nor one that names the day judged (a formula that wrote
the date in, rather than read the variable). A table a formula needs from Python (the grades
``tonglu/other`` reads, an evaluation's) is made before its verdicts are read, replayed or
not, and registered under a name of its own (:attr:`FormulaEntry.prepare
<mujun.identification.judgement.FormulaEntry.prepare>`). Plans live under ``MUJUN_PLANS``,
else the user's cache folder; where they cannot be written or read, runs compile as before.
"""

import contextlib
import hashlib
import json
import os
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib.metadata import version
from pathlib import Path
from typing import Any, Literal

import mujun
from mujun.cache import cache_folder, keep_json

FOLDER_ENV = "MUJUN_PLANS"
FORMAT = 1
"""The layout of a kept plan; a file of another layout is not read."""
NOT_SHAPING = "web"
"""The package of mujun whose code shapes no statement, and which :func:`code_digest` does
not read: the web application, whose front end alone is hundreds of megabytes."""

Kind = Literal["table", "derived", "query"]
"""What a statement does: make a table for the rest of the run, make a table that depends on
the facts alone (made once however many runs read the same facts), or read rows back."""


VARIABLE_READ = re.compile(r"getvariable\('([^']*)'\)", re.IGNORECASE)
"""How a statement reads a variable (:mod:`mujun.analytics.variables`)."""


class PlanError(RuntimeError):
    """A kept plan that does not follow the run replaying it."""


@dataclass(frozen=True)
class Statement:
    """A statement of a run, by what it does and the name of what it makes or reads; its SQL,
    or None where Ibis sent it itself (it reads a table Ibis made from Python values)."""

    kind: Kind
    name: str
    sql: str | None


@dataclass
class Plan:
    """The statements of one run: replayed from ``kept`` where a plan was found, else
    recorded as they are compiled."""

    key: str
    kept: list[Statement] | None
    recorded: list[Statement] = field(default_factory=list)
    replayable: bool = True
    """False once a statement read a table Ibis made from Python values, or held
    ``forbidden`` text."""
    forbidden: tuple[str, ...] = ()
    """Text no statement of a replayable plan may hold (the day judged, written out)."""

    @property
    def replaying(self) -> bool:
        return self.kept is not None

    def record(self, statement: Statement) -> None:
        """Record a statement as it is sent (a replayed plan records nothing)."""
        if self.replaying:
            return
        if statement.sql is None or any(text in statement.sql for text in self.forbidden):
            self.replayable = False
        self.recorded.append(statement)

    def replayed(self, name: str, run: Callable[[Statement], None]) -> Statement:
        """``run`` the kept tables that come before the query ``name``; return that query."""
        assert self.kept is not None
        while self.kept:
            statement = self.kept.pop(0)
            if statement.kind == "query":  # the tables it reads were made before it
                if statement.name != name:
                    raise PlanError(f"plan {self.key}: {name} asked for, {statement.name} kept")
                return statement
            run(statement)
        raise PlanError(f"plan {self.key}: {name} asked for, no statement left")


def variables_read(statement: Statement) -> set[str]:
    """The variables ``statement`` reads."""
    return set(VARIABLE_READ.findall(statement.sql or ""))


def plan_key(purpose: str, parts: Mapping[str, Any]) -> str:
    """The key of the plan of a run for ``purpose`` (``identify``), with ``parts`` naming all
    its statements depend on besides the code."""
    described = json.dumps({"code": code_digest(), purpose: parts}, sort_keys=True, default=str)
    return f"{purpose}-{hashlib.sha256(described.encode()).hexdigest()[:32]}"


@cache
def code_digest() -> str:
    """A digest of all of mujun's code but the web application's (:data:`NOT_SHAPING`), and
    of the versions of what compiles and runs the statements."""
    digest = hashlib.sha256()
    for package in ("ibis-framework", "sqlglot", "duckdb"):
        digest.update(f"{package}={version(package)};".encode())
    root = Path(mujun.__file__).parent
    for folder, folders, files in os.walk(root):
        folders[:] = sorted(f for f in folders if Path(folder, f) != root / NOT_SHAPING)
        for name in sorted(files):
            if name.endswith(".py"):
                path = Path(folder, name)
                digest.update(str(path.relative_to(root)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


def read_plan(key: str) -> list[Statement] | None:
    """The statements kept under ``key``; None where none are or they cannot be read."""
    try:
        kept = json.loads(_path(key).read_text(encoding="utf-8"))
        if kept["format"] != FORMAT:
            return None
        return [Statement(s["kind"], s["name"], s["sql"]) for s in kept["statements"]]
    except (OSError, ValueError, TypeError, KeyError):
        return None


def keep_plan(plan: Plan) -> None:
    """Keep ``plan``'s recorded statements, if it can be replayed: written whole under a name
    of its own, then renamed, so that a reader never finds half of it."""
    if plan.replaying or not plan.replayable:
        return
    document = {
        "format": FORMAT,
        "statements": [{"kind": s.kind, "name": s.name, "sql": s.sql} for s in plan.recorded],
    }
    keep_json(_path(plan.key), document)


def _path(key: str) -> Path:
    return cache_folder(FOLDER_ENV, "plans") / f"{key}.json"


@contextlib.contextmanager
def planning(key: str, forbidden: tuple[str, ...] = ()) -> Iterator[Plan]:
    """The plan of a run under ``key``: the kept one to replay, else a new one to record and
    keep once the run has ended without error."""
    plan = Plan(key=key, kept=read_plan(key), forbidden=forbidden)
    yield plan
    keep_plan(plan)
