"""The records' columnar copy: every fact table, as of one state of the records, in a DuckDB
file that analytics attach instead of reading the row store again on every run.

The copy is labelled with the import and the change-log row that were the latest when it was
made. Every write of a fact is an import's or is logged (:mod:`mujun.records.changes`), so the
copy is current for as long as no import came after its label, no change-log row after it
touches a fact table (but the labelled import's own), and both rows still stand (tables emptied
and written again number their rows from 1 anew). A copy found current under a later label
(cases and warnings were written since, no fact) is relabelled; otherwise a new copy is read
from the records (:func:`~mujun.records.snapshot.read_snapshot`), written beside the others
under a temporary name, renamed into place, and the older copies removed. A process that
attached an older copy keeps reading it: renaming and removing leave an open file alone.

An import that compared every table with the records knows every fact they hold once it has
committed, and writes the copy itself (:func:`write_copy`), labelled with its own number and
the latest change-log row before it read the records: its own change-log rows are in the copy,
and any other written meanwhile is later than the label. It writes the copy while it commits;
the copy becomes current only once the commit is done, and is discarded if it fails. An import
that found a copy current as it began writes the new one as that copy with the rows it wrote
replaced (:func:`write_patched_copy`), under the same label: a few records corrected cost the
next run no reading of the records.

A copy never changes once written, so neither does the digest of its rows that a run takes as
its fingerprint (:mod:`mujun.analytics.facts`): the first run on a copy keeps each table's
beside it (:func:`keep_digests`), for the runs after it to read instead of hashing every row
again (:func:`read_digests`); they follow the copy as it is relabelled and go with it.

Where copies live: beside an SQLite file (``mujun.db`` → ``mujun.db.columnar/``); for any
other database, under ``MUJUN_COLUMNAR`` (else the user's cache folder), in a folder named
after the database. An SQLite database in memory cannot be read so (the reader of
:mod:`~mujun.records.snapshot` is another process).
"""

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
from sqlalchemy import Connection, Engine, Table, func, select

from mujun.cache import cache_folder, keep_json
from mujun.progress import Progress, silent
from mujun.records import DATA_MODELS, Change, DataImport, table_of
from mujun.records.bulk import arrow_schema
from mujun.records.changes import changed_one_of
from mujun.records.fields import is_fact
from mujun.records.snapshot import read_snapshot

FOLDER_ENV = "MUJUN_COLUMNAR"
SUFFIX = ".duckdb"
DIGESTS = ".digests.json"
SKIPPED_COLUMNS = frozenset({"geometry_wkt"})

Wanted = Sequence[tuple[Table, Sequence[str]]]
"""Tables, each with the columns read of it."""
Digests = dict[str, tuple[int, int]]
"""Per table and columns read (``"parcels:parcel_id,area_m2"``), its rows: how many, and a
digest of them."""


def fact_columns(table: Table) -> list[str]:
    """The facts of ``table``: neither geometries nor columns derived from the facts."""
    return [c.name for c in table.columns if c.name not in SKIPPED_COLUMNS and is_fact(c)]


KEPT: Wanted = [(table, fact_columns(table)) for table in map(table_of, DATA_MODELS)]
"""What a copy keeps: every fact of every table of the interchange format."""


@dataclass(frozen=True)
class Label:
    """The state of the records a copy holds: the latest import and change-log row when it
    was made (0 where there was none)."""

    imported: int
    change: int
    stamp: str
    """A digest of those rows' times, telling them from rows numbered alike after the
    records were emptied."""

    @property
    def name(self) -> str:
        return f"{self.imported}-{self.change}-{self.stamp}"


def current_copy(engine: Engine, wanted: Wanted = KEPT, *, on_progress: Progress = silent) -> Path:
    """The path of a copy of ``wanted`` (all the facts unless a test says otherwise) as the
    records stand now, made if there is none."""
    folder = copies_folder(engine)
    with engine.connect() as conn:
        latest = _latest(conn)
        standing = _standing(conn, folder, wanted, latest)
    made = folder / f"{_shape(wanted)}-{latest.name}{SUFFIX}"
    return standing or _made(engine, wanted, made, on_progress)


def standing_copy(engine: Engine, conn: Connection) -> Path | None:
    """The path of a copy of every fact current as ``conn`` sees the records, if there is one
    (none is made; none can be of a database in memory)."""
    try:
        folder = copies_folder(engine)
    except ValueError:
        return None
    return _standing(conn, folder, KEPT, _latest(conn))


def _standing(conn: Connection, folder: Path, wanted: Wanted, latest: Label) -> Path | None:
    """A current copy of ``wanted`` in ``folder``, relabelled ``latest``."""
    shape = _shape(wanted)
    for path in sorted(folder.glob(f"{shape}-*{SUFFIX}")):
        label = _label_of(path, shape)
        if label is not None and _still_current(conn, label, [t for t, _ in wanted]):
            return _relabelled(path, shape, latest)
    return None


def copies_folder(engine: Engine) -> Path:
    """Where the copies of this database live."""
    url = engine.url
    if url.get_backend_name() == "sqlite":
        if not url.database or url.database == ":memory:":
            raise ValueError(f"{url}: a database in memory cannot be read by another process")
        database = Path(url.database)
        return database.with_name(database.name + ".columnar")
    place = url.render_as_string(hide_password=True)
    return cache_folder(FOLDER_ENV, "columnar") / hashlib.sha256(place.encode()).hexdigest()[:16]


def _shape(wanted: Wanted) -> str:
    """A digest of the tables and columns kept, and of DuckDB's version (its files are read
    by the version that wrote them): a copy of another shape is never read."""
    described = ";".join(
        f"{table.name}:" + ",".join(f"{c}={table.c[c].type}" for c in columns)
        for table, columns in wanted
    )
    return hashlib.sha256(f"{duckdb.__version__}|{described}".encode()).hexdigest()[:12]


def _latest(conn: Connection) -> Label:
    imports, change = table_of(DataImport), table_of(Change)
    imported = conn.execute(
        select(imports.c.id, imports.c.finished_at).order_by(imports.c.id.desc()).limit(1)
    ).first()
    changed = conn.execute(
        select(change.c.id, change.c.changed_at).order_by(change.c.id.desc()).limit(1)
    ).first()
    return Label(
        imported.id if imported else 0,
        changed.id if changed else 0,
        _stamp(imported.finished_at if imported else None, changed.changed_at if changed else None),
    )


def latest_change(conn: Connection) -> int:
    """The number of the latest change-log row (0 where there is none)."""
    latest: int | None = conn.execute(select(func.max(table_of(Change).c.id))).scalar()
    return latest or 0


def label_of_import(conn: Connection, imported: int, change: int) -> Label:
    """The label of a copy written by the import ``imported`` (:func:`write_copy`), whose
    reading of the records began after the change-log row ``change``: read in the import's
    transaction once it has written everything, its end included."""
    return Label(imported, change, _stamp_of(conn, imported, change))


def _stamp_of(conn: Connection, imported: int, change: int) -> str:
    imports, log = table_of(DataImport), table_of(Change)
    imported_at = conn.execute(select(imports.c.finished_at).where(imports.c.id == imported))
    changed_at = conn.execute(select(log.c.changed_at).where(log.c.id == change))
    return _stamp(imported_at.scalar(), changed_at.scalar())


def _stamp(imported_at: object, changed_at: object) -> str:
    return hashlib.sha256(f"{imported_at}|{changed_at}".encode()).hexdigest()[:10]


def _label_of(path: Path, shape: str) -> Label | None:
    parts = path.name.removeprefix(f"{shape}-").removesuffix(SUFFIX).split("-", 2)
    imported, change, stamp = [*parts, "", ""][:3]
    if not (imported.isdigit() and change.isdigit() and stamp):
        return None
    return Label(int(imported), int(change), stamp)


def _still_current(conn: Connection, label: Label, tables: Sequence[Table]) -> bool:
    """No import came after ``label`` and no change of a fact but the labelled import's own,
    and its rows still stand."""
    imports, change = table_of(DataImport), table_of(Change)
    if _stamp_of(conn, label.imported, label.change) != label.stamp:
        return False
    later_import = conn.execute(
        select(imports.c.id).where(imports.c.id > label.imported).limit(1)
    ).first()
    touched = changed_one_of([t.name for t in tables])
    others = change.c.import_id.is_distinct_from(label.imported)
    later = conn.execute(
        select(change.c.id).where(change.c.id > label.change, touched, others).limit(1)
    )
    return later_import is None and later.first() is None


def _relabelled(path: Path, shape: str, latest: Label) -> Path:
    """The current copy under the latest label, so the next look scans fewer changes."""
    renamed = path.with_name(f"{shape}-{latest.name}{SUFFIX}")
    if renamed == path:
        return path
    try:
        path.replace(renamed)
    except FileNotFoundError:  # another process relabelled or replaced it meanwhile
        return renamed if renamed.exists() else path
    with contextlib.suppress(FileNotFoundError):  # none kept yet, or moved by another
        _digests_path(path).replace(_digests_path(renamed))
    return renamed


def _made(engine: Engine, wanted: Wanted, made: Path, on_progress: Progress) -> Path:
    """A new copy of the records at ``made``, whose name has the label read before the
    records were."""
    with _writing(made) as making, duckdb.connect(making.temporary) as copy:
        copy.execute("SET enable_progress_bar = false")
        for index, (name, data) in enumerate(read_snapshot(engine, wanted)):
            on_progress(f"read {name}", index / len(wanted))
            copy.register("incoming", data)
            copy.execute(f'CREATE TABLE "{name}" AS SELECT * FROM incoming')
            copy.unregister("incoming")
        copy.execute("CHECKPOINT")
    on_progress("read", 1.0)
    return made


def _committed_already() -> bool:
    """For a copy of records already committed: it is current as soon as it is written."""
    return True


def write_copy(
    engine: Engine,
    label: Label,
    db: duckdb.DuckDBPyConnection,
    rows: Callable[[Table, Sequence[str]], str],
    *,
    committed: Callable[[], bool] = _committed_already,
) -> Path | None:
    """Write the copy of every fact as the records hold them at ``label`` from the DuckDB
    ``db``, where ``rows(table, columns)`` is a query of the table's rows giving ``columns`` in
    that order: an import that knows them writes them at once instead of reading them back
    from the records. Each table is made as :func:`_made` makes it, from Arrow of the records'
    types, and filled by casting to them, so the copy is the one :func:`_made` would make.
    It becomes current once ``committed()`` says the records hold those rows (it may wait for
    their transaction to end, so that both are written at once); else it is discarded and
    None returned."""
    made = copies_folder(engine) / f"{_shape(KEPT)}-{label.name}{SUFFIX}"
    with _writing(made, committed) as making:
        path = making.temporary.replace("'", "''")
        db.execute(f"ATTACH '{path}' AS written")
        try:
            for table, columns in KEPT:
                db.register("shaped", arrow_schema(table, columns).empty_table())
                db.execute(f'CREATE TABLE written."{table.name}" AS SELECT * FROM shaped')
                db.unregister("shaped")
                db.execute(f'INSERT INTO written."{table.name}" {rows(table, columns)}')
            db.execute("CHECKPOINT written")
        finally:
            db.execute("DETACH written")
    return made if making.current else None


def write_patched_copy(
    engine: Engine,
    label: Label,
    base: Path,
    patch: Callable[[str], None],
    *,
    committed: Callable[[], bool] = _committed_already,
) -> Path | None:
    """Write the copy of every fact as the records hold them at ``label`` as the copy ``base``
    (current when the writer began to read the records), changed by ``patch(path)``: given the
    new file's path, it attaches it and replaces the rows the writer wrote. It becomes
    current as :func:`write_copy`'s does."""
    made = copies_folder(engine) / f"{_shape(KEPT)}-{label.name}{SUFFIX}"
    with _writing(made, committed) as making:
        shutil.copyfile(base, making.temporary)
        patch(making.temporary)
    return made if making.current else None


@dataclass
class _Making:
    """A copy being written under a temporary name; whether it became current."""

    temporary: str
    current: bool = False


@contextmanager
def _writing(made: Path, committed: Callable[[], bool] = _committed_already) -> Iterator[_Making]:
    """A new file beside ``made`` to write a copy in: once written, and once ``committed()``
    says the records hold what it holds, renamed to ``made`` and the older copies removed;
    else removed."""
    folder = made.parent
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    handle, temporary = tempfile.mkstemp(prefix=".making-", suffix=SUFFIX, dir=folder)
    os.close(handle)
    Path(temporary).unlink()  # DuckDB makes its own file
    making = _Making(temporary)
    try:
        yield making
        making.current = committed()
        if making.current:
            Path(temporary).replace(made)
    finally:
        Path(temporary).unlink(missing_ok=True)
        Path(temporary + ".wal").unlink(missing_ok=True)
    if not making.current:
        return
    for older in [*folder.glob(f"*{SUFFIX}"), *folder.glob(f"*{DIGESTS}")]:
        if older not in (made, _digests_path(made)) and not older.name.startswith(".making-"):
            older.unlink(missing_ok=True)


def read_digests(copy: Path) -> Digests:
    """The digests of ``copy``'s tables that :func:`keep_digests` kept; none where none were
    kept or they cannot be read (they are then computed again)."""
    try:
        kept = json.loads(_digests_path(copy).read_text(encoding="utf-8"))
        return {str(key): (int(rows), int(hashed)) for key, (rows, hashed) in kept.items()}
    except (OSError, ValueError, TypeError, AttributeError):
        return {}


def keep_digests(copy: Path, digests: Digests) -> None:
    """Keep ``digests`` of ``copy``'s tables beside it (:func:`~mujun.cache.keep_json`); where
    they cannot be written, the next run computes them again."""
    keep_json(_digests_path(copy), {key: list(value) for key, value in digests.items()})


def _digests_path(copy: Path) -> Path:
    return copy.with_name(copy.name.removesuffix(SUFFIX) + DIGESTS)
