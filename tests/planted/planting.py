"""The machinery of the planted cases: a :class:`Planter` that writes consistent records
(an enterprise, its parcel, occupancy, contract, construction, buildings and figures) in the
two scenario counties, and the :class:`Case` s that say what each planted subject is for.

The scenario counties are the tests' own: the demo city (:mod:`mujun.demo`) never has them.
They sit under 杭州市 (330100), which every demo city has:

- 规则样例一区 (330191, an urban district): all planted cases except ankang/low/5, in park
  33019171, and the three ankang/building/2 parks 33019172–74;
- 规则样例二区 (330192): ankang/low/5 only, so that its park and county averages are exactly
  those of the cases planted there.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from fractions import Fraction
from types import MappingProxyType
from typing import Any, Literal

import numpy as np
import pyarrow as pa

from mujun.demo.calendar import DEMO_AS_OF, YEARS
from mujun.demo.columns import assemble, schema_of, table_names
from mujun.demo.geometry import GRID_CELL_M, offset_lonlat, quadrilaterals
from mujun.demo.population import credit_codes, division_digits
from mujun.demo.vocabulary import ANCHOR_LAT, ANCHOR_LON
from mujun.interchange.schema import table

Expected = Literal["hit", "miss", "unjudged"]
Position = Literal["at", "just_below", "just_above", "clear"]
SubjectType = Literal["parcel", "building", "enterprise", "approval"]


@dataclass(frozen=True)
class Case:
    """One planted subject of one rule and the verdict it is planted for.

    ``expected``: ``hit`` (the rule fires), ``miss`` (it does not), ``unjudged`` (a figure the
    rule needs is unknown, so the run cannot judge it). ``position``: where the deciding figure
    sits against the rule's threshold — ``at`` it exactly, ``just_below`` / ``just_above`` it
    by the smallest step the data allow (1 m², 1 yuan, 1 day; for a waiting period,
    ``just_below`` is one day short), or ``clear`` of it (a yes/no condition, or far away).
    ``key``: the 重点 flag expected on a hit, for rules that define a key cohort.
    ``parameters``: the profile values the verdict assumes, where a rule has one.
    """

    rule: str
    subject_type: SubjectType
    subject_id: str
    expected: Expected
    position: Position
    note: str
    key: bool | None = None
    as_of: date = DEMO_AS_OF
    parameters: Mapping[str, str] = field(default_factory=dict)

    @property
    def fires(self) -> bool | None:
        """True for a hit, False for a miss, None when the rule cannot judge the subject."""
        return {"hit": True, "miss": False, "unjudged": None}[self.expected]


CITY = "330100"
COUNTY_A, COUNTY_B = "330191", "330192"
TOWN_A, TOWN_B = "330191001", "330192001"
PARK_A, PARK_A_INVESTMENT, PARK_A_OUTPUT, PARK_A_TAX = (
    "33019171",
    "33019172",
    "33019173",
    "33019174",
)
PARK_B_MACHINERY, PARK_B_OTHER = "33019271", "33019272"

JURISDICTIONS: tuple[tuple[str, str, str, str], ...] = (
    (COUNTY_A, "规则样例一区", "county", CITY),
    (COUNTY_B, "规则样例二区", "county", CITY),
    (TOWN_A, "样例街道", "town", COUNTY_A),
    (TOWN_B, "样例镇", "town", COUNTY_B),
    (PARK_A, "样例一区经济开发区", "park", COUNTY_A),
    (PARK_A_INVESTMENT, "样例一区投资强度对照园", "park", COUNTY_A),
    (PARK_A_OUTPUT, "样例一区产出强度对照园", "park", COUNTY_A),
    (PARK_A_TAX, "样例一区税收强度对照园", "park", COUNTY_A),
    (PARK_B_MACHINERY, "样例二区装备制造园", "park", COUNTY_B),
    (PARK_B_OTHER, "样例二区光伏产业园", "park", COUNTY_B),
)
TOWN_OF = {COUNTY_A: TOWN_A, COUNTY_B: TOWN_B}
COUNTY_OF_PARK = {code: parent for code, _, level, parent in JURISDICTIONS if level == "park"}
# Scenario counties sit half a lattice step from Tonglu, between the random counties.
CENTRE = {
    COUNTY_A: (ANCHOR_LON - 0.2, ANCHOR_LAT - 0.18),
    COUNTY_B: (ANCHOR_LON + 0.2, ANCHOR_LAT - 0.18),
}

M2_PER_MU = Fraction(10000, 15)
MU_20_M2 = 40000 / 3  # the double nearest 40000/3 m², which is not below it: ≥ 20 mu exactly
if Fraction(MU_20_M2) < 20 * M2_PER_MU:  # pragma: no cover - a property of IEEE doubles
    raise ArithmeticError("40000/3 rounds below 20 mu")

DEFAULT_TAX = 6_000_000.0  # yuan a year: 200,000 yuan/mu on a 30-mu site

INDUSTRY_WORDS = {"C3484": "机械", "C3489": "精密机械", "C3825": "光伏科技", "C3982": "电路科技"}


def yuan(per_mu: int, area_m2: float) -> float:
    """The whole-yuan amount that is ``per_mu`` yuan per mu on ``area_m2`` (exactly)."""
    amount = Fraction(per_mu) * Fraction(area_m2) / M2_PER_MU
    if amount.denominator != 1:
        raise ValueError(f"{per_mu} yuan/mu on {area_m2} m² is not whole yuan")
    return float(amount)


@dataclass(frozen=True)
class BuildingSpec:
    """A building to plant: a factory completed 2014 and producing since, unless told."""

    floor_area_m2: float
    completed: date | None = date(2014, 9, 30)
    production: date | None = date(2014, 12, 1)
    used_area_m2: float | None = None  # default: 90 % of the floor area (0 if not producing)
    vacant_since: date | None = None
    vacancy_reason: str | None = None
    dynamic_reserve: bool = False
    investment_yuan: float | None = None
    kind: str = "factory"


@dataclass(frozen=True)
class Site:
    """What a planting made: the enterprise, its parcel, its contract and its buildings."""

    credit_code: str
    parcel_id: str
    contract_id: str | None
    building_ids: tuple[str, ...]

    @property
    def building_id(self) -> str:
        return self.building_ids[0]


Years = Mapping[int, Mapping[str, Any]]


class Planter:
    """Collects planted rows per table and the cases they stand for."""

    def __init__(self) -> None:
        self.rows: dict[str, list[dict[str, Any]]] = {name: [] for name in table_names()}
        self.cases: list[Case] = []
        self._enterprises = 0
        self._parcels = 0
        self._geometry: list[tuple[str, float, int]] = []  # county, area, grid slot
        self._slots = {COUNTY_A: 0, COUNTY_B: 0}
        self.named: dict[str, Site] = {}

    # -- records -------------------------------------------------------------------------

    def enterprise(
        self,
        *,
        park: str = PARK_A,
        industry: str = "C3484",
        above_scale: bool = False,
        status: str = "operating",
        word: str | None = None,
    ) -> str:
        county = COUNTY_OF_PARK[park]
        self._enterprises += 1
        serial = self._enterprises
        code = credit_codes(division_digits([county]), np.array([serial], dtype=np.int64), salt=0)[
            0
        ].as_py()
        trade_word = word or INDUSTRY_WORDS.get(industry, "实业")
        self.rows["enterprises"].append(
            {
                "credit_code": code,
                "name": f"规则样例{serial:03d}号{trade_word}有限公司",
                "industry_code": industry,
                "above_scale": above_scale,
                "status": status,
                "jurisdiction_code": TOWN_OF[county],
                "park_code": park,
            }
        )
        return str(code)

    def parcel(
        self,
        *,
        park: str,
        holder: str | None,
        area_m2: float,
        supply: date | None = date(2012, 5, 10),
        supply_method: str | None = "transfer",
        land_use: str = "industrial",
        actual_use: str = "industrial",
        use_change: str = "none",
        use_change_expires: date | None = None,
        planning_adjustment: bool | None = False,
        dynamic_reserve: bool = False,
    ) -> str:
        county = COUNTY_OF_PARK[park]
        self._parcels += 1
        parcel_id = f"{TOWN_OF[county]}001GB{self._parcels:05d}"
        self._geometry.append((county, area_m2, self._slots[county]))
        self._slots[county] += 1
        self.rows["parcels"].append(
            {
                "parcel_id": parcel_id,
                "area_m2": area_m2,
                "jurisdiction_code": TOWN_OF[county],
                "park_code": park,
                "land_use": land_use,
                "actual_use": actual_use,
                "use_change": use_change,
                "use_change_expires": use_change_expires,
                "supply_method": supply_method if supply else None,
                "supply_date": supply,
                "holder_credit_code": holder,
                "planning_adjustment": planning_adjustment,
                "dynamic_reserve": dynamic_reserve,
            }
        )
        return parcel_id

    def occupy(self, credit_code: str, parcel_id: str, kind: str, area_m2: float) -> None:
        self.rows["land_occupancy"].append(
            {"credit_code": credit_code, "parcel_id": parcel_id, "kind": kind, "area_m2": area_m2}
        )

    def contract(
        self,
        parcel_id: str,
        credit_code: str,
        *,
        area_m2: float,
        signed: date,
        agreed_start: date,
        committed_investment_per_mu: float | None = 3_000_000.0,
        total_investment: float | None = None,
        committed_tax_per_mu: float | None = None,
    ) -> str:
        contract_id = f"{parcel_id[:6]}-{signed.year}-S{len(self.rows['land_contracts']) + 1:05d}"
        if total_investment is None and committed_investment_per_mu is not None:
            total_investment = float(
                Fraction(committed_investment_per_mu) * Fraction(area_m2) / M2_PER_MU
            )
        self.rows["land_contracts"].append(
            {
                "contract_id": contract_id,
                "parcel_id": parcel_id,
                "credit_code": credit_code,
                "signed_date": signed,
                "land_price_yuan": float(round(Fraction(area_m2) / M2_PER_MU * 300_000)),
                "agreed_start_date": agreed_start,
                "agreed_completion_date": agreed_start + timedelta(days=730),
                "total_investment_yuan": total_investment,
                "committed_investment_per_mu_yuan": committed_investment_per_mu,
                "committed_tax_per_mu_yuan": committed_tax_per_mu,
                "committed_far": 1.5,
                "term_years": 50,
            }
        )
        return contract_id

    def construction(
        self,
        parcel_id: str,
        *,
        as_of: date = DEMO_AS_OF,
        started: date | None,
        developed_m2: float,
        to_develop_m2: float,
        invested: float,
        suspended: date | None = None,
        completed: date | None = None,
    ) -> None:
        self.rows["construction"].append(
            {
                "parcel_id": parcel_id,
                "as_of": as_of,
                "started_date": started,
                "developed_area_m2": developed_m2,
                "area_to_develop_m2": to_develop_m2,
                "invested_yuan": invested,
                "suspended_since": suspended,
                "completed_date": completed,
            }
        )

    def building(self, parcel_id: str, owner: str | None, spec: BuildingSpec) -> str:
        ordinal = sum(1 for b in self.rows["buildings"] if b["parcel_id"] == parcel_id) + 1
        prefix = "-F" if spec.kind == "factory" else "-B"
        building_id = f"{parcel_id}{prefix}{ordinal:02d}"
        used = spec.used_area_m2
        if used is None and spec.vacant_since is None:
            used = round(spec.floor_area_m2 * 0.9, 2) if spec.production else 0.0
        investment = spec.investment_yuan
        if investment is None:
            investment = float(round(spec.floor_area_m2 * 2000))
        self.rows["buildings"].append(
            {
                "building_id": building_id,
                "parcel_id": parcel_id,
                "kind": spec.kind,
                "floor_area_m2": spec.floor_area_m2,
                "completed_date": spec.completed,
                "production_start_date": spec.production,
                "used_area_m2": used,
                "vacant_since": spec.vacant_since,
                "vacancy_reason": spec.vacancy_reason,
                "owner_credit_code": owner,
                "dynamic_reserve": spec.dynamic_reserve,
                "investment_yuan": investment,
            }
        )
        return building_id

    def annual(
        self, credit_code: str, year: int, *, tax: float | None, land_m2: float, **overrides: Any
    ) -> None:
        """A year of sound figures around ``tax``; ``overrides`` replace any of them."""
        basis = tax if tax else 1_000_000.0
        revenue = basis * 20
        value_added = revenue * 0.25
        fixed_assets = float(round(Fraction(land_m2) / M2_PER_MU * 3_000_000))
        total_assets = fixed_assets + revenue * 0.5
        row: dict[str, Any] = {
            "credit_code": credit_code,
            "year": year,
            "tax_yuan": tax,
            "revenue_yuan": revenue,
            "value_added_yuan": value_added,
            "output_yuan": round(revenue * 1.02, 2),
            "energy_tce": round(value_added / 27_000, 2),
            "emission_equiv": round(value_added / 4.93e7, 4),
            "employees": max(5, round(value_added / 180_000)),
            "rd_expense_yuan": round(revenue * 0.03, 2),
            "fixed_assets_yuan": fixed_assets,
            "capacity_use": 0.8,
            "profit_yuan": round(revenue * 0.06, 2),
            "total_assets_yuan": total_assets,
            "total_liabilities_yuan": round(total_assets * 0.5, 2),
            "annual_report_filed": True,
            "tax_return_filed": True,
            "halted": False,
        }
        unknown = set(overrides) - set(row)
        if unknown:
            raise KeyError(f"annual figures: no such columns {sorted(unknown)}")
        row.update(overrides)
        self.rows["annual_metrics"].append(row)

    def legal(self, credit_code: str, kind: str, when: date, *, closed: date | None = None) -> None:
        self.rows["legal_events"].append(
            {
                "credit_code": credit_code,
                "kind": kind,
                "date": when,
                "case_no": None
                if kind == "mortgage"
                else f"({when.year})浙0191民初{len(self.rows['legal_events']) + 1}号",
                "amount_yuan": 5_000_000.0,
                "closed_date": closed,
            }
        )

    def compliance(
        self,
        credit_code: str,
        kind: str,
        since: date,
        *,
        deadline: date | None = None,
        resolved: date | None = None,
    ) -> None:
        self.rows["compliance"].append(
            {
                "credit_code": credit_code,
                "kind": kind,
                "since": since,
                "deadline": deadline,
                "resolved_date": resolved,
            }
        )

    def approval(
        self, serial: int, *, approved_on: date, approved_m2: float, supplied_m2: float | None
    ) -> str:
        approval_id = f"{COUNTY_A}{approved_on.year}PZ{serial:03d}"
        self.rows["land_approvals"].append(
            {
                "approval_id": approval_id,
                "jurisdiction_code": COUNTY_A,
                "approved_date": approved_on,
                "approved_area_m2": approved_m2,
                "supplied_area_m2": supplied_m2,
            }
        )
        return approval_id

    # -- composites ----------------------------------------------------------------------

    def site(
        self,
        name: str,
        *,
        area_m2: float = 20_000.0,
        park: str = PARK_A,
        industry: str = "C3484",
        above_scale: bool = False,
        status: str = "operating",
        tax: float | Mapping[int, float | None] | None = DEFAULT_TAX,
        years: Sequence[int] = YEARS,
        figures: Years | None = None,
        buildings: Sequence[BuildingSpec] | None = None,
        invested: float | None = None,
        committed_investment_per_mu: float | None = 3_000_000.0,
        occupancy: bool = True,
        **parcel: Any,
    ) -> Site:
        """A built-up enterprise site: an enterprise holding one parcel (owned, whole), its
        contract (2012) and completed construction, its factories, and sound annual figures
        with the tax given (a constant, or per year; None = unknown)."""
        holder = self.enterprise(
            park=park, industry=industry, above_scale=above_scale, status=status
        )
        parcel_id = self.parcel(park=park, holder=holder, area_m2=area_m2, **parcel)
        if occupancy:
            self.occupy(holder, parcel_id, "owned", area_m2)
        contract_id = self.contract(
            parcel_id,
            holder,
            area_m2=area_m2,
            signed=date(2012, 5, 1),
            agreed_start=date(2012, 11, 1),
            committed_investment_per_mu=committed_investment_per_mu,
            total_investment=None if committed_investment_per_mu else 60_000_000.0,
        )
        total = self.rows["land_contracts"][-1]["total_investment_yuan"]
        self.construction(
            parcel_id,
            started=date(2012, 11, 15),
            developed_m2=area_m2,
            to_develop_m2=area_m2,
            invested=invested if invested is not None else total,
            completed=date(2014, 9, 30),
        )
        specs = buildings if buildings is not None else [BuildingSpec(round(area_m2 * 0.6, 2))]
        building_ids = tuple(self.building(parcel_id, holder, spec) for spec in specs)
        for year in years:
            year_tax = tax.get(year, DEFAULT_TAX) if isinstance(tax, Mapping) else tax
            extra = dict((figures or {}).get(year, {}))
            if extra.pop("_missing", False):
                continue
            self.annual(holder, year, tax=year_tax, land_m2=area_m2, **extra)
        site = Site(holder, parcel_id, contract_id, building_ids)
        self.named[name] = site
        return site

    def vacant_supplied_parcel(
        self,
        *,
        area_m2: float,
        supplied: date,
        signed: date,
        agreed_start: date,
        supply_method: str = "transfer",
        land_use: str = "industrial",
        above_scale: bool = False,
        **contract_terms: Any,
    ) -> tuple[str, str, str]:
        """Supplied land with nothing built yet: a new enterprise owning all of it under a
        signed contract (``contract_terms`` go to :meth:`contract`). Returns the holder's
        credit code, the parcel id and the contract id."""
        holder = self.enterprise(above_scale=above_scale)
        parcel_id = self.parcel(
            park=PARK_A,
            holder=holder,
            area_m2=area_m2,
            supply=supplied,
            supply_method=supply_method,
            land_use=land_use,
            actual_use="vacant",
        )
        self.occupy(holder, parcel_id, "owned", area_m2)
        contract_id = self.contract(
            parcel_id,
            holder,
            area_m2=area_m2,
            signed=signed,
            agreed_start=agreed_start,
            **contract_terms,
        )
        return holder, parcel_id, contract_id

    def idle_parcel(
        self,
        name: str,
        *,
        agreed_start: date,
        area_m2: float = 20_000.0,
        record: bool = True,
        land_use: str = "industrial",
        above_scale: bool = False,
    ) -> Site:
        """Supplied land, contract signed, nothing started (a construction record saying so,
        unless ``record`` is false)."""
        signed = agreed_start - timedelta(days=270)
        holder, parcel_id, contract_id = self.vacant_supplied_parcel(
            area_m2=area_m2,
            supplied=signed,
            signed=signed,
            agreed_start=agreed_start,
            land_use=land_use,
            above_scale=above_scale,
        )
        if record:
            self.construction(
                parcel_id, started=None, developed_m2=0.0, to_develop_m2=area_m2, invested=0.0
            )
        for year in YEARS:
            if year >= signed.year:
                self.annual(holder, year, tax=300_000.0, land_m2=area_m2)
        site = Site(holder, parcel_id, contract_id, ())
        self.named[name] = site
        return site

    def stalled_parcel(
        self,
        name: str,
        *,
        developed_m2: float,
        invested: float,
        suspended: date | None,
        to_develop_m2: float = 30_000.0,
        total_investment: float = 40_000_000.0,
        committed_investment_per_mu: float | None = None,
    ) -> Site:
        """Supplied 2019, started 2020-05-01, part developed, maybe suspended since a date."""
        holder, parcel_id, contract_id = self.vacant_supplied_parcel(
            area_m2=to_develop_m2,
            supplied=date(2019, 9, 1),
            signed=date(2019, 8, 20),
            agreed_start=date(2020, 3, 1),
            committed_investment_per_mu=committed_investment_per_mu,
            total_investment=total_investment,
        )
        self.construction(
            parcel_id,
            started=date(2020, 5, 1),
            developed_m2=developed_m2,
            to_develop_m2=to_develop_m2,
            invested=invested,
            suspended=suspended,
        )
        for year in YEARS:
            self.annual(holder, year, tax=200_000.0, land_m2=to_develop_m2)
        site = Site(holder, parcel_id, contract_id, ())
        self.named[name] = site
        return site

    def rule(
        self, rule: str, subject_type: SubjectType, parameters: Mapping[str, str] | None = None
    ) -> "CaseRecorder":
        """A recorder of cases of ``rule`` on subjects of ``subject_type``."""
        return CaseRecorder(self, rule, subject_type, dict(parameters or {}))

    # -- tables --------------------------------------------------------------------------

    def tables(self) -> dict[str, pa.Table]:
        self._add_geometry()
        self.rows["jurisdictions"] = [
            {"code": code, "name": name, "level": level, "parent_code": parent}
            for code, name, level, parent in JURISDICTIONS
        ]
        result = {}
        for name, rows in self.rows.items():
            spec = table(name)
            columns = {
                column: pa.array([row.get(column) for row in rows], type=_arrow_type(name, column))
                for column in spec.column_names
            }
            result[name] = assemble(name, columns, len(rows))
        return result

    def _add_geometry(self) -> None:
        count = len(self._geometry)
        county = [c for c, _, _ in self._geometry]
        slots = np.array([s for _, _, s in self._geometry], dtype=np.float64)
        width = np.array([np.ceil(np.sqrt(self._slots[c])) for c in county])
        east = (slots % width - (width - 1) / 2) * GRID_CELL_M
        north = (slots // width - (width - 1) / 2) * GRID_CELL_M
        lon0 = np.array([CENTRE[c][0] for c in county])
        lat0 = np.array([CENTRE[c][1] for c in county])
        lon, lat = offset_lonlat(lon0, lat0, east, north)
        wkt = quadrilaterals(
            lon=lon,
            lat=lat,
            area_m2=np.array([a for _, a, _ in self._geometry], dtype=np.float64),
            aspect=np.full(count, 1.3),
            angle_rad=np.linspace(0.1, 1.4, count),
            jitter=np.zeros((count, 4, 2)),
        )
        for row, outline in zip(self.rows["parcels"], wkt.to_pylist(), strict=True):
            row["geometry_wkt"] = outline


def _arrow_type(table_name: str, column: str) -> pa.DataType:
    return schema_of(table(table_name)).field(column).type


@dataclass(frozen=True)
class CaseRecorder:
    """Records the cases of one rule: ``record(subject_id, expected, position, note)``."""

    planter: Planter
    rule: str
    subject_type: SubjectType
    parameters: Mapping[str, str]

    def __call__(
        self,
        subject_id: str,
        expected: Expected,
        position: Position,
        note: str,
        *,
        key: bool | None = None,
        as_of: date = DEMO_AS_OF,
    ) -> None:
        self.planter.cases.append(
            Case(
                rule=self.rule,
                subject_type=self.subject_type,
                subject_id=subject_id,
                expected=expected,
                position=position,
                note=note,
                key=key,
                as_of=as_of,
                parameters=MappingProxyType(dict(self.parameters)),
            )
        )
