"""A county's own base map: the tile file ``MUJUN_BASEMAP_FILE`` names, served by the
application itself, so that the map needs no internet.

Two kinds of file are read, told apart by their first bytes: MBTiles (an SQLite database) and
PMTiles version 3 (one file of tiles and directories, read through the ``pmtiles`` package).
Either must hold raster tiles, PNG, JPEG or WebP: the map draws them as they are, whereas
vector tiles would need a style of their own. A file that is missing, of neither kind, of
vector tiles or of tiles compressed in a way the application cannot undo is said to be wrong,
in words, when the server starts (``mujun serve``) and by the TileJSON route.

The map asks for tiles as web maps count them, z/x/y with y from the north (XYZ). PMTiles
keeps them so; MBTiles keeps TMS rows, counted from the south, so its y is flipped.
"""

import gzip
import logging
import mmap
import os
import sqlite3
import zlib
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar, cast

from fastapi import APIRouter, HTTPException
from fastapi.responses import Response
from pmtiles import reader as pmtiles_reader
from pmtiles.tile import Compression, HeaderDict, SpecVersionUnsupported, TileType

from mujun.web.dependencies import Reader

router = APIRouter(prefix="/api/map", tags=["map"])
logger = logging.getLogger(__name__)
BASEMAP_FILE = "MUJUN_BASEMAP_FILE"
"""The setting that names a county's own base map: an MBTiles or PMTiles file of raster
tiles."""
TILE_URL = "/api/map/basemap/{z}/{x}/{y}"
MEDIA_TYPES = {"png": "image/png", "jpg": "image/jpeg", "webp": "image/webp"}
"""The raster formats the map shows, and what each tile is served as."""
MAGIC = {b"\x89PNG": "png", b"\xff\xd8\xff": "jpg", b"RIFF": "webp"}
"""How a tile's first bytes say its format."""
GZIP_MAGIC = b"\x1f\x8b"
SQLITE_MAGIC = b"SQLite format 3\x00"
PMTILES_MAGIC = b"PMTiles"
PMTILES_FORMATS = {TileType.PNG: "png", TileType.JPEG: "jpg", TileType.WEBP: "webp"}
N = TypeVar("N")
M = TypeVar("M")
UNREADABLE = (ValueError, OSError, EOFError, zlib.error)
"""What a damaged file's gzip or JSON fails with."""


class BasemapError(ValueError):
    """The base map file cannot be served: why, in Chinese and English, naming the file by
    its path (``zh``, ``en``: for the server's operator) or by its name only (``detail``: for
    the map's users)."""

    def __init__(self, path: Path, zh: str, en: str) -> None:
        self.zh = f"底图文件 {path} {zh}"
        self.en = f"the base map file {path} {en}"
        self.detail = f"底图文件 {path.name} {zh} / the base map file {path.name} {en}"
        super().__init__(f"{self.zh} / {self.en}")


@dataclass(frozen=True)
class Description:
    """What the map needs to know of a base map file (its TileJSON, less the tile URL)."""

    format: str
    """``png``, ``jpg`` or ``webp``."""
    minzoom: int
    maxzoom: int
    attribution: str = ""
    name: str | None = None
    bounds: list[float] | None = None
    """West, south, east, north, in degrees."""
    center: list[float] | None = None
    """Longitude, latitude and zoom."""


class TileFile(Protocol):
    """An opened base map file, of either kind."""

    def raster_format(self) -> str:
        """``png``, ``jpg`` or ``webp``; a :class:`BasemapError` when the file holds tiles of
        another kind, or none."""

    def describe(self) -> Description: ...

    def tile(self, z: int, x: int, y: int) -> bytes | None:
        """The tile at web-map z/x/y (y from the north), as the file keeps it; None when the
        file has none there."""


def basemap_file() -> Path | None:
    """The file ``MUJUN_BASEMAP_FILE`` names, if any."""
    named = os.environ.get(BASEMAP_FILE)
    return Path(named) if named else None


@contextmanager
def open_basemap(path: Path) -> Iterator[TileFile]:
    """The base map file at ``path``, read only, its kind told by its first bytes; a
    :class:`BasemapError` when it is missing or of neither kind."""
    try:
        with path.open("rb") as file:
            head = file.read(len(SQLITE_MAGIC))
    except OSError as error:
        raise BasemapError(
            path, f"无法读取（{error.strerror}）", f"cannot be read ({error.strerror})"
        ) from None
    if head.startswith(SQLITE_MAGIC):
        with closing(_MBTiles(path)) as mbtiles:
            yield mbtiles
    elif head.startswith(PMTILES_MAGIC):
        with closing(_PMTiles(path)) as pmtiles:
            yield pmtiles
    elif head[:4] in {b"PM\x01\x00", b"PM\x02\x00"}:  # "PM" and a two-byte version
        raise BasemapError(
            path,
            "是旧版 PMTiles，请用 pmtiles convert 转为第 3 版",
            "is an old PMTiles file: make it version 3 with `pmtiles convert`",
        )
    else:
        raise BasemapError(
            path, "既不是 MBTiles 也不是 PMTiles 文件", "is neither an MBTiles nor a PMTiles file"
        )


def check_basemap(path: Path) -> Description:
    """What the file holds, after making sure the map can show it: raster tiles it can read;
    :class:`BasemapError` otherwise."""
    with open_basemap(path) as tiles:
        return tiles.describe()


def _raster(path: Path, found: str | None) -> str:
    """The raster format ``found`` (as a file names it), or why the map cannot show it."""
    shown = {"jpeg": "jpg"}.get(found or "", found)
    if shown in MEDIA_TYPES:
        return shown
    if shown in {"pbf", "mvt", "mlt"}:
        raise BasemapError(
            path,
            "是矢量瓦片，地图没有相应样式，无法显示；请提供栅格瓦片（PNG、JPEG 或 WebP）",
            "holds vector tiles, which the map cannot show without a style of its own;"
            " supply raster tiles (PNG, JPEG or WebP)",
        )
    raise BasemapError(
        path,
        f"的瓦片格式（{shown or '未知'}）不是 PNG、JPEG 或 WebP",
        f"holds tiles of a format ({shown or 'unknown'}) other than PNG, JPEG or WebP",
    )


def _sniffed(data: bytes | None) -> str | None:
    """The format of a tile by its first bytes (gzip undone): ``png``, ``jpg``, ``webp`` or
    ``unknown``; None for no tile."""
    if data is None:
        return None
    try:
        plain = _plain(data)
    except UNREADABLE:
        return "unknown"
    return next((kind for magic, kind in MAGIC.items() if plain.startswith(magic)), "unknown")


def _plain(data: bytes) -> bytes:
    """A tile's data with gzip compression undone, if it has any (a PMTiles header may say
    so, an MBTiles file cannot: its first bytes tell)."""
    return gzip.decompress(data) if data.startswith(GZIP_MAGIC) else data


def _number(text: Any, kind: Callable[[str], N], otherwise: M) -> N | M:
    """``text`` read as a number of ``kind``; ``otherwise`` when it is missing or not one (a
    file's metadata is as its maker wrote it)."""
    try:
        return kind(str(text).strip())
    except ValueError:
        return otherwise


def _numbers(text: Any, count: int) -> list[float] | None:
    """``count`` numbers from comma-separated ``text`` (MBTiles' bounds and centre)."""
    found = [_number(v, float, None) for v in str(text or "").split(",")]
    numbers = [v for v in found if v is not None]
    return numbers if len(numbers) == count == len(found) else None


# -- MBTiles --------------------------------------------------------------------------------


class _MBTiles:
    """An MBTiles file, opened read only (never created, never written)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self.db = sqlite3.connect(
                f"{path.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False
            )
        except sqlite3.Error:
            raise self._not_mbtiles() from None

    def close(self) -> None:
        self.db.close()

    def _metadata(self) -> dict[str, Any]:
        try:
            return dict(self.db.execute("SELECT name, value FROM metadata").fetchall())
        except sqlite3.DatabaseError:
            raise self._not_mbtiles() from None

    def _not_mbtiles(self) -> BasemapError:
        return BasemapError(
            self.path,
            "不是 MBTiles 文件（没有 metadata 和 tiles 表）",
            "is not an MBTiles file (no metadata and tiles tables)",
        )

    def raster_format(self) -> str:
        declared = self._metadata().get("format")
        if declared:
            return _raster(self.path, str(declared))
        try:  # no format said: the first tile's
            first = self.db.execute("SELECT tile_data FROM tiles LIMIT 1").fetchone()
        except sqlite3.DatabaseError:
            raise self._not_mbtiles() from None
        return _raster(self.path, _sniffed(None if first is None else bytes(first[0])))

    def describe(self) -> Description:
        shown = self.raster_format()
        metadata = self._metadata()
        try:
            low, high = self.db.execute(
                "SELECT min(zoom_level), max(zoom_level) FROM tiles"
            ).fetchone()
        except sqlite3.DatabaseError:
            raise self._not_mbtiles() from None
        return Description(
            format=shown,
            minzoom=_number(metadata.get("minzoom"), int, low or 0),
            maxzoom=_number(metadata.get("maxzoom"), int, high or 18),
            attribution=str(metadata.get("attribution") or ""),
            name=metadata.get("name"),
            bounds=_numbers(metadata.get("bounds"), 4),
            center=_numbers(metadata.get("center"), 3),
        )

    def tile(self, z: int, x: int, y: int) -> bytes | None:
        try:
            row = self.db.execute(
                "SELECT tile_data FROM tiles"
                " WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?",
                (z, x, 2**z - 1 - y),
            ).fetchone()
        except sqlite3.DatabaseError:
            return None
        return None if row is None else bytes(row[0])


# -- PMTiles --------------------------------------------------------------------------------

GetBytes = Callable[[int, int], bytes]
"""Where ``pmtiles`` reads a file: the bytes at an offset, of a length."""


class _PMTilesReader(Protocol):
    """The typed face of :class:`pmtiles.reader.Reader` (the package has no annotations)."""

    def header(self) -> HeaderDict: ...

    def metadata(self) -> dict[str, Any]: ...

    def get(self, z: int, x: int, y: int) -> bytes | None: ...


_pmtiles_reader = cast(Callable[[GetBytes], _PMTilesReader], pmtiles_reader.Reader)
_pmtiles_all_tiles = cast(
    Callable[[GetBytes], Iterator[tuple[tuple[int, int, int], bytes]]], pmtiles_reader.all_tiles
)


class _PMTiles:
    """A PMTiles (version 3) file, mapped into memory read only."""

    def __init__(self, path: Path) -> None:
        self.path = path
        with path.open("rb") as file:
            try:
                self.mapped = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
            except ValueError:  # an empty file
                raise self._unreadable() from None
        self.reader = _pmtiles_reader(self._bytes)
        try:
            self.header = self.reader.header()
        except SpecVersionUnsupported:
            self.close()
            raise BasemapError(
                self.path,
                "的 PMTiles 版本不是第 3 版，请用 pmtiles convert 转换",
                "is not PMTiles version 3: convert it with `pmtiles convert`",
            ) from None
        except (ValueError, IndexError):
            self.close()
            raise self._unreadable() from None

    def _bytes(self, offset: int, length: int) -> bytes:
        return self.mapped[offset : offset + length]

    def _unreadable(self) -> BasemapError:
        return BasemapError(self.path, "不是可读的 PMTiles 文件", "is not a readable PMTiles file")

    def close(self) -> None:
        self.mapped.close()

    def raster_format(self) -> str:
        header = self.header
        if header["tile_compression"] in {Compression.BROTLI, Compression.ZSTD}:
            how = header["tile_compression"].name.lower()
            raise BasemapError(
                self.path,
                f"的瓦片以 {how} 压缩，无法读取；请用不压缩或 gzip 压缩的瓦片",
                f"holds tiles compressed with {how}, which cannot be read;"
                " supply plain or gzip-compressed tiles",
            )
        tile_type = header["tile_type"]
        if tile_type != TileType.UNKNOWN:
            return _raster(self.path, PMTILES_FORMATS.get(tile_type, tile_type.name.lower()))
        try:  # no type said: the first tile's
            first = next(_pmtiles_all_tiles(self._bytes), None)
        except UNREADABLE:
            raise self._unreadable() from None
        return _raster(self.path, _sniffed(None if first is None else first[1]))

    def describe(self) -> Description:
        shown = self.raster_format()
        header = self.header
        try:
            metadata = self.reader.metadata()
        except UNREADABLE:  # unreadable JSON or gzip: none to speak of
            metadata = {}
        if not isinstance(metadata, dict):
            metadata = {}
        e7 = 10_000_000
        return Description(
            format=shown,
            minzoom=header["min_zoom"],
            maxzoom=header["max_zoom"],
            attribution=str(metadata.get("attribution") or ""),
            name=metadata.get("name"),
            bounds=[
                header[corner] / e7
                for corner in ("min_lon_e7", "min_lat_e7", "max_lon_e7", "max_lat_e7")
            ],
            center=[
                header["center_lon_e7"] / e7,
                header["center_lat_e7"] / e7,
                header["center_zoom"],
            ],
        )

    def tile(self, z: int, x: int, y: int) -> bytes | None:
        try:
            return self.reader.get(z, x, y)
        except UNREADABLE:  # a damaged directory
            return None


# -- routes ---------------------------------------------------------------------------------


def _wrong(error: BasemapError) -> HTTPException:
    """The TileJSON route's answer when the file cannot be served: what is wrong with it,
    naming the file without its folder (the server's log has the whole path)."""
    logger.error("%s", error.en)
    return HTTPException(status_code=500, detail=error.detail)


@router.get(
    "/basemap",
    summary="本地底图 / the local base map, if any",
    responses={500: {"description": "底图文件无法使用 / the base map file cannot be served"}},
)
def basemap(current: Reader) -> dict[str, Any] | None:
    """Where the base map's tiles are, as TileJSON (tiles, zoom levels, bounds, centre,
    attribution), when ``MUJUN_BASEMAP_FILE`` names an MBTiles or PMTiles file of raster
    tiles; None when it names none; 500, saying what is wrong, when the file cannot be
    served."""
    path = basemap_file()
    if path is None:
        return None
    try:
        found = check_basemap(path)
    except BasemapError as error:
        raise _wrong(error) from None
    tilejson: dict[str, Any] = {
        "tilejson": "3.0.0",
        "tiles": [TILE_URL],
        "minzoom": found.minzoom,
        "maxzoom": found.maxzoom,
        "attribution": found.attribution,
    }
    if found.name:
        tilejson["name"] = found.name
    if found.bounds:
        tilejson["bounds"] = found.bounds
    if found.center:
        tilejson["center"] = found.center
    return tilejson


@router.get(
    "/basemap/{z}/{x}/{y}",
    summary="底图瓦片 / one base map tile",
    response_class=Response,
    responses={200: {"content": {media: {} for media in MEDIA_TYPES.values()}}},
)
def basemap_tile(z: int, x: int, y: int, current: Reader) -> Response:
    """One tile of the base map, z/x/y as the web map counts (y from the north), gzip
    compression undone; 404 when the file has no such tile (or there is no usable file)."""
    path = basemap_file()
    missing = HTTPException(status_code=404, detail=f"没有底图瓦片 / no tile {z}/{x}/{y}")
    if path is None or not (0 <= z <= 30 and 0 <= x < 2**z and 0 <= y < 2**z):
        raise missing
    try:
        with open_basemap(path) as tiles:
            tiles.raster_format()
            found = tiles.tile(z, x, y)
        data = None if found is None else _plain(found)
    except (BasemapError, *UNREADABLE):
        raise missing from None
    if data is None:
        raise missing
    kind = next((t for magic, t in MAGIC.items() if data.startswith(magic)), None)
    return Response(
        data,
        media_type=MEDIA_TYPES[kind] if kind else "application/octet-stream",
        headers={"Cache-Control": "private, max-age=86400"},
    )
