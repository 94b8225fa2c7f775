"""People who use the web application, their sessions, and the audit log of what they were
refused (after NetBox's users and its one permission gate)."""

import datetime as dt

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from mujun.records.base import Base


class Account(Base):
    """A local account: its role, and the county or department its rights are limited to."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(128))
    password_hash: Mapped[str] = mapped_column(String(256), info={"secret": True})
    """Never written to the change log (see :mod:`mujun.records.changes`)."""
    role: Mapped[str] = mapped_column(String(32))
    county_code: Mapped[str | None] = mapped_column(String(32))
    """The county a county officer (or a viewer limited to one county) works on."""
    department: Mapped[str | None] = mapped_column(String(32))
    """The department whose tables a data provider imports."""
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    disabled_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    """When an administrator disabled it (None: in use); a disabled account cannot sign in."""


class WebSession(Base):
    """A signed-in browser or API client: the token in its cookie and its CSRF token. Not in
    the change log (sign-ins are in the audit log)."""

    __tablename__ = "web_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class AuditEntry(Base):
    """Something an account did or was refused, with when, what and why."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_account", "account_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    username: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(String(16))
    """``allowed``, ``refused``, ``signed_in``, ``failed``, ``locked`` or ``throttled`` (a
    client that failed too often); a sign-in's ``detail`` says why, and from which address."""
    detail: Mapped[str | None] = mapped_column(Text)


class SignInClient(Base):
    """The sign-ins a client address has tried and not passed since ``since`` (a window of
    :data:`mujun.web.accounts.CLIENT_WINDOW`): a guesser is throttled across accounts, in the
    database, so that every server process counts alike. Not in the change log."""

    __tablename__ = "sign_in_clients"

    address: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    since: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
