"""导入数据: upload a data set, see what is wrong with it and what it would change, confirm.

An upload is kept in a staging folder (``MUJUN_UPLOADS``, by default ``mujun-uploads`` in the
system's temporary folder), one sub-folder per upload named by a random token, with the
uploader and the reason in ``upload.json``. It is checked at once: its tables and columns
against the account's duties (:mod:`mujun.policy.duties`; anything outside them refuses the whole
upload), then its data, compared with the records but not written. Only the uploader or an
administrator may see or confirm it. Confirming imports the files (all or nothing, every
change logged with who and why); the importer leaves identical rows alone, so confirming twice
changes nothing the second time. An import that writes monthly figures starts a monitoring job
for the months it brought (:mod:`mujun.monitoring.jobs`).
"""

import dataclasses
import datetime as dt
import json
import os
import secrets
import shutil
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PureWindowsPath
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi import Path as PathParameter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, HTMLResponse
from pydantic import BaseModel
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from starlette.datastructures import FormData, UploadFile

from mujun.interchange import schema
from mujun.interchange.importer import (
    ImportBusyError,
    ImportOutcome,
    TableChanges,
    import_data_set,
)
from mujun.interchange.limits import UPLOAD
from mujun.interchange.sources import survey_data_set
from mujun.monitoring.jobs import queue_after_import
from mujun.policy.duties import EVERY_TABLE, importable
from mujun.web import audit
from mujun.web.dependencies import Current, Database, gate
from mujun.web.jobs import worker_of
from mujun.web.language import in_language, language_of
from mujun.web.pages import signed_in_page
from mujun.web.permissions import ALLOWED, Action, RefusedError, Role

UPLOADS = "MUJUN_UPLOADS"
"""The staging folder's environment variable."""
MAX_UPLOAD_BYTES = 200 * 1024 * 1024
MAX_REASON = 1000
MAX_NAME_BYTES = 200
KEPT_FOR = dt.timedelta(days=1)
"""How long an upload stays staged."""
PAGE_PROBLEMS = 500
"""Problems the page lists; the marked workbook and the API have every one."""
SUFFIXES = frozenset({".csv", ".xlsx"})
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_META, _DATA, _MARKED = "upload.json", "data", "marked.xlsx"

router = APIRouter(tags=["imports"])
Importer = Annotated[Current, Depends(gate(Action.IMPORT))]
Token = Annotated[str, PathParameter(pattern=r"^[A-Za-z0-9_-]{22}$")]


class UploadError(Exception):
    """An upload that cannot be checked; the message says why, in Chinese and English."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(en)
        self.zh = zh
        self.en = en


class Detail(BaseModel):
    detail: str


class ProblemRow(BaseModel):
    file: str
    row: int | None
    record: dict[str, str] | None
    """The natural key of the row's record as written (interchange column -> value)."""
    column: str | None
    header: str | None
    """The column as the file named it."""
    value: str | None
    code: str
    reason: str


class TableCounts(BaseModel):
    """A table's rows: how many the upload holds, each of which is upserted; and, for an
    account that may read the records, how many are new, changed and unchanged (None for one
    that may not: the split would tell it whether a stored value equals the one it sent)."""

    label_zh: str
    received: int
    inserted: int | None = None
    updated: int | None = None
    unchanged: int | None = None


class Report(BaseModel):
    """What checking or importing an upload found: every problem, what was passed over, and
    per table the rows received (and to a reader, new, changed and unchanged)."""

    token: str
    problems: list[ProblemRow]
    notices: list[str]
    changes: dict[str, TableCounts]
    revealed: bool
    """Whether the counts split the rows into new, changed and unchanged."""
    marked_workbook: str | None
    """Where the data set with its bad cells marked is downloaded, when it has problems."""


class Checked(Report):
    confirmable: bool
    """No problem, and something would change (to an account that may not read the records:
    some rows were received)."""


class Imported(Report):
    import_id: int | None
    """The import in the change log; None when nothing changed (e.g. confirmed before), and
    always None for an account that may not read the records."""


@dataclass(frozen=True)
class Upload:
    """A staged upload: its token, who sent it and why, the data set (a folder of CSV files
    or one workbook, relative to the upload's folder) and, once checked within the account's
    duties, the columns of each of its tables."""

    token: str
    owner: int
    reason: str
    data_set: str
    supplied: dict[str, list[str]] | None = None

    @property
    def folder(self) -> Path:
        return uploads() / self.token

    def save(self) -> None:
        (self.folder / _META).write_text(json.dumps(dataclasses.asdict(self)), encoding="utf-8")


def uploads() -> Path:
    """The staging folder: ``MUJUN_UPLOADS``, else ``mujun-uploads`` in the temporary folder."""
    return Path(os.environ.get(UPLOADS) or Path(tempfile.gettempdir()) / "mujun-uploads")


def limit_upload(request: Request) -> None:
    """Refuse a body over :data:`MAX_UPLOAD_BYTES` (413), or of unstated length (411), before
    any of it is read."""
    length = request.headers.get("content-length", "")
    if not length.isdigit():
        raise HTTPException(411, "请求须注明长度 / Content-Length required")
    if int(length) > MAX_UPLOAD_BYTES:
        mb = MAX_UPLOAD_BYTES // (1024 * 1024)
        raise HTTPException(413, f"上传内容超过 {mb} MB 上限 / upload larger than {mb} MB")


Limited = Depends(limit_upload)
UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file", "reason"],
                    "properties": {
                        "file": {"type": "array", "items": {"type": "string", "format": "binary"}},
                        "reason": {"type": "string", "maxLength": MAX_REASON},
                    },
                }
            }
        },
    }
}
"""The upload form, documented by hand: it is read only after the size is checked."""
_ERRORS = {
    403: "refused / 无权",
    404: "no such upload / 没有这次上传",
    409: "another import under way / 另一次导入正在进行",
    411: "length required / 须注明长度",
    413: "upload too large / 上传过大",
    422: "bad files or reason / 文件或原因有误",
}


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The documented error responses among :data:`_ERRORS`, each a :class:`Detail`."""
    return {s: {"model": Detail, "description": _ERRORS[s]} for s in statuses}


# -- the API -------------------------------------------------------------------------------


@router.post(
    "/api/imports",
    dependencies=[Limited],
    response_model=Checked,
    responses=_errors(403, 411, 413, 422),
    openapi_extra=UPLOAD_BODY,
    summary="上传并检查数据 / upload and check a data set",
)
async def api_check(request: Request, current: Importer) -> Checked:
    """Stage the CSV files or the workbook in ``file`` with the ``reason`` for importing them,
    refuse them whole if a table or column lies outside the account's duties, and check them
    without writing anything."""
    try:
        upload, outcome = await _check_upload(request, current)
    except UploadError as error:
        raise HTTPException(422, f"{error.zh} / {error.en}") from None
    return _checked(request, upload, outcome, current)


@router.post(
    "/api/imports/{token}/confirm",
    response_model=Imported,
    responses=_errors(403, 404, 409),
    summary="确认导入 / import a checked upload",
)
def api_confirm(request: Request, token: Token, current: Importer, db: Database) -> Imported:
    """Import an upload checked before (the uploader's or, for an administrator, anyone's);
    refused (409) when another import holds the records for too long."""
    try:
        outcome = _confirm(request, token, current, db)
    except ImportBusyError as error:
        raise HTTPException(409, f"{error.zh} / {error.en}") from None
    return _imported(request, token, outcome, current)


@router.get(
    "/api/imports/{token}/marked",
    response_class=FileResponse,
    responses={
        **_errors(403, 404),
        200: {"content": {XLSX: {}}, "description": "标注工作簿 / marked workbook"},
    },
    summary="下载标注工作簿 / the data set with its bad cells marked",
)
def marked_workbook(token: Token, current: Importer) -> FileResponse:
    """The workbook of an upload with problems: every bad cell filled red and commented, and a
    list of every problem."""
    marked = _owned(token, current).folder / _MARKED
    if not marked.is_file():
        raise HTTPException(404, "这次上传没有问题，没有标注工作簿 / no problems, no marked copy")
    return FileResponse(marked, media_type=XLSX, filename=f"标注-{token[:8]}.xlsx")


# -- the page ------------------------------------------------------------------------------


@router.get("/imports", response_class=HTMLResponse, include_in_schema=False)
def imports_page(request: Request, current: Importer) -> HTMLResponse:
    """导入数据: the upload form, and the tables and columns the account may import."""
    return _imports_page(request, current)


@router.post(
    "/imports", dependencies=[Limited], response_class=HTMLResponse, include_in_schema=False
)
async def check_page(request: Request, current: Importer) -> HTMLResponse:
    """The upload form: the check's problems, changes and, when clean, the confirm button."""
    try:
        upload, outcome = await _check_upload(request, current)
    except UploadError as error:
        message = in_language(request, error.zh, error.en)
        return _imports_page(request, current, status_code=422, error=message)
    return _imports_page(request, current, checked=_checked(request, upload, outcome, current))


@router.post("/imports/{token}/confirm", response_class=HTMLResponse, include_in_schema=False)
def confirm_page(request: Request, token: Token, current: Importer, db: Database) -> HTMLResponse:
    """The confirm button: the import's number and counts, or that nothing changed."""
    try:
        outcome = _confirm(request, token, current, db)
    except ImportBusyError as error:
        message = in_language(request, error.zh, error.en)
        return _imports_page(request, current, status_code=409, error=message)
    return _imports_page(request, current, imported=_imported(request, token, outcome, current))


def _imports_page(
    request: Request, current: Current, status_code: int = 200, **context: Any
) -> HTMLResponse:
    duties = current.scope.imports
    assert duties is not None  # the gate of Action.IMPORT gives every scope its duties
    return signed_in_page(
        request,
        "imports.html",
        current,
        status_code=status_code,
        department=in_language(request, duties.label_zh, duties.label_en),
        importable=importable(duties),
        max_bytes=MAX_UPLOAD_BYTES,
        page_problems=PAGE_PROBLEMS,
        **context,
    )


# -- staging and checking ------------------------------------------------------------------


async def _check_upload(request: Request, current: Current) -> tuple[Upload, ImportOutcome]:
    """Stage the upload of ``request``'s form and check it (in a worker thread: the check
    reads whole files)."""
    async with request.form() as form:
        files, reason = _files(form), _reason(form)
        upload = await run_in_threadpool(_stage, files, reason, current.account.id)
    outcome = await run_in_threadpool(_check, request.app.state.engine, upload, current)
    return upload, outcome


def _files(form: FormData) -> list[UploadFile]:
    """The files of the form: CSV files, or one workbook."""
    files = [f for f in form.getlist("file") if isinstance(f, UploadFile) and f.filename]
    if not files:
        raise UploadError("请选择要导入的 CSV 或 .xlsx 文件", "choose CSV or .xlsx files to import")
    names = [_name(f) for f in files]
    wrong = [n[:60] for n in names if not _acceptable(n)]
    if wrong:
        raise UploadError(
            f"只能导入 CSV 或 .xlsx 文件（文件名不超过 {MAX_NAME_BYTES} 字节）：{'、'.join(wrong)}",
            f"only CSV and .xlsx files (names up to {MAX_NAME_BYTES} bytes) can be imported: "
            + ", ".join(wrong),
        )
    if len({n.lower() for n in names}) < len(names):
        raise UploadError("有重名的文件", "two files have the same name")
    if len(names) > 1 and any(n.lower().endswith(".xlsx") for n in names):
        raise UploadError(
            "一次只能导入一个工作簿，或者若干个 CSV 文件",
            "import one workbook, or CSV files, at a time",
        )
    return files


def _acceptable(name: str) -> bool:
    """A CSV file or a workbook, named as a data set's file may be (not hidden, not an Excel
    lock file, which a folder's reader passes over) and short enough to be stored."""
    return (
        Path(name).suffix.lower() in SUFFIXES
        and not name.startswith((".", "~$"))
        and len(name.encode()) <= MAX_NAME_BYTES
    )


def _name(file: UploadFile) -> str:
    """The file's own name, without any folder a browser sent with it."""
    return PureWindowsPath(file.filename or "").name


def _reason(form: FormData) -> str:
    """Why the data is imported: required, since every change records who made it and why."""
    reason = str(form.get("reason") or "").strip()
    if not reason or len(reason) > MAX_REASON:
        raise UploadError(
            f"请填写导入原因（不超过 {MAX_REASON} 字）：每一处改动都记下是谁、为什么改的",
            f"give a reason (up to {MAX_REASON} characters): every change records who and why",
        )
    return reason


def _stage(files: Sequence[UploadFile], reason: str, owner: int) -> Upload:
    """Write the files to a new folder of the staging area; a workbook is the data set, CSV
    files are one as a folder."""
    _drop_stale()
    token = secrets.token_urlsafe(16)
    data = uploads() / token / _DATA
    data.mkdir(mode=0o700, parents=True)
    for file in files:
        with (data / _name(file)).open("wb") as out:
            shutil.copyfileobj(file.file, out)
    first = _name(files[0])
    upload = Upload(token, owner, reason, f"{_DATA}/{first}" if first.endswith(".xlsx") else _DATA)
    upload.save()
    return upload


def _drop_stale() -> None:
    """Drop the uploads staged more than :data:`KEPT_FOR` ago: checked and never confirmed,
    or confirmed long since."""
    if not uploads().is_dir():
        return
    now = time.time()
    for folder in uploads().iterdir():
        if folder.is_dir() and now - folder.stat().st_mtime > KEPT_FOR.total_seconds():
            shutil.rmtree(folder, ignore_errors=True)


def _check(engine: Engine, upload: Upload, current: Current) -> ImportOutcome:
    """Check the upload without writing anything, refusing it (and dropping it) whole when a
    table or column lies outside the account's duties -- asked first of its file and sheet
    names and headers alone, before any row is read -- and remember the columns it supplies."""
    path = upload.folder / upload.data_set
    try:
        if current.scope.imports is not EVERY_TABLE:
            with tempfile.TemporaryDirectory(prefix="mujun-survey-") as workdir:
                surveyed = survey_data_set(path, workdir=Path(workdir), limits=UPLOAD)
            current.scope.require_import(surveyed)
        outcome = import_data_set(
            engine=engine,
            path=path,
            actor=current.account.username,
            marked_copy=upload.folder / _MARKED,
            commit=False,
            limits=UPLOAD,
            skip_repeated=_reads(current),
        )
        current.scope.require_import(outcome.supplied)
    except RefusedError:
        shutil.rmtree(upload.folder)
        raise
    dataclasses.replace(
        upload, supplied={name: list(columns) for name, columns in outcome.supplied.items()}
    ).save()
    return outcome


# -- confirming ----------------------------------------------------------------------------


def _owned(token: str, current: Current) -> Upload:
    """The checked upload of ``token``, if the account sent it or is an administrator."""
    meta = uploads() / token / _META
    upload = Upload(**json.loads(meta.read_text(encoding="utf-8"))) if meta.is_file() else None
    if upload is None or upload.supplied is None:
        raise HTTPException(404, f"没有检查过的这次上传 / no checked upload {token}")
    if upload.owner != current.account.id and current.account.role != Role.ADMINISTRATOR:
        raise RefusedError("这是其他账号上传的数据，无权查看或导入", "another account's upload")
    return upload


def _confirm(request: Request, token: str, current: Current, db: Session) -> ImportOutcome:
    """Import an upload as the account, with the uploader's reason; the duties are asked
    again (they may have changed since the check). The import goes in the audit log."""
    upload = _owned(token, current)
    assert upload.supplied is not None  # _owned gives checked uploads only
    current.scope.require_import(upload.supplied)
    outcome = import_data_set(
        engine=request.app.state.engine,
        path=upload.folder / upload.data_set,
        actor=current.account.username,
        reason=upload.reason,
        marked_copy=upload.folder / _MARKED,
        limits=UPLOAD,
        skip_repeated=_reads(current),
    )
    queue_after_import(
        lambda kind, kept, work: worker_of(request).start(
            kind=kind, request=kept, account=current.account, work=work
        ),
        request.app.state.engine,
        outcome,
        actor=current.account.username,
    )
    audit.record(
        db,
        account=current.account,
        username=current.account.username,
        action="import",
        target=str(request.url.path),
        outcome="allowed",
        detail=f"import {outcome.import_id}: {outcome.rows_changed} rows changed, "
        f"{len(outcome.problems)} problems",
    )
    return outcome


# -- reports -------------------------------------------------------------------------------


def _reads(current: Current) -> bool:
    """Whether the account may read the records, and so be told how an upload compares."""
    return Action.READ in ALLOWED[Role(current.account.role)]


def _counts(name: str, counts: TableChanges, *, revealed: bool) -> TableCounts:
    received = counts.inserted + counts.updated + counts.unchanged
    label_zh = schema.table(name).label_zh
    if not revealed:
        return TableCounts(label_zh=label_zh, received=received)
    return TableCounts(label_zh=label_zh, received=received, **vars(counts))


def _report(
    request: Request, token: str, outcome: ImportOutcome, *, revealed: bool
) -> dict[str, Any]:
    lang = language_of(request)
    return {
        "token": token,
        "problems": [ProblemRow.model_validate(p.as_dict(lang)) for p in outcome.problems],
        "notices": [n.message(lang) for n in outcome.notices],
        "changes": {
            name: _counts(name, counts, revealed=revealed)
            for name, counts in outcome.changes.items()
        },
        "revealed": revealed,
        "marked_workbook": f"/api/imports/{token}/marked" if outcome.marked_copy else None,
    }


def _checked(request: Request, upload: Upload, outcome: ImportOutcome, current: Current) -> Checked:
    revealed = _reads(current)
    received = sum(c.inserted + c.updated + c.unchanged for c in outcome.changes.values())
    confirmable = not outcome.problems and (outcome.rows_changed if revealed else received) > 0
    report = _report(request, upload.token, outcome, revealed=revealed)
    return Checked(confirmable=confirmable, **report)


def _imported(request: Request, token: str, outcome: ImportOutcome, current: Current) -> Imported:
    revealed = _reads(current)
    import_id = outcome.import_id if revealed else None
    return Imported(import_id=import_id, **_report(request, token, outcome, revealed=revealed))
