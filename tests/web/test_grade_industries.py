"""The industries the grade list's filter offers: the divisions of the run's grades in the
reader's area, read one distinct code at a time (a recursive query), in code order."""

import json
import re

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from mujun.records import Grade
from tests.builders import evaluation_run
from tests.web.conftest import COUNTY_A, COUNTY_B, sign_in

INDUSTRIES = [
    (COUNTY_A, "C3489"),
    (COUNTY_A, "C3411"),
    (COUNTY_A, None),
    (COUNTY_B, "C1711"),
    (COUNTY_B, "C3489"),
    (COUNTY_B, "X99"),  # not of the standard: not offered
    (COUNTY_B, "G5990"),
]


def _keep(engine: Engine) -> None:
    with Session(engine) as session:
        kept = evaluation_run(graded_count=len(INDUSTRIES))
        session.add(kept)
        session.flush()
        for i, (county, industry) in enumerate(INDUSTRIES, 1):
            session.add(
                Grade(
                    run_id=kept.id,
                    credit_code=f"91330100MA0000{i:03d}X",
                    name=f"企业{i}",
                    cohort="above_scale",
                    rank=i,
                    cohort_size=len(INDUSTRIES),
                    score=100.0 - i,
                    grade="B",
                    land_mu=10.0,
                    deduction_points=0.0,
                    county_code=county,
                    park_code=None,
                    industry_code=industry,
                    indicators=json.dumps({"tax_per_mu_yuan": None}),
                    points="{}",
                )
            )
        session.commit()


def _offered(client: TestClient, **params: str) -> list[str]:
    page = client.get("/grades", params=params)
    assert page.status_code == 200
    select = re.search(r'<select[^>]*name="industry".*?</select>', page.text, re.S)
    assert select is not None
    return [v for v in re.findall(r'<option value="([^"]*)"', select.group(0)) if v]


def test_the_industries_offered_are_the_areas(app_client: TestClient, city: Engine) -> None:
    _keep(city)
    sign_in(app_client, "analyst")
    assert _offered(app_client) == ["C17", "C34", "G59"]
    assert _offered(app_client, county=COUNTY_A) == ["C34"]
    assert app_client.get("/api/grades").json()["total"] == len(INDUSTRIES)
    assert app_client.get("/api/grades", params={"county": COUNTY_B}).json()["total"] == 4
    sign_in(app_client, "officer")
    assert _offered(app_client) == ["C34"]
    assert app_client.get("/api/grades").json()["total"] == 3
