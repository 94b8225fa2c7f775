"""The map's 预警 layer: the live warnings of one's area on their parcels (a parcel's own, and an
enterprise's on each parcel it holds), each parcel at its highest level, with what a popup
says and the link to each warning; on SQLite and PostgreSQL.

The world is the monitoring world of ``tests.web.test_warnings`` (March 2025 judged: 甲 and 丙 in
桐庐县, 乙 in 淳安县), where 甲 holds parcel A1, 丙 owns parcel A2 (an ``owned`` occupancy row),
乙 holds parcel B1 and leases in B2 (which is not holding it); A1 and A3 have a yellow warning
of their own, B2 a closed one.
"""

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from mujun.monitoring.warnings import close, receive, report
from mujun.records import EarlyWarning, LandOccupancy, MonitoringRun, Parcel
from mujun.web.app import create_app
from tests.web.conftest import COUNTY_A, COUNTY_B, sign_in
from tests.web.test_warnings import E_A, E_B, E_C, World, build_world

A1, A2, A3 = (f"{COUNTY_A}001001GB{i:05d}" for i in (1, 2, 3))
B1, B2 = (f"{COUNTY_B}001001GB{i:05d}" for i in (1, 2))
EVERYWHERE = "118.9,29.7,119.7,29.9"
START_DUE = "monitor/start-due"


@dataclass(frozen=True)
class WarnedWorld:
    world: World
    start_due_a1: int
    start_due_a3: int
    closed_b2: int


def _parcel_warning(run: MonitoringRun, parcel_id: str, county: str, *, live: bool) -> EarlyWarning:
    return EarlyWarning(
        profile=run.profile,
        signal=START_DUE,
        level="yellow",
        subject_type="parcel",
        subject_id=parcel_id,
        subject_name=None,
        county_code=county,
        routed_to=[county, "natural_resources", "commerce"],
        open_key=f"{START_DUE}|parcel|{parcel_id}" if live else None,
        state="issued" if live else "closed",
        since="2025-02",
        last_month=run.month,
        evidence="{}",
        raised_by_run=run.id,
        issued_on=run.issued_on,
    )


def build_warned_world(engine: Engine) -> WarnedWorld:
    world = build_world(engine)
    with Session(engine) as db:
        db.info.update(actor="setup", reason="warnings on the map")
        for parcel_id, holder in ((A1, E_A), (B1, E_B)):
            db.get_one(Parcel, parcel_id).holder_credit_code = holder
        db.add_all(
            [
                LandOccupancy(credit_code=E_C, parcel_id=A2, kind="owned", area_m2=40_000.0),
                LandOccupancy(credit_code=E_B, parcel_id=B2, kind="leased_in", area_m2=1_000.0),
            ]
        )
        run = db.scalars(select(MonitoringRun)).one()
        own = [
            _parcel_warning(run, A1, COUNTY_A, live=True),
            _parcel_warning(run, A3, COUNTY_A, live=True),
            _parcel_warning(run, B2, COUNTY_B, live=False),
        ]
        db.add_all(own)
        db.commit()
        return WarnedWorld(world, *(w.id for w in own))


@pytest.fixture
def warned(engine: Engine) -> WarnedWorld:
    return build_warned_world(engine)


@pytest.fixture
def client(warned: WarnedWorld) -> Iterator[TestClient]:
    with TestClient(create_app(warned.world.engine)) as served:
        yield served


def warned_parcels(client: TestClient, **params: Any) -> dict[str, dict[str, Any]]:
    """The layer's parcels in view (their outlines), by parcel id; each point checked to be
    the same parcel with the same properties."""
    answer = client.get("/api/map/warnings", params={"bbox": EVERYWHERE, "zoom": 14, **params})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/geo+json"
    features = answer.json()["features"]
    outlines = [f["properties"] for f in features if f["geometry"]["type"] == "Polygon"]
    points = [f["properties"] for f in features if f["geometry"]["type"] == "Point"]
    assert points == outlines
    return {p["parcel_id"]: p for p in outlines}


def test_the_city_sees_every_live_warning_on_its_parcels(
    client: TestClient, warned: WarnedWorld
) -> None:
    w = warned.world
    sign_in(client, "analyst")
    shown = warned_parcels(client)
    assert {p: shown[p]["level"] for p in shown} == {
        A1: "orange",  # 甲's drop (orange) and its own start (yellow)
        A2: "red",  # 丙's stop (red) and drop (orange), as the owner of A2
        A3: "yellow",
        B1: "orange",  # 乙's drop; B2 only leased in, and its own warning closed
    }
    assert [x["id"] for x in shown[A1]["warnings"]] == [w.drop_a, warned.start_due_a1]
    assert [x["id"] for x in shown[A2]["warnings"]] == [w.stopped_c, w.drop_c]
    stopped, drop = shown[A2]["warnings"]
    assert stopped == {
        "id": w.stopped_c,
        "level": "red",
        "level_label": "红色",
        "signal": "连续零用电",
        "since": "2025年3月",
        "subject": "丙公司",
        "href": f"/warnings/{w.stopped_c}",
    }
    assert drop["signal"] == "用电量连续骤降" and drop["level_label"] == "橙色"
    assert shown[A3]["warnings"][0]["subject"] == f"宗地 {A3}"
    assert all(w.feed_tax not in [x["id"] for x in p["warnings"]] for p in shown.values())

    # Only the view's parcels; in English when asked.
    assert warned_parcels(client, bbox="119.0,29.7,119.2,29.9").keys() == {B1}
    english = warned_parcels(client, lang="en")[A2]["warnings"][0]
    assert (english["level_label"], english["signal"], english["since"]) == (
        "red",
        "No electricity used, months in a row",
        "Mar 2025",
    )


def test_a_county_sees_its_own_warnings_only(client: TestClient, warned: WarnedWorld) -> None:
    sign_in(client, "officer")  # 桐庐县
    shown = warned_parcels(client)
    assert shown.keys() == {A1, A2, A3}
    for link in {x["href"] for p in shown.values() for x in p["warnings"]}:
        assert client.get(link).status_code == 200, link  # each link is a page it may read


def test_a_warning_closed_leaves_the_map(client: TestClient, warned: WarnedWorld) -> None:
    sign_in(client, "officer")
    number, on = warned.start_due_a3, dt.date(2025, 4, 2)
    with Session(warned.world.engine) as db:
        receive(db, number, on=on, actor="li")
        report(db, number, on=on, text="已核实", actor="li")
        close(db, number, on=on, reason="已开工", actor="li")
        db.commit()
    assert warned_parcels(client).keys() == {A1, A2}
