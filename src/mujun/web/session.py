"""Signing in and out, through the API (JSON) and the sign-in page (a form)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel, Field

from mujun.records.accounts import Account, WebSession
from mujun.web.accounts import SESSION_LASTS, SignInError, sign_in, sign_out
from mujun.web.dependencies import SESSION_COOKIE, Database, signed_in
from mujun.web.language import in_language
from mujun.web.pages import home, render
from mujun.web.permissions import Role

router = APIRouter(tags=["session"])


class Credentials(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class Me(BaseModel):
    username: str
    display_name: str
    role: str
    role_zh: str
    county_code: str | None
    csrf_token: str


@router.post("/api/session", response_model=Me, summary="登录 / sign in")
def api_sign_in(credentials: Credentials, response: Response, db: Database) -> Me:
    """Sign in with a JSON body (browsers cannot send one across sites without asking, so
    this needs no CSRF token); the session cookie comes back, and the CSRF token to send as
    ``X-CSRF-Token`` with every change."""
    try:
        done = sign_in(db, credentials.username, credentials.password)
    except SignInError as error:
        db.commit()  # the failure and any lock are kept
        raise HTTPException(status_code=401, detail=f"{error.zh} / {error.en}") from None
    _set_cookie(response, done.token)
    return _me(done.account, done.csrf_token)


@router.get("/api/session", response_model=Me, summary="当前账号 / who am I")
def api_me(found: Annotated[tuple[Account, WebSession], Depends(signed_in)]) -> Me:
    return _me(found[0], found[1].csrf_token)


@router.delete("/api/session", status_code=204, summary="退出 / sign out")
def api_sign_out(
    request: Request,
    response: Response,
    db: Database,
    _: Annotated[tuple[Account, WebSession], Depends(signed_in)],
) -> None:
    sign_out(db, request.cookies.get(SESSION_COOKIE, ""))
    response.delete_cookie(SESSION_COOKIE)


@router.get("/login", response_class=HTMLResponse, include_in_schema=False)
def login_page(request: Request) -> HTMLResponse:
    return render(request, "login.html", error=None)


@router.post("/login", include_in_schema=False, response_model=None)
def login_form(
    request: Request,
    db: Database,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=256)],
) -> HTMLResponse | RedirectResponse:
    """The sign-in form. Signing someone in as oneself (login CSRF) would need their password,
    and the session cookie is SameSite=Lax."""
    try:
        done = sign_in(db, username, password)
    except SignInError as error:
        db.commit()
        return render(
            request, "login.html", status_code=401, error=in_language(request, error.zh, error.en)
        )
    redirect = RedirectResponse(home(done.account), status_code=303)
    _set_cookie(redirect, done.token)
    return redirect


def _set_cookie(response: Response, token: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(SESSION_LASTS.total_seconds()),
        httponly=True,
        samesite="lax",
    )


def _me(account: Account, csrf_token: str) -> Me:
    role = Role(account.role)
    return Me(
        username=account.username,
        display_name=account.display_name,
        role=role.value,
        role_zh=role.label_zh,
        county_code=account.county_code,
        csrf_token=csrf_token,
    )


@router.post("/logout", include_in_schema=False)
def logout_form(
    request: Request, db: Database, _: Annotated[tuple[Account, WebSession], Depends(signed_in)]
) -> RedirectResponse:
    sign_out(db, request.cookies.get(SESSION_COOKIE, ""))
    redirect = RedirectResponse("/login", status_code=303)
    redirect.delete_cookie(SESSION_COOKIE)
    return redirect
