"""工作台: the landing page of every account, by role — what needs this account now.

For this issue: the runs of record of each profile and whether the records changed after each
was started; each department's last data (the last import that brought any of its tables);
the recent imports; and, for an account that imports, its duties (the tables and columns it
supplies) with the template to fill in. One service function (:func:`workbench`) serves the
page and the JSON API (``/api/workbench``).

Extension points: the disposal and monitoring issues add what needs doing and what to watch
by appending a function to :data:`TODO_SOURCES` or :data:`WARNING_SOURCES`; each takes the
session and the account's :class:`~mujun.web.dependencies.Current` and returns
:class:`Item` s, which the page lists at its top and the API returns.
"""

import datetime as dt
import tempfile
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, HTMLResponse
from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mujun.evaluation import runs as evaluation_runs
from mujun.identification import runs as identification_runs
from mujun.interchange import schema
from mujun.interchange.workbooks.template import write_template
from mujun.monitoring.feeds import last_months_received
from mujun.policy import duties
from mujun.policy.profiles import Profile, all_profiles
from mujun.records import DataImport, EvaluationRun, Finding, Grade, IdentificationRun
from mujun.records.accounts import Account, WebSession
from mujun.records.base import aware
from mujun.records.changes import facts_written_at
from mujun.web import gate
from mujun.web.cases import case_todos
from mujun.web.dependencies import Current, Database, signed_in
from mujun.web.objections import objection_todos
from mujun.web.pages import signed_in_page
from mujun.web.permissions import ALLOWED, Action, RefusedError, Role, Scope, restrict
from mujun.web.warning_inbox import warning_items
from mujun.web.worklist import Item

router = APIRouter(tags=["workbench"])
RECENT_IMPORTS = 8


def any_role(found: Annotated[tuple[Account, WebSession], Depends(signed_in)]) -> Current:
    """The permission gate for the workbench, which every role has: the account's scope for
    reading when it may read, else for importing (a data provider reads no records; its
    workbench shows only its duties and its own imports)."""
    account, web_session = found
    role = Role(account.role)
    if Action.READ in ALLOWED[role]:
        return Current(account=account, session=web_session, scope=restrict(account, Action.READ))
    try:
        scope = restrict(account, Action.IMPORT)
    except RefusedError:  # a data provider of no known department: the page says why
        scope = Scope(frozenset())
    return Current(account=account, session=web_session, scope=scope)


any_role.gated_action = "any"  # type: ignore[attr-defined]
Anyone = Annotated[Current, Depends(any_role)]


Source = Callable[[Session, Current], Sequence[Item]]
TODO_SOURCES: list[Source] = [case_todos, objection_todos]
"""What needs doing, by the issues that bring it (the disposal cases' deadlines, …)."""
WARNING_SOURCES: list[Source] = [warning_items]
"""What to watch, by the issues that bring it (the monitoring's early warnings, …)."""


NO_DEPARTMENT = Item(
    level="danger",
    zh="本账号未设置有效的报送部门，暂不能导入数据：请联系系统管理员设置。",
    en="This account names no known department and cannot import yet: ask the administrator.",
)


class RunOfRecord(BaseModel):
    """A profile's run of record (the latest published, never a what-if) and whether the
    records changed after it started."""

    kind: Literal["identification", "evaluation"]
    run: int
    profile: str
    title_zh: str
    title_en: str
    as_of: dt.date | None
    """An identification's as-of date."""
    year: int | None
    """An evaluation's year."""
    started_at: dt.datetime
    finished_at: dt.datetime
    count: int
    """Findings (or graded enterprises) in the account's area."""
    imports_since: int
    """Imports finished after the run started."""
    changed_since: bool
    """Whether any record changed after the run started: its figures may be stale."""


class Freshness(BaseModel):
    """A department's last data: the last import that brought any of its tables."""

    department: str
    label_zh: str
    label_en: str
    tables: list[str]
    last_import: int | None
    last_at: dt.datetime | None
    last_month: str | None = None
    """For a department that sends monthly figures, the latest month it sent one
    (:func:`mujun.monitoring.feeds.last_months_received`)."""
    monthly: bool = False
    """Whether the department sends monthly figures."""


class RecentImport(BaseModel):
    id: int
    finished_at: dt.datetime
    actor: str
    tables: list[str]
    """The tables it added or updated rows of."""
    written: int
    """Rows added or updated."""


class DutyColumn(BaseModel):
    name: str
    label_zh: str


class Duty(BaseModel):
    """A table the account supplies, with the columns it may bring."""

    table: str
    label_zh: str
    file_name: str
    columns: list[DutyColumn]


class Workbench(BaseModel):
    role: str
    role_zh: str
    reads: bool
    """Whether the account reads the records (its runs, freshness and all imports are shown)."""
    imports: bool
    todos: list[Item]
    warnings: list[Item]
    runs: list[RunOfRecord]
    records_changed_at: dt.datetime | None
    """When the records last changed (a data table's logged change)."""
    freshness: list[Freshness]
    recent_imports: list[RecentImport]
    """The latest imports; a data provider sees its own only."""
    department_zh: str | None
    department_en: str | None
    duties: list[Duty]


def workbench(*, session: Session, current: Current) -> Workbench:
    """What needs ``current``'s account now."""
    role = Role(current.account.role)
    reads = Action.READ in ALLOWED[role]
    imports = Action.IMPORT in ALLOWED[role]
    changed_at = facts_written_at(session, DATA_TABLES)
    department = current.scope.imports
    warnings = [item for source in WARNING_SOURCES for item in source(session, current)]
    if imports and department is None and not reads:
        warnings.insert(0, NO_DEPARTMENT)
    if reads:
        department = None  # the administrator imports every table: no duties to list
    return Workbench(
        role=role.value,
        role_zh=role.label_zh,
        reads=reads,
        imports=imports,
        todos=[item for source in TODO_SOURCES for item in source(session, current)],
        warnings=warnings,
        runs=_runs_of_record(session, current.scope, changed_at) if reads else [],
        records_changed_at=changed_at if reads else None,
        freshness=_freshness(session) if reads else [],
        recent_imports=_recent_imports(session, None if reads else current.account.username),
        department_zh=None if department is None else department.label_zh,
        department_en=None if department is None else department.label_en,
        duties=[] if department is None else _duties(department),
    )


DATA_TABLES = frozenset(spec.table.name for spec in schema.tables())
"""The tables of the records a run reads (accounts and sessions are logged too, but change no
figure)."""


def _runs_of_record(
    session: Session, scope: Scope, changed_at: dt.datetime | None
) -> list[RunOfRecord]:
    """Each profile's run of record: its latest published identification run, and its latest
    published evaluation run of the latest year."""
    titles = {p.id: p for p in all_profiles()}
    shown: list[RunOfRecord] = []
    latest = (
        select(func.max(IdentificationRun.id))
        .where(identification_runs.PUBLISHED)
        .group_by(IdentificationRun.profile)
    )
    for run in session.scalars(
        select(IdentificationRun).where(IdentificationRun.id.in_(latest))
    ).all():
        count = _count(session, Finding, run.id, scope)
        shown.append(
            _of_record(session, "identification", run, titles, count, changed_at, as_of=run.as_of)
        )
    ranked = (
        select(
            EvaluationRun.id,
            func.row_number()
            .over(
                partition_by=EvaluationRun.profile,
                order_by=(EvaluationRun.year.desc(), EvaluationRun.id.desc()),
            )
            .label("nth"),
        )
        .where(evaluation_runs.PUBLISHED)
        .subquery()
    )
    for evaluation in session.scalars(
        select(EvaluationRun).where(
            EvaluationRun.id.in_(select(ranked.c.id).where(ranked.c.nth == 1))
        )
    ).all():
        count = _count(session, Grade, evaluation.id, scope)
        shown.append(
            _of_record(
                session, "evaluation", evaluation, titles, count, changed_at, year=evaluation.year
            )
        )
    return sorted(shown, key=lambda r: (r.kind, r.profile))


def _count(session: Session, produced: type[Finding | Grade], run: int, scope: Scope) -> int:
    """How many rows of ``produced`` (findings or grades) run ``run`` made in the scope."""
    query = select(func.count()).select_from(produced).where(produced.run_id == run)
    return session.scalar(gate.restrict(query, scope, produced)) or 0


def _of_record(
    session: Session,
    kind: Literal["identification", "evaluation"],
    run: IdentificationRun | EvaluationRun,
    titles: dict[str, Profile],
    count: int,
    changed_at: dt.datetime | None,
    *,
    as_of: dt.date | None = None,
    year: int | None = None,
) -> RunOfRecord:
    profile = titles.get(run.profile)
    started = aware(run.started_at)
    imports_since = (
        session.scalar(
            select(func.count()).select_from(DataImport).where(DataImport.finished_at > started)
        )
        or 0
    )
    return RunOfRecord(
        kind=kind,
        run=run.id,
        profile=run.profile,
        title_zh=profile.title_zh if profile else run.profile,
        title_en=profile.title_en if profile else run.profile,
        as_of=as_of,
        year=year,
        started_at=started,
        finished_at=aware(run.finished_at),
        count=count,
        imports_since=imports_since,
        changed_since=changed_at is not None and aware(changed_at) > started,
    )


def _freshness(session: Session) -> list[Freshness]:
    """Per department, the last import that brought any of its tables (rows received, new,
    changed or not: the department sent its data)."""
    last: dict[str, tuple[int, dt.datetime]] = {}
    for id_, finished_at, counts in session.execute(
        select(DataImport.id, DataImport.finished_at, DataImport.counts).order_by(
            DataImport.id.desc()
        )
    ):
        for table in counts or {}:
            last.setdefault(table, (id_, aware(finished_at)))
        if len(last) >= len(DATA_TABLES):
            break
    months = {feed.department: feed.last_month for feed in last_months_received(session)}
    shown = []
    for department in duties.DEPARTMENTS:
        tables = list(department.duties)
        found = [last[t] for t in tables if t in last]
        latest = max(found, key=lambda f: f[0]) if found else None
        shown.append(
            Freshness(
                department=department.code,
                label_zh=department.label_zh,
                label_en=department.label_en,
                tables=tables,
                last_import=None if latest is None else latest[0],
                last_at=None if latest is None else latest[1],
                last_month=months.get(department.code),
                monthly=department.code in months,
            )
        )
    return shown


def _recent_imports(session: Session, actor: str | None) -> list[RecentImport]:
    query = select(DataImport).order_by(DataImport.id.desc()).limit(RECENT_IMPORTS)
    if actor is not None:
        query = query.where(DataImport.actor == actor)
    return [
        RecentImport(
            id=done.id,
            finished_at=aware(done.finished_at),
            actor=done.actor,
            tables=[
                table
                for table, c in (done.counts or {}).items()
                if c.get("inserted", 0) + c.get("updated", 0) > 0
            ],
            written=sum(
                c.get("inserted", 0) + c.get("updated", 0) for c in (done.counts or {}).values()
            ),
        )
        for done in session.scalars(query)
    ]


def _duties(department: duties.Department) -> list[Duty]:
    return [
        Duty(
            table=spec.name,
            label_zh=spec.label_zh,
            file_name=spec.file_name,
            columns=[DutyColumn(name=c.name, label_zh=c.label_zh) for c in columns],
        )
        for spec, columns in duties.importable(department)
    ]


@router.get("/api/workbench", response_model=Workbench, summary="工作台 / workbench")
def api_workbench(current: Anyone, db: Database) -> Workbench:
    """What needs the signed-in account now: the runs of record and whether the records changed
    since, each department's last data, recent imports, and for an importer its duties."""
    return workbench(session=db, current=current)


@router.get("/workbench", response_class=HTMLResponse, include_in_schema=False)
def workbench_page(request: Request, current: Anyone, db: Database) -> HTMLResponse:
    """工作台: every account's landing page."""
    return signed_in_page(
        request,
        "workbench.html",
        current,
        bench=workbench(session=db, current=current),
    )


_TEMPLATE_LOCK = threading.Lock()
_TEMPLATE: list[Path] = []


@router.get("/workbench/template.xlsx", include_in_schema=False)
def template_workbook(_: Anyone) -> FileResponse:
    """The empty workbook departments fill in (``mujun template``), written once per process;
    any signed-in account may have it: it holds no data."""
    with _TEMPLATE_LOCK:
        if not _TEMPLATE:
            path = Path(tempfile.mkdtemp(prefix="mujun-template-")) / "template.xlsx"
            write_template(path)
            _TEMPLATE.append(path)
    return FileResponse(
        _TEMPLATE[0],
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        filename="亩均数据填报模板.xlsx",
    )
