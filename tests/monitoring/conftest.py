"""A small world for the warnings' life: one county under a city, two enterprises with 100 kWh
of electricity each month of 2024, and the monthly figures a test gives for 2025 (a month left
out has no row). Written through the ORM, as the change log expects."""

import datetime as dt

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from mujun.monitoring.service import KeptMonitoring, monitor_and_keep
from mujun.policy.profiles import load_profile
from mujun.records import Enterprise, Jurisdiction, MonthlyMetric

CITY, COUNTY = "320900", "320922"
E1, E2 = "91320922MA0000001A", "91320922MA0000002B"
PROFILE = "yancheng-2021"
DROP = "monitor/electricity-drop"


Series = dict[str, dict[str, dict[str, float]]]
"""Monthly figures by enterprise, figure and month."""


def build_records(engine: Engine, series: Series) -> None:
    """The world, with the figures of ``series`` besides 2024's electricity."""
    figures: dict[tuple[str, str], dict[str, float]] = {
        (code, f"2024-{m:02d}"): {"electricity_kwh": 100.0}
        for code in (E1, E2)
        for m in range(1, 13)
    }
    for code, by_figure in series.items():
        for name, by_month in by_figure.items():
            for month, value in by_month.items():
                figures.setdefault((code, month), {})[name] = value
    with Session(engine) as db:
        db.info.update(actor="loader", reason="test world")
        db.add_all(
            [
                Jurisdiction(code=CITY, name="示范市", level="city"),
                Jurisdiction(code=COUNTY, name="示范县", level="county", parent_code=CITY),
            ]
        )
        db.flush()
        db.add_all(
            [
                Enterprise(credit_code=E1, name="甲公司", jurisdiction_code=COUNTY),
                Enterprise(credit_code=E2, name="乙公司", jurisdiction_code=COUNTY),
            ]
        )
        db.flush()
        db.add_all(
            MonthlyMetric(credit_code=code, month=month, **values)
            for (code, month), values in figures.items()
        )
        db.commit()


def run(engine: Engine, month: str, issued_on: dt.date) -> KeptMonitoring:
    return monitor_and_keep(
        engine=engine,
        profile=load_profile(PROFILE),
        month=month,
        issued_on=issued_on,
        actor="monitor",
    )
