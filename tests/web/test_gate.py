"""The gate every read of records passes (:mod:`mujun.web.gate`): a list is kept to the area or
to a county of it, a county outside the area is refused, one record is refused outside it; and
no web module keeps records to the area by hand."""

import re
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

import mujun.web
from mujun.records import Enterprise, LandOccupancy, Parcel
from mujun.web.gate import admitted, require, restrict
from mujun.web.permissions import RefusedError, Scope
from tests.web.conftest import COUNTY_A, COUNTY_B, PARCEL_A, PARCEL_B

CITY, OFFICER = Scope(None), Scope(frozenset({COUNTY_A}))
TENANT = "91330127MA0000000Y"
"""Registered in county B, leasing land in county A."""


@pytest.fixture
def tenant(city: Engine) -> Engine:
    with Session(city) as session:
        session.add(Enterprise(credit_code=TENANT, name="t", jurisdiction_code=f"{COUNTY_B}001"))
        session.flush()
        session.add(
            LandOccupancy(credit_code=TENANT, parcel_id=PARCEL_A, kind="leased_in", area_m2=1.0)
        )
        session.commit()
    return city


def _parcels(engine: Engine, scope: Scope, county: str | None = None) -> set[str]:
    with Session(engine) as session:
        query = restrict(select(Parcel.parcel_id), scope, Parcel, county=county)
        return set(session.scalars(query))


def test_a_list_is_kept_to_the_area_or_to_a_county_of_it(city: Engine) -> None:
    every = _parcels(city, CITY)
    assert len(every) == 6
    assert {p[:6] for p in _parcels(city, OFFICER)} == {COUNTY_A}
    assert {p[:6] for p in _parcels(city, CITY, COUNTY_B)} == {COUNTY_B}
    assert _parcels(city, OFFICER, COUNTY_A) == _parcels(city, OFFICER)


def test_a_county_outside_the_area_is_refused_not_emptied(city: Engine) -> None:
    with pytest.raises(RefusedError, match=COUNTY_B):
        _parcels(city, OFFICER, COUNTY_B)


def test_one_record_is_refused_outside_the_area(city: Engine) -> None:
    with Session(city) as session:
        require(session, OFFICER, Parcel, PARCEL_A)
        require(session, CITY, Parcel, PARCEL_B)
        for outside in (PARCEL_B, "NO-SUCH-PARCEL"):
            with pytest.raises(RefusedError, match=outside):
                require(session, OFFICER, Parcel, outside)


def test_an_enterprise_is_in_every_county_it_has_land_in(tenant: Engine) -> None:
    with Session(tenant) as session:
        require(session, OFFICER, Enterprise, TENANT)
        listed = restrict(select(Enterprise.credit_code), OFFICER, Enterprise, county=COUNTY_A)
        assert list(session.scalars(listed)) == [TENANT]
        in_b = restrict(select(Enterprise.credit_code), CITY, Enterprise, county=COUNTY_B)
        assert list(session.scalars(in_b)) == [TENANT]


def test_rows_in_memory_pass_the_same_gate() -> None:
    counties = np.array([COUNTY_A, COUNTY_B, None], dtype=object)
    assert admitted(OFFICER, counties).tolist() == [True, False, False]
    assert admitted(CITY, counties).tolist() == [True, True, True]
    assert admitted(CITY, counties, county=COUNTY_B).tolist() == [False, True, False]
    with pytest.raises(RefusedError):
        admitted(OFFICER, counties, county=COUNTY_B)


BY_HAND = re.compile(
    r"scope\.counties|\.require\(\s*county|in_area|codes_in|county_of_each|np\.isin|pc\.is_in"
)
"""What keeping records to the area by hand looked like, before the gate."""


def test_no_web_module_keeps_records_to_the_area_by_hand() -> None:
    web = Path(mujun.web.__file__).parent
    gates = {web / "gate.py", web / "permissions.py"}
    found = [
        f"{path.name}:{number}: {line.strip()}"
        for path in sorted(web.glob("*.py"))
        if path not in gates
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if BY_HAND.search(line)
    ]
    assert not found, "keep records to the area with mujun.web.gate:\n" + "\n".join(found)
