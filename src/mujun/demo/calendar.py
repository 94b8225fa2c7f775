"""The demo's dates: the as-of date its figures run to (and the tests' planted cases are judged
on), and the periods covered."""

from datetime import date

from mujun.demo.columns import day_number

DEMO_AS_OF = date(2025, 12, 31)

YEARS: tuple[int, ...] = (2021, 2022, 2023, 2024, 2025)  # annual metrics
MONTHS: tuple[str, ...] = tuple(
    f"{year}-{month:02d}" for year in (2023, 2024, 2025) for month in range(1, 13)
)  # monthly metrics

AS_OF_DAY = day_number(DEMO_AS_OF)


def day(year: int, month: int, dom: int) -> int:
    """Day number (days since 1970-01-01) of a date."""
    return day_number(date(year, month, dom))
