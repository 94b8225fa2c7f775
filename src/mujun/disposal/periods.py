"""Periods as the Civil Code counts them (民法典 第二百零一条、第二百零二条), on Python dates, and
working days by the State Council's official holiday arrangement (国务院办公厅 节假日安排).

The working-day calendar is the maintained ``chinese_calendar`` package (pip
``chinesecalendar``): official holidays are not working days, weekend make-up days (调休上班) are.
A date beyond the years it knows is refused with :class:`CalendarError`, never guessed.
"""

import calendar
import datetime as dt

import chinese_calendar  # type: ignore[import-untyped]

from mujun.writing import chinese_date


class CalendarError(ValueError):
    """A working day that cannot be counted: the holiday arrangement of its year is not known
    yet. Says so in Chinese (``zh``) and English (``en``)."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(en)
        self.zh = zh
        self.en = en


def years_after(day: dt.date, years: int) -> dt.date:
    """The same day ``years`` on; with no such day, that month's last day (民法典 第二百零二条:
    a period in years ends on the corresponding day of its last month, or that month's last day
    when there is none — a year after 2020-02-29 is 2021-02-28). The same reading as
    :func:`mujun.analytics.logic.years_after`, the identification rules' Ibis version."""
    year = day.year + years
    last = calendar.monthrange(year, day.month)[1]
    return day.replace(year=year, day=min(day.day, last))


def days_after(day: dt.date, days: int) -> dt.date:
    """The last day of a period of ``days`` days that starts on ``day`` (a service date): the
    start day itself is not counted (民法典 第二百零一条), so 30 days after 2025-03-01 end on
    2025-03-31; a last day that is a statutory rest day (a holiday or a weekend that is not a
    make-up working day) moves to the next working day (第二百零三条), so 30 days after
    2025-03-06 end on Monday 2025-04-07, past the Qingming holiday of 4–6 April. Raises
    :class:`CalendarError` when that day lies beyond the calendar's years."""
    last = day + dt.timedelta(days=days)
    while not is_working_day(last):
        last += dt.timedelta(days=1)
    return last


def calendar_years() -> tuple[int, int]:
    """The first and last year whose official holiday arrangement the calendar knows."""
    known = [day.year for day in chinese_calendar.holidays]
    return min(known), max(known)


def is_working_day(day: dt.date) -> bool:
    """Whether ``day`` is a working day by the official arrangement (a make-up Saturday is, a
    holiday weekday is not); :class:`CalendarError` beyond the calendar's years."""
    first, last = calendar_years()
    if not first <= day.year <= last:
        raise CalendarError(
            f"节假日安排仅知 {first}—{last} 年，无法计算 {chinese_date(day)} 起的工作日",
            f"the official holiday arrangement is known for {first}-{last} only: cannot count "
            f"working days from {day.isoformat()} on",
        )
    return bool(chinese_calendar.is_workday(day))


def working_days_after(day: dt.date, n: int) -> dt.date:
    """The ``n``-th working day after ``day`` (``day`` itself not counted): the last day of a
    period of ``n`` working days starting on a service date."""
    counted = 0
    while counted < n:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            counted += 1
    return day
