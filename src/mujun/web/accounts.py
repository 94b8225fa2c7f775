"""Local accounts: argon2 password hashes, sign-in throttled per account and per client address,
sessions kept as hashed tokens with a CSRF token each."""

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import VerificationError
from sqlalchemy import Engine, case, delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from mujun.policy import duties
from mujun.records.accounts import Account, SignInClient, WebSession
from mujun.records.base import aware, table_of
from mujun.web import audit
from mujun.web.permissions import Role

HASHER = PasswordHasher()
MIN_PASSWORD = 8
LOCK_AFTER_FAILURES = 5
LOCK_FOR = dt.timedelta(minutes=15)
CLIENT_LIMIT = 20
"""Sign-ins a client address may fail within :data:`CLIENT_WINDOW`, whatever the accounts."""
CLIENT_WINDOW = dt.timedelta(minutes=15)
SESSION_LASTS = dt.timedelta(hours=8)
ACCOUNTS = table_of(Account)
CLIENTS = table_of(SignInClient)


class SignInError(Exception):
    """A refused sign-in. Whatever the reason (no such user, a wrong password, a locked account,
    too many tries from the client), the message is the same, so that a guesser learns nothing
    from it; the audit log keeps the reason."""

    zh = "用户名或密码错误，或尝试次数过多，请稍后再试"
    en = "wrong user name or password, or too many tries: try again later"

    def __init__(self) -> None:
        super().__init__(self.en)


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
    account = Account(
        username=username,
        display_name=display_name or username,
        password_hash=hashed_password(password),
        role=role.value,
        county_code=county_code,
        department=department,
        failed_logins=0,
    )
    session.add(account)
    session.flush()
    return account


class PasswordError(ValueError):
    """A password refused: too short, or the current one given wrong; in Chinese and
    English."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(en)
        self.zh = zh
        self.en = en


def hashed_password(password: str) -> str:
    """The argon2 hash of a new password, refused when shorter than :data:`MIN_PASSWORD`."""
    if len(password) < MIN_PASSWORD:
        raise PasswordError(
            f"密码至少需要 {MIN_PASSWORD} 个字符",
            f"a password needs at least {MIN_PASSWORD} characters",
        )
    return HASHER.hash(password)


def end_sessions(session: Session, *, account_id: int, keep: str | None = None) -> None:
    """End the account's sessions, but for the one whose token hash is ``keep``."""
    ending = delete(WebSession).where(WebSession.account_id == account_id)
    if keep is not None:
        ending = ending.where(WebSession.token_hash != keep)
    session.execute(ending)


def set_password(session: Session, *, account: Account, password: str) -> None:
    """Give ``account`` a new password (an administrator's reset): its sessions end."""
    account.password_hash = hashed_password(password)
    account.failed_logins = 0
    account.locked_until = None
    session.flush()
    end_sessions(session, account_id=account.id)


def change_own_password(
    session: Session, *, account: Account, web_session: WebSession, current: str, new: str
) -> None:
    """The signed-in account's own password: refused when ``current`` is wrong; its other
    sessions end, this one stays."""
    if not _verifies(account.password_hash, current):
        raise PasswordError("当前密码不正确", "the current password is wrong")
    account.password_hash = hashed_password(new)
    session.flush()
    end_sessions(session, account_id=account.id, keep=web_session.token_hash)


def set_disabled(session: Session, *, account: Account, disabled: bool) -> None:
    """Disable ``account`` (it cannot sign in, and its sessions end) or put it back in use."""
    account.disabled_at = dt.datetime.now(dt.UTC) if disabled else None
    session.flush()
    if disabled:
        end_sessions(session, account_id=account.id)


def sign_in(session: Session, username: str, password: str, client: str) -> SignedIn:
    """Check the password of ``username`` signing in from the address ``client``.

    Every attempt is counted before its password is checked, atomically and in a short
    transaction of its own, so that parallel attempts cannot slip past the count: the
    :data:`LOCK_AFTER_FAILURES`-th failure in a row locks the account for :data:`LOCK_FOR`, and
    a client that has tried :data:`CLIENT_LIMIT` times without signing in within
    :data:`CLIENT_WINDOW` is refused until the window ends. Every attempt costs one argon2
    verification (of a dummy hash when no password is to be checked), so that the time taken
    tells no more than the message (:class:`SignInError`). No connection is held while the
    hash is checked (``session`` reads the account after it): parallel sign-ins would
    otherwise exhaust the connection pool."""
    now = dt.datetime.now(dt.UTC)
    engine = session.get_bind().engine
    throttled = _count_client(engine, client, now) > CLIENT_LIMIT
    attempt = None if throttled else _count_account(engine, username, now)
    judged = attempt is not None and attempt.judged
    right = _verifies(attempt.password_hash if attempt and judged else _dummy_hash(), password)
    account = session.scalars(select(Account).where(Account.username == username)).first()

    def refused(outcome: str, reason: str) -> SignInError:
        audit.record(
            session,
            account=account,
            username=username,
            action="sign_in",
            target="",
            outcome=outcome,
            detail=f"{reason} ({client})",
        )
        return SignInError()

    if throttled:
        raise refused("throttled", "too many failed sign-ins from the client")
    if attempt is None or account is None:
        raise refused("failed", "no such user")
    if not judged:
        raise refused("locked", "account locked")
    if account.disabled_at is not None:
        raise refused("disabled", "account disabled")
    if not right:
        locked = attempt.number == LOCK_AFTER_FAILURES and _lock(engine, account.id, now)
        raise refused("failed", "wrong password" + ("; account locked" if locked else ""))
    _passed(engine, account.id, client)
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
    audit.record(
        session,
        account=account,
        username=username,
        action="sign_in",
        target="",
        outcome="signed_in",
        detail=client,
    )
    return SignedIn(account=account, token=token, csrf_token=csrf)


@dataclass(frozen=True)
class Attempt:
    """An attempt on an account, counted."""

    password_hash: str
    number: int | None
    """The attempts in a row, this one included; None while the account is locked."""

    @property
    def judged(self) -> bool:
        """Whether its password is checked: not when the account is locked, nor beyond the
        limit (parallel attempts counted before the one that locks it)."""
        return self.number is not None and self.number <= LOCK_AFTER_FAILURES


def _count_client(engine: Engine, client: str, now: dt.datetime) -> int:
    """Count an attempt from ``client``: the attempts without success in its window, this one
    included (a new window begins when the last has ended)."""
    insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert
    current = CLIENTS.c.since > now - CLIENT_WINDOW
    counted = (
        insert(CLIENTS)
        .values(address=client, failures=1, since=now)
        .on_conflict_do_update(
            index_elements=[CLIENTS.c.address],
            set_={
                "failures": case((current, CLIENTS.c.failures + 1), else_=1),
                "since": case((current, CLIENTS.c.since), else_=now),
            },
        )
        .returning(CLIENTS.c.failures)
    )
    with engine.begin() as conn:
        return int(conn.execute(counted).scalar_one())


def _count_account(engine: Engine, username: str, now: dt.datetime) -> Attempt | None:
    """Count an attempt on the account ``username``, if there is one."""
    with engine.begin() as conn:
        found = conn.execute(
            select(ACCOUNTS.c.id, ACCOUNTS.c.password_hash).where(ACCOUNTS.c.username == username)
        ).first()
        if found is None:
            return None
        number = conn.execute(
            update(ACCOUNTS)
            .where(
                ACCOUNTS.c.id == found.id,
                or_(ACCOUNTS.c.locked_until.is_(None), ACCOUNTS.c.locked_until <= now),
            )
            .values(failed_logins=ACCOUNTS.c.failed_logins + 1)
            .returning(ACCOUNTS.c.failed_logins)
        ).scalar_one_or_none()
    return Attempt(password_hash=found.password_hash, number=number)


def _lock(engine: Engine, account_id: int, now: dt.datetime) -> bool:
    """Lock the account for :data:`LOCK_FOR` unless a right password has reset its count in
    the meantime; whether it was locked."""
    with engine.begin() as conn:
        locked = conn.execute(
            update(ACCOUNTS)
            .where(ACCOUNTS.c.id == account_id, ACCOUNTS.c.failed_logins >= LOCK_AFTER_FAILURES)
            .values(locked_until=now + LOCK_FOR, failed_logins=0)
        )
    return locked.rowcount > 0


def _passed(engine: Engine, account_id: int, client: str) -> None:
    """A right password: the account's count starts again, and the client's attempt is taken
    back (a client whose people sign in is not throttled for it)."""
    with engine.begin() as conn:
        conn.execute(
            update(ACCOUNTS)
            .where(ACCOUNTS.c.id == account_id)
            .values(failed_logins=0, locked_until=None)
        )
        conn.execute(
            update(CLIENTS)
            .where(CLIENTS.c.address == client, CLIENTS.c.failures > 0)
            .values(failures=CLIENTS.c.failures - 1)
        )


def _verifies(password_hash: str, password: str) -> bool:
    try:
        return bool(HASHER.verify(password_hash, password))
    except VerificationError:
        return False


@cache
def _dummy_hash() -> str:
    """The hash checked when no password is to be (no such user, a locked account, a throttled
    client): made with :data:`HASHER`'s parameters, so it costs what a real one does."""
    return HASHER.hash(secrets.token_urlsafe(16))


def session_of(session: Session, token: str) -> tuple[Account, WebSession] | None:
    """The account and session a token belongs to, if it has not expired."""
    found = session.get(WebSession, _hashed(token))
    if found is None or aware(found.expires_at) <= dt.datetime.now(dt.UTC):
        return None
    account = session.get(Account, found.account_id)
    if account is None or account.disabled_at is not None:
        return None
    return account, found


def sign_out(session: Session, token: str) -> None:
    session.execute(delete(WebSession).where(WebSession.token_hash == _hashed(token)))


def _hashed(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
