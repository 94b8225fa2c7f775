"""管理 in the browser and the API: accounts (administrator), one's own password (every
account), the audit log (administrator) and the import history (readers). The routes only
call :mod:`mujun.web.admin_service`; a page's form posts with the session's CSRF token and is
answered with a redirect back to its page (or the page again saying what was refused)."""

import datetime as dt
import mimetypes
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi import Path as PathParameter
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from mujun.policy import duties
from mujun.web import admin_service as service
from mujun.web.accounts import PasswordError
from mujun.web.admin_service import (
    AccountView,
    AdministrationError,
    AuditFilters,
    AuditPage,
    ImportPage,
    NewAccount,
    OwnPassword,
    PasswordReset,
    Why,
)
from mujun.web.dependencies import MAX_ID, Current, Database, Reader, gate
from mujun.web.language import in_language
from mujun.web.listing import PageParam, temporary_file
from mujun.web.pages import signed_in_page
from mujun.web.permissions import Action, Role
from mujun.web.workbench import Anyone

router = APIRouter(tags=["administration"])
Administrator = Annotated[Current, Depends(gate(Action.ADMINISTER))]
AccountId = Annotated[int, PathParameter(ge=1, le=MAX_ID)]
Day = Annotated[dt.date | None, Query(description="日期 / day (YYYY-MM-DD)")]
Text = Annotated[str | None, Query(max_length=64)]
Done = Annotated[str | None, Query(max_length=32)]
DONE = {
    "added": ("账号已新增。", "The account was added."),
    "disabled": ("账号已停用，其登录已全部退出。", "The account was disabled; its sessions ended."),
    "enabled": ("账号已启用。", "The account is in use again."),
    "reset": (
        "密码已重置，该账号须用新密码重新登录。",
        "The password was reset; it signs in anew.",
    ),
    "password": (
        "密码已修改，其他登录已退出。",
        "Your password was changed; other sessions ended.",
    ),
}
"""What a page says after a change it redirected from (``?done=``)."""


def _done(request: Request, done: str | None) -> str | None:
    words = DONE.get(done or "")
    return None if words is None else in_language(request, *words)


def _refused(request: Request, error: AdministrationError | PasswordError) -> str:
    return in_language(request, error.zh, error.en)


def _invalid(request: Request, error: ValidationError) -> str:
    fields = "、".join(str(e["loc"][-1]) for e in error.errors() if e["loc"])
    return in_language(request, f"填写有误：{fields}", f"not valid: {fields}")


def _missing(account_id: int) -> HTTPException:
    return HTTPException(status_code=404, detail=f"没有此账号 / no account {account_id}")


# -- accounts: API ----------------------------------------------------------------------------


@router.get("/api/accounts", response_model=list[AccountView], summary="账号 / accounts")
def api_accounts(_: Administrator, db: Database) -> list[AccountView]:
    """Every account: its role, county or department, and whether it is in use."""
    return service.list_accounts(session=db)


@router.post("/api/accounts", status_code=201, response_model=AccountView, summary="新增账号 / add")
def api_add_account(body: NewAccount, current: Administrator, db: Database) -> AccountView:
    """Add an account (a county for a county officer, a department for a data provider)."""
    try:
        return service.add_account(session=db, by=current.account, new=body)
    except (AdministrationError, PasswordError) as error:
        raise HTTPException(status_code=422, detail=f"{error.zh} / {error.en}") from None


@router.post(
    "/api/accounts/{account_id}/disable", response_model=AccountView, summary="停用 / disable"
)
def api_disable(
    account_id: AccountId, body: Why, current: Administrator, db: Database
) -> AccountView:
    """Disable an account: it cannot sign in, and its sessions end."""
    return _disabling(db, current, account_id, disabled=True, reason=body.reason)


@router.post(
    "/api/accounts/{account_id}/enable", response_model=AccountView, summary="启用 / enable"
)
def api_enable(
    account_id: AccountId, body: Why, current: Administrator, db: Database
) -> AccountView:
    """Put a disabled account back in use."""
    return _disabling(db, current, account_id, disabled=False, reason=body.reason)


@router.post(
    "/api/accounts/{account_id}/password",
    response_model=AccountView,
    summary="重置密码 / reset a password",
)
def api_reset_password(
    account_id: AccountId, body: PasswordReset, current: Administrator, db: Database
) -> AccountView:
    """Give an account a new password; its sessions end."""
    try:
        return service.reset_password(
            session=db, by=current.account, account_id=account_id, reset=body
        )
    except LookupError:
        raise _missing(account_id) from None


def _disabling(
    db: Database, current: Current, account_id: int, *, disabled: bool, reason: str
) -> AccountView:
    try:
        return service.disable_account(
            session=db, by=current.account, account_id=account_id, disabled=disabled, reason=reason
        )
    except LookupError:
        raise _missing(account_id) from None
    except AdministrationError as error:
        raise HTTPException(status_code=422, detail=f"{error.zh} / {error.en}") from None


@router.post("/api/password", status_code=204, summary="修改本人密码 / change your password")
def api_own_password(body: OwnPassword, current: Anyone, db: Database) -> None:
    """The signed-in account's password: the current one, and the new one twice; the other
    sessions end. A wrong current password is refused (422) and audited."""
    try:
        service.change_password(
            session=db, account=current.account, web_session=current.session, change=body
        )
    except PasswordError as error:
        db.commit()  # the refusal stays in the audit log
        raise HTTPException(status_code=422, detail=f"{error.zh} / {error.en}") from None


# -- accounts: pages --------------------------------------------------------------------------


@router.get("/admin/accounts", response_class=HTMLResponse, include_in_schema=False)
def accounts_page(
    request: Request, current: Administrator, db: Database, done: Done = None
) -> HTMLResponse:
    """账号管理: the accounts, the form to add one, and each one's actions."""
    return _accounts_page(request, current, db, notice=_done(request, done))


def _accounts_page(
    request: Request, current: Current, db: Database, error: str | None = None, **context: object
) -> HTMLResponse:
    return signed_in_page(
        request,
        "admin_accounts.html",
        current,
        status_code=200 if error is None else 422,
        accounts=service.list_accounts(session=db),
        roles=list(Role),
        departments=duties.DEPARTMENTS,
        states=service.STATES,
        error=error,
        **context,
    )


@router.post("/admin/accounts", include_in_schema=False, response_model=None)
def add_account_form(
    request: Request,
    current: Administrator,
    db: Database,
    username: Annotated[str, Form(max_length=256)],
    role: Annotated[str, Form(max_length=32)],
    password: Annotated[str, Form(max_length=256)],
    reason: Annotated[str, Form(max_length=1000)],
    display_name: Annotated[str, Form(max_length=256)] = "",
    county_code: Annotated[str, Form(max_length=64)] = "",
    department: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    try:
        new = NewAccount(
            username=username.strip(),
            display_name=display_name,
            role=role,  # type: ignore[arg-type]
            county_code=county_code or None,
            department=department or None,
            password=password,
            reason=reason.strip(),
        )
        service.add_account(session=db, by=current.account, new=new)
    except ValidationError as error:
        return _accounts_page(request, current, db, error=_invalid(request, error))
    except (AdministrationError, PasswordError) as error:
        return _accounts_page(request, current, db, error=_refused(request, error))
    return RedirectResponse("/admin/accounts?done=added", status_code=303)


@router.post("/admin/accounts/{account_id}/{change}", include_in_schema=False, response_model=None)
def change_account_form(
    request: Request,
    account_id: AccountId,
    change: Annotated[str, PathParameter(pattern="^(disable|enable|password)$")],
    current: Administrator,
    db: Database,
    reason: Annotated[str, Form(max_length=1000)],
    password: Annotated[str, Form(max_length=256)] = "",
) -> Response:
    """Disable, enable or reset the password of an account, from its row's form."""
    try:
        if change == "password":
            reset = PasswordReset(password=password, reason=reason.strip())
            service.reset_password(
                session=db, by=current.account, account_id=account_id, reset=reset
            )
        else:
            why = Why(reason=reason.strip())
            service.disable_account(
                session=db,
                by=current.account,
                account_id=account_id,
                disabled=change == "disable",
                reason=why.reason,
            )
    except LookupError:
        raise _missing(account_id) from None
    except ValidationError as error:
        return _accounts_page(request, current, db, error=_invalid(request, error))
    except (AdministrationError, PasswordError) as error:
        return _accounts_page(request, current, db, error=_refused(request, error))
    done = {"disable": "disabled", "enable": "enabled", "password": "reset"}[change]
    return RedirectResponse(f"/admin/accounts?done={done}", status_code=303)


# -- one's own password -----------------------------------------------------------------------


@router.get("/account/password", response_class=HTMLResponse, include_in_schema=False)
def own_password_page(request: Request, current: Anyone, done: Done = None) -> HTMLResponse:
    """修改密码: every signed-in account's own password."""
    return signed_in_page(
        request, "admin_password.html", current, notice=_done(request, done), error=None
    )


@router.post("/account/password", include_in_schema=False, response_model=None)
def own_password_form(
    request: Request,
    current: Anyone,
    db: Database,
    current_password: Annotated[str, Form(max_length=256)],
    new_password: Annotated[str, Form(max_length=256)],
    repeat_password: Annotated[str, Form(max_length=256)],
) -> Response:
    try:
        change = OwnPassword(current=current_password, new=new_password, repeat=repeat_password)
        service.change_password(
            session=db, account=current.account, web_session=current.session, change=change
        )
    except ValidationError as error:
        error_text = _invalid(request, error)
    except PasswordError as error:
        db.commit()  # the refusal stays in the audit log
        error_text = _refused(request, error)
    else:
        return RedirectResponse("/account/password?done=password", status_code=303)
    return signed_in_page(
        request, "admin_password.html", current, status_code=422, notice=None, error=error_text
    )


# -- the audit log ----------------------------------------------------------------------------


def _filters(
    user: Text = None,
    action: Text = None,
    outcome: Text = None,
    since: Day = None,
    until: Day = None,
) -> AuditFilters:
    return AuditFilters(user=user, action=action, outcome=outcome, since=since, until=until)


Filters = Annotated[AuditFilters, Depends(_filters)]


@router.get("/api/audit", response_model=AuditPage, summary="审计日志 / the audit log")
def api_audit(_: Administrator, db: Database, filters: Filters, page: PageParam = 1) -> AuditPage:
    """The audit log, newest first, fifty a page: by user, action, outcome and days."""
    return service.audit_log(session=db, filters=filters, page=page)


@router.get("/admin/audit", response_class=HTMLResponse, include_in_schema=False)
def audit_page(
    request: Request, current: Administrator, db: Database, filters: Filters, page: PageParam = 1
) -> HTMLResponse:
    """审计日志: sign-ins, refusals and changes, with filters."""
    return signed_in_page(
        request,
        "admin_audit.html",
        current,
        listed=service.audit_log(session=db, filters=filters, page=page),
        filters=filters,
        usernames=service.audit_usernames(session=db),
        actions=service.ACTIONS,
        outcomes=service.OUTCOMES,
    )


# -- import history ---------------------------------------------------------------------------


@router.get("/api/import-history", response_model=ImportPage, summary="导入记录 / imports")
def api_import_history(_: Reader, db: Database, page: PageParam = 1) -> ImportPage:
    """The committed imports, newest first: when, who, why, and each table's rows."""
    return service.import_history(session=db, actor=None, page=page)


@router.get(
    "/admin/imports/{import_id}/files/{name}", response_class=FileResponse, include_in_schema=False
)
def kept_import_file(
    import_id: Annotated[int, PathParameter(ge=1, le=MAX_ID)],
    name: Annotated[str, PathParameter(max_length=255)],
    current: Reader,
    db: Database,
) -> FileResponse:
    """A file a department sent, byte for byte as the import read it (city-wide accounts)."""
    file = service.kept_import_file(db, current.scope, import_id, name)
    if file is None:
        raise HTTPException(
            status_code=404,
            detail=f"导入 #{import_id} 没有文件 {name} / import #{import_id} kept no file {name}",
        )
    media_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return temporary_file(name, media_type, lambda out: service.write_kept_file(db, file, out))


@router.get("/admin/imports", response_class=HTMLResponse, include_in_schema=False)
def import_history_page(
    request: Request, current: Reader, db: Database, page: PageParam = 1
) -> HTMLResponse:
    """导入记录: the committed imports, and the template to fill in."""
    return signed_in_page(
        request,
        "admin_imports.html",
        current,
        listed=service.import_history(session=db, actor=None, page=page),
        scope_everywhere=current.scope.everywhere,
    )
