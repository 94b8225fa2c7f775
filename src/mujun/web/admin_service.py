"""管理: what the administration pages and their API do — accounts (list, add, disable, enable,
reset a password), one's own password, the audit log and the import history. Every change is
written to the change log (with the administrator as actor and the reason given) and to the
audit log; the routes (:mod:`mujun.web.administration`) only call these functions."""

import datetime as dt
import math
from pathlib import Path
from typing import Annotated, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, Field
from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session

from mujun.interchange import schema
from mujun.interchange.archive import KeptFile, file_bytes, kept_file, kept_files
from mujun.policy import duties
from mujun.records import DataImport
from mujun.records.accounts import Account, AuditEntry, WebSession
from mujun.records.base import aware
from mujun.web import audit
from mujun.web.accounts import (
    MIN_PASSWORD,
    PasswordError,
    change_own_password,
    create_account,
    set_disabled,
    set_password,
)
from mujun.web.permissions import RefusedError, Role, Scope

Moment = Annotated[dt.datetime, AfterValidator(aware)]
"""A stored moment, in UTC whichever database it came from."""
Reason = Annotated[str, Field(min_length=1, max_length=500, description="原因 / why")]
Password = Annotated[str, Field(min_length=MIN_PASSWORD, max_length=256)]
AUDIT_PAGE = 50
IMPORTS_PAGE = 20
T = TypeVar("T")

ACTIONS: dict[str, tuple[str, str]] = {
    "sign_in": ("登录", "sign in"),
    "import": ("导入数据", "import"),
    "account_add": ("新增账号", "add an account"),
    "account_disable": ("停用账号", "disable an account"),
    "account_enable": ("启用账号", "enable an account"),
    "account_password": ("重置密码", "reset a password"),
    "own_password": ("修改本人密码", "change one's password"),
    "GET": ("查看", "open"),
    "POST": ("提交", "submit"),
    "PUT": ("修改", "change"),
    "PATCH": ("修改", "change"),
    "DELETE": ("删除", "delete"),
}
"""The audit log's actions by name (a refusal's action is the request's method)."""
OUTCOMES: dict[str, tuple[str, str]] = {
    "allowed": ("已执行", "done"),
    "refused": ("已拒绝", "refused"),
    "signed_in": ("登录成功", "signed in"),
    "failed": ("登录失败", "failed"),
    "locked": ("账号已锁定", "locked"),
    "throttled": ("尝试过多", "throttled"),
    "disabled": ("账号已停用", "disabled"),
}
"""The audit log's outcomes by name."""
STATES: dict[str, tuple[str, str]] = {
    "in_use": ("正常", "in use"),
    "locked": ("已锁定", "locked"),
    "disabled": ("已停用", "disabled"),
}


class AdministrationError(ValueError):
    """A change refused as it stands (a name taken, a county missing, …), in both languages:
    nothing was changed."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(en)
        self.zh = zh
        self.en = en


# -- accounts ---------------------------------------------------------------------------------


class AccountView(BaseModel):
    id: int
    username: str
    display_name: str
    role: Role
    role_zh: str
    county_code: str | None
    department: str | None
    department_zh: str | None
    department_en: str | None
    state: Literal["in_use", "locked", "disabled"]
    locked_until: Moment | None
    disabled_at: Moment | None


class NewAccount(BaseModel):
    username: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$")
    display_name: str = Field(default="", max_length=128)
    role: Role
    county_code: str | None = Field(default=None, max_length=32)
    department: str | None = Field(default=None, max_length=32)
    password: Password
    reason: Reason


class PasswordReset(BaseModel):
    password: Password
    reason: Reason


class Why(BaseModel):
    reason: Reason


class OwnPassword(BaseModel):
    current: str = Field(min_length=1, max_length=256)
    new: Password
    repeat: str = Field(min_length=1, max_length=256)


def account_view(account: Account, now: dt.datetime | None = None) -> AccountView:
    now = now or dt.datetime.now(dt.UTC)
    locked = account.locked_until is not None and aware(account.locked_until) > now
    department = duties.department(account.department)
    role = Role(account.role)
    return AccountView(
        id=account.id,
        username=account.username,
        display_name=account.display_name,
        role=role,
        role_zh=role.label_zh,
        county_code=account.county_code,
        department=account.department,
        department_zh=None if department is None else department.label_zh,
        department_en=None if department is None else department.label_en,
        state="disabled" if account.disabled_at else "locked" if locked else "in_use",
        locked_until=account.locked_until if locked else None,
        disabled_at=account.disabled_at,
    )


def list_accounts(*, session: Session) -> list[AccountView]:
    now = dt.datetime.now(dt.UTC)
    return [
        account_view(a, now) for a in session.scalars(select(Account).order_by(Account.username))
    ]


def add_account(*, session: Session, by: Account, new: NewAccount) -> AccountView:
    """Add an account (the CLI's ``mujun accounts add`` makes it the same way)."""
    if session.scalar(select(Account.id).where(Account.username == new.username)) is not None:
        raise AdministrationError(
            f"用户名 {new.username} 已被使用", f"the user name {new.username} is taken"
        )
    county = new.county_code or None
    department = new.department or None
    if new.role is Role.COUNTY_OFFICER and county is None:
        raise AdministrationError("县区工作人员须选择所属区县", "a county officer needs a county")
    if new.role is Role.DATA_PROVIDER and duties.department(department) is None:
        raise AdministrationError(
            "部门数据报送员须选择报送部门", "a data provider needs a department"
        )
    _changing(session, by, new.reason)
    account = create_account(
        session,
        username=new.username,
        password=new.password,
        role=new.role,
        display_name=new.display_name.strip() or None,
        county_code=county if new.role in (Role.COUNTY_OFFICER, Role.VIEWER) else None,
        department=department if new.role is Role.DATA_PROVIDER else None,
    )
    _audit(session, by, "account_add", account, new.reason)
    return account_view(account)


def disable_account(
    *, session: Session, by: Account, account_id: int, disabled: bool, reason: str
) -> AccountView:
    """Disable an account (its sessions end; it cannot sign in) or put it back in use; an
    administrator may not disable its own."""
    account = _account(session, account_id)
    if disabled and account.id == by.id:
        raise AdministrationError("不能停用本人的账号", "you may not disable your own account")
    _changing(session, by, reason)
    set_disabled(session, account=account, disabled=disabled)
    _audit(session, by, "account_disable" if disabled else "account_enable", account, reason)
    return account_view(account)


def reset_password(
    *, session: Session, by: Account, account_id: int, reset: PasswordReset
) -> AccountView:
    """Give an account a new password; its sessions end."""
    account = _account(session, account_id)
    _changing(session, by, reset.reason)
    set_password(session, account=account, password=reset.password)
    _audit(session, by, "account_password", account, reset.reason)
    return account_view(account)


def change_password(
    *, session: Session, account: Account, web_session: WebSession, change: OwnPassword
) -> None:
    """The signed-in account's own password: the new one twice, the current one right; its
    other sessions end. A wrong current password is refused and audited."""
    if change.new != change.repeat:
        raise PasswordError("两次输入的新密码不一致", "the new passwords differ")
    _changing(session, account, "本人修改密码 / own password changed")
    try:
        change_own_password(
            session,
            account=account,
            web_session=web_session,
            current=change.current,
            new=change.new,
        )
    except PasswordError as error:
        _audit(session, account, "own_password", account, error.en, outcome="refused")
        raise
    _audit(session, account, "own_password", account, None)


def _account(session: Session, account_id: int) -> Account:
    account = session.get(Account, account_id)
    if account is None:
        raise LookupError(account_id)
    return account


def _changing(session: Session, by: Account, reason: str) -> None:
    """The change log's actor and reason for what the session writes next."""
    session.info["actor"] = by.username
    session.info["reason"] = reason


def _audit(
    session: Session,
    by: Account,
    action: str,
    account: Account,
    reason: str | None,
    outcome: str = "allowed",
) -> None:
    audit.record(
        session,
        account=by,
        username=by.username,
        action=action,
        target=f"account:{account.username}",
        outcome=outcome,
        detail=reason,
    )


# -- the audit log ----------------------------------------------------------------------------


class AuditFilters(BaseModel):
    user: str | None = Field(default=None, max_length=64)
    action: str | None = Field(default=None, max_length=64)
    outcome: str | None = Field(default=None, max_length=64)
    since: dt.date | None = None
    until: dt.date | None = None
    """Both days included (Beijing time)."""


class AuditView(BaseModel):
    id: int
    at: Moment
    username: str
    action: str
    action_zh: str
    action_en: str
    target: str
    outcome: str
    outcome_zh: str
    outcome_en: str
    detail: str | None


class AuditPage(BaseModel):
    total: int
    page: int
    page_size: int
    pages: int
    items: list[AuditView]


BEIJING = dt.timezone(dt.timedelta(hours=8))


def audit_log(
    *, session: Session, filters: AuditFilters, page: int, page_size: int = AUDIT_PAGE
) -> AuditPage:
    """The audit log, newest first, as filtered."""
    query = _filtered(select(AuditEntry), filters)
    total = session.scalar(_filtered(select(func.count()).select_from(AuditEntry), filters)) or 0
    rows = session.scalars(
        query.order_by(AuditEntry.id.desc()).offset((page - 1) * page_size).limit(page_size)
    )
    return AuditPage(
        total=total,
        page=page,
        page_size=page_size,
        pages=max(1, math.ceil(total / page_size)),
        items=[_audit_view(entry) for entry in rows],
    )


def _filtered(query: Select[T], filters: AuditFilters) -> Select[T]:
    """``query`` kept to the entries ``filters`` match."""
    conditions: list[ColumnElement[bool]] = []
    if filters.user:
        conditions.append(AuditEntry.username == filters.user)
    if filters.action:
        conditions.append(AuditEntry.action == filters.action)
    if filters.outcome:
        conditions.append(AuditEntry.outcome == filters.outcome)
    if filters.since:
        conditions.append(AuditEntry.at >= _start_of(filters.since))
    if filters.until:
        conditions.append(AuditEntry.at < _start_of(filters.until + dt.timedelta(days=1)))
    return query.where(*conditions)


def _start_of(day: dt.date) -> dt.datetime:
    """The start of ``day`` in Beijing time, in UTC."""
    return dt.datetime.combine(day, dt.time(), BEIJING).astimezone(dt.UTC)


def _audit_view(entry: AuditEntry) -> AuditView:
    action = ACTIONS.get(entry.action, (entry.action, entry.action))
    outcome = OUTCOMES.get(entry.outcome, (entry.outcome, entry.outcome))
    return AuditView(
        id=entry.id,
        at=entry.at,
        username=entry.username,
        action=entry.action,
        action_zh=action[0],
        action_en=action[1],
        target=entry.target,
        outcome=entry.outcome,
        outcome_zh=outcome[0],
        outcome_en=outcome[1],
        detail=entry.detail,
    )


def audit_usernames(*, session: Session) -> list[str]:
    """The user names the audit log's filter offers: every account's."""
    return list(session.scalars(select(Account.username).order_by(Account.username)))


# -- import history ---------------------------------------------------------------------------


class TableCount(BaseModel):
    table: str
    label_zh: str
    inserted: int
    updated: int
    unchanged: int


class KeptFileView(BaseModel):
    name: str
    size: int
    """Bytes."""
    sha256: str


class ImportView(BaseModel):
    id: int
    started_at: Moment
    finished_at: Moment
    actor: str
    source: str
    reason: str | None
    tables: list[TableCount]
    written: int
    """Rows added or updated."""
    files: list[KeptFileView]
    """The files it read, kept as they were sent."""


class ImportPage(BaseModel):
    total: int
    page: int
    page_size: int
    pages: int
    items: list[ImportView]


def import_history(
    *, session: Session, actor: str | None, page: int, page_size: int = IMPORTS_PAGE
) -> ImportPage:
    """The committed imports, newest first (only ``actor``'s when given), with each table's
    rows added, updated and unchanged, and the reason given for the import."""
    query = select(DataImport)
    counting = select(func.count()).select_from(DataImport)
    if actor is not None:
        query = query.where(DataImport.actor == actor)
        counting = counting.where(DataImport.actor == actor)
    total = session.scalar(counting) or 0
    done = list(
        session.scalars(
            query.order_by(DataImport.id.desc()).offset((page - 1) * page_size).limit(page_size)
        )
    )
    files = kept_files(session.connection(), [d.id for d in done])
    labels = {spec.name: spec.label_zh for spec in schema.tables()}
    return ImportPage(
        total=total,
        page=page,
        page_size=page_size,
        pages=max(1, math.ceil(total / page_size)),
        items=[_import_view(d, files[d.id], labels) for d in done],
    )


def _import_view(done: DataImport, files: list[KeptFile], labels: dict[str, str]) -> ImportView:
    tables = [
        TableCount(
            table=table,
            label_zh=labels.get(table, table),
            inserted=int(c.get("inserted", 0)),
            updated=int(c.get("updated", 0)),
            unchanged=int(c.get("unchanged", 0)),
        )
        for table, c in (done.counts or {}).items()
    ]
    return ImportView(
        id=done.id,
        started_at=done.started_at,
        finished_at=done.finished_at,
        actor=done.actor,
        source=done.source,
        reason=done.reason,
        tables=tables,
        written=sum(t.inserted + t.updated for t in tables),
        files=[KeptFileView(name=f.name, size=f.size, sha256=f.sha256) for f in files],
    )


def kept_import_file(session: Session, scope: Scope, import_id: int, name: str) -> KeptFile | None:
    """The file import ``import_id`` read under ``name``, if it kept one. A department's file
    holds every county's rows: a county's account is refused it."""
    if not scope.everywhere:
        raise RefusedError(
            "部门报送的原始文件含全市数据，县区账号不能下载",
            "a department's file holds every county's records: a county's account may not "
            "download it",
        )
    return kept_file(session.connection(), import_id, name)


def write_kept_file(session: Session, file: KeptFile, out: Path) -> None:
    """Write the kept ``file`` to ``out``, byte for byte as it was sent."""
    with out.open("wb") as sink:
        for piece in file_bytes(session.connection(), file):
            sink.write(piece)
