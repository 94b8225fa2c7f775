"""The runs page and its API: runs started in the background and followed to their end, what
they keep, the requests refused before any work, who may start and see runs, the difference
between two runs within the account's area, and jobs a stopped server left unfinished."""

import datetime as dt
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from mujun.identification.runs import get_run
from mujun.interchange.exporter import write_csv_folder
from mujun.interchange.importer import import_data_set
from mujun.progress import Progress
from mujun.records import Account, AuditEntry, Finding, Job
from mujun.web.app import create_app
from mujun.web.jobs import JobState, ProgressWriter, Worker
from tests.builders import NOW, identification_run
from tests.planted import planted_city
from tests.web.conftest import COUNTY_A, COUNTY_B, PARCEL_A, PARCEL_B, sign_in

TONGLU = {"kind": "identification", "profile": "tonglu-2022", "as_of": "2022-12-31"}
LOW_LINE = "tonglu.low.line_yuan_per_mu"
PATIENCE = 300.0
"""Seconds a job may take before a test gives up on it (the demo city takes a few)."""


@pytest.fixture
def demo_client(city: Engine, tmp_path: Path) -> Iterator[TestClient]:
    """The two-county city with a small demo city and the planted cases imported into it,
    served."""
    write_csv_folder(tmp_path / "demo", planted_city(enterprises=60, seed=1))
    assert import_data_set(engine=city, path=tmp_path / "demo", actor="test").committed
    with TestClient(create_app(city)) as client:
        yield client


def start(client: TestClient, token: str, body: dict[str, Any]) -> httpx.Response:
    response: httpx.Response = client.post("/api/jobs", json=body, headers={"X-CSRF-Token": token})
    return response


def ended(client: TestClient, job_id: int) -> dict[str, Any]:
    """The job once it has finished or failed."""
    deadline = time.monotonic() + PATIENCE
    while True:
        job: dict[str, Any] = client.get(f"/api/jobs/{job_id}").json()
        if job["state"] in (JobState.FINISHED, JobState.FAILED):
            return job
        assert time.monotonic() < deadline, job
        time.sleep(0.2)


def test_an_identification_runs_in_the_background_and_a_what_if_reports_its_difference(
    demo_client: TestClient, city: Engine
) -> None:
    token = sign_in(demo_client, "analyst")
    response = start(demo_client, token, TONGLU)
    assert response.status_code == 202, response.text
    assert response.json()["state"] == JobState.QUEUED
    job = ended(demo_client, response.json()["id"])
    assert (job["state"], job["error"], job["progress"], job["stage"]) == (
        JobState.FINISHED,
        None,
        1.0,
        None,
    )
    published = job["run_id"]
    assert job["run_url"] == f"/findings?run={published}"
    assert job["published_run"] is None
    assert get_run(city, published).actor == "analyst"
    findings = demo_client.get("/api/findings", params={"run": published}).json()
    assert findings["run"] == published and findings["total"] > 0

    what_if = start(demo_client, token, {**TONGLU, "what_if": [f" {LOW_LINE} = 50000 "]})
    job = ended(demo_client, what_if.json()["id"])
    assert job["state"] == JobState.FINISHED
    assert job["request"] == {
        "profile": "tonglu-2022",
        "as_of": "2022-12-31",
        "what_if": {LOW_LINE: "50000"},
    }
    assert job["published_run"] == published
    difference = demo_client.get(
        "/api/runs/diff", params={"a": published, "b": job["run_id"]}
    ).json()
    assert difference["added"] > 0 and difference["dropped"] == 0
    assert {f["criterion"] for f in difference["added_findings"]} == {"tonglu/low"}
    assert difference["b"]["overrides"] == {LOW_LINE: "50000"}

    listed = demo_client.get("/api/jobs").json()
    assert [j["id"] for j in listed["items"]] == [what_if.json()["id"], response.json()["id"]]
    page = demo_client.get("/runs")
    assert page.status_code == 200
    assert f'href="/findings?run={job["run_id"]}"' in page.text
    assert f'href="/runs/diff?a={published}&amp;b={job["run_id"]}"' in page.text
    diff_page = demo_client.get("/runs/diff", params={"a": published, "b": job["run_id"]})
    assert diff_page.status_code == 200 and "tonglu/low" in diff_page.text


def test_an_evaluation_runs_and_a_refused_year_fails_in_words(demo_client: TestClient) -> None:
    token = sign_in(demo_client, "admin")
    evaluation = {"kind": "evaluation", "profile": "huangyan-2022", "year": 2025}
    job = ended(demo_client, start(demo_client, token, evaluation).json()["id"])
    assert job["state"] == JobState.FINISHED, job
    assert job["run_url"] == f"/grades?run={job['run_id']}"
    page = demo_client.get("/runs")
    assert f'href="/grades?run={job["run_id"]}"' in page.text

    job = ended(demo_client, start(demo_client, token, {**evaluation, "year": 1990}).json()["id"])
    assert (job["state"], job["run_id"]) == (JobState.FAILED, None)
    assert "takes effect on 2022-01-01" in job["error"]


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({**TONGLU, "profile": "atlantis-2030"}, "atlantis-2030"),
        ({**TONGLU, "profile": "huangyan-2022"}, "没有认定规则"),
        ({"kind": "evaluation", "profile": "tonglu-2022", "year": 2025}, "no comprehensive"),
        ({"kind": "evaluation", "profile": "huangyan-2022"}, "year"),
        ({**TONGLU, "as_of": "2025-13-01"}, "2025-13-01"),
        ({**TONGLU, "as_of": None}, "YYYY-MM-DD"),
        ({**TONGLU, "profile": "ankang-2024", "as_of": "2020-06-30"}, "2024-01-01"),
        ({**TONGLU, "what_if": ["tonglu.low.nonsense=1"]}, "tonglu.low.nonsense"),
        ({**TONGLU, "what_if": [f"{LOW_LINE}=lots"]}, "lots"),
        ({**TONGLU, "what_if": ["no-equals-sign"]}, "no-equals-sign"),
        ({**TONGLU, "as_of": "2200-01-01"}, "2200-01-01"),
        ({"kind": "evaluation", "profile": "huangyan-2022", "year": 2200}, "2200"),
        ({**TONGLU, "what_if": [f"{LOW_LINE}=-1"]}, f"{LOW_LINE}: -1 is outside"),
        (
            {
                "kind": "evaluation",
                "profile": "huangyan-2022",
                "year": 2025,
                "what_if": ["above_scale.share.D=150%"],
            },
            "超出允许范围（0%–100%）",
        ),
    ],
)
def test_a_request_that_cannot_run_is_refused_with_its_reason(
    app_client: TestClient, body: dict[str, Any], says: str
) -> None:
    token = sign_in(app_client, "analyst")
    response = start(app_client, token, body)
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert says in detail and " / " in detail
    assert app_client.get("/api/jobs").json()["total"] == 0


@pytest.mark.parametrize("username", ["officer", "viewer", "provider"])
def test_only_administrators_and_analysts_start_runs(
    app_client: TestClient, city: Engine, username: str
) -> None:
    token = sign_in(app_client, username)
    assert start(app_client, token, TONGLU).status_code == 403
    with Session(city) as session:
        refused = session.scalars(
            select(AuditEntry.target).where(
                AuditEntry.username == username, AuditEntry.outcome == "refused"
            )
        ).all()
        assert refused == ["/api/jobs"]
        assert session.scalar(select(func.count()).select_from(Job)) == 0
    reads = 403 if username == "provider" else 200
    assert app_client.get("/api/jobs").status_code == reads
    page = app_client.get("/runs")
    assert page.status_code == reads
    assert 'data-kind="identification"' not in page.text


def test_the_start_forms_show_to_those_who_may_run_and_a_change_needs_the_csrf_token(
    app_client: TestClient,
) -> None:
    token = sign_in(app_client, "analyst")
    page = app_client.get("/runs")
    assert 'data-kind="identification"' in page.text and 'data-kind="evaluation"' in page.text
    assert '<option value="tonglu-2022">' in page.text
    assert '<option value="huangyan-2022">' in page.text.split('data-kind="evaluation"')[1]
    assert "mujun profiles show" in page.text
    assert token in page.text
    assert app_client.post("/api/jobs", json=TONGLU).status_code == 403
    assert app_client.get("/api/jobs/999").status_code == 404


def kept_run(engine: Engine, findings: list[tuple[str, str, str, str]]) -> int:
    """A run of ankang-2024 with idle findings: (kind, subject, county, evidence) each."""
    with Session(engine) as session:
        run = identification_run(as_of=dt.date(2026, 3, 31), finding_count=len(findings))
        session.add(run)
        session.flush()
        for kind, subject, county, evidence in findings:
            session.add(
                Finding(
                    run_id=run.id,
                    criterion="idle/not-started",
                    category="idle_land",
                    subject_type=kind,
                    subject_id=subject,
                    area_m2=20_000.0,
                    county_code=county,
                    key=False,
                    evidence=evidence,
                    source="§",
                )
            )
        session.commit()
        return run.id


def test_the_difference_shows_only_the_accounts_area(
    app_client: TestClient, city: Engine, run: int
) -> None:
    """Against ``run``: county A's parcel and enterprise are dropped, county B's parcel
    changed, and one parcel of each county added."""
    later = kept_run(
        city,
        [
            ("parcel", PARCEL_B, COUNTY_B, '{"idle_days": 430}'),
            ("parcel", f"{COUNTY_A}001001GB00002", COUNTY_A, '{"idle_days": 400}'),
            ("parcel", f"{COUNTY_B}001001GB00002", COUNTY_B, '{"idle_days": 400}'),
        ],
    )
    sign_in(app_client, "analyst")
    everything = app_client.get("/api/runs/diff", params={"a": run, "b": later}).json()
    assert (everything["added"], everything["dropped"], everything["changed"]) == (2, 2, 1)
    assert everything["changed_findings"][0]["evidence_before"] == '{"idle_days": 400}'

    sign_in(app_client, "officer")
    mine = app_client.get("/api/runs/diff", params={"a": run, "b": later}).json()
    assert (mine["added"], mine["dropped"], mine["changed"]) == (1, 2, 0)
    assert {f["county_code"] for f in mine["added_findings"] + mine["dropped_findings"]} == {
        COUNTY_A
    }
    page = app_client.get("/runs/diff", params={"a": run, "b": later})
    assert page.status_code == 200
    assert f'href="/parcels/{PARCEL_A}"' in page.text and PARCEL_B not in page.text
    for path in ("/api/runs/diff", "/runs/diff"):
        outside = app_client.get(path, params={"a": run, "b": later, "county": COUNTY_B})
        assert outside.status_code == 403
    with Session(city) as session:
        refusals = session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.username == "officer", AuditEntry.outcome == "refused")
        )
    assert refusals == 2
    assert app_client.get("/api/runs/diff", params={"a": run, "b": 999}).status_code == 404


def test_a_page_of_runs_counts_the_findings_in_the_accounts_area(
    app_client: TestClient, run: int
) -> None:
    sign_in(app_client, "analyst")
    assert '<td class="number">3</td>' in app_client.get("/runs").text
    sign_in(app_client, "officer")
    assert '<td class="number">2</td>' in app_client.get("/runs").text


def test_jobs_a_stopped_server_left_are_marked_failed_when_it_starts(city: Engine) -> None:
    with Session(city) as session:
        analyst = session.scalars(select(Account).where(Account.username == "analyst")).one()
        for state in (JobState.QUEUED, JobState.RUNNING, JobState.FINISHED):
            session.add(
                Job(
                    kind="identification",
                    request=TONGLU,
                    account_id=analyst.id,
                    actor="analyst",
                    state=state.value,
                    progress=0.5,
                    created_at=NOW,
                    run_id=7 if state is JobState.FINISHED else None,
                )
            )
        session.commit()
    with TestClient(create_app(city)), Session(city) as session:
        jobs = session.scalars(select(Job).order_by(Job.id)).all()
        assert [j.state for j in jobs] == ["failed", "failed", "finished"]
        assert all("interrupted" in (j.error or "") for j in jobs[:2])
        assert jobs[2].error is None


def test_the_worker_keeps_an_unexpected_error_in_words(city: Engine) -> None:
    with Session(city, expire_on_commit=False) as session:
        account = session.scalars(select(Account).where(Account.username == "admin")).one()
    seen: list[tuple[str, str | None]] = []

    def failing(on_progress: Progress) -> int:
        on_progress("reading", 0.1)
        with Session(city) as session:
            seen.extend(session.execute(select(Job.state, Job.stage)).all())
        raise RuntimeError("the disk is full")

    worker = Worker(city)
    job = worker.start(kind="identification", request={}, account=account, work=failing)
    worker.stop()
    assert seen == [(JobState.RUNNING, "reading")]
    with Session(city) as session:
        kept = session.get(Job, job.id)
        assert kept is not None
        assert (kept.state, kept.error) == (JobState.FAILED, "RuntimeError: the disk is full")
        assert (kept.actor, kept.run_id) == ("admin", None) and kept.finished_at is not None


@pytest.mark.parametrize(
    ("interval", "written"), [(0.0, ("grading", 1.0)), (3600.0, ("read", 0.25))]
)
def test_progress_is_written_at_most_once_an_interval(
    city: Engine, interval: float, written: tuple[str, float]
) -> None:
    with Session(city) as session:
        job = Job(
            kind="evaluation", request={}, actor="x", state="running", progress=0, created_at=NOW
        )
        session.add(job)
        session.commit()
        job_id = job.id
    writer = ProgressWriter(city, job_id, interval=interval)
    writer("read", 0.25)
    writer("grading", 1.5)
    with Session(city) as session:
        assert session.execute(select(Job.stage, Job.progress)).one() == written
