"""Months as the monitoring names them: ``YYYY-MM`` text, as the monthly figures are keyed."""

import calendar
import datetime as dt
import re

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


class MonthError(ValueError):
    """Text that is no month ``YYYY-MM``."""


def parse_month(text: str) -> str:
    """``text`` if it is a month ``YYYY-MM``; :class:`MonthError` otherwise."""
    if _MONTH.match(text.strip()) is None:
        raise MonthError(f"not a month (YYYY-MM): {text!r}")
    return text.strip()


def last_day(month: str) -> dt.date:
    """The month's last day: the date a month's run judges the dated records as of."""
    year, number = (int(part) for part in month.split("-"))
    return dt.date(year, number, calendar.monthrange(year, number)[1])


def shifted(month: str, months: int) -> str:
    """The month ``months`` later (earlier when negative): ``shifted("2025-01", -1)`` is
    ``"2024-12"``."""
    year, number = (int(part) for part in month.split("-"))
    index = year * 12 + number - 1 + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def last_months(month: str, count: int) -> list[str]:
    """ "Each of the last ``count`` months": the month judged and the ``count`` − 1 before it,
    the month judged first."""
    return [shifted(month, -back) for back in range(count)]
