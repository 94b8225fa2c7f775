"""Parcel outlines: rotated quadrilaterals in CGCS2000 lon-lat, written as WKT, vectorised.

A parcel of area A m² is a rectangle of aspect ratio r (sides √(A·r) by √(A/r)) turned by an
angle, its corners nudged by at most ``jitter`` of the shorter side, centred on a point given in
lon-lat. Metres become degrees with the local scale at the centre's latitude, which is exact
enough at parcel size (the outline's area is within a few per cent of A).
"""

import numpy as np
import pyarrow as pa

from mujun.demo.columns import Floats, decimal_text, join

METRES_PER_DEGREE_LAT = 110_574.0
METRES_PER_DEGREE_LON_AT_EQUATOR = 111_320.0
COORDINATE_DECIMALS = 7  # about a centimetre

# A grid cell holds one parcel: the largest parcel the demo draws (150 mu at aspect 1.6) has a
# half-diagonal of about 236 m, so parcels in neighbouring 500 m cells never overlap.
GRID_CELL_M = 500.0


def offset_lonlat(
    lon: Floats, lat: Floats, east_m: Floats, north_m: Floats
) -> tuple[Floats, Floats]:
    """The points ``east_m`` east and ``north_m`` north of (lon, lat)."""
    scale = METRES_PER_DEGREE_LON_AT_EQUATOR * np.cos(np.radians(lat))
    return lon + east_m / scale, lat + north_m / METRES_PER_DEGREE_LAT


def quadrilaterals(
    *,
    lon: Floats,
    lat: Floats,
    area_m2: Floats,
    aspect: Floats,
    angle_rad: Floats,
    jitter: Floats,
) -> pa.Array:
    """WKT ``POLYGON`` outlines, one per centre; ``jitter`` is an (n, 4, 2) array in [-1, 1]."""
    long_side = np.sqrt(area_m2 * aspect)
    short_side = np.sqrt(area_m2 / aspect)
    half_x, half_y = long_side / 2, short_side / 2
    # Counter-clockwise: south-west, south-east, north-east, north-west.
    corner_x = np.stack([-half_x, half_x, half_x, -half_x], axis=1)
    corner_y = np.stack([-half_y, -half_y, half_y, half_y], axis=1)
    nudge = 0.02 * short_side[:, None]
    corner_x = corner_x + jitter[:, :, 0] * nudge
    corner_y = corner_y + jitter[:, :, 1] * nudge
    cos, sin = np.cos(angle_rad)[:, None], np.sin(angle_rad)[:, None]
    east = corner_x * cos - corner_y * sin
    north = corner_x * sin + corner_y * cos
    corner_lon, corner_lat = offset_lonlat(lon[:, None], lat[:, None], east, north)
    points = [
        join(
            decimal_text(corner_lon[:, k], COORDINATE_DECIMALS),
            " ",
            decimal_text(corner_lat[:, k], COORDINATE_DECIMALS),
        )
        for k in range(4)
    ]
    ring = [points[0], ", ", points[1], ", ", points[2], ", ", points[3], ", ", points[0]]
    return join("POLYGON ((", *ring, "))")


def grid_positions(group: np.ndarray, order_key: np.ndarray) -> tuple[Floats, Floats]:
    """East and north offsets (m) of each item on a square grid of its group, centred on 0.

    Items of a group are laid out row by row in ``order_key`` order, so items with the same key
    (a park, a town) form a contiguous block.
    """
    n = len(group)
    order = np.lexsort((np.arange(n), order_key, group))
    sorted_group = group[order]
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_group)) + 1]
    counts = np.diff(np.r_[starts, n])
    rank_sorted = np.arange(n) - np.repeat(starts, counts)
    width_sorted = np.repeat(np.ceil(np.sqrt(counts)).astype(np.int64), counts)
    rank = np.empty(n, dtype=np.int64)
    rank[order] = rank_sorted
    width = np.empty(n, dtype=np.int64)
    width[order] = width_sorted
    column, row = rank % width, rank // width
    east = (column - (width - 1) / 2) * GRID_CELL_M
    north = (row - (width - 1) / 2) * GRID_CELL_M
    return east.astype(np.float64), north.astype(np.float64)
