"""The random base population: enterprises, their land, buildings, figures and troubles.

Everything is drawn column-wise with numpy and assembled with Arrow; there is no Python loop
over enterprises, parcels or rows. Each part draws from its own random stream
(:func:`~mujun.demo.geography.rng_for`), so the same seed always gives the same tables.

Shapes, per enterprise on average: 1.1 parcels (most enterprises hold one, some several, some
none and lease in), 1.15 occupancy rows, 1.5 buildings, 5 years of annual figures, 36 months of
monthly figures for about two thirds of them.
"""

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from mujun.demo.calendar import AS_OF_DAY, day
from mujun.demo.columns import (
    Bools,
    Floats,
    Ints,
    assemble,
    booleans,
    dates,
    fixed_width_strings,
    floats,
    join,
    padded,
    pick,
    with_nulls,
    year_of,
)
from mujun.demo.geography import Geography, rng_for
from mujun.demo.geometry import grid_blocks, grid_positions, offset_lonlat, quadrilaterals
from mujun.demo.vocabulary import (
    INDUSTRIES,
    NAME_SUFFIXES,
    PROVINCE_NAME,
    TRADE_FIRST,
    TRADE_SECOND,
)
from mujun.interchange.credit_code import ALPHABET, WEIGHTS

M2_PER_MU = 10000 / 15

# Calibration: above-scale tax per mu of land (yuan) before the effects of idle land, halts and
# missing years, chosen so that the above-scale aggregate of 2021 is near Zhejiang's
# 28.1 万元/亩 (evaluation.md).
ABOVE_SCALE_TAX_PER_MU = 300_000.0
BELOW_SCALE_TAX_PER_MU = 70_000.0
YEAR_FACTOR = np.array([1.00, 0.97, 1.04, 1.08, 1.12])  # tax level of 2021 … 2025

STATUS = np.array(["operating", "halted", "bankrupt", "deregistered"])
STATUS_SHARE = (0.92, 0.05, 0.02, 0.01)
OPERATING, HALTED, BANKRUPT, DEREGISTERED = range(4)

# Development state of a supplied parcel, by supply year (rows: ≤2021, 2022, 2023, 2024, 2025).
COMPLETED, IN_PROGRESS, STALLED, NOT_STARTED = range(4)
STATE_SHARE = np.array(
    [
        [0.95, 0.015, 0.02, 0.015],
        [0.80, 0.10, 0.05, 0.05],
        [0.55, 0.30, 0.05, 0.10],
        [0.15, 0.55, 0.05, 0.25],
        [0.00, 0.35, 0.00, 0.65],
    ]
)


@dataclass(frozen=True)
class Enterprises:
    table: pa.Table
    credit_code: pa.Array
    county: Ints
    town: Ints
    park: Ints  # -1: not in a park
    above_scale: Bools
    status: Ints
    halt_year: Ints  # first year halted (9999: never)
    gone_year: Ints  # first year without figures (9999: still there)


@dataclass(frozen=True)
class Land:
    """Parcels and occupancy, with what later tables need to know about each parcel."""

    parcels: pa.Table
    occupancy: pa.Table
    parcel_id: pa.Array
    holder: Ints  # enterprise index, -1 for none
    county: Ints
    area_m2: Floats
    supply_day: Ints  # -1: not supplied
    state: Ints  # COMPLETED … NOT_STARTED, -1 not supplied
    land_m2: Floats  # per enterprise, as rules.md reads land
    park_outline: pa.Array  # per park: WKT enclosing its parcels (null: a park without any)


def categorical(rng: np.random.Generator, shares: npt.ArrayLike, size: int) -> Ints:
    """Draws of category indices with the given shares."""
    cumulative = np.cumsum(np.asarray(shares, dtype=np.float64))
    cumulative /= cumulative[-1]
    drawn: Ints = np.searchsorted(cumulative, rng.random(size), side="right").astype(np.int64)
    return np.minimum(drawn, len(cumulative) - 1)


def uniform_days(rng: np.random.Generator, low: int, high: int, size: int) -> Ints:
    """Day numbers drawn uniformly from ``low`` to ``high`` inclusive."""
    drawn: Ints = rng.integers(low, high + 1, size=size).astype(np.int64)
    return drawn


# -- credit codes ---------------------------------------------------------------------------

_ALPHABET_BYTES = np.frombuffer(ALPHABET.encode(), dtype=np.uint8)
_GB11714_WEIGHTS = np.array([3, 7, 9, 10, 5, 8, 4, 2])


def credit_codes(division: npt.NDArray[np.int64], serial: Ints, salt: int) -> pa.Array:
    """Unified social credit codes: 9 1 <division> M A <6 chars> <GB 11714 check> <check>.

    ``division`` is an (n, 6) array of the digits of each code's county; ``serial`` must be
    unique per code: the six characters encode ``serial`` scrambled by an affine map modulo 31⁶
    (a bijection), so distinct serials give distinct codes.
    """
    n = len(serial)
    scrambled = (serial.astype(np.int64) * 104_729 + salt) % 31**6
    digits = np.empty((n, 17), dtype=np.int64)
    digits[:, 0] = ALPHABET.index("9")
    digits[:, 1] = ALPHABET.index("1")
    digits[:, 2:8] = division
    digits[:, 8] = ALPHABET.index("M")
    digits[:, 9] = ALPHABET.index("A")
    for k in range(6):
        digits[:, 15 - k] = scrambled % 31
        scrambled //= 31
    # GB 11714 organisation-code check over the eight characters M A x x x x x x.
    values = np.where(digits[:, 8:16] < 10, digits[:, 8:16], 0)
    letters = _ALPHABET_BYTES[digits[:, 8:16]]
    values = np.where(letters >= ord("A"), letters - ord("A") + 10, values)
    remainder = 11 - (values * _GB11714_WEIGHTS).sum(axis=1) % 11
    check = np.where(remainder == 10, ALPHABET.index("X"), remainder % 11)
    digits[:, 16] = check
    total = (digits * np.asarray(WEIGHTS)).sum(axis=1)
    last = (31 - total % 31) % 31
    chars = np.empty((n, 18), dtype=np.uint8)
    chars[:, :17] = _ALPHABET_BYTES[digits]
    chars[:, 17] = _ALPHABET_BYTES[last]
    return fixed_width_strings(chars)


def division_digits(codes: tuple[str, ...] | list[str]) -> npt.NDArray[np.int64]:
    """The digits of six-digit division codes, one row per code."""
    return np.array([[int(ch) for ch in code] for code in codes], dtype=np.int64).reshape(-1, 6)


# -- enterprises ----------------------------------------------------------------------------


def registration_days(n: int, seed: int) -> Ints:
    """Registration dates (day numbers) from 1990 to the as-of date, most long ago; 2 % are
    unknown (-1). A stream of their own, so the rest of the population does not move."""
    rng = rng_for(seed, "registration")
    years_ago = np.minimum(rng.gamma(2.0, 6.0, n), 35.0)
    days = (AS_OF_DAY - np.rint(years_ago * 365.25)).astype(np.int64)
    return np.where(rng.random(n) < 0.02, -1, days)


def draw_enterprises(geo: Geography, n: int, seed: int) -> Enterprises:
    """Enterprises spread over the counties (80 % in a park), 30 % above scale, mostly
    operating, in the manufacturing classes of :data:`~mujun.demo.vocabulary.INDUSTRIES`."""
    rng = rng_for(seed, "enterprises")
    weights = rng.lognormal(0.0, 0.35, geo.counties)
    county = categorical(rng, weights, n)
    town = geo.town_start[county] + rng.integers(0, 6, n)
    in_park = rng.random(n) < 0.8
    park_index = geo.park_start[county] + np.floor(rng.random(n) * geo.park_count[county]).astype(
        np.int64
    )
    park = np.where(in_park, park_index, -1)
    industry = categorical(rng, [i.weight for i in INDUSTRIES], n)
    above_scale = rng.random(n) < 0.30
    status = categorical(rng, STATUS_SHARE, n)
    halt_year = np.full(n, 9999, dtype=np.int64)
    halt_year = np.where(status == HALTED, rng.integers(2022, 2026, n), halt_year)
    halt_year = np.where(status == BANKRUPT, rng.integers(2021, 2025, n), halt_year)
    gone_year = np.where(status == DEREGISTERED, rng.integers(2022, 2026, n), 9999)
    halt_year = np.where(status == DEREGISTERED, gone_year - 1, halt_year)

    code = credit_codes(
        division_digits(geo.county_code)[county],
        np.arange(n, dtype=np.int64),
        int(rng.integers(0, 31**6)),
    )

    # Names: place (the province, the county or the enterprise's own town) + trade name +
    # trade word + suffix, e.g. 桐庐恒达机械有限公司, 横村宏盛电器有限公司.
    place_kind = rng.random(n)
    county_place = pick(list(geo.county_short), county)
    town_word = pick(list(geo.town_word), town)
    place = pc.if_else(
        pa.array(place_kind < 0.12),
        PROVINCE_NAME,
        pc.if_else(pa.array(place_kind < 0.75), county_place, town_word),
    )
    trade = join(
        pick(list(TRADE_FIRST), rng.integers(0, len(TRADE_FIRST), n)),
        pick(list(TRADE_SECOND), rng.integers(0, len(TRADE_SECOND), n)),
    )
    word = pick([i.word for i in INDUSTRIES], industry)
    suffix = pick(list(NAME_SUFFIXES), (above_scale & (rng.random(n) < 0.15)).astype(int))
    name = join(place, trade, word, suffix)

    park_codes = pa.array([*geo.park_code, None], type=pa.string())
    registered = registration_days(n, seed)
    table = assemble(
        "enterprises",
        {
            "credit_code": code,
            "name": name,
            "industry_code": pick([i.code for i in INDUSTRIES], industry),
            "above_scale": booleans(above_scale),
            "status": pick(STATUS.tolist(), status),
            "jurisdiction_code": pick(list(geo.town_code), town),
            "park_code": park_codes.take(pa.array(np.where(park < 0, len(geo.park_code), park))),
            "registered_date": dates(registered, registered >= 0),
        },
        n,
    )
    return Enterprises(
        table=table,
        credit_code=code,
        county=county,
        town=town,
        park=park,
        above_scale=above_scale,
        status=status,
        halt_year=halt_year,
        gone_year=gone_year,
    )


# -- land -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Placed:
    """Where each parcel is and who holds it."""

    owned: Ints  # parcels held, per enterprise
    holder: Ints  # per parcel: enterprise index, -1 for none
    county: Ints
    town: Ints
    park: Ints  # -1: not in a park

    @property
    def is_held(self) -> Bools:
        held: Bools = self.holder >= 0
        return held

    @property
    def safe_holder(self) -> Ints:
        safe: Ints = np.where(self.is_held, self.holder, 0)
        return safe


def _place(geo: Geography, ent: Enterprises, rng: np.random.Generator) -> _Placed:
    """Most enterprises hold one parcel, some several, some none; 3 % of parcels have no
    holder (government reserve). Held parcels lie in their holder's town and park."""
    n_ent = len(ent.county)
    owned = categorical(rng, (0.08, 0.83, 0.07, 0.02), n_ent)
    holder_owned = np.repeat(np.arange(n_ent, dtype=np.int64), owned)
    unheld = max(1, round(0.03 * n_ent))
    unheld_county = ent.county[rng.integers(0, n_ent, unheld)].astype(np.int64)
    holder = np.r_[holder_owned, np.full(unheld, -1, dtype=np.int64)]
    n = len(holder)
    is_held = holder >= 0
    safe_holder = np.where(is_held, holder, 0)
    county = np.where(
        is_held,
        ent.county[safe_holder],
        np.r_[np.zeros(len(holder_owned), dtype=np.int64), unheld_county],
    )
    town = np.where(is_held, ent.town[safe_holder], geo.town_start[county] + rng.integers(0, 6, n))
    park_draw = np.floor(rng.random(n) * geo.park_count[county]).astype(np.int64)
    random_park = np.where(rng.random(n) < 0.7, geo.park_start[county] + park_draw, -1)
    park = np.where(is_held, ent.park[safe_holder], random_park)
    return _Placed(owned=owned, holder=holder, county=county, town=town, park=park)


def _parcel_ids(geo: Geography, placed: _Placed) -> pa.Array:
    """宗地代码-style ids: town code + 001 + GB + serial within the county."""
    county, n = placed.county, len(placed.county)
    order = np.lexsort((np.arange(n), county))
    starts = np.r_[0, np.flatnonzero(np.diff(county[order])) + 1]
    counts = np.diff(np.r_[starts, n])
    serial = np.empty(n, dtype=np.int64)
    serial[order] = np.arange(n) - np.repeat(starts, counts) + 1
    width = max(5, len(str(int(serial.max(initial=1)))))
    return join(pick(list(geo.town_code), placed.town), "001GB", padded(serial, width))


def _outlines(
    geo: Geography, placed: _Placed, area_m2: Floats, rng: np.random.Generator
) -> tuple[pa.Array, pa.Array]:
    """WKT outlines on a grid per county, parks and towns in blocks; and each park's outline,
    the grid cells its parcels fill."""
    n = len(area_m2)
    group_key = np.where(placed.park >= 0, placed.park, len(geo.park_code) + placed.town)
    east, north = grid_positions(placed.county, group_key)
    seat_lon, seat_lat = geo.county_lon[placed.county], geo.county_lat[placed.county]
    parks = grid_blocks(
        group=placed.park,
        county=placed.county,
        east=east,
        north=north,
        lon=seat_lon,
        lat=seat_lat,
        groups=len(geo.park_code),
    )
    lon, lat = offset_lonlat(seat_lon, seat_lat, east, north)
    return parks, quadrilaterals(
        lon=lon,
        lat=lat,
        area_m2=area_m2,
        aspect=rng.uniform(1.0, 1.6, n),
        angle_rad=rng.uniform(0.0, np.pi, n),
        jitter=rng.uniform(-1.0, 1.0, (n, 4, 2)),
    )


def _supply(placed: _Placed, rng: np.random.Generator) -> tuple[Ints, Ints]:
    """Supply day (-1: not supplied) and development state of each parcel."""
    n = len(placed.holder)
    # Held parcels were supplied 1995–2025, most around 2005–2018.
    supply_year = np.clip(np.rint(rng.normal(2011.0, 7.0, n)), 1995, 2025).astype(np.int64)
    new_year = np.array([day(year, 1, 1) for year in range(1995, 2026)], dtype=np.int64)
    supply_day = new_year[supply_year - 1995] + rng.integers(0, 365, n)
    supply_day = np.where(placed.is_held, np.minimum(supply_day, AS_OF_DAY - 1), -1)
    year_row = np.clip(year_of(np.maximum(supply_day, 0)) - 2021, 0, 4)
    cumulative = np.cumsum(STATE_SHARE, axis=1)
    state = (rng.random(n)[:, None] > cumulative[year_row]).sum(axis=1).astype(np.int64)
    state = np.where(supply_day >= 0, np.minimum(state, NOT_STARTED), -1)
    return supply_day, state


def _parcels_table(
    *,
    geo: Geography,
    ent: Enterprises,
    placed: _Placed,
    parcel_id: pa.Array,
    area_m2: Floats,
    supply_day: Ints,
    state: Ints,
    rng: np.random.Generator,
) -> tuple[pa.Table, pa.Array]:
    """The parcels table, and each park's outline."""
    n = len(area_m2)
    supplied = supply_day >= 0
    before_1999 = supplied & (supply_day < day(1999, 1, 1))
    allocation = supplied & (rng.random(n) < np.where(before_1999, 0.35, 0.05))
    land_use = categorical(rng, (0.91, 0.04, 0.025, 0.005, 0.02), n)
    # Actual use: industrial, non-industrial (4 % of built parcels: some approved, some a
    # temporary change, the rest 占工非工) or vacant (not started, or never supplied).
    actual = np.where((state == COMPLETED) | (state == IN_PROGRESS) | (state == STALLED), 0, 2)
    non_industrial = (state == COMPLETED) & (rng.random(n) < 0.04)
    actual = np.where(non_industrial, 1, actual)
    change_draw = rng.random(n)
    temporary = non_industrial & (change_draw >= 0.30) & (change_draw < 0.50)
    use_change = np.where(non_industrial & (change_draw < 0.30), 1, np.where(temporary, 2, 0))
    expires = uniform_days(rng, day(2023, 1, 1), day(2028, 12, 31), n)
    # Some temporary changes have expired and the land went back to industry.
    actual = np.where(temporary & (expires < AS_OF_DAY) & (rng.random(n) < 0.4), 0, actual)
    planning_draw = rng.random(n)
    reserve = rng.random(n) < np.where(placed.is_held, 0.005, 0.2)
    park_codes = pa.array([*geo.park_code, None], type=pa.string())
    park_index = np.where(placed.park < 0, len(geo.park_code), placed.park)
    park_outline, outline = _outlines(geo, placed, area_m2, rng)
    table = assemble(
        "parcels",
        {
            "parcel_id": parcel_id,
            "area_m2": floats(area_m2),
            "jurisdiction_code": pick(list(geo.town_code), placed.town),
            "park_code": park_codes.take(pa.array(park_index)),
            "land_use": pick(
                ["industrial", "warehouse", "commercial", "residential", "other"], land_use
            ),
            "actual_use": pick(["industrial", "non_industrial", "vacant"], actual),
            "use_change": pick(["none", "approved", "temporary"], use_change),
            "use_change_expires": dates(expires, temporary),
            "supply_method": with_nulls(
                pick(["transfer", "allocation"], allocation.astype(int)), supplied
            ),
            "supply_date": dates(np.maximum(supply_day, 0), supplied),
            "holder_credit_code": with_nulls(
                ent.credit_code.take(pa.array(placed.safe_holder)), placed.is_held
            ),
            "planning_adjustment": booleans(planning_draw < 0.02, planning_draw < 0.92),
            "dynamic_reserve": booleans(reserve),
            "geometry_wkt": outline,
        },
        n,
    )
    return table, park_outline


def _occupancy(
    *,
    ent: Enterprises,
    placed: _Placed,
    parcel_id: pa.Array,
    area_m2: Floats,
    state: Ints,
    rng: np.random.Generator,
) -> tuple[pa.Table, Floats]:
    """Occupancy rows, and each enterprise's land as rules.md reads it.

    Some built parcels are partly let to a tenant, mostly an enterprise without land of its
    own; 5 % of enterprises have no occupancy rows at all (their land is read from
    ``parcels.holder_credit_code``).
    """
    n_ent, n = len(ent.county), len(area_m2)
    holder, is_held, safe_holder = placed.holder, placed.is_held, placed.safe_holder
    has_rows = rng.random(n_ent) >= 0.05
    let = is_held & (state == COMPLETED) & (rng.random(n) < 0.08)
    let_idx = np.flatnonzero(let & has_rows[safe_holder])
    landless = np.flatnonzero(placed.owned == 0)
    tenant = rng.integers(0, n_ent, len(let_idx))
    if len(landless):
        from_pool = rng.random(len(let_idx)) < 0.7
        pooled = landless[rng.integers(0, len(landless), len(let_idx))]
        tenant = np.where(from_pool, pooled, tenant)
    tenant = np.where(tenant == holder[let_idx], (tenant + 1) % n_ent, tenant)
    keep = tenant != holder[let_idx]
    let_idx, tenant = let_idx[keep], tenant[keep]
    has_rows[tenant] = True
    let_area = np.round(area_m2[let_idx] * rng.uniform(0.1, 0.6, len(let_idx)), 2)

    own_idx = np.flatnonzero(is_held & has_rows[safe_holder])
    occ_parcel = np.r_[own_idx, let_idx, let_idx]
    occ_enterprise = np.r_[holder[own_idx], holder[let_idx], tenant]
    occ_kind = np.r_[
        np.zeros(len(own_idx), dtype=np.int64),
        np.full(len(let_idx), 2, dtype=np.int64),
        np.ones(len(let_idx), dtype=np.int64),
    ]
    occ_area = np.r_[area_m2[own_idx], let_area, let_area]
    table = assemble(
        "land_occupancy",
        {
            "credit_code": ent.credit_code.take(pa.array(occ_enterprise)),
            "parcel_id": parcel_id.take(pa.array(occ_parcel)),
            "kind": pick(["owned", "leased_in", "leased_out"], occ_kind),
            "area_m2": floats(occ_area),
        },
        len(occ_parcel),
    )
    sign = np.array([1.0, 1.0, -1.0])[occ_kind]
    land_rows = np.bincount(occ_enterprise, weights=occ_area * sign, minlength=n_ent)
    land_held = np.bincount(holder[is_held], weights=area_m2[is_held], minlength=n_ent)
    land_m2: Floats = np.maximum(np.where(has_rows, land_rows, land_held), 0.0)
    return table, land_m2


def draw_land(geo: Geography, ent: Enterprises, seed: int) -> Land:
    rng = rng_for(seed, "land")
    placed = _place(geo, ent, rng)
    n = len(placed.holder)
    # Area: log-normal, median about 25 mu, larger for above-scale holders; 1.5 to 150 mu.
    above = placed.is_held & ent.above_scale[placed.safe_holder]
    median_mu = np.where(above, 38.0, np.where(placed.is_held, 19.0, 30.0))
    area_mu = np.clip(median_mu * rng.lognormal(0.0, 0.7, n), 1.5, 150.0)
    area_m2 = np.round(area_mu * M2_PER_MU, 2)
    supply_day, state = _supply(placed, rng)
    parcel_id = _parcel_ids(geo, placed)
    parcels, park_outline = _parcels_table(
        geo=geo,
        ent=ent,
        placed=placed,
        parcel_id=parcel_id,
        area_m2=area_m2,
        supply_day=supply_day,
        state=state,
        rng=rng,
    )
    occupancy, land_m2 = _occupancy(
        ent=ent, placed=placed, parcel_id=parcel_id, area_m2=area_m2, state=state, rng=rng
    )
    return Land(
        parcels=parcels,
        occupancy=occupancy,
        parcel_id=parcel_id,
        holder=placed.holder,
        county=placed.county,
        area_m2=area_m2,
        supply_day=supply_day,
        state=state,
        land_m2=land_m2,
        park_outline=park_outline,
    )
