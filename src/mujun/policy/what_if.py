"""What a run asks of the policy profiles, checked before any work is done: a shipped profile by
its id, the what-if values (``NAME=VALUE``) of one run, each within its parameter's range, and
a plausible date or year to run it for.

The command line (``--profile``, ``--set``) and the web application (the runs page) both ask
through here, so that both refuse the same requests in the same words, in Chinese and English.
"""

import datetime as dt
from collections.abc import Iterable

from mujun.policy.parameters import OutOfRangeError
from mujun.policy.profiles import Profile, ProfileError, load_profile

EARLIEST = dt.date(1990, 1, 1)
"""The earliest date a run is made as of (the first 亩均 and idle-land policies are later)."""
YEARS_AHEAD = 1
"""How far past the current year a run may look ahead (an as-of date at the end of next year)."""


class RequestedProfileError(ProfileError):
    """A profile or a what-if value that cannot be used; says why in Chinese and in English."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(en)
        self.zh = zh
        self.en = en


def shipped_profile(profile_id: str) -> Profile:
    """The shipped profile ``profile_id``; refused naming the profiles there are."""
    try:
        return load_profile(profile_id)
    except ProfileError as error:
        raise RequestedProfileError(f"配置错误：{error}", str(error)) from error


def parse_assignment(text: str) -> tuple[str, str]:
    """One what-if value, ``NAME=VALUE``, as its name and value (both stripped); refused
    without an ``=`` or a name."""
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise RequestedProfileError(
            f"假设参数应写作 参数=值：{text}", f"a what-if value is PARAMETER=VALUE: {text}"
        )
    return name.strip(), value.strip()


def with_what_if(profile: Profile, assignments: Iterable[str]) -> Profile:
    """``profile`` with the what-if values of one run (``NAME=VALUE`` each); the profile itself
    when there are none. An unknown parameter or a value its unit cannot read is refused."""
    overrides = dict(parse_assignment(text) for text in assignments)
    if not overrides:
        return profile
    try:
        return profile.with_overrides(overrides)
    except ProfileError as error:
        cause = error.__cause__
        zh = cause.zh if isinstance(cause, OutOfRangeError) else str(error)
        raise RequestedProfileError(f"假设参数有误：{zh}", str(error)) from error


def plausible_as_of(day: dt.date, *, today: dt.date | None = None) -> dt.date:
    """``day`` as the date a run is made as of, if plausible: from :data:`EARLIEST` to the end
    of next year; refused saying the range otherwise (a run as of 2200 is a typing error, and
    would stand as the latest run)."""
    latest = _latest(today)
    if not EARLIEST <= day <= latest:
        raise RequestedProfileError(
            f"日期 {day} 不在合理范围内（{EARLIEST} 至 {latest}）",
            f"the date {day} is outside the plausible range {EARLIEST} to {latest}",
        )
    return day


def plausible_year(year: int, *, today: dt.date | None = None) -> int:
    """``year`` as the year an evaluation grades, if plausible (the years of
    :func:`plausible_as_of`); refused saying the range otherwise."""
    latest = _latest(today)
    if not EARLIEST.year <= year <= latest.year:
        raise RequestedProfileError(
            f"评价年度 {year} 不在合理范围内（{EARLIEST.year} 至 {latest.year} 年）",
            f"the year {year} is outside the plausible range {EARLIEST.year} to {latest.year}",
        )
    return year


def _latest(today: dt.date | None) -> dt.date:
    return dt.date((today or dt.date.today()).year + YEARS_AHEAD, 12, 31)
