"""Signing in and out, through the API (JSON) and the sign-in page (a form).

Cookies are ``Secure`` (sent over HTTPS only) when the request came over HTTPS, and always when
``MUJUN_SECURE_COOKIES=1``: set it when a proxy ends TLS in front of the application and
forwards plain HTTP. A proxy must also pass the client's address (uvicorn's
``--proxy-headers --forwarded-allow-ips``), which sign-ins are throttled by.
"""

import os
import secrets
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


SECURE_COOKIES = "MUJUN_SECURE_COOKIES"
LOGIN_CSRF_COOKIE = "mujun_login_csrf"
"""The sign-in form's own CSRF token, before there is a session: the form sends it back in a
hidden field, which a page of another site cannot read (login CSRF: signing a victim in as the
attacker)."""


@router.post("/api/session", response_model=Me, summary="登录 / sign in")
def api_sign_in(credentials: Credentials, request: Request, response: Response, db: Database) -> Me:
    """Sign in with a JSON body (browsers cannot send one across sites without asking, so
    this needs no CSRF token); the session cookie comes back, and the CSRF token to send as
    ``X-CSRF-Token`` with every change."""
    try:
        done = sign_in(db, credentials.username, credentials.password, _client(request))
    except SignInError as error:
        db.commit()  # the failure is kept in the audit log
        raise HTTPException(status_code=401, detail=f"{error.zh} / {error.en}") from None
    _set_cookie(request, response, SESSION_COOKIE, done.token)
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
    return _login_form(request, error=None)


@router.post("/login", include_in_schema=False, response_model=None)
def login_form(
    request: Request,
    db: Database,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=256)],
    csrf_token: Annotated[str, Form(max_length=64)] = "",
) -> HTMLResponse | RedirectResponse:
    """The sign-in form: refused (403) unless it sends back the token of its own cookie."""
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not (expected and secrets.compare_digest(csrf_token, expected)):
        words = ("登录页面已过期，请重新登录", "the sign-in page had expired: sign in again")
        return _login_form(request, error=in_language(request, *words), status_code=403)
    try:
        done = sign_in(db, username, password, _client(request))
    except SignInError as error:
        db.commit()
        failed = in_language(request, error.zh, error.en)
        return _login_form(request, error=failed, status_code=401)
    redirect = RedirectResponse(home(done.account), status_code=303)
    _set_cookie(request, redirect, SESSION_COOKIE, done.token)
    redirect.delete_cookie(LOGIN_CSRF_COOKIE)
    return redirect


def _login_form(request: Request, error: str | None, status_code: int = 200) -> HTMLResponse:
    """The sign-in page, with a new CSRF token in its cookie and its hidden field."""
    token = secrets.token_urlsafe(32)
    page = render(request, "login.html", status_code=status_code, error=error, csrf_token=token)
    _set_cookie(request, page, LOGIN_CSRF_COOKIE, token)
    return page


def _client(request: Request) -> str:
    """The address a request came from, which sign-ins are throttled by."""
    return "unknown" if request.client is None else request.client.host


def _set_cookie(request: Request, response: Response, name: str, value: str) -> None:
    response.set_cookie(
        name,
        value,
        max_age=int(SESSION_LASTS.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https" or os.environ.get(SECURE_COOKIES) == "1",
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
