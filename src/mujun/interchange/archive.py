"""Keeping the files an import read, and giving them back byte for byte
(:mod:`mujun.records.archive`)."""

import hashlib
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import pyarrow as pa
from sqlalchemy import Connection, insert, select

from mujun.records import ImportFile, ImportFilePiece, table_of
from mujun.records.archive import PIECE_BYTES

_CODEC = "zstd"
COMPRESSING = 2
"""Threads compressing a file's pieces: keeping the province's 688 MB of CSV into SQLite took
2.24-2.74 s with one (Zstandard alone 1.66 s of it), 1.36-1.47 s with two."""
AHEAD = 2 * COMPRESSING
"""Pieces read and compressed ahead of the one being written (each :data:`PIECE_BYTES`)."""


@dataclass(frozen=True)
class KeptFile:
    """A file an import kept: its name, size in bytes and SHA-256 digest."""

    import_id: int
    name: str
    size: int
    sha256: str


def keep_files(conn: Connection, import_id: int, files: Sequence[Path]) -> list[KeptFile]:
    """Keep each of ``files`` under the import ``import_id``, in compressed pieces."""
    with ThreadPoolExecutor(max_workers=COMPRESSING, thread_name_prefix="mujun-archive") as pool:
        return [_keep_file(conn, import_id, path, pool) for path in files]


def _keep_file(conn: Connection, import_id: int, path: Path, pool: ThreadPoolExecutor) -> KeptFile:
    digest = hashlib.sha256()
    size = 0
    conn.execute(
        insert(table_of(ImportFile)),
        {"import_id": import_id, "name": path.name, "size": 0, "sha256": ""},
    )
    with path.open("rb") as stream:
        for seq, (piece, content) in enumerate(_compressed(stream, pool)):
            digest.update(piece)
            size += len(piece)
            conn.execute(
                insert(table_of(ImportFilePiece)),
                {
                    "import_id": import_id,
                    "name": path.name,
                    "seq": seq,
                    "size": len(piece),
                    "content": content,
                },
            )
    file = KeptFile(import_id, path.name, size, digest.hexdigest())
    conn.execute(
        table_of(ImportFile)
        .update()
        .where(ImportFile.import_id == import_id, ImportFile.name == path.name)
        .values(size=file.size, sha256=file.sha256)
    )
    return file


def _compressed(stream: BinaryIO, pool: ThreadPoolExecutor) -> Iterator[tuple[bytes, bytes]]:
    """The pieces of ``stream`` in order, each with its compressed bytes: the pool's threads
    compress the next pieces while one is written (Zstandard leaves the interpreter while it
    works), at most :data:`AHEAD` pieces ahead."""
    codec = pa.Codec(_CODEC)
    pending: deque[tuple[bytes, Future[bytes]]] = deque()
    for piece in iter(lambda: stream.read(PIECE_BYTES), b""):
        pending.append((piece, pool.submit(codec.compress, piece, asbytes=True)))
        if len(pending) > AHEAD:
            raw, content = pending.popleft()
            yield raw, content.result()
    while pending:
        raw, content = pending.popleft()
        yield raw, content.result()


def kept_files(conn: Connection, import_ids: Sequence[int]) -> dict[int, list[KeptFile]]:
    """The files each of ``import_ids`` kept, by name."""
    found: dict[int, list[KeptFile]] = {number: [] for number in import_ids}
    rows = conn.execute(
        select(ImportFile.import_id, ImportFile.name, ImportFile.size, ImportFile.sha256)
        .where(ImportFile.import_id.in_(list(import_ids)))
        .order_by(ImportFile.import_id, ImportFile.name)
    )
    for row in rows:
        found[row.import_id].append(KeptFile(row.import_id, row.name, row.size, row.sha256))
    return found


def kept_file(conn: Connection, import_id: int, name: str) -> KeptFile | None:
    return next((f for f in kept_files(conn, [import_id])[import_id] if f.name == name), None)


def file_bytes(conn: Connection, file: KeptFile) -> Iterator[bytes]:
    """The kept file's bytes, a piece at a time, as the import read them."""
    codec = pa.Codec(_CODEC)
    pieces = conn.execute(
        select(ImportFilePiece.size, ImportFilePiece.content)
        .where(ImportFilePiece.import_id == file.import_id, ImportFilePiece.name == file.name)
        .order_by(ImportFilePiece.seq)
        .execution_options(yield_per=1)
    )
    for size, content in pieces:
        yield codec.decompress(content, decompressed_size=size, asbytes=True)
