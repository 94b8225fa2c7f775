"""What every request needs: a database session, the signed-in account, the CSRF check and
the permission gate. Every route but signing in depends on :func:`gate`; a test walks the
routes to keep it so."""

import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session

from mujun.records.accounts import Account, WebSession
from mujun.web.accounts import session_of
from mujun.web.permissions import Action, Scope, restrict

MAX_ID = 2_147_483_647
"""The largest id a record's INTEGER key holds (on SQLite and PostgreSQL alike): a larger one
asked for is refused as invalid (422), not looked up."""
SESSION_COOKIE = "mujun_session"
CSRF_HEADER = "X-CSRF-Token"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def database(request: Request) -> Iterator[Session]:
    """A session of the records database, committed when the request succeeds."""
    with Session(request.app.state.engine, expire_on_commit=False) as session:
        yield session
        session.commit()


Database = Annotated[Session, Depends(database, scope="function")]
"""Committed before the response is sent (``scope="function"``): a client that follows a
redirect at once (after signing in, say) finds what the request wrote."""


@dataclass(frozen=True)
class Current:
    account: Account
    session: WebSession
    scope: Scope


async def signed_in(request: Request, db: Database) -> tuple[Account, WebSession]:
    """The account of the session cookie (or ``Authorization: Bearer``); 401 without one. A
    state-changing request signed in by cookie must carry the session's CSRF token, in the
    ``X-CSRF-Token`` header or a form's ``csrf_token`` field. (Asynchronous, to read a form;
    the database is asked in a worker thread: blocking the event loop while the connection
    pool is exhausted would stall the requests holding the connections.)"""
    token = request.cookies.get(SESSION_COOKIE) or _bearer(request)
    found = None if token is None else await run_in_threadpool(session_of, db, token)
    if found is None:
        raise HTTPException(status_code=401, detail="请先登录 / sign in first")
    account, web_session = found
    request.state.account = account
    if request.method in UNSAFE and request.cookies.get(SESSION_COOKIE):
        sent = request.headers.get(CSRF_HEADER)
        if sent is None and "form" in request.headers.get("content-type", ""):
            sent = str((await request.form()).get("csrf_token", ""))
        if not sent or not secrets.compare_digest(sent, web_session.csrf_token):
            raise HTTPException(status_code=403, detail="CSRF token missing or wrong")
    return found


def gate(action: Action) -> Callable[..., Current]:
    """The permission gate for ``action``: the account and the scope it may act in."""

    def check(found: Annotated[tuple[Account, WebSession], Depends(signed_in)]) -> Current:
        account, web_session = found
        return Current(account=account, session=web_session, scope=restrict(account, action))

    check.gated_action = action  # type: ignore[attr-defined]
    return check


def _bearer(request: Request) -> str | None:
    header = request.headers.get("Authorization", "")
    return header.removeprefix("Bearer ").strip() or None if header.startswith("Bearer ") else None


Reader = Annotated[Current, Depends(gate(Action.READ))]
"""A route that reads: the account and the counties it may read."""
