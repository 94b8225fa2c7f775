"""A tiny MBTiles file of raster tiles, built by the tests themselves (sqlite3 and a PNG
written with zlib): what a county hands over as its offline base map."""

import sqlite3
import struct
import zlib
from collections.abc import Mapping
from contextlib import closing
from pathlib import Path

Colour = tuple[int, int, int]


def png(colour: Colour, size: int = 256) -> bytes:
    """A ``size`` × ``size`` PNG of one colour."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + bytes(colour) * size  # filter byte, then RGB pixels
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * size))
        + chunk(b"IEND", b"")
    )


def write_mbtiles(
    path: Path, tiles: Mapping[tuple[int, int, int], Colour], *, maxzoom: int | None = None
) -> Path:
    """An MBTiles file at ``path`` holding one plain tile per web-map ``(z, x, y)`` (y counted
    from the north, as map clients ask; the file keeps TMS rows, counted from the south)."""
    with closing(sqlite3.connect(path)) as db, db:
        db.execute("CREATE TABLE metadata (name TEXT, value TEXT)")
        db.execute(
            "CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER,"
            " tile_data BLOB)"
        )
        zooms = [z for z, _, _ in tiles] or [0]
        metadata = {
            "name": "test base map",
            "format": "png",
            "minzoom": str(min(zooms)),
            "maxzoom": str(max(zooms) if maxzoom is None else maxzoom),
            "attribution": "测试底图",
        }
        db.executemany("INSERT INTO metadata VALUES (?, ?)", metadata.items())
        db.executemany(
            "INSERT INTO tiles VALUES (?, ?, ?, ?)",
            [(z, x, 2**z - 1 - y, png(colour)) for (z, x, y), colour in tiles.items()],
        )
    return path
