"""The demo's jurisdictions: cities, counties, towns and parks, and where each county lies.

About one county per 2,200 enterprises (at least 3 once there are 60 enterprises, at most
Zhejiang's 90), taken city by city starting with Tonglu; each county has 6 towns (GB/T 2260
county code + 3 digits) and 2–4 parks (county code + 2 digits). Counties sit on a lattice
around Tonglu's seat, about 40 km apart, so a province-sized demo spreads over Zhejiang's
extent. Each county's outline is its lattice cell, corners moved and sides wiggling a little
(:func:`~mujun.demo.geometry.lattice_cells`): the outlines tile without overlap. Parks get theirs
from their parcels (:func:`~mujun.demo.population.draw_land`); towns have none.
"""

import zlib
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from mujun.demo.columns import Floats, Ints, assemble, strings
from mujun.demo.geometry import lattice_cells
from mujun.demo.vocabulary import (
    ANCHOR_LAT,
    ANCHOR_LON,
    CITIES,
    PARK_KINDS,
    TOWN_LEVELS,
    TOWN_WORDS,
    short_name,
)

LATTICE_LON, LATTICE_LAT = 0.40, 0.36  # degrees between neighbouring counties
ENTERPRISES_PER_COUNTY = 2200
TOWNS_PER_COUNTY = 6


def rng_for(seed: int, part: str) -> np.random.Generator:
    """An independent random stream for one part of the demo (stable across code changes)."""
    return np.random.default_rng([seed, zlib.crc32(part.encode())])


@dataclass(frozen=True)
class Geography:
    """The jurisdictions table and the arrays the population is drawn on."""

    table: pa.Table
    county_code: tuple[str, ...]
    county_short: tuple[str, ...]
    county_lon: Floats
    county_lat: Floats
    town_code: tuple[str, ...]
    town_word: tuple[str, ...]  # the place word of each town's name: 横村 of 横村镇
    town_start: Ints  # per county: index of its first town
    park_code: tuple[str, ...]
    park_start: Ints  # per county: index of its first park
    park_count: Ints  # per county

    @property
    def counties(self) -> int:
        return len(self.county_code)


def county_count(enterprises: int) -> int:
    total = sum(len(city.counties) for city in CITIES)
    at_least = min(3, max(1, enterprises // 20))
    return min(total, max(at_least, round(enterprises / ENTERPRISES_PER_COUNTY)))


def lattice(n: int) -> tuple[Floats, Floats]:
    """The n lattice points nearest Tonglu (Tonglu itself first), as lon and lat."""
    radius = int(np.ceil(np.sqrt(n))) + 1
    steps = np.arange(-radius, radius + 1, dtype=np.float64)
    grid_i, grid_j = np.meshgrid(steps, steps)
    i, j = grid_i.ravel(), grid_j.ravel()
    order = np.lexsort((np.arctan2(j, i), i * i + j * j))[:n]
    lon = np.asarray(ANCHOR_LON + i[order] * LATTICE_LON, dtype=np.float64)
    lat = np.asarray(ANCHOR_LAT + j[order] * LATTICE_LAT, dtype=np.float64)
    return lon, lat


def build_geography(*, enterprises: int, seed: int) -> Geography:
    rng = rng_for(seed, "geography")
    n = county_count(enterprises)
    chosen = [(city, code, name) for city in CITIES for code, name in city.counties][:n]
    cities = [city for city in CITIES if any(c is city for c, _, _ in chosen)]
    lon, lat = lattice(n)

    codes: list[str] = []
    names: list[str] = []
    levels: list[str] = []
    parents: list[str | None] = []

    def add(code: str, name: str, level: str, parent: str | None) -> None:
        codes.append(code)
        names.append(name)
        levels.append(level)
        parents.append(parent)

    for city in cities:
        add(city.code, city.name, "city", None)
    town_code: list[str] = []
    town_word: list[str] = []
    park_code: list[str] = []
    town_start, park_start, park_count = [], [], []
    for city, code, name in chosen:  # a loop over counties, not enterprises
        add(code, name, "county", city.code)
    for _city, code, name in chosen:
        short = short_name(name)
        words = rng.permutation(len(TOWN_WORDS))[:TOWNS_PER_COUNTY]
        town_start.append(len(town_code))
        streets = 0
        for k, word in enumerate(words):
            level = TOWN_LEVELS[k]
            if level == "街道":
                streets += 1
                suffix = f"{streets:03d}"
            else:
                suffix = f"{100 + k - streets + 1:03d}" if level == "镇" else f"{200 + k:03d}"
            town_code.append(code + suffix)
            town_word.append(TOWN_WORDS[word])
            add(code + suffix, TOWN_WORDS[word] + level, "town", code)
        parks = int(rng.integers(2, 5))
        park_start.append(len(park_code))
        park_count.append(parks)
        for k in range(parks):
            park = f"{code}{71 + k:02d}"
            park_code.append(park)
            add(park, short + PARK_KINDS[k], "park", code)

    outline = lattice_cells(
        np.rint((lon - ANCHOR_LON) / LATTICE_LON).astype(np.int64),
        np.rint((lat - ANCHOR_LAT) / LATTICE_LAT).astype(np.int64),
        lon0=ANCHOR_LON,
        lat0=ANCHOR_LAT,
        step_lon=LATTICE_LON,
        step_lat=LATTICE_LAT,
        rng=rng_for(seed, "county outlines"),
    )
    first_county = len(cities)
    outlines = pa.concat_arrays(
        [
            pa.nulls(first_county, pa.string()),
            outline,
            pa.nulls(len(codes) - first_county - n, pa.string()),
        ]
    )
    table = assemble(
        "jurisdictions",
        {
            "code": strings(codes),
            "name": strings(names),
            "level": strings(levels),
            "parent_code": pa.array(parents, type=pa.string()),
            "geometry_wkt": outlines,
        },
        len(codes),
    )
    return Geography(
        table=table,
        county_code=tuple(code for _, code, _ in chosen),
        county_short=tuple(short_name(name) for _, _, name in chosen),
        county_lon=lon,
        county_lat=lat,
        town_code=tuple(town_code),
        town_word=tuple(town_word),
        town_start=np.asarray(town_start, dtype=np.int64),
        park_code=tuple(park_code),
        park_start=np.asarray(park_start, dtype=np.int64),
        park_count=np.asarray(park_count, dtype=np.int64),
    )


def with_park_outlines(geo: Geography, park_outline: pa.Array) -> pa.Table:
    """The jurisdictions table with each park's outline (one per park of ``geo.park_code``)."""
    index = {code: k for k, code in enumerate(geo.park_code)}
    codes = geo.table["code"].to_pylist()  # one per jurisdiction, not per enterprise
    take = pa.array([index.get(code, len(index)) for code in codes], pa.int64())
    parks = pa.concat_arrays([park_outline, pa.nulls(1, pa.string())]).take(take)
    column = geo.table.schema.get_field_index("geometry_wkt")
    outline = pa.compute.coalesce(geo.table["geometry_wkt"], parks)
    return geo.table.set_column(column, "geometry_wkt", outline)
