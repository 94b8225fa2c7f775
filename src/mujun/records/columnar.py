"""The records' columnar copy: every fact table, as of one state of the records, in a DuckDB
file that analytics attach instead of reading the row store again on every run.

The copy is labelled with the change-log row that was the latest when it was made. Every write
of a fact is logged (:mod:`mujun.records.changes`: the importer writes its change rows, the ORM
logs the rest), so the copy is current for as long as no change-log row after its label
touches a fact table, and that row still stands (tables emptied and written again number their
rows from 1 anew). A copy found current under a later label (cases and warnings were written
since, no fact) is relabelled; otherwise a new copy is read from the records
(:func:`~mujun.records.snapshot.read_snapshot`), written beside the others under a temporary
name, renamed into place, and the older copies removed. A process that attached an older copy
keeps reading it: renaming and removing leave an open file alone.

Where copies live: beside an SQLite file (``mujun.db`` → ``mujun.db.columnar/``); for any
other database, under ``MUJUN_COLUMNAR`` (else the user's cache folder), in a folder named
after the database. An SQLite database in memory cannot be read so (the reader of
:mod:`~mujun.records.snapshot` is another process).
"""

import hashlib
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
from sqlalchemy import Connection, Engine, Table, select

from mujun.progress import Progress, silent
from mujun.records import DATA_MODELS, Change, table_of
from mujun.records.changes import changed_one_of
from mujun.records.fields import is_derived
from mujun.records.snapshot import read_snapshot

FOLDER_ENV = "MUJUN_COLUMNAR"
SUFFIX = ".duckdb"
SKIPPED_COLUMNS = frozenset({"geometry_wkt"})

Wanted = Sequence[tuple[Table, Sequence[str]]]
"""Tables, each with the columns read of it."""


def fact_columns(table: Table) -> list[str]:
    """The facts of ``table``: neither geometries nor columns derived from the facts."""
    return [c.name for c in table.columns if c.name not in SKIPPED_COLUMNS and not is_derived(c)]


KEPT: Wanted = [(table, fact_columns(table)) for table in map(table_of, DATA_MODELS)]
"""What a copy keeps: every fact of every table of the interchange format."""


@dataclass(frozen=True)
class Label:
    """The state of the records a copy holds: the latest change-log row when it was made."""

    change: int
    stamp: str
    """A digest of that row's time, telling it from a row numbered alike after the log was
    emptied."""

    @property
    def name(self) -> str:
        return f"{self.change}-{self.stamp}"


EMPTY = Label(0, "empty")
"""The label of a copy made while the change log was empty."""


def current_copy(engine: Engine, wanted: Wanted = KEPT, *, on_progress: Progress = silent) -> Path:
    """The path of a copy of ``wanted`` (all the facts unless a test says otherwise) as the
    records stand now, made if there is none."""
    folder = copies_folder(engine)
    shape = _shape(wanted)
    with engine.connect() as conn:
        latest = _latest(conn)
        for path in sorted(folder.glob(f"{shape}-*{SUFFIX}")):
            label = _label_of(path, shape)
            if label is not None and _still_current(conn, label, [t for t, _ in wanted]):
                return _relabelled(path, shape, latest)
    return _made(engine, wanted, folder / f"{shape}-{latest.name}{SUFFIX}", on_progress)


def copies_folder(engine: Engine) -> Path:
    """Where the copies of this database live."""
    url = engine.url
    if url.get_backend_name() == "sqlite":
        if not url.database or url.database == ":memory:":
            raise ValueError(f"{url}: a database in memory cannot be read by another process")
        database = Path(url.database)
        return database.with_name(database.name + ".columnar")
    root = os.environ.get(FOLDER_ENV) or Path(
        os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache", "mujun", "columnar"
    )
    place = url.render_as_string(hide_password=True)
    return Path(root, hashlib.sha256(place.encode()).hexdigest()[:16])


def _shape(wanted: Wanted) -> str:
    """A digest of the tables and columns kept, and of DuckDB's version (its files are read
    by the version that wrote them): a copy of another shape is never read."""
    described = ";".join(
        f"{table.name}:" + ",".join(f"{c}={table.c[c].type}" for c in columns)
        for table, columns in wanted
    )
    return hashlib.sha256(f"{duckdb.__version__}|{described}".encode()).hexdigest()[:12]


def _latest(conn: Connection) -> Label:
    change = table_of(Change)
    row = conn.execute(
        select(change.c.id, change.c.changed_at).order_by(change.c.id.desc()).limit(1)
    ).first()
    return EMPTY if row is None else Label(row.id, _stamp(row.changed_at))


def _stamp(moment: object) -> str:
    return hashlib.sha256(str(moment).encode()).hexdigest()[:10]


def _label_of(path: Path, shape: str) -> Label | None:
    change, _, stamp = path.name.removeprefix(f"{shape}-").removesuffix(SUFFIX).partition("-")
    return Label(int(change), stamp) if change.isdigit() and stamp else None


def _still_current(conn: Connection, label: Label, tables: Sequence[Table]) -> bool:
    """No fact was written after ``label``, which still names the same change-log row."""
    change = table_of(Change)
    if label != EMPTY:
        moment = conn.execute(select(change.c.changed_at).where(change.c.id == label.change))
        row = moment.first()
        if row is None or _stamp(row.changed_at) != label.stamp:
            return False
    touched = changed_one_of([t.name for t in tables])
    later = conn.execute(select(change.c.id).where(change.c.id > label.change, touched).limit(1))
    return later.first() is None


def _relabelled(path: Path, shape: str, latest: Label) -> Path:
    """The current copy under the latest label, so the next look scans fewer changes."""
    renamed = path.with_name(f"{shape}-{latest.name}{SUFFIX}")
    if renamed == path:
        return path
    try:
        path.replace(renamed)
    except FileNotFoundError:  # another process relabelled or replaced it meanwhile
        return renamed if renamed.exists() else path
    return renamed


def _made(engine: Engine, wanted: Wanted, made: Path, on_progress: Progress) -> Path:
    """A new copy of the records at ``made``, whose name has the label read before the
    records were."""
    folder = made.parent
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    handle, temporary = tempfile.mkstemp(prefix=".making-", suffix=SUFFIX, dir=folder)
    os.close(handle)
    Path(temporary).unlink()  # DuckDB makes its own file
    try:
        with duckdb.connect(temporary) as copy:
            copy.execute("SET enable_progress_bar = false")
            for index, (name, data) in enumerate(read_snapshot(engine, wanted)):
                on_progress(f"read {name}", index / len(wanted))
                copy.register("incoming", data)
                copy.execute(f'CREATE TABLE "{name}" AS SELECT * FROM incoming')
                copy.unregister("incoming")
            copy.execute("CHECKPOINT")
        Path(temporary).replace(made)
    finally:
        Path(temporary).unlink(missing_ok=True)
        Path(temporary + ".wal").unlink(missing_ok=True)
    for older in folder.glob(f"*{SUFFIX}"):
        if older != made and not older.name.startswith(".making-"):
            older.unlink(missing_ok=True)
    on_progress("read", 1.0)
    return made
