"""Dated parameters (after OpenFisca's): every threshold with its unit, its source clause, and
the value in force from each date on.

A value is exact: numbers and shares are :class:`~fractions.Fraction` s (``1/3``, ``25%``,
``30000``), so a rule compares ``developed * 3 < to_develop`` rather than a rounded 0.333.
"""

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from typing import Any

Value = Fraction | dt.date | str | tuple[str, ...]


class Unit(StrEnum):
    """What a parameter's value measures; decides how it is written and read."""

    YUAN_PER_MU = "yuan/mu"
    YUAN_PER_M2 = "yuan/m2"
    MU = "mu"
    M2 = "m2"
    SHARE = "share"
    YEARS = "years"
    MONTHS = "months"
    DAYS = "days"
    WORKING_DAYS = "working_days"
    DATE = "date"
    CODES = "codes"
    CHOICE = "choice"
    POINTS = "points"
    WAN_YUAN_PER_MU = "10k_yuan/mu"
    WAN_YUAN_PER_TCE = "10k_yuan/tce"
    WAN_YUAN_PER_TONNE = "10k_yuan/t"
    WAN_YUAN_PER_PERSON = "10k_yuan/person"
    YUAN_PER_KWH = "yuan/kwh"

    @property
    def label_zh(self) -> str:
        return _UNIT_ZH[self]

    @property
    def in_yuan(self) -> int:
        """How many yuan one unit of money in this unit is (万元 units are 10,000)."""
        return 10_000 if self.value.startswith("10k_yuan") else 1


_UNIT_ZH = {
    Unit.YUAN_PER_MU: "元/亩",
    Unit.YUAN_PER_M2: "元/平方米",
    Unit.MU: "亩",
    Unit.M2: "平方米",
    Unit.SHARE: "比例",
    Unit.YEARS: "年",
    Unit.MONTHS: "个月",
    Unit.DAYS: "日",
    Unit.WORKING_DAYS: "个工作日",
    Unit.DATE: "日期",
    Unit.CODES: "代码",
    Unit.CHOICE: "选项",
    Unit.POINTS: "分",
    Unit.WAN_YUAN_PER_MU: "万元/亩",
    Unit.WAN_YUAN_PER_TCE: "万元/吨标煤",
    Unit.WAN_YUAN_PER_TONNE: "万元/吨",
    Unit.WAN_YUAN_PER_PERSON: "万元/人",
    Unit.YUAN_PER_KWH: "元/千瓦时",
}
_NUMERIC = {
    Unit.YUAN_PER_MU,
    Unit.YUAN_PER_M2,
    Unit.MU,
    Unit.M2,
    Unit.SHARE,
    Unit.YEARS,
    Unit.MONTHS,
    Unit.DAYS,
    Unit.WORKING_DAYS,
    Unit.POINTS,
    Unit.WAN_YUAN_PER_MU,
    Unit.WAN_YUAN_PER_TCE,
    Unit.WAN_YUAN_PER_TONNE,
    Unit.WAN_YUAN_PER_PERSON,
    Unit.YUAN_PER_KWH,
}
_WHOLE = {Unit.YEARS, Unit.MONTHS, Unit.DAYS, Unit.WORKING_DAYS}
"""Units counted in whole numbers."""
_FRACTION = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*(?:/\s*(\d+(?:\.\d+)?)|(%))?\s*$")


class ParameterError(ValueError):
    """A parameter file or an override that cannot be read."""


@dataclass(frozen=True)
class Range:
    """The values a number may take: at least ``low`` and at most ``high`` (None: unbounded).
    Every numeric parameter has one: by its unit (a share 0–100 %, any other number ≥ 0), or
    as its profile file declares (``range: [1, null]``)."""

    low: Fraction | None
    high: Fraction | None

    def admits(self, value: Fraction) -> bool:
        return (self.low is None or value >= self.low) and (self.high is None or value <= self.high)

    def text(self, unit: Unit, lang: str) -> str:
        """The range as a person reads it: 0%–100%, ≥ 0 (不小于 0)."""
        low = None if self.low is None else format_value(unit, self.low)
        high = None if self.high is None else format_value(unit, self.high)
        if low is not None and high is not None:
            return f"{low}–{high}"
        if low is not None:
            return f"不小于 {low}" if lang == "zh" else f"at least {low}"
        if high is not None:
            return f"不大于 {high}" if lang == "zh" else f"at most {high}"
        return "任意值" if lang == "zh" else "any value"


_DEFAULT_RANGE = {Unit.SHARE: Range(Fraction(0), Fraction(1))}
_AT_LEAST_ZERO = Range(Fraction(0), None)


class OutOfRangeError(ParameterError):
    """A value outside its parameter's declared range; says so in Chinese (``zh``) and English,
    naming the parameter, the value and the range allowed."""

    def __init__(self, name: str, unit: Unit, value: Fraction, allowed: Range) -> None:
        shown = format_value(unit, value)
        self.zh = f"参数 {name} 的值 {shown} 超出允许范围（{allowed.text(unit, 'zh')}）"
        super().__init__(
            f"parameter {name}: {shown} is outside its allowed range ({allowed.text(unit, 'en')})"
        )


def parse_value(unit: Unit, raw: Any, *, choices: tuple[str, ...] = ()) -> Value:
    """Read one value written in a profile file or on the command line."""
    if unit in _NUMERIC:
        return _number(raw)
    if unit is Unit.DATE:
        if isinstance(raw, dt.date):
            return raw
        try:
            return dt.date.fromisoformat(str(raw).strip())
        except ValueError:
            raise ParameterError(f"not a date (YYYY-MM-DD): {raw!r}") from None
    if unit is Unit.CODES:
        items = raw if isinstance(raw, list | tuple) else str(raw).split(",")
        return tuple(str(item).strip() for item in items if str(item).strip())
    text = str(raw).strip()
    if choices and text not in choices:
        raise ParameterError(f"{text!r} is not one of {', '.join(choices)}")
    return text


def _number(raw: Any) -> Fraction:
    if isinstance(raw, bool):
        raise ParameterError(f"not a number: {raw!r}")
    if isinstance(raw, int | float):
        return Fraction(str(raw))
    match = _FRACTION.match(str(raw).replace(",", ""))
    if match is None:
        raise ParameterError(f"not a number, fraction (1/3) or percentage (25%): {raw!r}")
    number, denominator, percent = match.groups()
    value = Fraction(number)
    if denominator is not None:
        if Fraction(denominator) == 0:
            raise ParameterError(f"division by zero: {raw!r}")
        value /= Fraction(denominator)
    return value / 100 if percent else value


def format_value(unit: Unit, value: Value) -> str:
    """A value as a person reads it: 1/3, 25%, 30000, 2023-12-31, C,D."""
    match value:
        case Fraction() if unit is Unit.SHARE and (value * 100).denominator == 1:
            return f"{value * 100}%"
        case Fraction():
            return _decimal(value)
        case dt.date():
            return value.isoformat()
        case tuple():
            return ",".join(value)
        case _:
            return value


def _decimal(value: Fraction) -> str:
    """24.097 rather than 24097/1000 where the decimal ends; 1/3 stays a fraction."""
    rest = value.denominator
    for factor in (2, 5):
        while rest % factor == 0:
            rest //= factor
    if rest != 1:
        return str(value)
    return format((Decimal(value.numerator) / Decimal(value.denominator)).normalize(), "f")


@dataclass(frozen=True)
class Parameter:
    """One threshold or choice of a profile, with the values in force from each date on."""

    name: str
    unit: Unit
    values: tuple[tuple[dt.date, Value], ...]
    source: str
    label_zh: str
    label_en: str
    choices: tuple[str, ...] = ()
    note: str = ""
    range: Range | None = None
    """The values it may take, for a number (:func:`unit_range` unless the file declares one)."""

    def value_at(self, day: dt.date) -> Value:
        """The value in force on ``day``: the last one that took effect on or before it."""
        in_force = [value for since, value in self.values if since <= day]
        if not in_force:
            first = self.values[0][0].isoformat()
            raise ParameterError(
                f"parameter {self.name} takes effect on {first}, after {day.isoformat()}"
            )
        return in_force[-1]

    def overridden(self, raw: str) -> "Parameter":
        """The same parameter with one value in force on every date (a what-if)."""
        value = self.checked(parse_value(self.unit, raw, choices=self.choices))
        return replace(self, values=((dt.date.min, value),))

    def checked(self, value: Value) -> Value:
        """``value`` if it lies in the parameter's range; refused naming the range otherwise."""
        if isinstance(value, Fraction) and self.range is not None:
            if not self.range.admits(value):
                raise OutOfRangeError(self.name, self.unit, value, self.range)
            if self.unit in _WHOLE and value.denominator != 1:
                raise ParameterError(f"parameter {self.name}: {value} is not a whole number")
        return value

    @classmethod
    def from_document(cls, name: str, document: Mapping[str, Any]) -> "Parameter":
        try:
            unit = Unit(document["unit"])
            choices = tuple(document.get("choices", ()))
            values = tuple(
                sorted(
                    (_since(since), parse_value(unit, raw, choices=choices))
                    for since, raw in document["values"].items()
                )
            )
            if not values:
                raise ParameterError("no values")
            parameter = cls(
                name=name,
                unit=unit,
                values=values,
                source=str(document["source"]),
                label_zh=str(document["label"]),
                label_en=str(document["label_en"]),
                choices=choices,
                note=str(document.get("note", "")),
                range=_declared_range(unit, document.get("range")),
            )
            for _, value in values:
                parameter.checked(value)
            return parameter
        except (KeyError, TypeError, ValueError) as error:
            raise ParameterError(f"parameter {name}: {error}") from error


def unit_range(unit: Unit) -> Range | None:
    """The range a number in ``unit`` may take unless its file says otherwise: a share from 0 to
    100 %, any other number (a line, an area, a weight, a count of years) at least 0; None for
    a value that is no number."""
    if unit not in _NUMERIC:
        return None
    return _DEFAULT_RANGE.get(unit, _AT_LEAST_ZERO)


def _declared_range(unit: Unit, raw: Any) -> Range | None:
    """``range: [low, high]`` of a parameter's file entry (null: unbounded on that side), or
    the unit's range."""
    if raw is None:
        return unit_range(unit)
    if unit not in _NUMERIC or not isinstance(raw, list) or len(raw) != 2:
        raise ParameterError(f"range must be [low, high] of a number: {raw!r}")
    low, high = (None if bound is None else _number(bound) for bound in raw)
    return Range(low, high)


def _since(raw: Any) -> dt.date:
    return raw if isinstance(raw, dt.date) else dt.date.fromisoformat(str(raw))


@dataclass(frozen=True)
class ParameterValues:
    """The parameters of one run, read as of its date: what a rule formula sees."""

    as_of: dt.date
    parameters: Mapping[str, Parameter] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Value:
        return self.parameters[name].value_at(self.as_of)

    def number(self, name: str) -> Fraction:
        value = self[name]
        if not isinstance(value, Fraction):
            raise ParameterError(f"parameter {name} is not a number")
        return value

    def whole(self, name: str) -> int:
        value = self.number(name)
        if value.denominator != 1:
            raise ParameterError(f"parameter {name} must be a whole number, not {value}")
        return int(value)

    def date(self, name: str) -> dt.date:
        value = self[name]
        if not isinstance(value, dt.date):
            raise ParameterError(f"parameter {name} is not a date")
        return value

    def codes(self, name: str) -> tuple[str, ...]:
        value = self[name]
        if not isinstance(value, tuple):
            raise ParameterError(f"parameter {name} is not a list of codes")
        return value

    def text(self, name: str) -> str:
        value = self[name]
        if not isinstance(value, str):
            raise ParameterError(f"parameter {name} is not a choice")
        return value

    def in_force(self) -> dict[str, str]:
        """Every parameter's value on the run's date, written as a person reads it."""
        return {
            name: format_value(parameter.unit, parameter.value_at(self.as_of))
            for name, parameter in sorted(self.parameters.items())
        }
