"""工作台: every role lands on it after signing in and sees what needs it: the runs of record
and whether the records changed since, each department's last data, recent imports, and for an
importer its duties and the template."""

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from mujun.records import Change, DataImport, Finding
from mujun.records.accounts import Account
from mujun.web.dependencies import Current
from mujun.web.workbench import TODO_SOURCES
from mujun.web.worklist import Item
from tests.builders import NOW, identification_run
from tests.web.conftest import (
    ACCOUNTS,
    COUNTY_A,
    COUNTY_B,
    PARCEL_A,
    PARCEL_B,
    PASSWORD,
    sign_in,
)


def add_import(engine: Engine, at: dt.datetime, counts: dict[str, dict[str, int]]) -> int:
    with Session(engine) as session:
        done = DataImport(
            started_at=at,
            finished_at=at,
            actor="tax",
            source="tax.xlsx",
            fingerprint="0" * 64,
            counts=counts,
        )
        session.add(done)
        session.flush()
        for table in counts:
            session.add(
                Change(
                    changed_at=at,
                    actor="tax",
                    import_id=done.id,
                    table_name=table,
                    object_key="x",
                    action="update",
                    before={},
                    after={},
                    reason="test",
                )
            )
        session.commit()
        return done.id


@pytest.mark.parametrize("username", sorted(ACCOUNTS))
def test_every_role_lands_on_its_workbench(app_client: TestClient, username: str) -> None:
    signed = app_client.post("/login", data={"username": username, "password": PASSWORD})
    assert signed.status_code == 403  # the sign-in form needs its own CSRF token
    form = app_client.get("/login").text
    token = form.split('name="csrf_token" value="')[1].split('"')[0]
    landed = app_client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert landed.status_code == 303 and landed.headers["location"] == "/workbench"
    page = app_client.get("/workbench")
    assert page.status_code == 200
    assert "工作台" in page.text and "退出登录" in page.text


def keep_fresh_run(engine: Engine) -> int:
    """A run of record started after the city was built, with a finding in each county."""
    with Session(engine) as session:
        kept = identification_run(started_at=dt.datetime.now(dt.UTC), finding_count=2)
        session.add(kept)
        session.flush()
        for county, parcel in ((COUNTY_A, PARCEL_A), (COUNTY_B, PARCEL_B)):
            session.add(
                Finding(
                    run_id=kept.id,
                    criterion="idle/not-started",
                    category="idle_land",
                    subject_type="parcel",
                    subject_id=parcel,
                    subject_name=None,
                    area_m2=1.0,
                    county_code=county,
                    key=False,
                    evidence="{}",
                    source="test",
                )
            )
        session.commit()
        return kept.id


def test_the_run_of_record_says_whether_the_records_changed_since(
    app_client: TestClient, city: Engine
) -> None:
    run = keep_fresh_run(city)
    sign_in(app_client, "officer")
    bench = app_client.get("/api/workbench").json()
    (shown,) = bench["runs"]
    assert (shown["run"], shown["kind"], shown["profile"]) == (run, "identification", "ankang-2024")
    assert shown["count"] == 1  # the officer's county only
    assert not shown["changed_since"] and shown["imports_since"] == 0
    page = app_client.get("/workbench").text
    assert "依据最新数据" in page and "2025年12月31日" in page

    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)
    add_import(city, later, {"annual_metrics": {"inserted": 0, "updated": 3}})
    (shown,) = app_client.get("/api/workbench").json()["runs"]
    assert shown["changed_since"] and shown["imports_since"] == 1
    assert "此后数据有更新" in app_client.get("/workbench").text


def test_each_departments_last_data_and_the_recent_imports(
    app_client: TestClient, city: Engine
) -> None:
    first = add_import(city, NOW, {"annual_metrics": {"inserted": 2, "updated": 0}})
    second = add_import(
        city, NOW + dt.timedelta(days=2), {"parcels": {"inserted": 0, "updated": 1}}
    )
    sign_in(app_client, "viewer")
    bench = app_client.get("/api/workbench").json()
    fresh = {f["department"]: f for f in bench["freshness"]}
    assert fresh["tax"]["last_import"] == first
    assert fresh["natural_resources"]["last_import"] == second
    assert fresh["court"]["last_import"] is None
    assert [i["id"] for i in bench["recent_imports"]] == [second, first]
    assert bench["recent_imports"][0]["tables"] == ["parcels"]
    assert bench["duties"] == []  # a viewer imports nothing
    page = app_client.get("/workbench").text
    assert "尚未报送" in page and "自然资源和规划局" in page and "2026年1月7日" in page


def test_a_data_provider_sees_its_duties_and_its_own_imports_only(
    app_client: TestClient, city: Engine
) -> None:
    with Session(city) as session:
        provider = session.query(Account).filter_by(username="provider").one()
        provider.department = "tax"
        session.commit()
    add_import(city, NOW, {"parcels": {"inserted": 1, "updated": 0}})  # someone else's
    sign_in(app_client, "provider")
    bench = app_client.get("/api/workbench").json()
    assert bench["runs"] == [] and bench["freshness"] == [] and bench["recent_imports"] == []
    assert {d["table"] for d in bench["duties"]} == {"annual_metrics", "monthly_metrics"}
    page = app_client.get("/workbench").text
    assert "税务局" in page and "年度指标" in page and "/workbench/template.xlsx" in page
    assert 'href="/cockpit"' not in page  # no link it may not follow
    template = app_client.get("/workbench/template.xlsx")
    assert template.status_code == 200 and template.content[:2] == b"PK"


def test_a_later_issue_adds_its_to_dos(app_client: TestClient) -> None:
    def overdue(_session: Session, current: Current) -> list[Item]:
        return [Item(level="danger", zh="超期未处置", en="Overdue", href="/", count=3)]

    TODO_SOURCES.append(overdue)
    try:
        sign_in(app_client, "analyst")
        assert app_client.get("/api/workbench").json()["todos"][0]["zh"] == "超期未处置"
        assert "超期未处置" in app_client.get("/workbench").text
    finally:
        TODO_SOURCES.remove(overdue)
