"""The audit log: sign-ins, refusals and what else an account did."""

import datetime as dt

from sqlalchemy.orm import Session

from mujun.records.accounts import Account, AuditEntry


def record(
    session: Session,
    *,
    account: Account | None,
    username: str,
    action: str,
    target: str,
    outcome: str,
    detail: str | None = None,
) -> None:
    """Add one entry (committed with the caller's session)."""
    session.add(
        AuditEntry(
            at=dt.datetime.now(dt.UTC),
            account_id=None if account is None else account.id,
            username=username,
            action=action,
            target=target,
            outcome=outcome,
            detail=detail,
        )
    )
