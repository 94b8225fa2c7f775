"""Land contracts, construction records and buildings of the base population.

Each supplied parcel has a development state (see :mod:`.population`): completed, in progress,
stalled (started, then suspended) or not started. Contracts carry the agreed start and
completion dates and the committed investment; construction records follow the state (a third
of parcels also have an earlier record, as of 2023-12-31); completed parcels carry 1–3 buildings
(factories, sometimes an office block) with their completion, production and use.
"""

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from mujun.demo.calendar import AS_OF_DAY, day
from mujun.demo.columns import (
    Bools,
    Floats,
    Ints,
    assemble,
    booleans,
    dates,
    floats,
    integers,
    join,
    padded,
    pick,
    text,
    with_nulls,
    year_of,
)
from mujun.demo.geography import Geography, rng_for
from mujun.demo.population import (
    BANKRUPT,
    COMPLETED,
    HALTED,
    IN_PROGRESS,
    M2_PER_MU,
    NOT_STARTED,
    STALLED,
    Enterprises,
    Land,
    uniform_days,
)

EARLIER_RECORD_DAY = day(2023, 12, 31)
LATEST_RECORD_DAYS = np.array([day(2024, 12, 31), day(2025, 6, 30), AS_OF_DAY])


@dataclass(frozen=True)
class Development:
    contracts: pa.Table
    construction: pa.Table
    buildings: pa.Table
    completed_day: Ints  # per parcel; -1 if not completed


@dataclass(frozen=True)
class _Agreed:
    """What each parcel's contract agreed (defined for every parcel; ``has_contract`` says
    which parcels have one on file)."""

    has_contract: Bools
    agreed_start: Ints
    total_investment: Floats


@dataclass(frozen=True)
class _Built:
    """When each parcel's construction started and was completed (where it was)."""

    started: Ints
    completed: Ints
    is_completed: Bools


def _contracts(
    geo: Geography, ent: Enterprises, land: Land, rng: np.random.Generator
) -> tuple[pa.Table, _Agreed]:
    n = len(land.holder)
    holder = np.where(land.holder >= 0, land.holder, 0)
    supplied = land.supply_day >= 0
    supply = np.maximum(land.supply_day, 0)
    area_mu = land.area_m2 / M2_PER_MU
    # -- contracts ---------------------------------------------------------------------------
    signed = np.maximum(supply - rng.integers(0, 46, n), day(1994, 6, 1))
    agreed_start = signed + rng.integers(90, 366, n)
    agreed_completion = agreed_start + rng.integers(540, 1096, n)
    signed_year = year_of(signed)
    has_contract = supplied & (rng.random(n) < 0.95)
    modern = signed_year >= 2010
    committed_investment = np.round(rng.uniform(1.5e6, 5.0e6, n), -4)
    has_committed_investment = modern | (rng.random(n) < 0.3)
    total_investment = np.round(
        area_mu
        * np.where(has_committed_investment, committed_investment, 2.0e6)
        * rng.uniform(0.9, 1.2, n),
        -3,
    )
    committed_tax = np.round(rng.uniform(1.0e5, 4.0e5, n), -3)
    price_per_mu = 6.0e4 * 1.07 ** (signed_year - 1995) * rng.lognormal(0.0, 0.2, n)
    term_years = np.where((signed_year >= 2018) & (rng.random(n) < 0.5), 20, 50)
    contract_idx = np.flatnonzero(has_contract)
    county_codes = pick(list(geo.county_code), land.county)
    contract_id = join(county_codes, "-", text(signed_year), "-", padded(np.arange(n) + 1, 6))
    c = contract_idx
    take = pa.array(c)
    contracts = assemble(
        "land_contracts",
        {
            "contract_id": contract_id.take(take),
            "parcel_id": land.parcel_id.take(take),
            "credit_code": ent.credit_code.take(pa.array(holder[c])),
            "signed_date": dates(signed[c]),
            "land_price_yuan": floats(np.round(area_mu[c] * price_per_mu[c], -2)),
            "agreed_start_date": dates(agreed_start[c]),
            "agreed_completion_date": dates(agreed_completion[c]),
            "total_investment_yuan": floats(total_investment[c]),
            "committed_investment_per_mu_yuan": floats(
                committed_investment[c], has_committed_investment[c]
            ),
            "committed_tax_per_mu_yuan": floats(committed_tax[c], signed_year[c] >= 2016),
            "committed_far": floats(rng.uniform(1.0, 2.5, n)[c], modern[c]),
            "term_years": integers(term_years[c]),
        },
        len(c),
    )

    agreed = _Agreed(has_contract, agreed_start, total_investment)
    return contracts, agreed


def _construction(land: Land, agreed: _Agreed, rng: np.random.Generator) -> tuple[pa.Table, _Built]:
    n = len(land.holder)
    supplied = land.supply_day >= 0
    supply = np.maximum(land.supply_day, 0)
    state = land.state
    agreed_start, total_investment, has_contract = (
        agreed.agreed_start,
        agreed.total_investment,
        agreed.has_contract,
    )
    started = np.maximum(agreed_start + np.rint(rng.normal(20, 90, n)).astype(np.int64), supply)
    limit = np.select(
        [state == COMPLETED, state == STALLED, state == IN_PROGRESS],
        [AS_OF_DAY - 420, AS_OF_DAY - 400, AS_OF_DAY - 30],
        AS_OF_DAY,
    )
    started = np.maximum(np.minimum(started, limit), supply)
    started = np.minimum(started, AS_OF_DAY)
    is_started = supplied & (state != NOT_STARTED)
    completed = np.minimum(started + rng.integers(300, 1000, n), AS_OF_DAY - 1)
    completed = np.maximum(completed, started)
    is_completed = state == COMPLETED
    suspended = np.minimum(started + rng.integers(60, 720, n), AS_OF_DAY - 1)
    suspended = np.maximum(suspended, started)
    is_suspended = state == STALLED

    to_develop = land.area_m2
    developed_share = np.select(
        [is_completed, state == IN_PROGRESS, is_suspended],
        [np.ones(n), rng.uniform(0.25, 0.95, n), rng.uniform(0.05, 0.45, n)],
        0.0,
    )
    developed = np.round(to_develop * developed_share, 2)
    invested_share = np.select(
        [is_completed, state == IN_PROGRESS, is_suspended],
        [rng.uniform(0.75, 1.3, n), rng.uniform(0.25, 0.9, n), rng.uniform(0.05, 0.4, n)],
        np.where(rng.random(n) < 0.3, rng.uniform(0.0, 0.05, n), 0.0),
    )
    invested = np.round(total_investment * invested_share, -2)

    latest = LATEST_RECORD_DAYS[
        np.searchsorted(np.array([0.1, 0.3, 1.0]), rng.random(n), side="right").clip(0, 2)
    ]
    last_event = np.maximum.reduce(
        [
            supply,
            np.where(is_started, started, 0),
            np.where(is_completed, completed, 0),
            np.where(is_suspended, suspended, 0),
        ]
    )
    latest = np.where(last_event > latest, AS_OF_DAY, latest)
    has_record = has_contract | (supplied & is_completed & (rng.random(n) < 0.5))
    r = np.flatnonzero(has_record)

    earlier = has_record & (supply <= EARLIER_RECORD_DAY - 180) & (rng.random(n) < 0.33)
    e = np.flatnonzero(earlier)
    e_started = is_started[e] & (started[e] <= EARLIER_RECORD_DAY)
    e_completed = is_completed[e] & (completed[e] <= EARLIER_RECORD_DAY)
    e_suspended = is_suspended[e] & (suspended[e] <= EARLIER_RECORD_DAY)
    e_progress = np.where(e_completed, 1.0, np.where(e_started, rng.uniform(0.2, 0.8, len(e)), 0.0))

    rows = np.r_[r, e]
    record_day = np.r_[latest[r], np.full(len(e), EARLIER_RECORD_DAY)]
    construction = assemble(
        "construction",
        {
            "parcel_id": land.parcel_id.take(pa.array(rows)),
            "as_of": dates(record_day),
            "started_date": dates(started[rows], np.r_[is_started[r], e_started]),
            "developed_area_m2": floats(
                np.r_[developed[r], np.round(developed[e] * e_progress, 2)]
            ),
            "area_to_develop_m2": floats(to_develop[rows]),
            "invested_yuan": floats(np.r_[invested[r], np.round(invested[e] * e_progress, -2)]),
            "suspended_since": dates(suspended[rows], np.r_[is_suspended[r], e_suspended]),
            "completed_date": dates(completed[rows], np.r_[is_completed[r], e_completed]),
        },
        len(rows),
    )

    return construction, _Built(started, completed, supplied & is_completed)


def _buildings(
    ent: Enterprises, land: Land, built_on: _Built, rng: np.random.Generator
) -> pa.Table:
    n = len(land.holder)
    completed = built_on.completed
    built = np.flatnonzero(built_on.is_completed)
    per_parcel = np.searchsorted(np.array([0.55, 0.85, 1.0]), rng.random(len(built))) + 1
    per_parcel = np.minimum(per_parcel, 3)
    b_parcel = np.repeat(built, per_parcel)
    nb = len(b_parcel)
    first = np.r_[0, np.cumsum(per_parcel)[:-1]]
    ordinal = np.arange(nb) - np.repeat(first, per_parcel)
    office = (ordinal > 0) & (rng.random(nb) < 0.35)
    weight = rng.uniform(0.5, 1.5, nb) * np.where(ordinal == 0, 2.0, 1.0)
    weight_sum = np.bincount(b_parcel, weights=weight, minlength=n)[b_parcel]
    total_floor = land.area_m2 * rng.uniform(0.9, 2.0, n)
    floor = np.round(total_floor[b_parcel] * weight / weight_sum, 2)
    b_completed = completed[b_parcel] + np.where(ordinal == 0, 0, rng.integers(0, 2000, nb))
    b_completed = np.minimum(b_completed, AS_OF_DAY - 1)
    production = b_completed + rng.integers(10, 240, nb)
    producing = (~office) & (production <= AS_OF_DAY) & (rng.random(nb) >= 0.03)

    b_holder = land.holder[b_parcel]
    owner_status = ent.status[np.maximum(b_holder, 0)]
    troubled = (b_holder >= 0) & np.isin(owner_status, (HALTED, BANKRUPT))
    vacant_by_owner = troubled & (rng.random(nb) < 0.6)
    relocated = (~troubled) & (rng.random(nb) < 0.02)
    vacant = (vacant_by_owner | relocated) & (b_completed < AS_OF_DAY - 300)
    vacant_since = np.maximum(
        b_completed + 30, uniform_days(rng, day(2019, 1, 1), AS_OF_DAY - 30, nb)
    )
    vacant_since = np.where(producing, np.maximum(vacant_since, production + 30), vacant_since)
    vacant_since = np.minimum(vacant_since, AS_OF_DAY)
    reason = np.where(
        vacant_by_owner, np.where(owner_status == BANKRUPT, 1, 2), 0
    )  # relocated / bankrupt / halted
    use_share = np.where(
        rng.random(nb) < 0.05, rng.uniform(0.05, 0.33, nb), rng.uniform(0.65, 1.0, nb)
    )
    use_share = np.where(office, rng.uniform(0.4, 1.0, nb), use_share)
    used = np.where(vacant | (~office & ~producing), 0.0, np.round(floor * use_share, 2))
    used = np.minimum(used, floor)
    building_id = join(
        land.parcel_id.take(pa.array(b_parcel)),
        pick(["-F", "-B"], office.astype(int)),
        padded(ordinal + 1, 2),
    )
    buildings = assemble(
        "buildings",
        {
            "building_id": building_id,
            "parcel_id": land.parcel_id.take(pa.array(b_parcel)),
            "kind": pick(["factory", "office"], office.astype(int)),
            "floor_area_m2": floats(floor),
            "completed_date": dates(b_completed),
            "production_start_date": dates(production, producing),
            "used_area_m2": floats(used),
            "vacant_since": dates(vacant_since, vacant),
            "vacancy_reason": with_nulls(pick(["relocated", "bankrupt", "halted"], reason), vacant),
            "owner_credit_code": with_nulls(
                ent.credit_code.take(pa.array(np.maximum(b_holder, 0))), b_holder >= 0
            ),
            "dynamic_reserve": booleans(rng.random(nb) < 0.005),
            "investment_yuan": floats(
                np.round(floor * rng.uniform(1200, 3200, nb), -2), rng.random(nb) >= 0.15
            ),
        },
        nb,
    )
    return buildings


def draw_development(geo: Geography, ent: Enterprises, land: Land, seed: int) -> Development:
    rng = rng_for(seed, "development")
    contracts, agreed = _contracts(geo, ent, land, rng)
    construction, built = _construction(land, agreed, rng)
    return Development(
        contracts=contracts,
        construction=construction,
        buildings=_buildings(ent, land, built, rng),
        completed_day=np.where(built.is_completed, built.completed, -1),
    )
