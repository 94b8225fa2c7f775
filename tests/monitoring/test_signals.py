"""Signal cases as data (``signal_cases/<signal>.yaml``, one file a signal), in the format of the
identification's rule cases (tests/identification/test_rule_cases.py), judged by month:

    signal: monitor/electricity-drop
    profile: yancheng-2021
    month: 2025-06
    base: {enterprises: [...]}
    cases:
      - name: exactly 50 % is no drop
        series: {E1: {electricity_kwh: {2025-06: 50, 2024-06: 100}}}
        data: {...}          # rows per table, as in the rule cases
        set: {monitor.drop_months: 2}
        expect:
          - {subject: E1, verdict: fires, evidence: {electricity_kwh_2025-06: 49.0},
             routed_to: [K, power]}
          - {subject: E2, verdict: unjudged, missing: electricity_kwh_2025-05}

``series`` writes monthly figures by enterprise, figure and month (a month left out has no row:
unknown; ``null`` is a blank cell). ``type: department`` names a department of the duty table.

Each case builds its facts in memory and judges its one signal: no records database.
"""

import dataclasses
import datetime as dt
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from mujun.analytics.facts import facts_from_arrow
from mujun.monitoring.engine import monitor
from mujun.monitoring.signals import DEPARTMENT, SIGNALS, monthly_columns
from mujun.policy.duties import DEPARTMENTS
from mujun.policy.profiles import load_profile
from tests.identification.test_rule_cases import Rows, _rows, _same, arrow_tables, merged

CASES_DIR = Path(__file__).parent / "signal_cases"
FILE_KEYS = {"signal", "profile", "month", "base", "cases", "note"}
CASE_KEYS = {"name", "month", "set", "data", "series", "expect", "note"}
EXPECT_KEYS = {"subject", "type", "verdict", "evidence", "missing", "routed_to", "level"}
SUBJECT_TABLES = {"enterprise": ("enterprises", "credit_code"), "parcel": ("parcels", "parcel_id")}


@dataclasses.dataclass(frozen=True)
class SignalCase:
    file: str
    signal: str
    profile: str
    name: str
    month: str
    overrides: Mapping[str, str]
    data: Rows
    expect: tuple[dict[str, Any], ...]

    @property
    def id(self) -> str:
        return f"{self.file}: {self.name}"


def _month(raw: Any) -> str:
    """A month as YAML gives it (``2025-06`` may be read as text or, unquoted, as text too)."""
    return str(raw)


def _series(block: Any) -> Rows:
    """``{credit_code: {figure: {month: value}}}`` as monthly_metrics rows, one per month."""
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for code, figures in (block or {}).items():
        for name, by_month in figures.items():
            for month, value in by_month.items():
                key = (str(code), _month(month))
                rows.setdefault(key, {"credit_code": key[0], "month": key[1]})[name] = value
    return {"monthly_metrics": list(rows.values())} if rows else {}


def load_file(path: Path) -> list[SignalCase]:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert set(document) <= FILE_KEYS, f"{path.name}: unknown keys"
    signal = document["signal"]
    assert signal in SIGNALS, f"{path.name}: no signal {signal}"
    assert path.stem == signal.removeprefix("monitor/"), f"{path.name}: not the file of {signal}"
    base = _rows(document.get("base"), f"{path.name} base")
    cases = []
    for raw in document["cases"]:
        where = f"{path.name} {raw.get('name')}"
        assert set(raw) <= CASE_KEYS, f"{where}: unknown keys {set(raw) - CASE_KEYS}"
        for e in raw["expect"]:
            assert set(e) <= EXPECT_KEYS, f"{where}: unknown expectation keys"
            if e["verdict"] is False:  # YAML 1.1 reads a bare ``no`` as false
                e["verdict"] = "no"
        data = merged(merged(base, _rows(raw.get("data"), where)), _series(raw.get("series")))
        cases.append(
            SignalCase(
                file=path.stem,
                signal=signal,
                profile=document["profile"],
                name=raw["name"],
                month=_month(raw.get("month", document["month"])),
                overrides={k: str(v) for k, v in (raw.get("set") or {}).items()},
                data=data,
                expect=tuple(raw["expect"]),
            )
        )
    return cases


def all_cases() -> Iterator[Any]:
    for path in sorted(CASES_DIR.glob("*.yaml")):
        for case in load_file(path):
            yield pytest.param(case, id=case.id)


def _present(case: SignalCase, subject_type: str) -> set[str]:
    if subject_type == DEPARTMENT:
        return {d.code for d in DEPARTMENTS}
    table, column = SUBJECT_TABLES[subject_type]
    return {str(r.get(column)) for r in case.data.get(table, [])}


@pytest.mark.parametrize("case", list(all_cases()))
def test_signal_case(case: SignalCase) -> None:
    profile = load_profile(case.profile)
    if case.overrides:
        profile = profile.with_overrides(case.overrides)
    facts = facts_from_arrow(arrow_tables(case.data), monthly=monthly_columns())
    try:
        result = monitor(facts=facts, profile=profile, month=case.month, only={case.signal})
    finally:
        facts.close()
    fired = result.fired.to_pylist()
    unjudged = result.unjudged.to_pylist()
    for e in case.expect:
        subject_type = e.get("type", SIGNALS[case.signal].subject_type)
        subject = str(e["subject"])
        what = f"{case.signal} on {subject}"
        assert subject in _present(case, subject_type), f"{what}: no such subject in the data"
        key = (subject_type, subject)
        found = [r for r in fired if (r["subject_type"], r["subject_id"]) == key]
        open_ = [r for r in unjudged if (r["subject_type"], r["subject_id"]) == key]
        verdict = "fires" if found else "unjudged" if open_ else "no"
        detail = found[0]["evidence"] if found else open_[0]["missing"] if open_ else ""
        assert verdict == e["verdict"], f"{what}: expected {e['verdict']}, got {verdict} {detail}"
        if found:
            evidence = json.loads(found[0]["evidence"])
            for name, value in (e.get("evidence") or {}).items():
                assert name in evidence, f"{what}: no evidence {name!r} in {evidence}"
                expected = value.isoformat() if isinstance(value, dt.date) else value
                assert _same(evidence[name], expected), f"{what}: {name} = {evidence[name]!r}"
            if "routed_to" in e:
                assert found[0]["routed_to"] == [str(c) for c in e["routed_to"]], what
            if "level" in e:
                assert found[0]["level"] == e["level"], what
        if open_ and "missing" in e:
            missing = e["missing"] if isinstance(e["missing"], list) else [e["missing"]]
            named = open_[0]["missing"].split(",")
            assert all(m in named for m in missing), f"{what}: {missing} not all in {named}"


def test_every_signal_has_cases() -> None:
    files = {path.stem for path in CASES_DIR.glob("*.yaml")}
    assert files == {s.removeprefix("monitor/") for s in SIGNALS}
