"""Annual and monthly figures, legal events, compliance problems and land approvals.

Tax is drawn per mu of an enterprise's land (as rules.md reads land): log-normal around
Zhejiang's 2021 above-scale average for above-scale enterprises and far lower below scale,
scaled down where the enterprise's land is not yet built on, zero in halted years. The other
annual figures follow from tax through drawn ratios (tax/revenue, value added/revenue, …), and
the monthly figures follow the year's revenue and tax with seasonality and noise. Some figures
are deliberately unknown (null) and a few enterprise-years are missing altogether.
"""

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from mujun.demo.calendar import AS_OF_DAY, MONTHS, YEARS, day
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
    strings,
    text,
    with_nulls,
    year_of,
)
from mujun.demo.geography import Geography, rng_for
from mujun.demo.population import (
    ABOVE_SCALE_TAX_PER_MU,
    BELOW_SCALE_TAX_PER_MU,
    COMPLETED,
    M2_PER_MU,
    YEAR_FACTOR,
    Enterprises,
    Land,
    categorical,
    uniform_days,
)
from mujun.demo.vocabulary import PROVINCE_ABBREVIATION

ABOVE_SCALE_REVENUE = 2.0e7  # 规上: main-business revenue of 20 million yuan and more
SEASON = np.array([0.95, 0.70, 1.05, 1.00, 1.02, 1.03, 1.00, 0.98, 1.02, 1.04, 1.06, 1.15])
SEASON = SEASON / SEASON.mean()


@dataclass(frozen=True)
class Annual:
    table: pa.Table
    revenue: Floats  # (enterprises, years), as drawn before halts
    tax: Floats  # (enterprises, years), as reported
    halted: Bools  # (enterprises, years)
    insolvent: Bools  # per enterprise, in the latest year
    founded: Ints  # per enterprise, the first year with figures


def _first_supply_year(ent: Enterprises, land: Land, rng: np.random.Generator) -> Ints:
    n = len(ent.county)
    first = np.full(n, 10**6, dtype=np.int64)
    held = land.holder >= 0
    np.minimum.at(first, land.holder[held], land.supply_day[held])
    founded = np.where(first < 10**6, year_of(np.minimum(first, AS_OF_DAY)), 0)
    return np.where(founded > 0, founded, rng.integers(1998, 2024, n)).astype(np.int64)


def _tax(ent: Enterprises, land: Land, rng: np.random.Generator) -> tuple[Floats, Floats, Bools]:
    """Tax as it would be, tax as reported (zero or a trickle when halted), and halted years;
    each (enterprises, years)."""
    n, years = len(ent.county), len(YEARS)
    year = np.asarray(YEARS, dtype=np.int64)[None, :]
    # Land actually in use: parcels not yet built on earn little.
    held = land.holder >= 0
    held_m2 = np.bincount(land.holder[held], weights=land.area_m2[held], minlength=n)
    built = held & (land.state == COMPLETED)
    built_m2 = np.bincount(land.holder[built], weights=land.area_m2[built], minlength=n)
    built_share = np.where(held_m2 > 0, built_m2 / np.maximum(held_m2, 1.0), 1.0)
    landless_mu = rng.lognormal(np.log(4), 0.6, n)  # premises rented, not land
    size_mu = np.where(land.land_m2 > 0, land.land_m2 / M2_PER_MU, landless_mu)
    sigma = 0.8
    efficiency = rng.lognormal(-sigma * sigma / 2, sigma, n)
    per_mu = np.where(ent.above_scale, ABOVE_SCALE_TAX_PER_MU, BELOW_SCALE_TAX_PER_MU)
    yearly = rng.lognormal(-(0.15**2) / 2, 0.15, (n, years))
    level = size_mu * per_mu * efficiency * (0.2 + 0.8 * built_share)
    tax_normal: Floats = level[:, None] * YEAR_FACTOR * yearly
    halted: Bools = year >= ent.halt_year[:, None]
    residual = rng.random(n)[:, None] < 0.2
    tax: Floats = np.where(halted, np.where(residual, tax_normal * 0.02, 0.0), tax_normal)
    return tax_normal, tax, halted


def _accounts(
    ent: Enterprises, land: Land, tax_normal: Floats, halted: Bools, rng: np.random.Generator
) -> dict[str, Floats]:
    """The other annual figures, derived from tax through drawn ratios."""
    n, years = len(ent.county), len(YEARS)
    shape = (n, years)
    year = np.asarray(YEARS, dtype=np.int64)[None, :]
    size_mu = np.maximum(land.land_m2, 2 * M2_PER_MU) / M2_PER_MU
    revenue_normal = tax_normal / rng.uniform(0.025, 0.07, n)[:, None]
    floor = ABOVE_SCALE_REVENUE * rng.uniform(1.0, 1.3, n)[:, None]
    above = ent.above_scale[:, None]
    revenue_normal = np.where(above, np.maximum(revenue_normal, floor), revenue_normal)
    revenue = np.where(halted, revenue_normal * 0.03, revenue_normal)
    va_share = rng.uniform(0.18, 0.32, n)[:, None]
    stall_loss = -revenue_normal * rng.uniform(0.0, 0.02, shape)
    value_added = np.where(halted, stall_loss, revenue * va_share)
    positive_va = np.maximum(value_added, 0.0)
    employees = np.maximum(3, np.rint(positive_va / 1.8e5 * rng.lognormal(0, 0.3, n)[:, None]))
    fixed_assets = (size_mu * rng.uniform(1.5e6, 4.0e6, n))[:, None] * 1.03 ** (year - 2021)
    total_assets = fixed_assets + revenue * rng.uniform(0.3, 0.8, n)[:, None]
    distressed = rng.random(n) < np.where(ent.halt_year < 9999, 0.3, 0.02)
    leverage = np.where(
        distressed[:, None], rng.uniform(1.05, 1.6, shape), rng.beta(4.0, 4.0, shape)
    )
    return {
        "revenue_normal": revenue_normal,
        "revenue_yuan": revenue,
        "value_added_yuan": value_added,
        "output_yuan": revenue * rng.uniform(0.95, 1.08, shape),
        "energy_tce": positive_va / 2.7e4 * rng.lognormal(0.0, 0.4, n)[:, None] + 1.0,
        "emission_equiv": positive_va / 4.93e7 * rng.lognormal(0.0, 0.5, n)[:, None],
        "employees": np.where(halted, np.minimum(employees, rng.integers(1, 12, shape)), employees),
        "rd_expense_yuan": revenue * rng.uniform(0.0, 0.05, n)[:, None],
        "fixed_assets_yuan": fixed_assets,
        "capacity_use": np.where(halted, rng.uniform(0.0, 0.08, shape), rng.beta(7.0, 2.5, shape)),
        "profit_yuan": np.where(
            halted,
            -fixed_assets * rng.uniform(0.01, 0.05, shape),
            revenue * rng.normal(0.06, 0.05, shape),
        ),
        "total_assets_yuan": total_assets,
        "total_liabilities_yuan": total_assets * leverage,
    }


def draw_annual(ent: Enterprises, land: Land, seed: int) -> Annual:
    rng = rng_for(seed, "annual")
    n, years = len(ent.county), len(YEARS)
    year = np.asarray(YEARS, dtype=np.int64)[None, :]
    founded = _first_supply_year(ent, land, rng)
    above = ent.above_scale
    tax_normal, tax, halted = _tax(ent, land, rng)
    books = _accounts(ent, land, tax_normal, halted, rng)
    report = ~(halted & (rng.random((n, years)) < 0.5))
    tax_return = ~(halted & (rng.random((n, years)) < 0.5))

    # Which enterprise-years exist; what is unknown.
    present = (year >= founded[:, None]) & (year < ent.gone_year[:, None])
    present &= rng.random((n, years)) >= 0.01
    no_emission = rng.random(n) < np.where(above, 0.08, 0.40)
    no_energy = (~above) & (rng.random(n) < 0.05)
    no_capacity = (~above) & (rng.random(n) < 0.30)
    no_rd = (~above) & (rng.random(n) < 0.20)
    cell_known = rng.random((n, years)) >= 0.005

    e_idx, y_idx = np.nonzero(present)  # row-major: enterprise by enterprise, years in order

    def cell(matrix: np.ndarray) -> np.ndarray:
        values: np.ndarray = matrix[e_idx, y_idx]
        return values

    def known(extra: Bools | None = None) -> Bools:
        mask: Bools = cell(cell_known) if extra is None else cell(cell_known) & extra[e_idx]
        return mask

    def number(name: str, valid: Bools | None = None, decimals: int = 2) -> pa.Array:
        return floats(cell(books[name]), valid, decimals=decimals)

    table = assemble(
        "annual_metrics",
        {
            "credit_code": ent.credit_code.take(pa.array(e_idx)),
            "year": integers(np.asarray(YEARS, dtype=np.int64)[y_idx]),
            "tax_yuan": floats(cell(tax)),
            "revenue_yuan": number("revenue_yuan", known()),
            "value_added_yuan": number("value_added_yuan"),
            "output_yuan": number("output_yuan"),
            "energy_tce": number("energy_tce", known(~no_energy)),
            "emission_equiv": number("emission_equiv", known(~no_emission), decimals=4),
            "employees": integers(cell(books["employees"]), known()),
            "rd_expense_yuan": number("rd_expense_yuan", known(~no_rd)),
            "fixed_assets_yuan": number("fixed_assets_yuan"),
            "capacity_use": number("capacity_use", known(~no_capacity), decimals=4),
            "profit_yuan": number("profit_yuan"),
            "total_assets_yuan": number("total_assets_yuan"),
            "total_liabilities_yuan": number("total_liabilities_yuan"),
            "annual_report_filed": booleans(cell(report), known()),
            "tax_return_filed": booleans(cell(tax_return), known()),
            "halted": booleans(cell(halted), known()),
        },
        len(e_idx),
    )
    liabilities, assets = books["total_liabilities_yuan"], books["total_assets_yuan"]
    return Annual(
        table=table,
        revenue=books["revenue_normal"],
        tax=tax,
        halted=halted,
        insolvent=liabilities[:, -1] > assets[:, -1],
        founded=founded,
    )


def draw_monthly(ent: Enterprises, annual: Annual, seed: int) -> pa.Table:
    """36 months for about two thirds of the enterprises (all there since 2023)."""
    rng = rng_for(seed, "monthly")
    n = len(ent.county)
    reported = rng.random(n) < np.where(ent.above_scale, 0.95, 0.60)
    reported &= (annual.founded <= 2022) & (ent.gone_year > 2025)
    chosen = np.flatnonzero(reported)
    months = len(MONTHS)
    k = len(chosen)
    e_idx = np.repeat(chosen, months)
    m_idx = np.tile(np.arange(months), k)
    y_idx = 2 + m_idx // 12  # 2023 is the third year of YEARS

    halted = annual.halted[e_idx, y_idx]
    activity = np.where(halted, 0.02, 1.0) * SEASON[m_idx % 12]
    revenue = (
        annual.revenue[e_idx, y_idx] / 12 * activity * rng.lognormal(-0.0072, 0.12, k * months)
    )
    sales = revenue * rng.uniform(0.9, 1.05, k * months)
    kwh_per_yuan = rng.lognormal(np.log(0.05), 0.5, k)
    electricity = revenue * np.repeat(kwh_per_yuan, months)
    load_factor = np.repeat(rng.uniform(0.35, 0.75, k), months)
    peak = electricity / (730.0 * load_factor)
    tax = annual.tax[e_idx, y_idx] / 12 * rng.lognormal(-0.03, 0.25, k * months)
    refund = rng.random(k * months) < 0.005
    tax = np.where(refund, -tax * rng.uniform(0.05, 0.3, k * months), tax)

    has_loan = rng.random(k) < 0.45
    walk = np.cumsum(rng.normal(0.0, 0.02, (k, months)), axis=1)
    base = annual.revenue[chosen, 2] * rng.uniform(0.1, 0.5, k)
    balance = np.where(has_loan[:, None], base[:, None] * np.exp(walk), 0.0).ravel()
    overdue_from = np.where(has_loan & (rng.random(k) < 0.03), rng.integers(0, months, k), months)
    overdue = m_idx >= np.repeat(overdue_from, months)

    month_names = strings(list(MONTHS))
    return assemble(
        "monthly_metrics",
        {
            "credit_code": ent.credit_code.take(pa.array(e_idx)),
            "month": month_names.take(pa.array(m_idx)),
            "electricity_kwh": floats(electricity, decimals=0),
            "peak_load_kw": floats(peak, decimals=1),
            "invoiced_sales_yuan": floats(sales, rng.random(k * months) >= 0.003),
            "tax_yuan": floats(tax),
            "loan_balance_yuan": floats(np.round(balance, -2)),
            "loan_overdue": booleans(overdue),
        },
        k * months,
    )


LEGAL_KINDS = ["debt_dispute", "mortgage", "seizure", "bankruptcy", "enforcement"]
LEGAL_SHARE = (0.35, 0.35, 0.12, 0.03, 0.15)
CASE_WORDS = ["民初", "", "执保", "破", "执"]


def draw_legal_events(geo: Geography, ent: Enterprises, annual: Annual, seed: int) -> pa.Table:
    rng = rng_for(seed, "legal")
    n = len(ent.county)
    kinds = len(LEGAL_KINDS)
    drawn = rng.integers(0, max(n, 1), round(0.06 * n))
    drawn_kind = categorical(rng, LEGAL_SHARE, len(drawn))
    insolvent = np.flatnonzero(annual.insolvent)
    troubled = insolvent[rng.random(len(insolvent)) < 0.5]
    combos = np.unique(np.r_[drawn * kinds + drawn_kind, troubled * kinds])
    e_idx, kind = combos // kinds, combos % kinds
    m = len(combos)
    when = uniform_days(rng, day(2017, 1, 1), AS_OF_DAY, m)
    closed = when + rng.integers(30, 900, m)
    is_closed = (rng.random(m) < np.where(kind == 1, 0.3, 0.5)) & (closed <= AS_OF_DAY)
    county4 = pick([code[2:] for code in geo.county_code], ent.county[e_idx])
    case_no = join(
        "(",
        text(year_of(when)),
        ")",
        PROVINCE_ABBREVIATION,
        county4,
        pick(CASE_WORDS, kind),
        text(rng.integers(1, 9999, m)),
        "号",
    )
    return assemble(
        "legal_events",
        {
            "credit_code": ent.credit_code.take(pa.array(e_idx)),
            "kind": pick(LEGAL_KINDS, kind),
            "date": dates(when),
            "case_no": with_nulls(case_no, kind != 1),
            "amount_yuan": floats(np.round(rng.lognormal(np.log(2e6), 1.0, m), -2)),
            "closed_date": dates(closed, is_closed),
        },
        m,
    )


COMPLIANCE_KINDS = [
    "prohibited_industry",
    "eliminated_industry",
    "energy",
    "safety",
    "environment",
    "quality",
]
COMPLIANCE_SHARE = (0.03, 0.07, 0.15, 0.30, 0.35, 0.10)


def draw_compliance(ent: Enterprises, seed: int) -> pa.Table:
    rng = rng_for(seed, "compliance")
    n = len(ent.county)
    kinds = len(COMPLIANCE_KINDS)
    drawn = rng.integers(0, max(n, 1), round(0.04 * n))
    combos = np.unique(drawn * kinds + categorical(rng, COMPLIANCE_SHARE, len(drawn)))
    e_idx, kind = combos // kinds, combos % kinds
    m = len(combos)
    since = uniform_days(rng, day(2020, 1, 1), AS_OF_DAY - 20, m)
    deadline = since + rng.integers(60, 366, m)
    resolved = since + rng.integers(15, 600, m)
    is_resolved = (rng.random(m) < 0.6) & (resolved <= AS_OF_DAY)
    return assemble(
        "compliance",
        {
            "credit_code": ent.credit_code.take(pa.array(e_idx)),
            "kind": pick(COMPLIANCE_KINDS, kind),
            "since": dates(since),
            "deadline": dates(deadline, rng.random(m) >= 0.05),
            "resolved_date": dates(resolved, is_resolved),
        },
        m,
    )


def draw_approvals(geo: Geography, seed: int) -> pa.Table:
    """Farmland conversion batches per county: fully, partly or not yet supplied."""
    rng = rng_for(seed, "approvals")
    per_county = rng.integers(6, 15, geo.counties)
    county = np.repeat(np.arange(geo.counties), per_county)
    m = len(county)
    serial = np.arange(m) - np.repeat(np.r_[0, np.cumsum(per_county)[:-1]], per_county) + 1
    approved_day = uniform_days(rng, day(2009, 1, 1), day(2025, 6, 30), m)
    approved = np.round(rng.lognormal(np.log(1.5e5), 0.6, m), 2)
    category = categorical(rng, (0.40, 0.35, 0.15, 0.10), m)  # full, part, none, unknown
    supplied = np.select(
        [category == 0, category == 1],
        [approved, np.round(approved * rng.uniform(0.2, 0.95, m), 2)],
        0.0,
    )
    approval_id = join(
        pick(list(geo.county_code), county),
        text(year_of(approved_day)),
        "PZ",
        padded(serial, 3),
    )
    return assemble(
        "land_approvals",
        {
            "approval_id": approval_id,
            "jurisdiction_code": pick(list(geo.county_code), county),
            "approved_date": dates(approved_day),
            "approved_area_m2": floats(approved),
            "supplied_area_m2": floats(supplied, category != 3),
        },
        m,
    )
