"""Rule cases as data (after OpenFisca's YAML tests): ``cases/<rule id>.yaml``, one file a rule.

A file names its ``rule`` and the ``profile`` it is run under, and may give a default ``as_of``
and a ``base`` data block shared by every case. Each case has a ``name``, its rows per table
(``data``; columns left out are unknown), optional what-if parameters (``set``) and what it
expects of each subject it names::

    rule: tonglu/low
    profile: tonglu-2022
    as_of: 2025-12-31
    base:
      jurisdictions: [{code: K, name: 桐庐县, level: county}]
    cases:
      - name: exactly 20 mu at 40,000 yuan/mu each year - fires
        set: {tonglu.low.years: 3}
        data:
          parcels: [{parcel_id: P1, area_m2: 13333.333333333334, holder_credit_code: E1}]
          annual_metrics: [...]
        expect:
          - {subject: P1, verdict: fires, key: false, evidence: {land_mu: 20.0}}
          - {subject: P2, verdict: no}
          - {subject: P3, verdict: unjudged, missing: tax_per_mu_yuan_2024}

An ``annual_metrics`` row may give a list of years (``year: [2023, 2024, 2025]``) for the same
figures in each. A case row whose primary key matches a ``base`` row updates that row (its other
columns stay); any other row is added. Dates are written ``YYYY-MM-DD``; the subject ids are the
tables' own (parcel_id, building_id, credit_code, approval_id).

``verdict`` is ``fires`` (a finding of the rule: ``key`` and each given ``evidence`` figure must
match, numbers approximately, dates as ISO text), ``no`` (neither a finding nor unjudged; YAML's
bare ``no`` is read so) or ``unjudged`` (``missing``, a name or a list, among the figures the run
names as unknown). ``type`` picks the subject type where a rule judges several. Every subject
named must exist in the case's data, so that a misspelt id cannot pass as ``no``. A case the
engine is believed to get wrong carries ``xfail: <reason>``: it must fail (strict xfail).

Each case builds its own facts and runs its profile restricted to the rule under test (with the
what-if overrides), as of its date: formulas do not read one another's verdicts, only shared
intermediate tables, so the verdicts are those of the whole profile's run, at a fraction of the
time.
"""

import dataclasses
import datetime as dt
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
import yaml
from sqlalchemy import Table

from mujun.analytics.facts import facts_from_arrow
from mujun.identification.engine import identify, monthly_columns
from mujun.identification.judgement import FORMULAS
from mujun.policy.profiles import all_profiles, load_profile
from mujun.records import DATA_MODELS, table_of
from mujun.records.bulk import arrow_schema

CASES_DIR = Path(__file__).parent / "cases"
TABLES: dict[str, Table] = {table_of(model).name: table_of(model) for model in DATA_MODELS}
PRIMARY_KEYS = {name: [c.name for c in t.primary_key.columns] for name, t in TABLES.items()}
SUBJECT_TABLES = {
    "parcel": ("parcels", "parcel_id"),
    "building": ("buildings", "building_id"),
    "enterprise": ("enterprises", "credit_code"),
    "approval": ("land_approvals", "approval_id"),
}
FILE_KEYS = {"rule", "profile", "as_of", "base", "cases", "note"}
CASE_KEYS = {"name", "as_of", "set", "data", "expect", "xfail", "note"}
EXPECT_KEYS = {"subject", "type", "verdict", "key", "evidence", "missing"}
VERDICTS = {"fires", "no", "unjudged"}

Rows = dict[str, list[dict[str, Any]]]


class CaseFileError(ValueError):
    """A case file that does not follow the format."""


@dataclasses.dataclass(frozen=True)
class Expectation:
    subject: str
    verdict: str
    subject_type: str | None = None
    key: bool | None = None
    evidence: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    missing: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class RuleCase:
    file: str
    rule: str
    profile: str
    name: str
    as_of: dt.date
    overrides: Mapping[str, str]
    data: Rows
    expect: tuple[Expectation, ...]
    xfail: str | None

    @property
    def id(self) -> str:
        return f"{self.file}: {self.name}"


# -- reading the files ---------------------------------------------------------------------------


def _date(raw: Any, where: str) -> dt.date:
    if isinstance(raw, dt.date):
        return raw
    try:
        return dt.date.fromisoformat(str(raw))
    except ValueError:
        raise CaseFileError(f"{where}: not a date: {raw!r}") from None


def _unknown_keys(found: Mapping[str, Any], allowed: set[str], where: str) -> None:
    extra = set(found) - allowed
    if extra:
        raise CaseFileError(f"{where}: unknown keys {sorted(extra)} (allowed: {sorted(allowed)})")


def _override(raw: Any) -> str:
    """A what-if value as the command line would give it."""
    if isinstance(raw, list | tuple):
        return ",".join(str(item) for item in raw)
    if isinstance(raw, dt.date):
        return raw.isoformat()
    return str(raw)


def _rows(block: Any, where: str) -> Rows:
    if block is None:
        return {}
    if not isinstance(block, dict):
        raise CaseFileError(f"{where}: data must map table names to lists of rows")
    rows: Rows = {}
    for table, listed in block.items():
        if table not in TABLES:
            raise CaseFileError(f"{where}: no table {table!r}")
        if not isinstance(listed, list) or not all(isinstance(r, dict) for r in listed):
            raise CaseFileError(f"{where}: {table} must be a list of rows")
        for row in listed:
            unknown = set(row) - set(TABLES[table].c.keys())
            if unknown:
                raise CaseFileError(f"{where}: {table} has no column {sorted(unknown)}")
        rows[table] = [dict(one) for r in listed for one in _per_year(r)]
    return rows


def _per_year(row: dict[str, Any]) -> list[dict[str, Any]]:
    """An ``annual_metrics`` row whose ``year`` is a list stands for one row per year."""
    years = row.get("year")
    if not isinstance(years, list):
        return [row]
    return [{**row, "year": year} for year in years]


def merged(base: Rows, case: Rows) -> Rows:
    """``base`` with ``case``'s rows: one with a base row's primary key updates it, others are
    added."""
    out = {table: [dict(r) for r in rows] for table, rows in base.items()}
    for table, rows in case.items():
        keys = PRIMARY_KEYS[table]
        target = out.setdefault(table, [])
        for row in rows:
            same = [r for r in target if all(r.get(k) == row.get(k) for k in keys)]
            if same:
                same[0].update(row)
            else:
                target.append(dict(row))
    return out


def _expectation(raw: Any, where: str) -> Expectation:
    if not isinstance(raw, dict):
        raise CaseFileError(f"{where}: an expectation is a mapping")
    _unknown_keys(raw, EXPECT_KEYS, where)
    verdict = raw.get("verdict")
    if verdict is False:  # YAML 1.1 reads a bare ``no`` as false
        verdict = "no"
    if verdict not in VERDICTS:
        raise CaseFileError(f"{where}: verdict must be one of {sorted(VERDICTS)}: {verdict!r}")
    if "subject" not in raw:
        raise CaseFileError(f"{where}: an expectation names its subject")
    if verdict != "fires" and ("key" in raw or "evidence" in raw):
        raise CaseFileError(f"{where}: key and evidence are for verdict fires")
    if verdict != "unjudged" and "missing" in raw:
        raise CaseFileError(f"{where}: missing is for verdict unjudged")
    subject_type = raw.get("type")
    if subject_type is not None and subject_type not in SUBJECT_TABLES:
        raise CaseFileError(f"{where}: unknown subject type {subject_type!r}")
    missing = raw.get("missing", ())
    return Expectation(
        subject=str(raw["subject"]),
        verdict=verdict,
        subject_type=subject_type,
        key=raw.get("key"),
        evidence=dict(raw.get("evidence") or {}),
        missing=(missing,) if isinstance(missing, str) else tuple(missing),
    )


def load_file(path: Path) -> list[RuleCase]:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    where = path.name
    if not isinstance(document, dict):
        raise CaseFileError(f"{where}: not a mapping")
    _unknown_keys(document, FILE_KEYS, where)
    rule, profile_id = document["rule"], document["profile"]
    if path.stem != rule.replace("/", "_"):
        raise CaseFileError(f"{where}: the file of rule {rule} is {rule.replace('/', '_')}.yaml")
    if rule not in load_profile(profile_id).rules:
        raise CaseFileError(f"{where}: profile {profile_id} has no rule {rule}")
    base = _rows(document.get("base"), f"{where} base")
    cases: list[RuleCase] = []
    for index, raw in enumerate(document.get("cases") or []):
        at = f"{where} case {index + 1}"
        _unknown_keys(raw, CASE_KEYS, at)
        name = str(raw.get("name") or "")
        if not name:
            raise CaseFileError(f"{at}: a case has a name")
        as_of = raw.get("as_of", document.get("as_of"))
        if as_of is None:
            raise CaseFileError(f"{at}: no as_of (in the case or the file)")
        xfail = raw.get("xfail")
        if xfail is not None and not (isinstance(xfail, str) and xfail.strip()):
            raise CaseFileError(f"{at}: xfail gives the reason the engine is believed wrong")
        expect = tuple(_expectation(e, f"{at} expect") for e in raw.get("expect") or [])
        if not expect:
            raise CaseFileError(f"{at}: a case expects something")
        cases.append(
            RuleCase(
                file=path.stem,
                rule=rule,
                profile=profile_id,
                name=name,
                as_of=_date(as_of, at),
                overrides={k: _override(v) for k, v in (raw.get("set") or {}).items()},
                data=merged(base, _rows(raw.get("data"), at)),
                expect=expect,
                xfail=xfail,
            )
        )
    names = [c.name for c in cases]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise CaseFileError(f"{where}: case names repeated: {duplicated}")
    if not cases:
        raise CaseFileError(f"{where}: no cases")
    return cases


def all_cases() -> list[RuleCase]:
    return [case for path in sorted(CASES_DIR.glob("*.yaml")) for case in load_file(path)]


# -- running a case ------------------------------------------------------------------------------


def _cell(value: Any, kind: pa.DataType) -> Any:
    if value is None:
        return None
    if pa.types.is_date(kind):
        return _date(value, "cell")
    if pa.types.is_string(kind):
        return value if isinstance(value, str) else _override(value)
    if pa.types.is_floating(kind) and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def arrow_tables(rows: Rows) -> dict[str, pa.Table]:
    """The rows as Arrow tables of the records' types (only the columns the rows mention)."""
    tables: dict[str, pa.Table] = {}
    for name, listed in rows.items():
        columns = list(dict.fromkeys(column for row in listed for column in row))
        if not columns:
            continue
        schema = arrow_schema(TABLES[name], columns)
        tables[name] = pa.Table.from_pylist(
            [{f.name: _cell(row.get(f.name), f.type) for f in schema} for row in listed],
            schema=schema,
        )
    return tables


def _same(actual: Any, expected: Any) -> bool:
    if isinstance(expected, bool) or expected is None:
        return actual is expected
    if isinstance(expected, int | float):
        return (
            isinstance(actual, int | float)
            and not isinstance(actual, bool)
            and actual == pytest.approx(expected, rel=1e-9, abs=1e-9)
        )
    if isinstance(expected, dt.date):
        return bool(actual == expected.isoformat())
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(actual) == len(expected)
            and all(_same(a, e) for a, e in zip(actual, expected, strict=True))
        )
    return bool(actual == expected)


def _subjects(rows: Rows) -> dict[str, set[str]]:
    """The subject ids present in the case's data, by subject type."""
    return {
        kind: {str(r.get(column)) for r in rows.get(table, [])}
        for kind, (table, column) in SUBJECT_TABLES.items()
    }


def _matching(rows: list[dict[str, Any]], e: Expectation) -> list[dict[str, Any]]:
    return [
        r
        for r in rows
        if r["subject_id"] == e.subject
        and (e.subject_type is None or r["subject_type"] == e.subject_type)
    ]


def check(case: RuleCase) -> None:
    profile = load_profile(case.profile)
    if case.overrides:
        profile = profile.with_overrides(case.overrides)
    profile = dataclasses.replace(profile, rules={case.rule: profile.rules[case.rule]})
    facts = facts_from_arrow(arrow_tables(case.data), monthly=monthly_columns(profile))
    try:
        run = identify(facts=facts, profile=profile, as_of=case.as_of)
    finally:
        facts.close()
    findings = [f for f in run.findings.to_pylist() if f["criterion"] == case.rule]
    unjudged = [u for u in run.unjudged.to_pylist() if u["criterion"] == case.rule]
    present = _subjects(case.data)
    for e in case.expect:
        what = f"{case.rule} on {e.subject}"
        kinds = [e.subject_type] if e.subject_type else list(SUBJECT_TABLES)
        assert any(e.subject in present[k] for k in kinds), f"{what}: no such subject in the data"
        found, open_ = _matching(findings, e), _matching(unjudged, e)
        verdict = "fires" if found else "unjudged" if open_ else "no"
        detail = found[0]["evidence"] if found else open_[0]["missing"] if open_ else ""
        assert verdict == e.verdict, f"{what}: expected {e.verdict}, got {verdict} {detail}"
        if e.verdict == "fires":
            finding = found[0]
            if e.key is not None:
                assert finding["key"] is e.key, f"{what}: key {finding['key']}, not {e.key}"
            evidence = json.loads(finding["evidence"])
            for name, value in e.evidence.items():
                assert name in evidence, f"{what}: no evidence {name!r} in {evidence}"
                assert _same(evidence[name], value), (
                    f"{what}: evidence {name} = {evidence[name]!r}, not {value!r}"
                )
        if e.verdict == "unjudged" and e.missing:
            named = open_[0]["missing"].split(",")
            for name in e.missing:
                assert name in named, f"{what}: {name} not among the missing {named}"


# -- the tests -----------------------------------------------------------------------------------


def _params() -> Iterator[Any]:
    for case in all_cases():
        marks = [pytest.mark.xfail(strict=True, reason=case.xfail)] if case.xfail else []
        yield pytest.param(case, id=case.id, marks=marks)


@pytest.mark.parametrize("case", list(_params()))
def test_rule_case(case: RuleCase) -> None:
    check(case)


def test_every_rule_has_cases() -> None:
    """Every rule a shipped profile applies has its file of cases, and every file a rule."""
    applied = {rule for profile in all_profiles() for rule in profile.rules}
    files = {path.stem for path in CASES_DIR.glob("*.yaml")}
    assert files == {rule.replace("/", "_") for rule in applied}
    assert applied <= set(FORMULAS)


def test_merging_updates_base_rows() -> None:
    base: Rows = {"enterprises": [{"credit_code": "E1", "name": "a", "above_scale": True}]}
    case: Rows = {
        "enterprises": [{"credit_code": "E1", "above_scale": None}, {"credit_code": "E2"}]
    }
    assert merged(base, case) == {
        "enterprises": [
            {"credit_code": "E1", "name": "a", "above_scale": None},
            {"credit_code": "E2"},
        ]
    }
    assert base["enterprises"][0]["above_scale"] is True
