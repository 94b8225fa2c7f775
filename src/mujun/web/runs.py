"""认定与评价批次: starting an identification or an evaluation run in the background (a job), its
progress, the kept runs, and what one identification run finds that another does not; in the
API and on the runs page."""

import datetime as dt
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Generic, Literal, TypeVar

import pyarrow as pa
from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi import Path as PathParameter
from fastapi.responses import HTMLResponse
from pydantic import AfterValidator, BaseModel, Field
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from mujun.evaluation.service import evaluate_and_keep
from mujun.identification.evidence import format_evidence
from mujun.identification.runs import RunNotFoundError, diff_runs, get_run, same_run
from mujun.identification.service import identify_and_keep
from mujun.interchange.problems import Language
from mujun.policy.parameters import ParameterError
from mujun.policy.profiles import Profile, all_profiles
from mujun.policy.what_if import (
    RequestedProfileError,
    plausible_as_of,
    plausible_year,
    shipped_profile,
    with_what_if,
)
from mujun.progress import Progress
from mujun.records import EvaluationRun, Finding, Grade, IdentificationRun, Job
from mujun.records.base import aware
from mujun.records.kept import Run
from mujun.units import m2_to_mu
from mujun.web.dependencies import MAX_ID, Current, Database, Reader, gate
from mujun.web.findings import FindingRow
from mujun.web.formatting import stage_titles
from mujun.web.gate import admitted, counties_read, restrict
from mujun.web.jobs import Work, Worker, worker_of
from mujun.web.language import language_of
from mujun.web.listing import CountyParam, PageParam
from mujun.web.pages import PAGE, page_count, signed_in_page
from mujun.web.permissions import ALLOWED, Action, Role, Scope

router = APIRouter()
Starter = Annotated[Current, Depends(gate(Action.RUN))]
Kind = Literal["identification", "evaluation"]
RECENT_JOBS = 10
DIFF_LIMIT = 200
Row = TypeVar("Row", bound=BaseModel)
RESULTS = {"identification": "/findings?run={}", "evaluation": "/grades?run={}"}
"""Where each kind of run's results are listed."""


class JobRequest(BaseModel):
    kind: Kind
    profile: str = Field(
        min_length=1, max_length=64, description="配置 / profile, e.g. tonglu-2022"
    )
    as_of: str | None = Field(
        default=None, max_length=32, description="认定截至日 YYYY-MM-DD / as-of date (认定)"
    )
    year: int | None = Field(
        default=None,
        ge=1,
        le=9999,
        description="评价年度 / year (评价); a year outside the plausible range is refused",
    )
    what_if: list[Annotated[str, Field(max_length=256)]] = Field(
        default_factory=list, max_length=100, description="假设参数 NAME=VALUE / what-if values"
    )


Moment = Annotated[dt.datetime, AfterValidator(aware)]
"""A stored moment, in UTC whichever database it came from."""


class JobView(BaseModel):
    id: int
    kind: str
    request: dict[str, Any]
    """What was asked: the profile, ``as_of`` or ``year``, and the what-if values by name."""
    actor: str
    state: str
    """``queued``, ``running``, ``finished`` or ``failed``."""
    progress: float
    stage: str | None
    """The stage as the run reports it (a rule's id, ``read parcels``…)."""
    stage_zh: str | None = None
    stage_en: str | None = None
    """The stage by name: 读取「宗地」, 判定：动工开发未满一年… (:func:`stage_titles`)."""
    created_at: Moment
    finished_at: Moment | None
    run_id: int | None
    error: str | None
    run_url: str | None = None
    """The page listing the kept run's findings or grades."""
    published_run: int | None = None
    """For a what-if identification: the run of the published profile it is compared with
    (``/runs/diff?a={published_run}&b={run_id}``)."""


class JobPage(BaseModel):
    total: int
    page: int
    page_size: int
    items: list[JobView]


class RunSummary(BaseModel):
    id: int
    profile: str
    profile_version: int
    as_of: dt.date
    overrides: dict[str, str]
    actor: str
    finished_at: Moment


class ChangedFinding(FindingRow):
    key_before: bool
    evidence_before: str


class Difference(BaseModel):
    """What run ``b`` finds that run ``a`` does not, in the account's area (or one county of
    it): the counts, and the first ``limit`` findings of each kind."""

    a: RunSummary
    b: RunSummary
    county: str | None
    added: int
    dropped: int
    changed: int
    limit: int
    added_findings: list[FindingRow]
    dropped_findings: list[FindingRow]
    changed_findings: list[ChangedFinding]


# -- jobs -------------------------------------------------------------------------------------


@router.post(
    "/api/jobs",
    status_code=202,
    response_model=JobView,
    tags=["runs"],
    summary="发起认定或评价 / start a run",
)
def start_job(
    body: JobRequest, current: Starter, worker: Annotated[Worker, Depends(worker_of)]
) -> JobView:
    """Start an identification (a profile with rules, as of ``as_of``) or an evaluation (a
    profile with an evaluation, of ``year``) in the background, with the what-if values given:
    202 and the queued job, to follow at ``/api/jobs/{id}``. A request that cannot run is
    refused (422) saying why, in Chinese and in English."""
    actor = current.account.username
    try:
        kept, work = REQUESTS[body.kind](body, worker.engine, actor)
    except RequestedProfileError as error:
        raise HTTPException(status_code=422, detail=f"{error.zh} / {error.en}") from None
    job = worker.start(kind=body.kind, request=kept, account=current.account, work=work)
    return job_view(worker.engine, job)


@router.get("/api/jobs", response_model=JobPage, tags=["runs"], summary="批次任务 / jobs")
def list_jobs(
    request: Request,
    _: Reader,
    db: Database,
    page: PageParam = 1,
    page_size: Annotated[int, Query(ge=1, le=100)] = 20,
) -> JobPage:
    """The jobs started from the web, the latest first."""
    total = db.scalar(select(func.count()).select_from(Job)) or 0
    jobs = db.scalars(
        select(Job).order_by(Job.id.desc()).offset((page - 1) * page_size).limit(page_size)
    ).all()
    engine = _engine(request)
    return JobPage(
        total=total,
        page=page,
        page_size=page_size,
        items=[job_view(engine, job) for job in jobs],
    )


@router.get("/api/jobs/{job_id}", response_model=JobView, tags=["runs"], summary="任务 / a job")
def get_job(
    request: Request,
    job_id: Annotated[int, PathParameter(ge=1, le=MAX_ID)],
    _: Reader,
    db: Database,
) -> JobView:
    """One job: its state, progress and stage, and the run it kept or why it failed."""
    job = db.get(Job, job_id)
    if job is None:
        raise HTTPException(status_code=404, detail=f"没有任务 {job_id} / no job {job_id}")
    return job_view(_engine(request), job)


def job_view(engine: Engine, job: Job) -> JobView:
    """A job as the API shows it, with where its run's results are."""
    view = JobView.model_validate(job, from_attributes=True)
    titles = stage_titles(job.stage, job.request.get("profile"))
    if titles is not None:
        view = view.model_copy(update={"stage_zh": titles[0], "stage_en": titles[1]})
    if job.run_id is None:
        return view
    published = None
    if job.kind == "identification" and job.request.get("what_if"):
        published = _published_of(engine, job.run_id)
    listed = RESULTS.get(job.kind)  # a monitoring run's warnings have no list here
    return view.model_copy(
        update={
            "run_url": None if listed is None else listed.format(job.run_id),
            "published_run": published,
        }
    )


def _identification_request(
    body: JobRequest, engine: Engine, actor: str
) -> tuple[dict[str, Any], Work]:
    """The identification asked for, as kept with the job, and its work; refused when the
    profile has no rules, the date is missing or wrong, a what-if value cannot be read, or
    the profile is not in force on the date; refused too when the date is implausible or a
    what-if value lies outside its parameter's range."""
    profile = shipped_profile(body.profile)
    if not profile.rules:
        raise RequestedProfileError(
            f"{profile.id} 没有认定规则（它是综合评价配置：请发起综合评价）",
            f"{profile.id} has no identification rules (it is an evaluation: start an evaluation)",
        )
    day = plausible_as_of(_date(body.as_of))
    profile = with_what_if(profile, body.what_if)
    try:
        profile.values(day).in_force()
    except ParameterError as error:
        raise RequestedProfileError(
            f"{profile.id} 在 {day} 尚未施行：{error}",
            f"{profile.id} is not in force on {day}: {error}",
        ) from error

    def work(on_progress: Progress) -> int:
        return identify_and_keep(
            engine=engine, profile=profile, as_of=day, actor=actor, on_progress=on_progress
        ).run_id

    return _kept(profile, as_of=day.isoformat()), work


def _evaluation_request(
    body: JobRequest, engine: Engine, actor: str
) -> tuple[dict[str, Any], Work]:
    """The evaluation asked for, as kept with the job, and its work; refused when the profile
    defines no evaluation, the year is missing or implausible, or a what-if value cannot be read
    or lies outside its parameter's range."""
    profile = shipped_profile(body.profile)
    if profile.evaluation is None:
        raise RequestedProfileError(
            f"{profile.id} 没有综合评价（请选择有综合评价的配置）",
            f"{profile.id} defines no comprehensive evaluation (choose one that does)",
        )
    if body.year is None:
        raise RequestedProfileError("请填写评价年度", "give the year to evaluate")
    year = plausible_year(body.year)
    profile = with_what_if(profile, body.what_if)

    def work(on_progress: Progress) -> int:
        return evaluate_and_keep(
            engine=engine, profile=profile, year=year, actor=actor, on_progress=on_progress
        ).run_id

    return _kept(profile, year=year), work


REQUESTS: dict[str, Callable[[JobRequest, Engine, str], tuple[dict[str, Any], Work]]] = {
    "identification": _identification_request,
    "evaluation": _evaluation_request,
}


def _kept(profile: Profile, **when: Any) -> dict[str, Any]:
    """A request as a job keeps it: the profile, ``when`` (its date or year), the what-if."""
    return {"profile": profile.id, **when, "what_if": dict(profile.overrides)}


def _date(text: str | None) -> dt.date:
    try:
        return dt.date.fromisoformat(text or "")
    except ValueError:
        raise RequestedProfileError(
            f"认定截至日应为 YYYY-MM-DD：{text or ''}",
            f"the as-of date is YYYY-MM-DD: {text or ''}",
        ) from None


# -- the difference between two runs ------------------------------------------------------------


@router.get(
    "/api/runs/diff", response_model=Difference, tags=["runs"], summary="批次比对 / compare runs"
)
def run_difference(
    request: Request,
    current: Reader,
    a: Annotated[
        int, Query(ge=1, le=MAX_ID, description="较早（或按政策原文）的批次 / the earlier run")
    ],
    b: Annotated[int, Query(ge=1, le=MAX_ID, description="较晚（或假设）的批次 / the later run")],
    county: CountyParam = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = DIFF_LIMIT,
) -> Difference:
    """The findings run ``b`` adds, drops and changes against run ``a``, in the account's area;
    a county outside it is refused."""
    counties_read(current.scope, county)  # refused before any run is read
    engine = _engine(request)
    try:
        runs = get_run(engine, a), get_run(engine, b)
    except RunNotFoundError as error:
        raise HTTPException(
            status_code=404,
            detail=f"没有认定批次 {error.run_id} / no identification run {error.run_id}",
        ) from None
    difference = diff_runs(engine, a, b)
    added, dropped, changed = (
        _within(table, current.scope, county)
        for table in (difference.added, difference.dropped, difference.changed)
    )
    return Difference(
        a=RunSummary.model_validate(runs[0], from_attributes=True),
        b=RunSummary.model_validate(runs[1], from_attributes=True),
        county=county,
        added=added.num_rows,
        dropped=dropped.num_rows,
        changed=changed.num_rows,
        limit=limit,
        added_findings=_rows(FindingRow, added, limit),
        dropped_findings=_rows(FindingRow, dropped, limit),
        changed_findings=_rows(ChangedFinding, changed, limit),
    )


def _within(table: pa.Table, scope: Scope, county: str | None) -> pa.Table:
    """The findings of ``county``, else of the scope's counties."""
    counties = table["county_code"].to_numpy(zero_copy_only=False)
    return table.filter(pa.array(admitted(scope, counties, county=county)))


def _rows(model: type[Row], table: pa.Table, limit: int) -> list[Row]:
    return [model.model_validate(row) for row in table.slice(0, limit).to_pylist()]


# -- pages ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Listed(Generic[Run]):
    """One page of kept runs, each with how many rows it made in the account's area."""

    runs: list[tuple[Run, int]]
    page: int
    pages: int


@router.get("/runs", response_class=HTMLResponse, include_in_schema=False)
def runs_page(
    request: Request,
    current: Reader,
    db: Database,
    page: PageParam = 1,
    evaluations_page: PageParam = 1,
) -> HTMLResponse:
    """认定与评价批次: the forms that start a run (for accounts that may), the latest jobs with
    their progress, and the kept identification and evaluation runs, fifty a page."""
    engine = _engine(request)
    identification = _listed(db, current.scope, IdentificationRun, page, Finding)
    today = dt.date.today()
    profiles = all_profiles()
    return signed_in_page(
        request,
        "runs.html",
        current,
        may_run=Action.RUN in ALLOWED[Role(current.account.role)],
        profile_titles={p.id: (p.title_zh, p.title_en) for p in profiles if p.title_zh},
        identification_profiles=[p for p in profiles if p.rules],
        evaluation_profiles=[p for p in profiles if p.evaluation is not None],
        today=today.isoformat(),
        last_year=today.year - 1,
        jobs=list_jobs(request, current, db, page=1, page_size=RECENT_JOBS).items,
        identification=identification,
        published={
            run.id: _published(engine, run) for run, _ in identification.runs if run.overrides
        },
        evaluation=_listed(db, current.scope, EvaluationRun, evaluations_page, Grade),
    )


@router.get("/runs/diff", response_class=HTMLResponse, include_in_schema=False)
def run_difference_page(
    request: Request,
    current: Reader,
    a: Annotated[int, Query(ge=1, le=MAX_ID)],
    b: Annotated[int, Query(ge=1, le=MAX_ID)],
    county: CountyParam = None,
) -> HTMLResponse:
    """批次比对: the findings added, dropped and changed, the first two hundred of each, each
    parcel linking to its file."""
    difference = run_difference(request, current, a=a, b=b, county=county, limit=DIFF_LIMIT)
    lang = language_of(request)
    return signed_in_page(
        request,
        "run_diff.html",
        current,
        difference=difference,
        county=county or "",
        kinds=[
            ("added", "新增", "Added", _shown(difference.added_findings, lang)),
            ("dropped", "移出", "Dropped", _shown(difference.dropped_findings, lang)),
            ("changed", "变化", "Changed", _shown(difference.changed_findings, lang)),
        ],
    )


def _shown(rows: Sequence[FindingRow], lang: Language) -> list[dict[str, Any]]:
    """Findings as the page shows them: the area in mu and the figures in words (before and
    after, for a changed one)."""
    return [
        {
            **row.model_dump(),
            "area_mu": "" if row.area_m2 is None else f"{m2_to_mu(row.area_m2):,.2f}",
            "figures": format_evidence(json.loads(row.evidence), lang),
            "figures_before": format_evidence(json.loads(row.evidence_before), lang)
            if isinstance(row, ChangedFinding)
            else "",
        }
        for row in rows
    ]


def _listed(
    db: Session,
    scope: Scope,
    model: type[Run],
    page: int,
    produced: type[Finding | Grade],
) -> Listed[Run]:
    """A page of the kept runs of ``model``, the latest first, each with how many rows of
    ``produced`` (findings or grades) it made in the scope's counties."""
    total = db.scalar(select(func.count()).select_from(model)) or 0
    runs = db.scalars(
        select(model).order_by(model.id.desc()).offset((page - 1) * PAGE).limit(PAGE)
    ).all()
    counts = _counts(db, scope, [run.id for run in runs], produced)
    return Listed(
        runs=[
            (run, _whole_count(run) if counts is None else counts.get(run.id, 0)) for run in runs
        ],
        page=page,
        pages=page_count(total),
    )


def _counts(
    db: Session,
    scope: Scope,
    run_ids: list[int],
    produced: type[Finding | Grade],
) -> dict[int, int] | None:
    """How many rows of ``produced`` (findings or grades) each run made in the scope's
    counties; None for the whole city."""
    if scope.everywhere:
        return None
    run_id = produced.run_id
    made = select(run_id, func.count()).where(run_id.in_(run_ids)).group_by(run_id)
    rows = db.execute(restrict(made, scope, produced)).all()
    return {found: count for found, count in rows}


def _whole_count(run: IdentificationRun | EvaluationRun) -> int:
    return run.finding_count if isinstance(run, IdentificationRun) else run.graded_count


def _published_of(engine: Engine, run_id: int) -> int | None:
    """:func:`_published` of the run ``run_id``; None when the run is gone (deleted)."""
    try:
        return _published(engine, get_run(engine, run_id))
    except RunNotFoundError:
        return None


def _published(engine: Engine, run: IdentificationRun) -> int | None:
    """For a what-if run, the latest run of its profile as published, as of the same date on
    the same data; None for a run without what-if values, or when there is none."""
    if not run.overrides:
        return None
    return same_run(
        engine, profile=run.profile, as_of=run.as_of, fingerprint=run.fingerprint, overrides={}
    )


def _engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine
