"""Tiny base map files of raster tiles, built by the tests themselves: what a county hands
over as its offline base map. An MBTiles file (sqlite3) and a PMTiles file (the ``pmtiles``
package's writer) of the same plain PNG tiles (written with zlib) describe the same map: the
same tiles at the same web-map z/x/y, zoom levels, bounds, centre and attribution."""

import gzip
import math
import sqlite3
import struct
import zlib
from collections.abc import Mapping
from contextlib import closing
from pathlib import Path
from typing import Literal

from pmtiles.tile import Compression, TileType, zxy_to_tileid
from pmtiles.writer import write

Colour = tuple[int, int, int]
Tiles = Mapping[tuple[int, int, int], Colour]
"""One plain tile per web-map ``(z, x, y)``, y counted from the north as map clients ask."""
Kind = Literal["mbtiles", "pmtiles"]
KINDS: tuple[Kind, ...] = ("mbtiles", "pmtiles")
ATTRIBUTION = "测试底图"
NAME = "test base map"


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


def bounds(tiles: Tiles) -> list[float]:
    """West, south, east and north of all the tiles, to the sixth decimal."""

    def lon(x: int, z: int) -> float:
        return x / (1 << z) * 360 - 180

    def lat(y: int, z: int) -> float:
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * y / (1 << z)))))

    corners = [(lon(x, z), lat(y + 1, z), lon(x + 1, z), lat(y, z)) for z, x, y in tiles]
    west, south, east, north = (
        f(c[i] for c in corners) for i, f in enumerate((min, min, max, max))
    )
    return [round(v, 6) for v in (west, south, east, north)]


def centre(tiles: Tiles) -> list[float]:
    """The middle of the tiles' bounds, at their lowest zoom."""
    west, south, east, north = bounds(tiles)
    return [round((west + east) / 2, 6), round((south + north) / 2, 6), min(z for z, _, _ in tiles)]


def write_mbtiles(path: Path, tiles: Tiles) -> Path:
    """An MBTiles file at ``path`` of ``tiles`` (the file keeps TMS rows, counted from the
    south: y is flipped)."""
    with closing(sqlite3.connect(path)) as db, db:
        db.execute("CREATE TABLE metadata (name TEXT, value TEXT)")
        db.execute(
            "CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER,"
            " tile_data BLOB)"
        )
        zooms = [z for z, _, _ in tiles]
        metadata = {
            "name": NAME,
            "format": "png",
            "minzoom": str(min(zooms)),
            "maxzoom": str(max(zooms)),
            "bounds": ",".join(str(v) for v in bounds(tiles)),
            "center": ",".join(str(v) for v in centre(tiles)),
            "attribution": ATTRIBUTION,
        }
        db.executemany("INSERT INTO metadata VALUES (?, ?)", metadata.items())
        db.executemany(
            "INSERT INTO tiles VALUES (?, ?, ?, ?)",
            [(z, x, 2**z - 1 - y, png(colour)) for (z, x, y), colour in tiles.items()],
        )
    return path


def write_pmtiles(
    path: Path,
    tiles: Tiles,
    *,
    tile_type: TileType = TileType.PNG,
    compression: Compression = Compression.NONE,
) -> Path:
    """A PMTiles (version 3) file at ``path`` of ``tiles`` (kept at their z/x/y, y from the
    north), each compressed with gzip when ``compression`` says so; ``tile_type`` is what its
    header says they are."""
    e7 = 10_000_000
    west, south, east, north = bounds(tiles)
    lon, lat, zoom = centre(tiles)
    with write(path) as writer:
        for tile_id, colour in sorted((zxy_to_tileid(*at), c) for at, c in tiles.items()):
            data = png(colour)
            writer.write_tile(
                tile_id, gzip.compress(data) if compression == Compression.GZIP else data
            )
        writer.finalize(
            {
                "tile_type": tile_type,
                "tile_compression": compression,
                "min_lon_e7": round(west * e7),
                "min_lat_e7": round(south * e7),
                "max_lon_e7": round(east * e7),
                "max_lat_e7": round(north * e7),
                "center_zoom": int(zoom),
                "center_lon_e7": round(lon * e7),
                "center_lat_e7": round(lat * e7),
            },
            {"name": NAME, "attribution": ATTRIBUTION},
        )
    return path


def write_basemap(kind: Kind, folder: Path, tiles: Tiles) -> Path:
    """A base map file of ``kind`` in ``folder``, named ``county.<kind>``."""
    path = folder / f"county.{kind}"
    return write_mbtiles(path, tiles) if kind == "mbtiles" else write_pmtiles(path, tiles)
