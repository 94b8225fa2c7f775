"""Local accounts: argon2 password hashes, sign-in with lockout after repeated failures,
sessions kept as hashed tokens with a CSRF token each."""

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import VerificationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from mujun.records.accounts import Account, WebSession
from mujun.records.base import aware
from mujun.web import audit, duties
from mujun.web.permissions import Role

HASHER = PasswordHasher()
LOCK_AFTER_FAILURES = 5
LOCK_FOR = dt.timedelta(minutes=15)
SESSION_LASTS = dt.timedelta(hours=8)


class SignInError(Exception):
    """Wrong name or password, or an account locked for now; the message is for the user."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(en)
        self.zh = zh
        self.en = en


@dataclass(frozen=True)
class SignedIn:
    account: Account
    token: str
    csrf_token: str


def create_account(
    session: Session,
    *,
    username: str,
    password: str,
    role: Role,
    display_name: str | None = None,
    county_code: str | None = None,
    department: str | None = None,
) -> Account:
    if role is Role.COUNTY_OFFICER and not county_code:
        raise ValueError("a county officer needs a county")
    if role is Role.DATA_PROVIDER and duties.department(department) is None:
        codes = ", ".join(d.code for d in duties.DEPARTMENTS)
        raise ValueError(f"a data provider needs a department: one of {codes}")
    if len(password) < 8:
        raise ValueError("a password needs at least 8 characters")
    account = Account(
        username=username,
        display_name=display_name or username,
        password_hash=HASHER.hash(password),
        role=role.value,
        county_code=county_code,
        department=department,
        failed_logins=0,
    )
    session.add(account)
    session.flush()
    return account


def sign_in(session: Session, username: str, password: str) -> SignedIn:
    """Check the password; on the fifth failure in a row, lock the account for a while."""
    now = dt.datetime.now(dt.UTC)
    account = session.scalars(select(Account).where(Account.username == username)).first()

    def noted(outcome: str) -> None:
        audit.record(
            session,
            account=account,
            username=username,
            action="sign_in",
            target="",
            outcome=outcome,
        )

    refused = SignInError("用户名或密码错误", "wrong user name or password")
    if account is None:
        noted("failed")
        raise refused
    if account.locked_until is not None and aware(account.locked_until) > now:
        noted("locked")
        raise SignInError(
            "账号因多次密码错误已暂时锁定，请稍后再试",
            "account locked after repeated failures; try again later",
        )
    try:
        HASHER.verify(account.password_hash, password)
    except VerificationError:
        account.failed_logins += 1
        if account.failed_logins >= LOCK_AFTER_FAILURES:
            account.locked_until = now + LOCK_FOR
            account.failed_logins = 0
        noted("failed")
        raise refused from None
    account.failed_logins = 0
    account.locked_until = None
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    session.add(
        WebSession(
            token_hash=_hashed(token),
            account_id=account.id,
            csrf_token=csrf,
            created_at=now,
            expires_at=now + SESSION_LASTS,
        )
    )
    noted("signed_in")
    return SignedIn(account=account, token=token, csrf_token=csrf)


def session_of(session: Session, token: str) -> tuple[Account, WebSession] | None:
    """The account and session a token belongs to, if it has not expired."""
    found = session.get(WebSession, _hashed(token))
    if found is None or aware(found.expires_at) <= dt.datetime.now(dt.UTC):
        return None
    account = session.get(Account, found.account_id)
    return None if account is None else (account, found)


def sign_out(session: Session, token: str) -> None:
    session.execute(delete(WebSession).where(WebSession.token_hash == _hashed(token)))


def _hashed(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
