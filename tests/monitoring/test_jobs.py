"""Monitoring that runs by itself after an import: an import that writes monthly figures
starts a monitoring job for each month it brought (its latest months, as many as the setting
allows), under each monitoring profile; one that writes none, or writes nothing new, starts
nothing. Through the web, confirming an upload of
monthly figures keeps a ``monitoring`` job per month, done by the worker. The monitoring runs
themselves are stood in for: they are tested on their own (test_warnings.py)."""

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from mujun.interchange.credit_code import check_character
from mujun.interchange.importer import import_data_set
from mujun.monitoring import jobs
from mujun.monitoring.jobs import (
    KIND,
    Queued,
    Work,
    import_months,
    monitoring_profiles,
    queue_after_import,
)
from mujun.policy.profiles import ProfileError
from mujun.records import Account, Job
from mujun.web.accounts import HASHER
from mujun.web.app import create_app
from mujun.web.permissions import Role
from tests.disposal.test_objections import write_data_set
from tests.monitoring.conftest import COUNTY, PROFILE, build_records

C1, C2 = (
    f"{first}{check_character(first)}" for first in ("91320922MA0000003", "91320922MA0000004")
)
ENTERPRISES = [
    {"credit_code": C1, "name": "丙公司", "jurisdiction_code": COUNTY},
    {"credit_code": C2, "name": "丁公司", "jurisdiction_code": COUNTY},
]
MONTHLY = [
    {"credit_code": C1, "month": "2025-05", "electricity_kwh": "10"},
    {"credit_code": C1, "month": "2025-06", "electricity_kwh": "10"},
    {"credit_code": C2, "month": "2025-06", "electricity_kwh": "10"},
]
WITH_MONTHLY = {"enterprises": ENTERPRISES, "monthly_metrics": MONTHLY}
PASSWORD = "correct horse battery"
JUNE = [Queued(PROFILE, "2025-05"), Queued(PROFILE, "2025-06")]

sqlite_only = pytest.mark.parametrize("engine", ["sqlite"], indirect=True)


class Started:
    """Stands in for the worker: the jobs it was given."""

    def __init__(self) -> None:
        self.jobs: list[tuple[str, dict[str, Any], Work]] = []

    def __call__(self, kind: str, request: dict[str, Any], work: Work) -> None:
        self.jobs.append((kind, request, work))


@sqlite_only
def test_an_import_of_monthly_figures_queues_a_job_per_month(
    engine: Engine, tmp_path: Path
) -> None:
    build_records(engine, {})
    outcome = import_data_set(
        engine=engine, path=write_data_set(tmp_path, WITH_MONTHLY), actor="power"
    )
    assert outcome.committed and outcome.months == ("2025-05", "2025-06")
    started = Started()
    queued = queue_after_import(
        started, engine, outcome, actor="power", today=dt.date(2025, 7, 2), environ={}
    )
    assert queued == JUNE
    assert [(kind, request) for kind, request, _ in started.jobs] == [
        (KIND, {"profile": PROFILE, "month": "2025-05", "what_if": {}}),
        (KIND, {"profile": PROFILE, "month": "2025-06", "what_if": {}}),
    ]
    latest = {"MUJUN_MONITOR_IMPORT_MONTHS": "1"}
    assert queue_after_import(Started(), engine, outcome, actor="p", environ=latest) == JUNE[1:]
    off = {"MUJUN_MONITOR_PROFILES": "none"}
    assert queue_after_import(Started(), engine, outcome, actor="p", environ=off) == []
    again = import_data_set(
        engine=engine, path=write_data_set(tmp_path, WITH_MONTHLY), actor="power"
    )
    assert again.months == () and not again.committed  # nothing new: nothing to judge
    assert queue_after_import(started, engine, again, actor="power", environ={}) == []


@sqlite_only
def test_an_import_without_monthly_figures_queues_nothing(engine: Engine, tmp_path: Path) -> None:
    build_records(engine, {})
    outcome = import_data_set(
        engine=engine, path=write_data_set(tmp_path, {"enterprises": ENTERPRISES}), actor="land"
    )
    assert outcome.committed and outcome.months == ()
    started = Started()
    assert queue_after_import(started, engine, outcome, actor="land", environ={}) == []
    assert started.jobs == []


def test_the_settings_name_the_profiles_and_the_months() -> None:
    assert [p.id for p in monitoring_profiles({})] == [PROFILE]  # those defining monitoring
    assert monitoring_profiles({"MUJUN_MONITOR_PROFILES": "none"}) == []
    assert [p.id for p in monitoring_profiles({"MUJUN_MONITOR_PROFILES": f" {PROFILE} "})] == [
        PROFILE
    ]
    with pytest.raises(ProfileError, match="monitoring parameters"):
        monitoring_profiles({"MUJUN_MONITOR_PROFILES": "tonglu-2022"})
    assert import_months({}) == 12
    assert import_months({"MUJUN_MONITOR_IMPORT_MONTHS": "1"}) == 1


@sqlite_only
def test_confirming_an_upload_of_monthly_figures_keeps_a_monitoring_job_per_month(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_records(engine, {})
    with Session(engine) as db:
        db.add(
            Account(
                username="admin",
                display_name="admin",
                password_hash=HASHER.hash(PASSWORD),
                role=Role.ADMINISTRATOR.value,
                failed_logins=0,
            )
        )
        db.commit()
    judged: list[str] = []

    class Kept:
        def __init__(self, month: str) -> None:
            judged.append(month)
            self.run_id = len(judged)

    monkeypatch.delenv("MUJUN_MONITOR_PROFILES", raising=False)
    monkeypatch.delenv("MUJUN_MONITOR_IMPORT_MONTHS", raising=False)
    monkeypatch.setattr(jobs, "monitor_and_keep", lambda *, month, **_: Kept(month))
    files = [
        ("file", (f"{name}.csv", _csv(rows), "text/csv")) for name, rows in WITH_MONTHLY.items()
    ]
    with TestClient(create_app(engine)) as client:
        session = client.post("/api/session", json={"username": "admin", "password": PASSWORD})
        csrf = {"X-CSRF-Token": session.json()["csrf_token"]}
        checked = client.post(
            "/api/imports",
            headers=csrf,
            data={"reason": "6月用电量"},
            files=files,
        ).json()
        assert checked["confirmable"], checked
        confirmed = client.post(f"/api/imports/{checked['token']}/confirm", headers=csrf)
        assert confirmed.status_code == 200, confirmed.text
    with Session(engine) as db:
        kept = db.scalars(select(Job).order_by(Job.id)).all()
    assert [(j.kind, j.request["month"], j.actor, j.state) for j in kept] == [
        (KIND, "2025-05", "admin", "finished"),
        (KIND, "2025-06", "admin", "finished"),
    ]
    assert judged == ["2025-05", "2025-06"]
    assert [j.run_id for j in kept] == [1, 2]


def _csv(rows: list[dict[str, str]]) -> bytes:
    lines = [",".join(rows[0]), *(",".join(row.values()) for row in rows)]
    return "\n".join(lines).encode() + b"\n"
