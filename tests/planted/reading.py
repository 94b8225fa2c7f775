"""A plain, row-by-row reading of rules.md, used only to check the planted cases.

This is deliberately naive Python over the planted subjects (a few hundred rows), with exact
fractions and Civil Code dates, so that it can disagree with a planted case that is not what
its index entry claims. It reads each rule the way the index notes say the case assumes.
"""

import calendar
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import date
from fractions import Fraction
from typing import Any

import pyarrow as pa

from tests.planted.planting import Case

Row = dict[str, Any]
Verdict = tuple[bool | None, bool | None]  # (fires, key); None: cannot judge / no key
M2_PER_MU = Fraction(10000, 15)
BUILDING_CUTOFF = date(2023, 12, 31)
NEW_SINCE = date(2025, 1, 1)
LOW_1_KINDS = {"prohibited_industry", "eliminated_industry", "energy", "safety", "environment"}
POLICY_KINDS = {"prohibited_industry", "eliminated_industry"}
DEADLINE_KINDS = {"environment", "safety", "quality", "energy"}
TROUBLE_KINDS = {"debt_dispute", "mortgage", "seizure"}


def add_years(day: date, years: int) -> date:
    """Civil Code art. 202: the same day N years on, or that month's last day."""
    year = day.year + years
    return date(year, day.month, min(day.day, calendar.monthrange(year, day.month)[1]))


def all_of(values: Iterable[bool | None]) -> bool | None:
    """Three-valued AND: False if any is False, else None if any is unknown, else True."""
    seen = list(values)
    if any(v is False for v in seen):
        return False
    return None if any(v is None for v in seen) else True


def any_of(values: Iterable[bool | None]) -> bool | None:
    seen = list(values)
    if any(v is True for v in seen):
        return True
    return None if any(v is None for v in seen) else False


def exact(value: float) -> Fraction:
    return Fraction(value)


class Data:
    """The tables as rows, indexed by what the rules look up."""

    def __init__(self, tables: dict[str, pa.Table]) -> None:
        rows = {name: data.to_pylist() for name, data in tables.items()}
        self.jurisdictions = {r["code"]: r for r in rows["jurisdictions"]}
        self.enterprises: dict[str, Row] = {r["credit_code"]: r for r in rows["enterprises"]}
        self.parcels = {r["parcel_id"]: r for r in rows["parcels"]}
        self.buildings = {r["building_id"]: r for r in rows["buildings"]}
        self.approvals = {r["approval_id"]: r for r in rows["land_approvals"]}
        self.occupancy: dict[str, list[Row]] = defaultdict(list)
        self.occupants: dict[str, list[Row]] = defaultdict(list)
        for r in rows["land_occupancy"]:
            self.occupancy[r["credit_code"]].append(r)
            self.occupants[r["parcel_id"]].append(r)
        self.held: dict[str, list[Row]] = defaultdict(list)
        for r in rows["parcels"]:
            if r["holder_credit_code"]:
                self.held[r["holder_credit_code"]].append(r)
        self.contracts = {r["parcel_id"]: r for r in rows["land_contracts"]}
        self.construction: dict[str, list[Row]] = defaultdict(list)
        for r in rows["construction"]:
            self.construction[r["parcel_id"]].append(r)
        self.owned_buildings: dict[str, list[Row]] = defaultdict(list)
        for r in rows["buildings"]:
            if r["owner_credit_code"]:
                self.owned_buildings[r["owner_credit_code"]].append(r)
        self.annual = {(r["credit_code"], r["year"]): r for r in rows["annual_metrics"]}
        self.legal: dict[str, list[Row]] = defaultdict(list)
        for r in rows["legal_events"]:
            self.legal[r["credit_code"]].append(r)
        self.compliance: dict[str, list[Row]] = defaultdict(list)
        for r in rows["compliance"]:
            self.compliance[r["credit_code"]].append(r)

    # -- land ------------------------------------------------------------------------------

    def land_m2(self, credit_code: str) -> Fraction:
        rows = self.occupancy.get(credit_code)
        if rows:
            sign = {"owned": 1, "leased_in": 1, "leased_out": -1}
            return sum((sign[r["kind"]] * exact(r["area_m2"]) for r in rows), Fraction(0))
        return sum((exact(p["area_m2"]) for p in self.held.get(credit_code, [])), Fraction(0))

    def land_mu(self, credit_code: str) -> Fraction:
        return self.land_m2(credit_code) / M2_PER_MU

    def county_of(self, code: str) -> str:
        while self.jurisdictions[code]["level"] != "county":
            code = self.jurisdictions[code]["parent_code"]
        return code

    def holder(self, parcel_id: str) -> Row:
        code: str = self.parcels[parcel_id]["holder_credit_code"]
        return self.enterprises[code]

    def figure(self, credit_code: str, year: int, name: str) -> Any:
        row = self.annual.get((credit_code, year))
        return None if row is None else row[name]

    # -- idle land ---------------------------------------------------------------------------

    def latest_record(self, parcel_id: str, as_of: date) -> Row | None:
        records = [r for r in self.construction[parcel_id] if r["as_of"] <= as_of]
        return max(records, key=lambda r: r["as_of"]) if records else None

    def started(self, parcel_id: str, as_of: date) -> bool:
        record = self.latest_record(parcel_id, as_of)
        return bool(record and record["started_date"] and record["started_date"] <= as_of)

    def not_started(self, parcel_id: str, as_of: date) -> bool | None:
        contract = self.contracts.get(parcel_id)
        if contract is None or contract["agreed_start_date"] is None:
            return None
        overdue = as_of >= add_years(contract["agreed_start_date"], 1)
        return overdue and not self.started(parcel_id, as_of)

    def stalled(self, parcel_id: str, as_of: date) -> bool | None:
        record = self.latest_record(parcel_id, as_of)
        if record is None or not self.started(parcel_id, as_of):
            return False
        total = self.contracts[parcel_id]["total_investment_yuan"]
        little = exact(record["developed_area_m2"]) * 3 < exact(
            record["area_to_develop_m2"]
        ) or exact(record["invested_yuan"]) * 4 < exact(total)
        since = record["suspended_since"]
        return little and since is not None and as_of >= add_years(since, 1)

    def idle(self, parcel_id: str, as_of: date) -> bool | None:
        return any_of([self.not_started(parcel_id, as_of), self.stalled(parcel_id, as_of)])

    # -- buildings ---------------------------------------------------------------------------

    def idle_factory(self, b: Row) -> bool | None:
        """ankang/building/1 with the cut-off of 2023-12-31."""
        if b["kind"] != "factory" or b["dynamic_reserve"]:
            return False
        aged = b["completed_date"] is not None and (
            add_years(b["completed_date"], 2) <= BUILDING_CUTOFF
        )
        never = aged and b["production_start_date"] is None
        vacant = b["vacant_since"] is not None
        if b["production_start_date"] is not None and not vacant:
            partly = aged and exact(b["used_area_m2"]) * 3 < exact(b["floor_area_m2"])
        else:
            partly = False
        long_vacant = vacant and add_years(b["vacant_since"], 2) <= BUILDING_CUTOFF
        return never or partly or long_vacant

    def per_m2(self, b: Row, figure: str) -> Fraction | None:
        if figure == "investment":
            value = b["investment_yuan"]
            return None if value is None else exact(value) / exact(b["floor_area_m2"])
        owner = b["owner_credit_code"]
        value = self.figure(owner, 2025, f"{figure}_yuan")
        factories = [x for x in self.owned_buildings[owner] if x["kind"] == "factory"]
        floor = sum((exact(x["floor_area_m2"]) for x in factories), Fraction(0))
        return None if value is None else exact(value) / floor


# -- the rules -----------------------------------------------------------------------------------


def _open(rows: Iterable[Row], kinds: set[str], as_of: date) -> bool:
    return any(
        r["kind"] in kinds
        and r["since"] <= as_of
        and (r["resolved_date"] is None or r["resolved_date"] > as_of)
        for r in rows
    )


def idle_not_started(data: Data, case: Case) -> Verdict:
    return data.not_started(case.subject_id, case.as_of), None


def idle_stalled(data: Data, case: Case) -> Verdict:
    return data.stalled(case.subject_id, case.as_of), None


def ankang_low_1(data: Data, case: Case) -> Verdict:
    holder = data.holder(case.subject_id)
    return _open(data.compliance[holder["credit_code"]], LOW_1_KINDS, case.as_of), None


def ankang_low_2(data: Data, case: Case) -> Verdict:
    return data.parcels[case.subject_id]["planning_adjustment"], None


def ankang_low_3(data: Data, case: Case) -> Verdict:
    parcel = data.parcels[case.subject_id]
    committed = data.contracts[case.subject_id]["committed_investment_per_mu_yuan"]
    record = data.latest_record(case.subject_id, case.as_of)
    if committed is None or record is None:
        return None, None
    intensity = exact(record["invested_yuan"]) / (exact(parcel["area_m2"]) / M2_PER_MU)
    idle = data.idle(case.subject_id, case.as_of)
    return all_of([intensity * 3 < exact(committed), None if idle is None else not idle]), None


def ankang_low_4(data: Data, case: Case) -> Verdict:
    code = data.holder(case.subject_id)["credit_code"]

    def stopped(year: int) -> bool | None:
        row = data.annual.get((code, year))
        if row is None:
            return None
        return any_of([row["halted"], None if row["tax_yuan"] is None else row["tax_yuan"] == 0])

    year = case.as_of.year
    return all_of(stopped(y) for y in (year - 2, year - 1, year)), None


def _tax_per_mu(data: Data, code: str, year: int) -> Fraction | None:
    tax = data.figure(code, year, "tax_yuan")
    land = data.land_mu(code)
    return None if tax is None or land <= 0 else exact(tax) / land


def _average(data: Data, members: Iterable[Row], year: int) -> Fraction:
    tax, land = Fraction(0), Fraction(0)
    for e in members:
        figure = data.figure(e["credit_code"], year, "tax_yuan")
        if figure is not None and data.land_m2(e["credit_code"]) > 0:
            tax += exact(figure)
            land += data.land_mu(e["credit_code"])
    return tax / land


def ankang_low_5(data: Data, case: Case) -> Verdict:
    year = case.as_of.year
    subject = data.holder(case.subject_id)
    per_mu = _tax_per_mu(data, subject["credit_code"], year)
    if per_mu is None:
        return None, None
    above = [e for e in data.enterprises.values() if e["above_scale"]]
    division = subject["industry_code"][:3]
    park = [
        e
        for e in above
        if e["park_code"] == subject["park_code"] and e["industry_code"][:3] == division
    ]
    county = data.county_of(subject["jurisdiction_code"])
    in_county = [e for e in above if data.county_of(e["jurisdiction_code"]) == county]
    fires = per_mu * 2 < _average(data, park, year)
    key = data.land_mu(subject["credit_code"]) >= 20 and per_mu * 2 < _average(
        data, in_county, year
    )
    return fires, (key if fires else None)


def ankang_building_1(data: Data, case: Case) -> Verdict:
    b = data.buildings[case.subject_id]
    fires = data.idle_factory(b)
    return fires, (exact(b["floor_area_m2"]) >= 2000 if fires else None)


def ankang_building_2(data: Data, case: Case) -> Verdict:
    b = data.buildings[case.subject_id]
    park = data.parcels[b["parcel_id"]]["park_code"]
    industry = data.enterprises[b["owner_credit_code"]]["industry_code"][:3]
    peers = [
        x
        for x in data.buildings.values()
        if x["kind"] == "factory"
        and data.parcels[x["parcel_id"]]["park_code"] == park
        and data.enterprises[x["owner_credit_code"]]["industry_code"][:3] == industry
    ]
    verdicts: list[bool | None] = []
    for figure in ("investment", "output", "tax"):
        own = data.per_m2(b, figure)
        values = [(data.per_m2(x, figure), exact(x["floor_area_m2"])) for x in peers]
        known = [(v, f) for v, f in values if v is not None]
        average = sum((v * f for v, f in known), Fraction(0)) / sum(f for _, f in known)
        verdicts.append(None if own is None else own * 2 < average)
    return any_of(verdicts), None


def _above(data: Data, code: str) -> bool:
    return bool(data.enterprises[code]["above_scale"])


def ankang_abnormal_1(data: Data, case: Case) -> Verdict:
    code, year = case.subject_id, case.as_of.year
    if not _above(data, code):
        return False, None

    def silent(y: int) -> bool | None:
        report = data.figure(code, y, "annual_report_filed")
        filed = data.figure(code, y, "tax_return_filed")
        return all_of(
            [None if report is None else not report, None if filed is None else not filed]
        )

    return all_of([silent(year - 1), silent(year)]), None


def ankang_abnormal_2(data: Data, case: Case) -> Verdict:
    code, as_of = case.subject_id, case.as_of
    if not _above(data, code):
        return False, None
    trouble = any(
        e["kind"] in TROUBLE_KINDS
        and e["date"] <= as_of
        and (e["closed_date"] is None or e["closed_date"] > as_of)
        for e in data.legal[code]
    )
    assets = data.figure(code, as_of.year, "total_assets_yuan")
    liabilities = data.figure(code, as_of.year, "total_liabilities_yuan")
    return trouble and exact(liabilities) > exact(assets), None


def ankang_abnormal_3(data: Data, case: Case) -> Verdict:
    code, year = case.subject_id, case.as_of.year
    if not _above(data, code):
        return False, None
    years = (year - 2, year - 1, year)
    capacity = [data.figure(code, y, "capacity_use") for y in years]
    low = all_of(None if c is None else exact(c) * 3 < 1 for c in capacity)
    profits = [data.figure(code, y, "profit_yuan") for y in years]
    losses = all_of(None if p is None else p < 0 for p in profits)
    return all_of([low, losses]), None


def ankang_abnormal_4(data: Data, case: Case) -> Verdict:
    code, as_of = case.subject_id, case.as_of
    if not _above(data, code):
        return False, None
    idle = any_of(data.idle(p["parcel_id"], as_of) for p in data.held[code])
    factories = [b for b in data.owned_buildings[code] if b["kind"] == "factory"]
    used = sum((exact(b["used_area_m2"] or 0) for b in factories), Fraction(0))
    floor = sum((exact(b["floor_area_m2"]) for b in factories), Fraction(0))
    return any_of([idle, bool(factories) and used * 3 < floor]), None


def ankang_abnormal_5(data: Data, case: Case) -> Verdict:
    code, as_of = case.subject_id, case.as_of
    if not _above(data, code):
        return False, None
    rows = data.compliance[code]
    overdue = any(
        r["kind"] in DEADLINE_KINDS
        and r["deadline"] is not None
        and r["deadline"] < as_of
        and (r["resolved_date"] is None or r["resolved_date"] > r["deadline"])
        and (r["resolved_date"] is None or r["resolved_date"] > as_of)
        for r in rows
    )
    return _open(rows, POLICY_KINDS, as_of) or overdue, None


def tonglu_low(data: Data, case: Case) -> Verdict:
    code = data.holder(case.subject_id)["credit_code"]
    line = 50_000 if case.as_of >= date(2023, 1, 1) else 30_000
    if data.land_mu(code) < 20:
        return False, None
    year = case.as_of.year
    per_mu = [_tax_per_mu(data, code, y) for y in (year - 2, year - 1, year)]
    fires = all_of(None if v is None else v < line for v in per_mu)
    return fires, (True if fires else None)  # the cohort of §四 is the key (重点) one


def tonglu_unfinished(data: Data, case: Case) -> Verdict:
    parcel = data.parcels[case.subject_id]
    idle = data.idle(case.subject_id, case.as_of)
    return all_of([parcel["land_use"] == "industrial", idle]), None


def tonglu_non_industrial(data: Data, case: Case) -> Verdict:
    p = data.parcels[case.subject_id]
    if p["land_use"] != "industrial" or p["supply_date"] < date(1999, 1, 1):
        return False, None
    used_otherwise = p["actual_use"] == "non_industrial"
    unapproved = p["use_change"] == "none"
    expired = p["use_change"] == "temporary" and p["use_change_expires"] < case.as_of
    return used_otherwise and (unapproved or expired), None


def tonglu_other(data: Data, case: Case) -> Verdict:
    holder = data.holder(case.subject_id)
    return _open(data.compliance[holder["credit_code"]], POLICY_KINDS, case.as_of), None


def yancheng_list_land(data: Data, case: Case) -> Verdict:
    p = data.parcels[case.subject_id]
    big = exact(p["area_m2"]) >= 30 * M2_PER_MU
    return all_of([big, data.idle(case.subject_id, case.as_of)]), None


def _yancheng_idle_building(b: Row, kind: str, as_of: date) -> bool:
    if b["kind"] != kind:
        return False
    never = b["production_start_date"] is None and add_years(b["completed_date"], 1) <= as_of
    return never or b["vacant_since"] is not None


def yancheng_list_factory(data: Data, case: Case) -> Verdict:
    b = data.buildings[case.subject_id]
    idle = _yancheng_idle_building(b, "factory", case.as_of)
    return idle and exact(b["floor_area_m2"]) >= 10_000, None


def yancheng_list_building(data: Data, case: Case) -> Verdict:
    b = data.buildings[case.subject_id]
    idle = _yancheng_idle_building(b, "office", case.as_of) and b["vacant_since"] is not None
    return idle and exact(b["floor_area_m2"]) >= 10_000, None


def yancheng_db_land(data: Data, case: Case) -> Verdict:
    p = data.parcels[case.subject_id]
    new = p["supply_method"] == "transfer" and p["supply_date"] >= NEW_SINCE
    return new and exact(p["area_m2"]) >= 30 * M2_PER_MU, None


def yancheng_db_factory(data: Data, case: Case) -> Verdict:
    b = data.buildings[case.subject_id]
    new = b["kind"] == "factory" and b["completed_date"] >= NEW_SINCE
    return new and exact(b["floor_area_m2"]) >= 10_000, None


def yancheng_db_building(data: Data, case: Case) -> Verdict:
    b = data.buildings[case.subject_id]
    county = data.county_of(data.parcels[b["parcel_id"]]["jurisdiction_code"])
    urban = data.jurisdictions[county]["name"].endswith("区")
    return b["kind"] == "office" and urban and exact(b["floor_area_m2"]) >= 10_000, None


def yancheng_db_stock(data: Data, case: Case) -> Verdict:
    if case.subject_type == "parcel":
        return yancheng_list_land(data, case)
    return any_of(
        [yancheng_list_factory(data, case)[0], yancheng_list_building(data, case)[0]]
    ), None


def yuzhou_approved_not_supplied(data: Data, case: Case) -> Verdict:
    a = data.approvals[case.subject_id]
    if a["supplied_area_m2"] is None:
        return None, None
    return exact(a["approved_area_m2"]) - exact(a["supplied_area_m2"]) > 0, None


READINGS: dict[str, Callable[[Data, Case], Verdict]] = {
    "idle/not-started": idle_not_started,
    "idle/stalled": idle_stalled,
    "ankang/low/1": ankang_low_1,
    "ankang/low/2": ankang_low_2,
    "ankang/low/3": ankang_low_3,
    "ankang/low/4": ankang_low_4,
    "ankang/low/5": ankang_low_5,
    "ankang/building/1": ankang_building_1,
    "ankang/building/2": ankang_building_2,
    "ankang/abnormal/1": ankang_abnormal_1,
    "ankang/abnormal/2": ankang_abnormal_2,
    "ankang/abnormal/3": ankang_abnormal_3,
    "ankang/abnormal/4": ankang_abnormal_4,
    "ankang/abnormal/5": ankang_abnormal_5,
    "tonglu/low": tonglu_low,
    "tonglu/unfinished": tonglu_unfinished,
    "tonglu/non-industrial": tonglu_non_industrial,
    "tonglu/other": tonglu_other,
    "yancheng/list/land": yancheng_list_land,
    "yancheng/list/factory": yancheng_list_factory,
    "yancheng/list/building": yancheng_list_building,
    "yancheng/db/land": yancheng_db_land,
    "yancheng/db/factory": yancheng_db_factory,
    "yancheng/db/building": yancheng_db_building,
    "yancheng/db/stock": yancheng_db_stock,
    "yuzhou/approved-not-supplied": yuzhou_approved_not_supplied,
}
