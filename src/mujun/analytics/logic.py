"""How the rules read: Kleene's three-valued logic, Civil Code dates, exact shares.

SQL's AND, OR and NOT are already three-valued (NULL is "unknown"), which is what rules.md
asks: an unknown figure leaves a verdict unknown unless the known figures decide it. The
aggregates here extend that to "in each of the years" and "in any of the rows".
"""

import datetime as dt
from fractions import Fraction

import ibis
import ibis.expr.types as ir

UNKNOWN = ibis.null("boolean")


def the_year(as_of: dt.date) -> int:
    """The most recent calendar year that ends on or before ``as_of`` (rules.md)."""
    return as_of.year if (as_of.month, as_of.day) == (12, 31) else as_of.year - 1


def recent_years(as_of: dt.date, count: int) -> list[int]:
    """ "``count`` consecutive years": the year of ``as_of`` and the ones before it."""
    last = the_year(as_of)
    return list(range(last - count + 1, last + 1))


def years_after(day: ir.DateValue, years: int) -> ir.DateValue:
    """The same day ``years`` on; with no such day, that month's last day (Civil Code art.
    202: a year after 2020-02-29 is 2021-02-28). DuckDB's date arithmetic does exactly this."""
    return day + ibis.interval(years=years)


def months_before(day: ir.DateValue, months: int) -> ir.DateValue:
    return day - ibis.interval(months=months)


def below_share(part: ir.NumericValue, whole: ir.NumericValue, share: Fraction) -> ir.BooleanValue:
    """``part < share × whole``, compared without dividing: ``part·q < whole·p`` for p/q."""
    return part * share.denominator < whole * share.numerator


def exceeds_share(
    part: ir.NumericValue, whole: ir.NumericValue, share: Fraction
) -> ir.BooleanValue:
    """``part > share × whole``, compared without dividing."""
    return part * share.denominator > whole * share.numerator


def at_least(value: ir.NumericValue, line: Fraction) -> ir.BooleanValue:
    """``value ≥ line`` (以上), compared as ``value·q ≥ p`` for a line p/q."""
    return value * line.denominator >= line.numerator


def every(verdict: ir.BooleanColumn) -> ir.BooleanScalar:
    """Three-valued "in each row": false if any row is false, else unknown if any is unknown."""
    falses = (verdict == False).cast("int64").sum()  # noqa: E712 (an Ibis expression)
    unknowns = verdict.isnull().cast("int64").sum()
    return ibis.cases((falses > 0, False), (unknowns > 0, UNKNOWN), else_=True)


def some(verdict: ir.BooleanColumn) -> ir.BooleanScalar:
    """Three-valued "in any row": true if any row is true, else unknown if any is unknown."""
    trues = verdict.cast("int64").sum()
    unknowns = verdict.isnull().cast("int64").sum()
    return ibis.cases((trues > 0, True), (unknowns > 0, UNKNOWN), else_=False)


def open_on(since: ir.DateValue, ended: ir.DateValue, day: ir.DateValue) -> ir.BooleanValue:
    """A matter begun on or before ``day`` and not ended by it (ended on ``day`` counts)."""
    return (since <= day) & (ended.isnull() | (ended > day))
