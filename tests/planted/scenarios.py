"""Planted cases: for every rule id of rules.md, subjects on both sides of its thresholds.

Each ``plant_…`` function plants the cases of one rule id (its docstring cites the rule) into
the scenario counties (see :mod:`.planting`) and records them in the index :data:`SCENARIOS`:
rule id → the planted :class:`~tests.planted.planting.Case` s, each naming its subject (a parcel,
building, enterprise or approval id), whether the rule is meant to fire on it as of
:data:`~mujun.demo.DEMO_AS_OF` (or the case's own ``as_of``), where the deciding figure
sits against the threshold (``at``, ``just_below``, ``just_above`` or ``clear``), the 重点 flag
expected where the rule has one, and the profile parameters the verdict assumes.

The planted rows are the same for every seed and size; :func:`with_planted_cases` appends them
to a demo city of :func:`mujun.demo.generate`. Their figures are chosen so that exact arithmetic
decides: 20,000 m² is 30 mu exactly, money is in whole yuan, and "exactly 20 mu" is the smallest
double not below 40000/3 m². "The year" as of 2025-12-31 is 2025; "3 consecutive years" are
2023–2025.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import date, timedelta
from functools import cache
from typing import Any

import pyarrow as pa

from mujun.demo.calendar import DEMO_AS_OF, YEARS
from mujun.demo.columns import schema_of, table_names
from mujun.interchange.schema import table
from tests.planted.planting import (
    CITY,
    MU_20_M2,
    PARK_A_INVESTMENT,
    PARK_A_OUTPUT,
    PARK_A_TAX,
    PARK_B_MACHINERY,
    PARK_B_OTHER,
    BuildingSpec,
    Case,
    Expected,
    Planter,
    Position,
    Site,
    yuan,
)

__all__ = ["SCENARIOS", "Case", "planted_tables", "with_planted_cases"]

D = DEMO_AS_OF
MU_30_M2 = 20_000.0
BUILDING_1_CUTOFF = {"cutoff": "2023-12-31"}
YANCHENG_NEW = {"new_since": "2025-01-01"}
AGGREGATE = {"average": "aggregate ratio"}
TONGLU_LINE = {"threshold_yuan_per_mu": "2022-01-01: 30000, 2023-01-01: 50000"}


def plant_idle_not_started(p: Planter) -> None:
    """Rule ``idle/not-started``: not started, and as-of ≥ agreed start date + 1 year."""
    record = p.rule("idle/not-started", "parcel")
    s = p.idle_parcel("NS_AT", agreed_start=date(2024, 12, 31))
    record(s.parcel_id, "hit", "at", "agreed start 2024-12-31: a year on the as-of day")
    s = p.idle_parcel("NS_SHORT", agreed_start=date(2025, 1, 1))
    record(s.parcel_id, "miss", "just_below", "agreed start 2025-01-01: one day short")
    s = p.idle_parcel("NS_NO_RECORD", agreed_start=date(2021, 3, 1), record=False)
    record(s.parcel_id, "hit", "clear", "agreed start 2021-03-01; no construction record")
    s = p.idle_parcel("NS_COMMERCIAL", agreed_start=date(2021, 3, 1), land_use="commercial")
    record(s.parcel_id, "hit", "clear", "commercial land, agreed start 2021-03-01")
    s = p.idle_parcel("NS_STARTED", agreed_start=date(2021, 3, 1), record=False)
    p.construction(
        s.parcel_id,
        started=date(2021, 4, 1),
        developed_m2=12_000.0,
        to_develop_m2=MU_30_M2,
        invested=40_000_000.0,
    )
    record(s.parcel_id, "miss", "clear", "started 2021-04-01, in progress")
    s = p.idle_parcel("NS_LATEST_RECORD", agreed_start=date(2022, 6, 1), record=False)
    p.construction(
        s.parcel_id,
        as_of=date(2023, 12, 31),
        started=None,
        developed_m2=0.0,
        to_develop_m2=MU_30_M2,
        invested=0.0,
    )
    p.construction(
        s.parcel_id,
        as_of=date(2025, 6, 30),
        started=date(2024, 5, 1),
        developed_m2=8_000.0,
        to_develop_m2=MU_30_M2,
        invested=30_000_000.0,
    )
    record(s.parcel_id, "miss", "clear", "not started as of 2023-12-31; latest record: started")


def plant_idle_stalled(p: Planter) -> None:
    """Rule ``idle/stalled``: started, developed < 1/3 or invested < 25 %, and suspended for at
    least a year (30,000 m² to develop, 40,000,000 yuan total investment)."""
    record = p.rule("idle/stalled", "parcel")
    long_ago = date(2023, 6, 1)
    s = p.stalled_parcel("ST_DEV_AT", developed_m2=10_000.0, invested=2e7, suspended=long_ago)
    record(s.parcel_id, "miss", "at", "developed exactly 1/3 (10,000 of 30,000 m²), invested 50 %")
    s = p.stalled_parcel("ST_DEV_BELOW", developed_m2=9_999.0, invested=2e7, suspended=long_ago)
    record(s.parcel_id, "hit", "just_below", "developed 9,999 of 30,000 m², invested 50 %")
    s = p.stalled_parcel("ST_INV_AT", developed_m2=15_000.0, invested=1e7, suspended=long_ago)
    record(s.parcel_id, "miss", "at", "invested exactly 25 % (10,000,000), developed 1/2")
    s = p.stalled_parcel(
        "ST_INV_BELOW", developed_m2=15_000.0, invested=9_999_999.0, suspended=long_ago
    )
    record(s.parcel_id, "hit", "just_below", "invested 9,999,999 of 40,000,000, developed 1/2")
    low: dict[str, Any] = {"developed_m2": 3_000.0, "invested": 4_000_000.0}
    s = p.stalled_parcel("ST_SUSP_AT", suspended=date(2024, 12, 31), **low)
    record(s.parcel_id, "hit", "at", "suspended since 2024-12-31: a year on the as-of day")
    s = p.stalled_parcel("ST_SUSP_SHORT", suspended=date(2025, 1, 1), **low)
    record(s.parcel_id, "miss", "just_below", "suspended since 2025-01-01: one day short")
    s = p.stalled_parcel("ST_NOT_SUSPENDED", suspended=None, **low)
    record(s.parcel_id, "miss", "clear", "little developed and invested, but not suspended")


def plant_ankang_low_1(p: Planter) -> None:
    """Rule ``ankang/low/1``: prohibited or to-be-eliminated industry, or failing energy, safety
    or environmental requirements (a compliance problem not resolved by the as-of date)."""
    record = p.rule("ankang/low/1", "parcel")
    s = p.site("L1_PROHIBITED")
    p.compliance(s.credit_code, "prohibited_industry", date(2024, 3, 1), deadline=date(2026, 3, 1))
    record(s.parcel_id, "hit", "clear", "prohibited industry, unresolved")
    s = p.site("L1_ENERGY")
    p.compliance(s.credit_code, "energy", date(2025, 2, 1), deadline=date(2025, 8, 1))
    record(s.parcel_id, "hit", "clear", "energy non-compliance, unresolved")
    s = p.site("L1_RESOLVED")
    p.compliance(s.credit_code, "environment", date(2024, 5, 1), deadline=D, resolved=D)
    record(s.parcel_id, "miss", "at", "environmental problem resolved on the as-of day")
    s = p.site("L1_QUALITY")
    p.compliance(s.credit_code, "quality", date(2025, 1, 1), deadline=date(2025, 7, 1))
    record(s.parcel_id, "miss", "clear", "only a quality problem (not a ground of low/1)")


def plant_ankang_low_2(p: Planter) -> None:
    """Rule ``ankang/low/2``: land to be adjusted under park planning (planning_adjustment)."""
    record = p.rule("ankang/low/2", "parcel")
    record(p.site("L2_YES", planning_adjustment=True).parcel_id, "hit", "clear", "flag true")
    record(p.site("L2_NO", planning_adjustment=False).parcel_id, "miss", "clear", "flag false")
    s = p.site("L2_UNKNOWN", planning_adjustment=None)
    record(s.parcel_id, "unjudged", "clear", "planning_adjustment unknown")


def plant_ankang_low_3(p: Planter) -> None:
    """Rule ``ankang/low/3``: investment per mu < 1/3 of the committed intensity, and not idle
    (30 mu committed at 3,000,000 yuan/mu: the line is 30,000,000 yuan invested)."""
    record = p.rule("ankang/low/3", "parcel")
    s = p.site("L3_AT", invested=30_000_000.0)
    record(s.parcel_id, "miss", "at", "30,000,000 invested on 30 mu: exactly 1/3 of 3,000,000/mu")
    s = p.site("L3_BELOW", invested=29_999_999.0)
    record(s.parcel_id, "hit", "just_below", "29,999,999 invested on 30 mu")
    s = p.site("L3_ABOVE", invested=30_000_001.0)
    record(s.parcel_id, "miss", "just_above", "30,000,001 invested on 30 mu")
    s = p.stalled_parcel(
        "L3_IDLE",
        developed_m2=3_000.0,
        invested=5_000_000.0,
        suspended=date(2023, 1, 1),
        to_develop_m2=MU_30_M2,
        total_investment=60_000_000.0,
        committed_investment_per_mu=3_000_000.0,
    )
    record(s.parcel_id, "miss", "clear", "far below the intensity, but idle (idle/stalled)")
    s = p.site("L3_NO_COMMITMENT", invested=1_000_000.0, committed_investment_per_mu=None)
    record(s.parcel_id, "unjudged", "clear", "the contract commits no investment intensity")


def plant_ankang_low_4(p: Planter) -> None:
    """Rule ``ankang/low/4``: halted, or operating tax zero, in each of 2023, 2024 and 2025."""
    record = p.rule("ankang/low/4", "parcel")
    halted: dict[str, Any] = {
        "halted": True,
        "capacity_use": 0.0,
        "revenue_yuan": 0.0,
        "output_yuan": 0.0,
        "value_added_yuan": 0.0,
    }
    earlier = {2021: 500_000.0, 2022: 300_000.0}
    s = p.site(
        "L4_HALTED",
        status="halted",
        tax=earlier | {2023: 0.0, 2024: 0.0, 2025: 0.0},
        figures={2023: halted, 2024: halted, 2025: halted},
    )
    record(s.parcel_id, "hit", "clear", "halted 2023–2025")
    s = p.site("L4_MIXED", tax=earlier | {2023: 0.0, 2024: 0.0, 2025: 0.0}, figures={2023: halted})
    record(s.parcel_id, "hit", "at", "halted 2023; operating with tax exactly 0 in 2024, 2025")
    s = p.site(
        "L4_ONE_YUAN",
        tax=earlier | {2023: 0.0, 2024: 0.0, 2025: 1.0},
        figures={2023: halted, 2024: halted},
    )
    record(s.parcel_id, "miss", "just_above", "halted 2023, 2024; 1 yuan of tax in 2025")
    s = p.site(
        "L4_EARLIER",
        tax={2021: 0.0, 2022: 0.0, 2023: 0.0, 2024: 800_000.0, 2025: 900_000.0},
        figures={2021: halted, 2022: halted, 2023: halted},
    )
    record(s.parcel_id, "miss", "clear", "halted 2021–2023, producing in 2024 and 2025")
    s = p.site(
        "L4_MISSING_YEAR",
        status="halted",
        tax=0.0,
        figures={2023: halted, 2024: halted, 2025: {"_missing": True}},
    )
    record(s.parcel_id, "unjudged", "clear", "halted 2023, 2024; no figures at all for 2025")


def plant_ankang_low_5(p: Planter) -> None:
    """Rule ``ankang/low/5``: per-mu tax of the year < 50 % of the park's same-industry
    above-scale average; key when land ≥ 20 mu and per-mu tax < 50 % of the county's above-scale
    average.

    County 330192 holds only these. Above scale: two C3484 enterprises in park 33019271 at
    200,000 yuan/mu (60 mu each) and one C3825 enterprise in park 33019272 at 40,000 yuan/mu
    (120 mu). So the park's C34 average is 200,000 (line 100,000) and the county's 120,000 (key
    line 60,000). The subjects are below scale (C3489, division C34): they move no average.
    """
    record = p.rule("ankang/low/5", "parcel")
    for name in ("L5_REFERENCE_1", "L5_REFERENCE_2"):
        p.site(name, park=PARK_B_MACHINERY, area_m2=40_000.0, above_scale=True, tax=12_000_000.0)
    p.site(
        "L5_REFERENCE_3",
        park=PARK_B_OTHER,
        industry="C3825",
        area_m2=80_000.0,
        above_scale=True,
        tax=4_800_000.0,
    )

    def subject(name: str, area_m2: float, tax: float | None) -> str:
        site = p.site(name, park=PARK_B_MACHINERY, industry="C3489", area_m2=area_m2, tax=tax)
        return site.parcel_id

    s = subject("L5_AT", MU_30_M2, 3_000_000.0)
    record(s, "miss", "at", "100,000 yuan/mu: exactly 50 % of the park's 200,000")
    s = subject("L5_BELOW", MU_30_M2, 2_999_970.0)
    record(s, "hit", "just_below", "99,999 yuan/mu on 30 mu; above the key line", key=False)
    s = subject("L5_ABOVE", MU_30_M2, 3_000_030.0)
    record(s, "miss", "just_above", "100,001 yuan/mu")
    s = subject("L5_KEY_AT", MU_30_M2, 1_800_000.0)
    record(s, "hit", "at", "60,000 yuan/mu on 30 mu: exactly the key line", key=False)
    s = subject("L5_KEY_BELOW", MU_30_M2, 1_799_970.0)
    record(s, "hit", "just_below", "59,999 yuan/mu on 30 mu: key", key=True)
    s = subject("L5_KEY_AREA_AT", MU_20_M2, 1_000_000.0)
    record(s, "hit", "at", "exactly 20 mu at about 50,000 yuan/mu: key", key=True)
    s = subject("L5_KEY_AREA_BELOW", 13_333.0, 999_975.0)
    record(s, "hit", "just_below", "13,333 m² (19.9995 mu) at 50,000 yuan/mu: not key", key=False)
    s = subject("L5_UNKNOWN", MU_30_M2, None)
    record(s, "unjudged", "clear", "tax unknown in every year")


def plant_ankang_building_1(p: Planter) -> None:
    """Rule ``ankang/building/1``: factories completed ≥ 2 years before the cut-off
    (2023-12-31) and never in production, or in production with used area < 1/3, or vacant
    ≥ 2 years after relocation, bankruptcy or halt; key when ≥ 2,000 m²; a park's
    dynamic-reserve factories are excluded. Vacant factories are not "in production" and
    their used area is unknown."""
    record = p.rule("ankang/building/1", "building", BUILDING_1_CUTOFF)

    def one(name: str, spec: BuildingSpec) -> str:
        return p.site(name, buildings=[spec]).building_id

    never = BuildingSpec(0.0, production=None, used_area_m2=0.0)
    b = one("B1_AT", replace(never, floor_area_m2=2_000.0, completed=date(2021, 12, 31)))
    record(b, "hit", "at", "2,000 m², completed 2021-12-31, never producing", key=True)
    b = one("B1_SHORT", replace(never, floor_area_m2=5_000.0, completed=date(2022, 1, 1)))
    record(b, "miss", "just_below", "completed 2022-01-01: one day short of 2 years")
    b = one("B1_KEY_BELOW", replace(never, floor_area_m2=1_999.0, completed=date(2020, 6, 30)))
    record(b, "hit", "just_below", "1,999 m², never producing: idle but not key", key=False)
    producing = BuildingSpec(3_000.0, completed=date(2015, 6, 30), production=date(2015, 9, 1))
    b = one("B1_USED_AT", replace(producing, used_area_m2=1_000.0))
    record(b, "miss", "at", "producing, using exactly 1/3 (1,000 of 3,000 m²)")
    b = one("B1_USED_BELOW", replace(producing, used_area_m2=999.0))
    record(b, "hit", "just_below", "producing, using 999 of 3,000 m²", key=True)
    vacant = BuildingSpec(2_400.0, completed=date(2012, 3, 31), production=date(2012, 6, 1))
    b = one(
        "B1_VACANT_AT", replace(vacant, vacant_since=date(2021, 12, 31), vacancy_reason="relocated")
    )
    record(b, "hit", "at", "vacant since 2021-12-31 after relocation", key=True)
    b = one(
        "B1_VACANT_SHORT", replace(vacant, vacant_since=date(2022, 1, 1), vacancy_reason="halted")
    )
    record(b, "miss", "just_below", "vacant since 2022-01-01 after a halt: one day short")
    late = replace(never, floor_area_m2=3_000.0, completed=date(2019, 5, 31))
    b = one("B1_RESERVE", replace(late, dynamic_reserve=True))
    record(b, "miss", "clear", "would be idle, but a park dynamic-reserve factory")
    b = one("B1_OFFICE", replace(late, kind="office"))
    record(b, "miss", "clear", "an office block, not a factory")
    b = one("B1_PRODUCING", replace(late, production=date(2019, 8, 1), used_area_m2=2_500.0))
    record(b, "miss", "clear", "producing, 2,500 of 3,000 m² used")


def plant_ankang_building_2(p: Planter) -> None:
    """Rule ``ankang/building/2``: investment, output or tax per m² of factory floor < 50 % of
    the park's same-industry average (aggregate ratio), year 2025.

    Three parks, one per figure, each with a C3982 reference factory of 1,500 m² at twice the
    average and three subject factories of 1,000 m² at, just below and just above half of it;
    the other two figures are equal across the park. Averages: investment 2,000, output 8,000,
    tax 600 yuan/m² (the subjects included).
    """
    record = p.rule("ankang/building/2", "building", AGGREGATE)
    base = {"investment": 2_000.0, "output": 10_000.0, "tax": 500.0}
    plans = ((PARK_A_INVESTMENT, "investment", 1_000.0), (PARK_A_OUTPUT, "output", 4_000.0))
    for park, figure, half in (*plans, (PARK_A_TAX, "tax", 300.0)):
        members: tuple[tuple[str, float, float, Position, Expected], ...] = (
            ("REF", 1_500.0, 4 * half, "clear", "miss"),
            ("AT", 1_000.0, half, "at", "miss"),
            ("BELOW", 1_000.0, half - 1, "just_below", "hit"),
            ("ABOVE", 1_000.0, half + 1, "just_above", "miss"),
        )
        for label, floor, per_m2, position, expected in members:
            values = base | {figure: per_m2}
            output = values["output"] * floor
            site = p.site(
                f"B2_{figure.upper()}_{label}",
                park=park,
                industry="C3982",
                area_m2=floor * 2,
                tax=values["tax"] * floor,
                figures={year: {"output_yuan": output} for year in YEARS},
                buildings=[BuildingSpec(floor, investment_yuan=values["investment"] * floor)],
            )
            if label != "REF":
                note = f"{figure} {per_m2:,.0f} yuan/m², park average {2 * half:,.0f}"
                record(site.building_id, expected, position, note)


def plant_ankang_abnormal_1(p: Planter) -> None:
    """Rule ``ankang/abnormal/1``: above scale, neither annual report nor tax return in 2
    consecutive years (2024 and 2025)."""
    record = p.rule("ankang/abnormal/1", "enterprise")
    silent = {"annual_report_filed": False, "tax_return_filed": False}
    untaxed: dict[int, float | None] = {2024: None, 2025: None}
    s = p.site("A1_BOTH", above_scale=True, tax=untaxed, figures={2024: silent, 2025: silent})
    record(s.credit_code, "hit", "clear", "no report and no return in 2024 and 2025")
    s = p.site(
        "A1_REPORT_2025",
        above_scale=True,
        tax=untaxed,
        figures={2024: silent, 2025: {"tax_return_filed": False}},
    )
    record(s.credit_code, "miss", "clear", "annual report for 2025 filed")
    s = p.site("A1_ONE_YEAR", above_scale=True, tax={2025: None}, figures={2025: silent})
    record(s.credit_code, "miss", "just_below", "silent in 2025 only")
    s = p.site("A1_BELOW_SCALE", tax=untaxed, figures={2024: silent, 2025: silent})
    record(s.credit_code, "miss", "clear", "silent 2024 and 2025, but below scale")
    unknown = {"annual_report_filed": None, "tax_return_filed": None}
    s = p.site("A1_UNKNOWN", above_scale=True, tax=untaxed, figures={2024: unknown, 2025: silent})
    record(s.credit_code, "unjudged", "clear", "silent in 2025, filings of 2024 unknown")


def plant_ankang_abnormal_2(p: Planter) -> None:
    """Rule ``ankang/abnormal/2``: above scale, in an open debt dispute, bank mortgage or court
    seizure, and insolvent (liabilities > assets)."""
    record = p.rule("ankang/abnormal/2", "enterprise")

    def insolvent(name: str, liabilities: float, *, above_scale: bool = True) -> Site:
        books = {"total_assets_yuan": 50_000_000.0, "total_liabilities_yuan": liabilities}
        return p.site(name, above_scale=above_scale, figures={year: books for year in YEARS})

    s = insolvent("A2_AT", 50_000_000.0)
    p.legal(s.credit_code, "debt_dispute", date(2025, 3, 1))
    record(s.credit_code, "miss", "at", "open debt dispute; liabilities equal to assets")
    s = insolvent("A2_ABOVE", 50_000_001.0)
    p.legal(s.credit_code, "debt_dispute", date(2025, 3, 1))
    record(s.credit_code, "hit", "just_above", "open debt dispute; liabilities 1 yuan above")
    s = insolvent("A2_SEIZURE", 80_000_000.0)
    p.legal(s.credit_code, "seizure", date(2024, 11, 20))
    record(s.credit_code, "hit", "clear", "assets seized by a court; insolvent")
    s = insolvent("A2_MORTGAGE", 65_000_000.0)
    p.legal(s.credit_code, "mortgage", date(2019, 5, 1))
    record(s.credit_code, "hit", "clear", "assets mortgaged to a bank; insolvent")
    s = insolvent("A2_NO_EVENT", 80_000_000.0)
    record(s.credit_code, "miss", "clear", "insolvent, but no dispute, mortgage or seizure")
    s = insolvent("A2_CLOSED", 80_000_000.0)
    p.legal(s.credit_code, "debt_dispute", date(2023, 6, 1), closed=date(2024, 12, 1))
    record(s.credit_code, "miss", "clear", "insolvent; its debt dispute closed 2024-12-01")
    s = insolvent("A2_BELOW_SCALE", 80_000_000.0, above_scale=False)
    p.legal(s.credit_code, "debt_dispute", date(2025, 3, 1))
    record(s.credit_code, "miss", "clear", "dispute and insolvent, but below scale")


def plant_ankang_abnormal_3(p: Planter) -> None:
    """Rule ``ankang/abnormal/3``: above scale, capacity use < 1/3 in each of 2023–2025, and
    loss-making or low-efficiency. 1/3 itself has no double, so the line is approached from
    0.3333 and 0.3334; the misses pay 200,000 yuan/mu of tax or more (not low-efficiency)."""
    record = p.rule("ankang/abnormal/3", "enterprise")

    def run(name: str, use: Sequence[float | None], profit: float, tax: float = 6e6) -> str:
        capacity = dict(zip((2023, 2024, 2025), use, strict=True))
        figures = {y: {"capacity_use": capacity.get(y, 0.8), "profit_yuan": profit} for y in YEARS}
        return p.site(name, above_scale=True, tax=tax, figures=figures).credit_code

    e = run("A3_HIT", (0.25, 0.2, 0.3), -1_000_000.0)
    record(e, "hit", "clear", "capacity 25 %, 20 %, 30 %, losses")
    e = run("A3_JUST_BELOW", (0.3333, 0.3333, 0.3333), -1.0)
    record(e, "hit", "just_below", "capacity 0.3333 three years; a loss of 1 yuan")
    e = run("A3_JUST_ABOVE", (0.2, 0.2, 0.3334), -1_000_000.0)
    record(e, "miss", "just_above", "capacity 0.3334 in 2025")
    e = run("A3_NO_LOSS", (0.2, 0.2, 0.2), 0.0, tax=18_000_000.0)
    record(e, "miss", "at", "capacity 20 %; profit exactly 0 and 600,000 yuan/mu of tax")
    e = run("A3_TWO_YEARS", (0.5, 0.2, 0.2), -1_000_000.0)
    record(e, "miss", "clear", "capacity below 1/3 in 2024 and 2025 only")
    e = run("A3_UNKNOWN", (0.2, None, 0.2), -1_000_000.0)
    record(e, "unjudged", "clear", "capacity of 2024 unknown")


def plant_ankang_abnormal_4(p: Planter) -> None:
    """Rule ``ankang/abnormal/4``: above scale, and its land identified idle or its
    effectively used factory area < 1/3 of its factory floor area."""
    record = p.rule("ankang/abnormal/4", "enterprise")
    s = p.idle_parcel("A4_IDLE", agreed_start=date(2024, 12, 31), above_scale=True)
    record(s.credit_code, "hit", "at", "holds land idle (not started) since this very day")
    s = p.idle_parcel("A4_NOT_IDLE", agreed_start=date(2025, 1, 1), above_scale=True)
    record(s.credit_code, "miss", "just_below", "its unstarted land is one day short of idle")
    producing = BuildingSpec(3_000.0, completed=date(2015, 6, 30), production=date(2015, 9, 1))
    s = p.site("A4_USED_AT", above_scale=True, buildings=[replace(producing, used_area_m2=1e3)])
    record(s.credit_code, "miss", "at", "uses exactly 1/3 of its factory floor")
    s = p.site("A4_USED_BELOW", above_scale=True, buildings=[replace(producing, used_area_m2=999)])
    record(s.credit_code, "hit", "just_below", "uses 999 of 3,000 m²")


def plant_ankang_abnormal_5(p: Planter) -> None:
    """Rule ``ankang/abnormal/5``: above scale, and against industrial policy, or with an
    environment, safety, quality or energy problem not fixed by its deadline (a deadline has
    passed when the as-of date is after it)."""
    record = p.rule("ankang/abnormal/5", "enterprise")
    s = p.site("A5_OVERDUE", above_scale=True)
    p.compliance(s.credit_code, "environment", date(2025, 1, 15), deadline=date(2025, 12, 30))
    record(s.credit_code, "hit", "just_above", "deadline 2025-12-30 passed, unresolved")
    s = p.site("A5_DEADLINE_TODAY", above_scale=True)
    p.compliance(s.credit_code, "safety", date(2025, 3, 1), deadline=D)
    record(s.credit_code, "miss", "at", "safety deadline is the as-of day itself")
    s = p.site("A5_FIXED_ON_DEADLINE", above_scale=True)
    deadline = date(2025, 6, 30)
    p.compliance(s.credit_code, "quality", date(2025, 1, 10), deadline=deadline, resolved=deadline)
    record(s.credit_code, "miss", "at", "quality problem fixed on its deadline")
    s = p.site("A5_PROHIBITED", above_scale=True)
    p.compliance(s.credit_code, "prohibited_industry", date(2025, 5, 1))
    record(s.credit_code, "hit", "clear", "prohibited industry, unresolved")
    s = p.site("A5_ELIMINATED_RESOLVED", above_scale=True)
    p.compliance(
        s.credit_code,
        "eliminated_industry",
        date(2022, 1, 1),
        deadline=date(2023, 1, 1),
        resolved=date(2022, 12, 15),
    )
    record(s.credit_code, "miss", "clear", "to-be-eliminated industry, resolved in 2022")
    s = p.site("A5_BELOW_SCALE")
    p.compliance(s.credit_code, "energy", date(2024, 1, 1), deadline=date(2024, 12, 31))
    record(s.credit_code, "miss", "clear", "overdue energy problem, but below scale")


def plant_tonglu_low(p: Planter) -> None:
    """Rule ``tonglu/low``: land ≥ 20 mu and per-mu tax below the line in each of the 3 most
    recent years; the line is 30,000 yuan/mu from 2022-01-01 and 50,000 from 2023-01-01, and the
    value in force on the as-of date applies to all three years. The 30,000 cases also carry
    figures for 2020, so that they can be judged as of 2022-12-31."""
    record = p.rule("tonglu/low", "parcel", TONGLU_LINE)

    def flat(
        name: str, per_mu: int, area_m2: float = MU_30_M2, years: Sequence[int] = YEARS
    ) -> str:
        return p.site(name, area_m2=area_m2, tax=yuan(per_mu, area_m2), years=years).parcel_id

    def by_year(name: str, per_mu: Mapping[int, int | None], area_m2: float = MU_30_M2) -> str:
        tax = {y: None if v is None else yuan(v, area_m2) for y, v in per_mu.items()}
        return p.site(name, area_m2=area_m2, tax=tax).parcel_id

    record(flat("T_AT", 50_000), "miss", "at", "30 mu at 50,000 yuan/mu in 2023–2025")
    record(flat("T_BELOW", 49_999), "hit", "just_below", "30 mu at 49,999 yuan/mu")
    record(flat("T_ABOVE", 50_001), "miss", "just_above", "30 mu at 50,001 yuan/mu")
    s = by_year("T_ONE_YEAR_AT", dict.fromkeys(YEARS, 49_999) | {2025: 50_000})
    record(s, "miss", "at", "49,999 yuan/mu in 2023 and 2024, exactly 50,000 in 2025")
    s = p.site("T_AREA_AT", area_m2=MU_20_M2, tax=800_000.0).parcel_id
    record(s, "hit", "at", "exactly 20 mu at 40,000 yuan/mu")
    s = flat("T_AREA_BELOW", 40_000, area_m2=13_333.0)
    record(s, "miss", "just_below", "13,333 m² (19.9995 mu) at 40,000 yuan/mu")
    s = by_year("T_UNKNOWN", dict.fromkeys(YEARS, 10_000) | {2024: None})
    record(s, "unjudged", "clear", "10,000 yuan/mu in 2023 and 2025, tax of 2024 unknown")
    s = by_year("T_DATED", dict.fromkeys((2021, 2022, 2023), 40_000) | {2024: 80_000, 2025: 80_000})
    note = "40,000 yuan/mu in 2021–2023 against the 50,000 in force on 2023-12-31"
    record(s, "hit", "clear", note, as_of=date(2023, 12, 31))
    record(s, "miss", "clear", "80,000 yuan/mu in 2024 and 2025")
    dated: tuple[tuple[str, int, Expected, Position], ...] = (
        ("T30_AT", 30_000, "miss", "at"),
        ("T30_BELOW", 29_999, "hit", "just_below"),
        ("T30_ABOVE", 30_001, "miss", "just_above"),
    )
    for name, per_mu, expected, position in dated:
        s = flat(name, per_mu, years=(2020, *YEARS))
        note = f"{per_mu:,} yuan/mu in 2020–2022 against the 30,000 in force on 2022-12-31"
        record(s, expected, position, note, as_of=date(2022, 12, 31))
        record(s, "hit", "clear", f"{per_mu:,} yuan/mu in 2023–2025 against 50,000")


def plant_tonglu_unfinished(p: Planter) -> None:
    """Rule ``tonglu/unfinished``: supplied industrial land left undeveloped under the national
    idle rules (reuses the idle/* parcels)."""
    record = p.rule("tonglu/unfinished", "parcel")
    n = p.named
    record(n["NS_AT"].parcel_id, "hit", "at", "industrial, not started a year after agreed")
    record(n["NS_SHORT"].parcel_id, "miss", "just_below", "industrial, one day short of a year")
    record(n["ST_SUSP_AT"].parcel_id, "hit", "at", "industrial, stalled a year on the as-of day")
    record(n["ST_SUSP_SHORT"].parcel_id, "miss", "just_below", "stalled one day short of a year")
    record(n["NS_COMMERCIAL"].parcel_id, "miss", "clear", "idle, but commercial land")


def plant_tonglu_non_industrial(p: Planter) -> None:
    """Rule ``tonglu/non-industrial``: industrial land supplied on or after 1999-01-01 used for
    non-industrial business (leasing included) without approval, or a temporary change of use
    expired (expiry date before the as-of date) and not reverted."""
    record = p.rule("tonglu/non-industrial", "parcel")
    other = "non_industrial"
    s = p.site("N_AT", supply=date(1999, 1, 1), actual_use=other)
    record(s.parcel_id, "hit", "at", "supplied 1999-01-01, non-industrial use, not approved")
    s = p.site("N_BEFORE", supply=date(1998, 12, 31), supply_method="allocation", actual_use=other)
    record(s.parcel_id, "miss", "just_below", "supplied 1998-12-31")
    s = p.site("N_APPROVED", supply=date(2008, 4, 1), use_change="approved", actual_use=other)
    record(s.parcel_id, "miss", "clear", "change of use approved")
    temporary: dict[str, Any] = {"supply": date(2008, 4, 1), "use_change": "temporary"}
    s = p.site(
        "N_TEMPORARY_EXPIRED", use_change_expires=date(2025, 12, 30), actual_use=other, **temporary
    )
    record(s.parcel_id, "hit", "just_above", "temporary change expired 2025-12-30, not reverted")
    s = p.site("N_TEMPORARY_TODAY", use_change_expires=D, actual_use=other, **temporary)
    record(s.parcel_id, "miss", "at", "temporary change runs to the as-of day itself")
    s = p.site("N_TEMPORARY_REVERTED", use_change_expires=date(2024, 6, 30), **temporary)
    record(s.parcel_id, "miss", "clear", "temporary change expired; back in industrial use")
    s = p.site("N_LEASED", supply=date(2010, 7, 1), actual_use=other)
    tenant = p.enterprise(industry="H6210", word="餐饮管理")
    p.occupy(s.credit_code, s.parcel_id, "leased_out", 12_000.0)
    p.occupy(tenant, s.parcel_id, "leased_in", 12_000.0)
    record(s.parcel_id, "hit", "clear", "12,000 of 20,000 m² let to a restaurant, not approved")
    s = p.site("N_INDUSTRIAL", supply=date(2010, 7, 1))
    record(s.parcel_id, "miss", "clear", "in industrial use")
    s = p.site(
        "N_COMMERCIAL_LAND", supply=date(2010, 7, 1), land_use="commercial", actual_use=other
    )
    record(s.parcel_id, "miss", "clear", "commercial land in commercial use")


def plant_tonglu_other(p: Planter) -> None:
    """Rule ``tonglu/other``: prohibited or to-be-eliminated industry. (Grade D is not planted:
    it depends on the whole evaluation cohort.)"""
    record = p.rule("tonglu/other", "parcel")
    s = p.site("O_PROHIBITED")
    p.compliance(s.credit_code, "prohibited_industry", date(2024, 9, 1))
    record(s.parcel_id, "hit", "clear", "prohibited industry, unresolved")
    s = p.site("O_ELIMINATED")
    p.compliance(s.credit_code, "eliminated_industry", date(2023, 9, 1), deadline=date(2024, 9, 1))
    record(s.parcel_id, "hit", "clear", "to-be-eliminated industry, unresolved")
    s = p.site("O_RESOLVED")
    p.compliance(s.credit_code, "eliminated_industry", date(2023, 9, 1), deadline=D, resolved=D)
    record(s.parcel_id, "miss", "at", "to-be-eliminated industry, resolved on the as-of day")
    s = p.site("O_SAFETY")
    p.compliance(s.credit_code, "safety", date(2024, 9, 1))
    record(s.parcel_id, "miss", "clear", "only a safety problem")


def plant_yancheng_list(p: Planter) -> None:
    """Rules ``yancheng/list/land`` (idle or under-used land ≥ 30 mu),
    ``yancheng/list/factory`` (idle factory ≥ 10,000 m²) and ``yancheng/list/building`` (idle
    office or commercial building ≥ 10,000 m²)."""
    record = p.rule("yancheng/list/land", "parcel")
    started = date(2020, 6, 1)
    s = p.idle_parcel("YL_AT", agreed_start=started, area_m2=MU_30_M2)
    record(s.parcel_id, "hit", "at", "idle (not started since 2020), exactly 30 mu")
    s = p.idle_parcel("YL_BELOW", agreed_start=started, area_m2=19_999.0)
    record(s.parcel_id, "miss", "just_below", "idle, 19,999 m²")
    s = p.idle_parcel("YL_ABOVE", agreed_start=started, area_m2=20_001.0)
    record(s.parcel_id, "hit", "just_above", "idle, 20,001 m²")
    s = p.site("YL_USED", area_m2=40_000.0)
    record(s.parcel_id, "miss", "clear", "60 mu, built and producing")

    record = p.rule("yancheng/list/factory", "building")
    never = BuildingSpec(0.0, completed=date(2016, 6, 30), production=None, used_area_m2=0.0)
    s = p.site("YF_AT", buildings=[replace(never, floor_area_m2=10_000.0)])
    record(s.building_id, "hit", "at", "idle factory (never producing since 2016), 10,000 m²")
    s = p.site("YF_BELOW", buildings=[replace(never, floor_area_m2=9_999.0)])
    record(s.building_id, "miss", "just_below", "idle factory, 9,999 m²")
    busy = BuildingSpec(20_000.0, date(2015, 3, 31), date(2015, 6, 1), used_area_m2=18_000.0)
    s = p.site("YF_BUSY", area_m2=30_000.0, buildings=[busy])
    record(s.building_id, "miss", "clear", "20,000 m² factory in production")

    record = p.rule("yancheng/list/building", "building")
    vacant = BuildingSpec(
        0.0,
        completed=date(2014, 6, 30),
        production=None,
        used_area_m2=0.0,
        vacant_since=date(2020, 1, 1),
        vacancy_reason="relocated",
        kind="office",
    )
    s = p.site("YB_AT", area_m2=8_000.0, buildings=[replace(vacant, floor_area_m2=10_000.0)])
    record(s.building_id, "hit", "at", "office block vacant since 2020, 10,000 m²")
    s = p.site("YB_BELOW", area_m2=8_000.0, buildings=[replace(vacant, floor_area_m2=9_999.0)])
    record(s.building_id, "miss", "just_below", "office block vacant since 2020, 9,999 m²")
    record(p.named["YF_AT"].building_id, "miss", "clear", "an idle factory, not an office block")


def plant_yancheng_db(p: Planter) -> None:
    """Rules ``yancheng/db/*`` (supervision database): ``yancheng/db/land`` new transferred
    land ≥ 30 mu; ``yancheng/db/factory`` new factory construction ≥ 10,000 m²;
    ``yancheng/db/building`` office buildings ≥ 10,000 m² in an urban district (330191 is one);
    ``yancheng/db/stock`` every item on a yancheng/list/* list. "New" = supplied or completed
    on or after the ``new_since`` parameter (here the as-of year)."""
    record = p.rule("yancheng/db/land", "parcel", YANCHENG_NEW)

    def new_parcel(name: str, area_m2: float, supply: date, method: str = "transfer") -> str:
        holder, parcel_id, _ = p.vacant_supplied_parcel(
            area_m2=area_m2,
            supplied=supply,
            signed=supply,
            agreed_start=supply + timedelta(days=180),
            supply_method=method,
        )
        p.named[name] = Site(holder, parcel_id, None, ())
        return parcel_id

    spring = date(2025, 4, 15)
    record(new_parcel("YDL_AT", MU_30_M2, spring), "hit", "at", "transferred 2025, exactly 30 mu")
    parcel = new_parcel("YDL_BELOW", 19_999.0, spring)
    record(parcel, "miss", "just_below", "transferred 2025, 19,999 m²")
    parcel = new_parcel("YDL_ALLOCATED", 30_000.0, date(2025, 5, 20), "allocation")
    record(parcel, "miss", "clear", "45 mu, allocated, not transferred")
    parcel = new_parcel("YDL_OLD", 30_000.0, date(2018, 3, 1))
    record(parcel, "miss", "clear", "45 mu transferred 2018: not new")

    record = p.rule("yancheng/db/factory", "building", YANCHENG_NEW)
    fresh = BuildingSpec(0.0, completed=date(2025, 9, 30), production=None, used_area_m2=0.0)
    s = p.site("YDF_AT", buildings=[replace(fresh, floor_area_m2=10_000.0)])
    record(s.building_id, "hit", "at", "factory completed 2025-09-30, 10,000 m²")
    s = p.site("YDF_BELOW", buildings=[replace(fresh, floor_area_m2=9_999.0)])
    record(s.building_id, "miss", "just_below", "factory completed 2025-09-30, 9,999 m²")
    record(p.named["YF_BUSY"].building_id, "miss", "clear", "20,000 m² factory of 2015: not new")

    record = p.rule("yancheng/db/building", "building")
    office = BuildingSpec(
        0.0, completed=date(2025, 6, 30), production=None, used_area_m2=8_000.0, kind="office"
    )
    s = p.site("YDB_AT", area_m2=8_000.0, buildings=[replace(office, floor_area_m2=10_000.0)])
    record(s.building_id, "hit", "at", "office block of 10,000 m² in an urban district")
    s = p.site("YDB_BELOW", area_m2=8_000.0, buildings=[replace(office, floor_area_m2=9_999.0)])
    record(s.building_id, "miss", "just_below", "office block of 9,999 m²")

    n = p.named
    land = p.rule("yancheng/db/stock", "parcel")
    land(n["YL_AT"].parcel_id, "hit", "at", "on the yancheng/list/land list")
    land(n["YL_BELOW"].parcel_id, "miss", "just_below", "not listed (19,999 m²)")
    buildings = p.rule("yancheng/db/stock", "building")
    buildings(n["YF_AT"].building_id, "hit", "at", "on the yancheng/list/factory list")
    buildings(n["YF_BELOW"].building_id, "miss", "just_below", "not listed (9,999 m²)")
    buildings(n["YB_AT"].building_id, "hit", "at", "on the yancheng/list/building list")


def plant_yuzhou_approved_not_supplied(p: Planter) -> None:
    """Rule ``yuzhou/approved-not-supplied``: approved area − supplied area > 0, per batch."""
    record = p.rule("yuzhou/approved-not-supplied", "approval")
    a = p.approval(901, approved_on=date(2019, 8, 1), approved_m2=120_000.0, supplied_m2=120_000.0)
    record(a, "miss", "at", "fully supplied: 0 m² left")
    a = p.approval(902, approved_on=date(2020, 8, 1), approved_m2=120_000.0, supplied_m2=119_999.0)
    record(a, "hit", "just_above", "1 m² left unsupplied")
    a = p.approval(903, approved_on=date(2021, 8, 1), approved_m2=80_000.0, supplied_m2=0.0)
    record(a, "hit", "clear", "nothing supplied")
    a = p.approval(904, approved_on=date(2022, 8, 1), approved_m2=80_000.0, supplied_m2=None)
    record(a, "unjudged", "clear", "supplied area unknown")


PLANTINGS: tuple[Callable[[Planter], None], ...] = (
    plant_idle_not_started,
    plant_idle_stalled,
    plant_ankang_low_1,
    plant_ankang_low_2,
    plant_ankang_low_3,
    plant_ankang_low_4,
    plant_ankang_low_5,
    plant_ankang_building_1,
    plant_ankang_building_2,
    plant_ankang_abnormal_1,
    plant_ankang_abnormal_2,
    plant_ankang_abnormal_3,
    plant_ankang_abnormal_4,
    plant_ankang_abnormal_5,
    plant_tonglu_low,
    plant_tonglu_unfinished,
    plant_tonglu_non_industrial,
    plant_tonglu_other,
    plant_yancheng_list,
    plant_yancheng_db,
    plant_yuzhou_approved_not_supplied,
)


@cache
def _planted() -> tuple[dict[str, pa.Table], dict[str, tuple[Case, ...]]]:
    planter = Planter()
    for plant in PLANTINGS:
        plant(planter)
    index: dict[str, list[Case]] = {}
    for case in planter.cases:
        index.setdefault(case.rule, []).append(case)
    return planter.tables(), {rule: tuple(cases) for rule, cases in index.items()}


def planted_tables() -> dict[str, pa.Table]:
    """The planted rows, one table per interchange table (the same on every call)."""
    return _planted()[0]


SCENARIOS: Mapping[str, tuple[Case, ...]] = _planted()[1]
"""Rule id → the planted cases of that rule (see :class:`~tests.planted.planting.Case`)."""


def with_planted_cases(city: Mapping[str, pa.Table]) -> dict[str, pa.Table]:
    """The demo city ``city`` (one table per interchange table) with the planted rows appended
    to each table; the city must have 杭州市 (330100), the scenario counties' parent."""
    if CITY not in city["jurisdictions"]["code"].to_pylist():
        raise ValueError(f"the city has no {CITY}, the scenario counties' parent")
    planted = planted_tables()
    result: dict[str, pa.Table] = {}
    for name in table_names():
        combined = pa.concat_tables([city[name], planted[name]]).combine_chunks()
        if combined.schema != schema_of(table(name)):  # pragma: no cover - a bug guard
            raise TypeError(f"{name}: schema drifted")
        result[name] = combined
    return result
