"""Parcel outlines: rotated quadrilaterals in CGCS2000 lon-lat, written as WKT, vectorised.

A parcel of area A m² is a rectangle of aspect ratio r (sides √(A·r) by √(A/r)) turned by an
angle, its corners nudged by at most ``jitter`` of the shorter side, centred on a point given in
lon-lat. Metres become degrees with the local scale at the centre's latitude, which is exact
enough at parcel size (the outline's area is within a few per cent of A).
"""

import numpy as np
import pyarrow as pa
import shapely

from mujun.demo.columns import Floats, Ints, decimal_text, join

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


# -- jurisdiction outlines ------------------------------------------------------------------

EDGE_POINTS = 16  # segments per side of a county's cell
VERTEX_JITTER = 0.008  # of a lattice step: how far a cell's corner moves
EDGE_WIGGLE = 0.022  # of a lattice step: how far a side strays from the straight line


def _bridges(rng: np.random.Generator, shape: tuple[int, ...]) -> Floats:
    """Random walks of ``EDGE_POINTS`` steps that start and end at 0, within ±EDGE_WIGGLE."""
    steps = rng.normal(0.0, 1.0, (*shape, EDGE_POINTS))
    walk = np.concatenate([np.zeros((*shape, 1)), np.cumsum(steps, axis=-1)], axis=-1)
    t = np.linspace(0.0, 1.0, EDGE_POINTS + 1)
    bridge = walk - walk[..., -1:] * t
    scale = np.abs(bridge).max(axis=-1, keepdims=True) + 1e-9
    wiggle: Floats = bridge / scale * rng.uniform(0.4, 1.0, (*shape, 1)) * EDGE_WIGGLE
    return wiggle


def lattice_cells(
    i: Ints,
    j: Ints,
    *,
    lon0: float,
    lat0: float,
    step_lon: float,
    step_lat: float,
    rng: np.random.Generator,
) -> pa.Array:
    """WKT outlines of the lattice cells at integer positions (i, j): cells that tile without
    gaps or overlap, their corners moved a little and their sides wiggling like real borders.

    Neighbouring cells share their corners and sides exactly (one random side per lattice edge),
    so the outlines of counties on the lattice never overlap.
    """
    low_i, low_j = int(i.min()), int(j.min())
    size_i, size_j = int(i.max()) - low_i + 2, int(j.max()) - low_j + 2  # corners per axis
    corner = rng.uniform(-VERTEX_JITTER, VERTEX_JITTER, (size_i, size_j, 2))
    corner[:, :, 0] += np.arange(size_i)[:, None] + low_i - 0.5
    corner[:, :, 1] += np.arange(size_j)[None, :] + low_j - 0.5
    t = np.linspace(0.0, 1.0, EDGE_POINTS + 1)[:, None]
    across = _bridges(rng, (size_i, size_j))  # sides from corner (a, b) to (a + 1, b)
    up = _bridges(rng, (size_i, size_j))  # sides from corner (a, b) to (a, b + 1)

    def horizontal(a: Ints, b: Ints) -> Floats:
        start, end = corner[a, b], corner[np.minimum(a + 1, size_i - 1), b]
        points = start[:, None, :] + (end - start)[:, None, :] * t
        points[:, :, 1] += across[a, b]
        return points

    def vertical(a: Ints, b: Ints) -> Floats:
        start, end = corner[a, b], corner[a, np.minimum(b + 1, size_j - 1)]
        points = start[:, None, :] + (end - start)[:, None, :] * t
        points[:, :, 0] += up[a, b]
        return points

    a, b = i - low_i, j - low_j
    ring = np.concatenate(
        [
            horizontal(a, b)[:, :-1],  # south side, west to east
            vertical(a + 1, b)[:, :-1],  # east side, south to north
            horizontal(a, b + 1)[:, :0:-1],  # north side, east to west
            vertical(a, b)[:, :0:-1],  # west side, north to south
            horizontal(a, b)[:, :1],  # closing the ring
        ],
        axis=1,
    )
    lon = np.round(lon0 + ring[:, :, 0] * step_lon, COORDINATE_DECIMALS)
    lat = np.round(lat0 + ring[:, :, 1] * step_lat, COORDINATE_DECIMALS)
    shapes = shapely.polygons(np.stack([lon, lat], axis=2))
    return pa.array(shapely.to_wkt(shapes, rounding_precision=COORDINATE_DECIMALS), pa.string())


def grid_blocks(
    *,
    group: Ints,
    county: Ints,
    east: Floats,
    north: Floats,
    lon: Floats,
    lat: Floats,
    groups: int,
) -> pa.Array:
    """WKT outlines of groups of parcels laid out by :func:`grid_positions` (a park's parcels):
    the union of the grid cells the group fills, a row-by-row staircase that encloses every
    parcel of the group and none of another's. ``lon``, ``lat`` are each parcel's grid centre
    (its county's seat); groups with no parcel get null.
    """
    half = GRID_CELL_M / 2
    county_east = np.zeros(int(county.max(initial=0)) + 1)
    np.maximum.at(county_east, county, east)
    member = np.flatnonzero(group >= 0)
    g = group[member]
    order = np.lexsort((east[member], north[member], g))
    g, rows = g[order], member[order]
    first = np.r_[0, np.flatnonzero(np.diff(g)) + 1]
    last = np.r_[first[1:] - 1, len(g) - 1]
    begin, end = rows[first], rows[last]  # the group's first and last cell in grid order
    right = county_east[county[begin]] + half
    left = -right
    y0, y1 = north[begin], north[end]
    x0, x1 = east[begin] - half, east[end] + half
    one_row = y0 == y1
    # Up to three boxes per group: its first row, the full rows between, its last row.
    boxes = np.array(
        [
            [x0, y0 - half, np.where(one_row, x1, right), y0 + half],
            [left, y0 + half, right, y1 - half],
            [left, y1 - half, x1, y1 + half],
        ]
    )  # (3, 4, groups)
    keep = np.array([np.ones_like(one_row), y1 - y0 > GRID_CELL_M * 1.5, ~one_row])
    owner = np.broadcast_to(g[first], (3, len(first)))[keep]
    box = boxes.transpose(0, 2, 1)[keep]
    centre_lon, centre_lat = lon[begin], lat[begin]
    which = np.broadcast_to(np.arange(len(first)), (3, len(first)))[keep]
    west, south = offset_lonlat(centre_lon[which], centre_lat[which], box[:, 0], box[:, 1])
    east_lon, north_lat = offset_lonlat(centre_lon[which], centre_lat[which], box[:, 2], box[:, 3])
    pieces = shapely.box(
        np.round(west, COORDINATE_DECIMALS),
        np.round(south, COORDINATE_DECIMALS),
        np.round(east_lon, COORDINATE_DECIMALS),
        np.round(north_lat, COORDINATE_DECIMALS),
    )
    by_owner = np.argsort(owner, kind="stable")
    owner, pieces = owner[by_owner], pieces[by_owner]
    cuts = np.flatnonzero(np.diff(owner)) + 1
    outlines: list[str | None] = [None] * groups
    for k, part in zip(owner[np.r_[0, cuts]], np.split(pieces, cuts), strict=True):
        outlines[int(k)] = shapely.to_wkt(
            shapely.simplify(shapely.normalize(shapely.union_all(part)), 0.0),
            rounding_precision=COORDINATE_DECIMALS,
        )
    return pa.array(outlines, pa.string())
