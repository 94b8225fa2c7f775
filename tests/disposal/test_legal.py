"""The legal track's rule cases as data (``legal_cases.yaml``, after OpenFisca's YAML tests).

``working_days`` entries give a service date, a count and the last day by hand (or
``calendar_error``); ``cases`` give facts, events and either an ``as_of`` date with what
:func:`legal_status` must say (``expect``, only the keys given; or ``calendar_error``), or a new
event (``record``) that :func:`check_event` must refuse (``refused: {possible_from}``) or allow
(``allowed: true``). Parameters are the file's profile's, on the case's date.
"""

import dataclasses
import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from mujun.disposal.legal import (
    Cause,
    IdleFacts,
    LegalEvent,
    LegalEventKind,
    LegalStatus,
    LegalTerms,
    StepRefused,
    check_event,
    legal_status,
)
from mujun.disposal.periods import (
    CalendarError,
    calendar_years,
    days_after,
    working_days_after,
    years_after,
)
from mujun.policy.profiles import load_profile
from mujun.writing import chinese_date

CASES_FILE = Path(__file__).parent / "legal_cases.yaml"
DOCUMENT: dict[str, Any] = yaml.safe_load(CASES_FILE.read_text(encoding="utf-8"))
FILE_KEYS = {"profile", "working_days", "cases"}
WORKING_DAY_KEYS = {"name", "from", "n", "expect", "calendar_error"}
CASE_KEYS = {"name", "facts", "events", "as_of", "expect", "calendar_error", "record"}
CASE_KEYS |= {"refused", "allowed"}
STATUS_KEYS = {f.name for f in dataclasses.fields(LegalStatus)}


def _keys(found: Mapping[str, Any], allowed: set[str], where: str) -> None:
    extra = set(found) - allowed
    assert not extra, f"{where}: unknown keys {sorted(extra)}"


def _facts(raw: Mapping[str, Any]) -> IdleFacts:
    price = raw.get("land_price_yuan")
    return IdleFacts(
        idle_since=raw.get("idle_since"),
        land_price_yuan=None if price is None else float(price),
        mortgages=tuple((registered, closed) for registered, closed in raw.get("mortgages", [])),
    )


def _event(raw: Mapping[str, Any]) -> LegalEvent:
    cause = raw.get("cause")
    return LegalEvent(
        kind=LegalEventKind(raw["kind"]),
        date=raw["date"],
        cause=None if cause is None else Cause(cause),
        until=raw.get("until"),
    )


def _terms(day: dt.date) -> LegalTerms:
    return LegalTerms.of(load_profile(DOCUMENT["profile"]).values(day))


def _plain(value: Any) -> Any:
    """A status value as the YAML writes it: dataclasses as mappings, enums as their text."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple):
        return [_plain(item) for item in value]
    if isinstance(value, str):
        return str(value)
    return value


def _matches(actual: Any, expected: Any, where: str) -> None:
    """``expected``'s keys of ``actual`` (a mapping, or a list of them compared in full)."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        for key, value in expected.items():
            assert key in actual, f"{where}: no {key!r} in {actual}"
            _matches(actual[key], value, f"{where}.{key}")
    elif isinstance(expected, list) and isinstance(actual, list):
        assert len(actual) == len(expected), f"{where}: {actual} is not {expected}"
        for index, (one, other) in enumerate(zip(actual, expected, strict=True)):
            _matches(one, other, f"{where}[{index}]")
    elif isinstance(expected, float):
        assert actual == pytest.approx(expected, rel=1e-12), f"{where}: {actual} != {expected}"
    else:
        assert actual == expected, f"{where}: {actual!r} != {expected!r}"


def _working_day_params() -> list[Any]:
    return [pytest.param(raw, id=raw["name"]) for raw in DOCUMENT["working_days"]]


def _case_params() -> list[Any]:
    return [pytest.param(raw, id=raw["name"]) for raw in DOCUMENT["cases"]]


def test_file_is_well_formed() -> None:
    _keys(DOCUMENT, FILE_KEYS, CASES_FILE.name)
    names = [raw["name"] for raw in DOCUMENT["working_days"] + DOCUMENT["cases"]]
    assert len(names) == len(set(names)), "case names repeat"
    for raw in DOCUMENT["working_days"]:
        _keys(raw, WORKING_DAY_KEYS, raw["name"])
        assert ("expect" in raw) != ("calendar_error" in raw), raw["name"]
    for raw in DOCUMENT["cases"]:
        _keys(raw, CASE_KEYS, raw["name"])
        outcomes = [key for key in ("expect", "calendar_error", "refused", "allowed") if key in raw]
        assert len(outcomes) == 1, f"{raw['name']}: one outcome, not {outcomes}"
        assert ("as_of" in raw) == (outcomes[0] in {"expect", "calendar_error"}), raw["name"]
        assert ("record" in raw) == (outcomes[0] in {"refused", "allowed"}), raw["name"]
        _keys(raw.get("expect") or {}, STATUS_KEYS, raw["name"])


@pytest.mark.parametrize("raw", _working_day_params())
def test_working_days(raw: Mapping[str, Any]) -> None:
    if raw.get("calendar_error"):
        with pytest.raises(CalendarError) as refused:
            working_days_after(raw["from"], raw["n"])
        first, last = calendar_years()
        assert f"{first}—{last}" in refused.value.zh
        assert f"{first}-{last}" in refused.value.en
    else:
        assert working_days_after(raw["from"], raw["n"]) == raw["expect"]


@pytest.mark.parametrize("raw", _case_params())
def test_legal_case(raw: Mapping[str, Any]) -> None:
    facts = _facts(raw["facts"])
    events = [_event(event) for event in raw["events"]]
    if "record" in raw:
        _check_record(facts, events, _event(raw["record"]), raw)
    elif raw.get("calendar_error"):
        with pytest.raises(CalendarError):
            legal_status(facts, events, _terms(raw["as_of"]), raw["as_of"])
    else:
        status = legal_status(facts, events, _terms(raw["as_of"]), raw["as_of"])
        _matches(_plain(status), raw["expect"], raw["name"])


def _check_record(
    facts: IdleFacts, events: list[LegalEvent], new: LegalEvent, raw: Mapping[str, Any]
) -> None:
    terms = _terms(new.date)
    if raw.get("allowed"):
        check_event(facts, events, terms, new)
        return
    with pytest.raises(StepRefused) as refused:
        check_event(facts, events, terms, new)
    expected = raw["refused"]["possible_from"]
    assert refused.value.possible_from == expected, refused.value.zh
    assert refused.value.zh and refused.value.en
    if expected is not None:
        assert chinese_date(expected) in refused.value.zh
        assert expected.isoformat() in refused.value.en


# -- the periods and labels themselves -----------------------------------------------------------


def test_years_after_reads_the_civil_code_like_the_ibis_version() -> None:
    assert years_after(dt.date(2020, 2, 29), 1) == dt.date(2021, 2, 28)
    assert years_after(dt.date(2020, 2, 29), 4) == dt.date(2024, 2, 29)
    assert years_after(dt.date(2023, 1, 31), 2) == dt.date(2025, 1, 31)


def test_days_after_does_not_count_the_service_day() -> None:
    assert days_after(dt.date(2025, 3, 1), 30) == dt.date(2025, 3, 31)


def test_a_period_ending_on_a_rest_day_ends_on_the_next_working_day() -> None:
    """民法典 第二百零三条: a Sunday, the Qingming holiday, National Day."""
    assert days_after(dt.date(2025, 1, 31), 30) == dt.date(2025, 3, 3)  # Sun 2 Mar → Mon
    assert days_after(dt.date(2025, 3, 6), 30) == dt.date(2025, 4, 7)  # Sat 5 Apr, Qingming
    assert days_after(dt.date(2025, 9, 1), 30) == dt.date(2025, 10, 9)  # 1–8 Oct holiday


def test_calendar_years_cover_the_package() -> None:
    first, last = calendar_years()
    assert first == 2004 and last >= 2026


def test_a_date_before_the_calendar_is_refused_too() -> None:
    with pytest.raises(CalendarError):
        working_days_after(dt.date(2003, 12, 29), 5)


def test_every_event_and_cause_has_labels() -> None:
    for kind in LegalEventKind:
        assert kind.label_zh and kind.label_en
    assert [cause.label_zh for cause in Cause] == ["政府原因", "企业原因"]


def test_terms_of_the_national_profile() -> None:
    terms = _terms(dt.date(2025, 1, 1))
    assert terms == LegalTerms(
        fee_share=terms.fee_share,
        fee_after_years=1,
        revocation_after_years=2,
        hearing_request_working_days=5,
        payment_days=30,
        deregistration_days=30,
        extension_max_years=1,
    )
    assert str(terms.fee_share) == "1/5"
