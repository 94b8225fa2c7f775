"""A county's own base map, served by the application: an MBTiles or a PMTiles file of raster
tiles (``MUJUN_BASEMAP_FILE``), its TileJSON and its tiles; a file the map cannot show is
said to be wrong, in words."""

import gzip
import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pmtiles.tile import Compression, TileType
from typer.testing import CliRunner

from mujun.cli.app import app
from tests.basemaps import (
    ATTRIBUTION,
    KINDS,
    NAME,
    Kind,
    bounds,
    centre,
    png,
    write_basemap,
    write_mbtiles,
    write_pmtiles,
)
from tests.web.conftest import sign_in

RED, BLUE, GREEN = (200, 30, 30), (30, 30, 200), (30, 200, 30)
TILES = {(1, 1, 0): RED, (1, 1, 1): BLUE, (2, 3, 1): GREEN}
"""Red to the north-east of the world at zoom 1, blue to the south-east; green at zoom 2."""


@pytest.fixture(autouse=True)
def no_basemap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MUJUN_BASEMAP_FILE", raising=False)


@pytest.mark.parametrize("kind", KINDS)
def test_tiles_are_served_from_the_countys_file(
    app_client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: Kind
) -> None:
    sign_in(app_client, "viewer")
    assert app_client.get("/api/map/basemap").json() is None
    assert app_client.get("/api/map/basemap/1/1/0").status_code == 404
    monkeypatch.setenv("MUJUN_BASEMAP_FILE", str(write_basemap(kind, tmp_path, TILES)))
    found = app_client.get("/api/map/basemap")
    assert found.status_code == 200, found.text
    assert found.json() == {
        "tilejson": "3.0.0",
        "tiles": ["/api/map/basemap/{z}/{x}/{y}"],
        "minzoom": 1,
        "maxzoom": 2,
        "attribution": ATTRIBUTION,
        "name": NAME,
        "bounds": bounds(TILES),
        "center": centre(TILES),
    }
    north = app_client.get("/api/map/basemap/1/1/0")
    assert north.status_code == 200 and north.headers["content-type"] == "image/png"
    assert north.content == png(RED)  # an MBTiles file keeps it as TMS row 1: y flipped
    assert app_client.get("/api/map/basemap/1/1/1").content == png(BLUE)
    assert app_client.get("/api/map/basemap/2/3/1").content == png(GREEN)
    assert app_client.get("/api/map/basemap/1/0/0").status_code == 404
    assert app_client.get("/api/map/basemap/9/0/0").status_code == 404
    assert app_client.get("/api/map/basemap/1/5/0").status_code == 404
    app_client.cookies.clear()
    assert app_client.get("/api/map/basemap").status_code == 401
    assert app_client.get("/api/map/basemap/1/1/0").status_code == 401


def test_both_kinds_of_file_of_the_same_tiles_show_the_same_map(
    app_client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sign_in(app_client, "officer")
    described, served = {}, {}
    for kind in KINDS:
        monkeypatch.setenv("MUJUN_BASEMAP_FILE", str(write_basemap(kind, tmp_path, TILES)))
        described[kind] = app_client.get("/api/map/basemap").json()
        served[kind] = {
            (z, x, y): app_client.get(f"/api/map/basemap/{z}/{x}/{y}").content
            for z in (1, 2)
            for x in range(2**z)
            for y in range(2**z)
        }
    assert described["mbtiles"] == described["pmtiles"]
    assert served["mbtiles"] == served["pmtiles"]
    assert served["pmtiles"][(2, 3, 1)] == png(GREEN)


def test_gzip_compressed_pmtiles_tiles_are_served_plain(
    app_client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tiles = write_pmtiles(tmp_path / "gzip.pmtiles", TILES, compression=Compression.GZIP)
    assert gzip.compress(png(RED)) in tiles.read_bytes()
    monkeypatch.setenv("MUJUN_BASEMAP_FILE", str(tiles))
    sign_in(app_client, "officer")
    assert app_client.get("/api/map/basemap").json()["maxzoom"] == 2
    north = app_client.get("/api/map/basemap/1/1/0")
    assert north.headers["content-type"] == "image/png" and north.content == png(RED)
    assert "content-encoding" not in north.headers


def test_a_base_map_with_odd_metadata_still_serves(
    app_client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tiles = write_mbtiles(tmp_path / "odd.mbtiles", {(2, 3, 1): RED})
    with closing(sqlite3.connect(tiles)) as db, db:
        db.execute("UPDATE metadata SET value = 'seventeen' WHERE name = 'maxzoom'")
        db.execute("UPDATE metadata SET value = '119.5,29.6,119.9,30.0' WHERE name = 'bounds'")
        db.execute("DELETE FROM metadata WHERE name IN ('format', 'center')")
    monkeypatch.setenv("MUJUN_BASEMAP_FILE", str(tiles))
    sign_in(app_client, "officer")
    found = app_client.get("/api/map/basemap").json()
    assert (found["minzoom"], found["maxzoom"]) == (2, 2)  # read off the tiles instead
    assert found["bounds"] == [119.5, 29.6, 119.9, 30.0]
    assert "center" not in found
    assert app_client.get("/api/map/basemap/2/3/1").content == png(RED)


def _text(path: Path) -> None:
    path.write_text("not tiles")


def _other_database(path: Path) -> None:
    with closing(sqlite3.connect(path)) as db, db:
        db.execute("CREATE TABLE parcels (id TEXT)")


def _vector_mbtiles(path: Path) -> None:
    write_mbtiles(path, TILES)
    with closing(sqlite3.connect(path)) as db, db:
        db.execute("UPDATE metadata SET value = 'pbf' WHERE name = 'format'")


def _old_pmtiles(path: Path) -> None:
    path.write_bytes(b"PM\x02\x00" + bytes(200))


def _cut_pmtiles(path: Path) -> None:
    path.write_bytes(write_pmtiles(path, TILES).read_bytes()[:40])


WRONG: dict[str, tuple[Callable[[Path], object], str]] = {
    "missing": (lambda path: None, "cannot be read"),
    "text": (_text, "is neither an MBTiles nor a PMTiles file"),
    "another database": (_other_database, "is not an MBTiles file"),
    "vector MBTiles": (_vector_mbtiles, "holds vector tiles"),
    "vector PMTiles": (
        lambda path: write_pmtiles(path, TILES, tile_type=TileType.MVT),
        "holds vector tiles",
    ),
    "AVIF": (
        lambda path: write_pmtiles(path, TILES, tile_type=TileType.AVIF),
        "holds tiles of a format (avif) other than PNG, JPEG or WebP",
    ),
    "brotli": (
        lambda path: write_pmtiles(path, TILES, compression=Compression.BROTLI),
        "holds tiles compressed with brotli",
    ),
    "PMTiles version 2": (_old_pmtiles, "is an old PMTiles file"),
    "cut short": (_cut_pmtiles, "is not a readable PMTiles file"),
}
"""Files the map cannot show, and what is said of each."""


@pytest.mark.parametrize("wrong", WRONG)
def test_a_file_the_map_cannot_show_is_said_to_be_wrong(
    app_client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, wrong: str
) -> None:
    make, said = WRONG[wrong]
    path = tmp_path / "county.tiles"
    make(path)
    monkeypatch.setenv("MUJUN_BASEMAP_FILE", str(path))
    sign_in(app_client, "officer")
    found = app_client.get("/api/map/basemap")
    assert found.status_code == 500
    zh, en = found.json()["detail"].split(" / ")
    assert zh.startswith("底图文件 county.tiles ") and en.startswith(
        "the base map file county.tiles "
    )
    assert said in en, en
    assert app_client.get("/api/map/basemap/1/1/0").status_code == 404
    started = CliRunner().invoke(
        app, ["--db", "sqlite://", "--lang", "en", "serve"], env={"MUJUN_BASEMAP_FILE": str(path)}
    )
    reason = started.stderr.replace("\n", " ")
    assert started.exit_code == 1 and f"{path} {said}" in reason, reason
