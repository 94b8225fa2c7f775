"""What the commands of disposal share: a session that commits when the command succeeds, and
a refusal told in one line (with the date the step becomes possible) that changes nothing."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

from sqlalchemy.orm import Session

from mujun.cli.context import Settings, fail
from mujun.disposal.errors import CaseNotFoundError, CaseRefusedError


@contextmanager
def working(s: Settings) -> Iterator[Session]:
    """A session on the records database, committed when the command succeeds; a refusal
    ends the command with its reason and changes nothing."""
    with Session(s.engine(), expire_on_commit=False) as db:
        try:
            yield db
            db.commit()
        except CaseRefusedError as refused:
            db.rollback()
            refuse(s, refused)
        except CaseNotFoundError as missing:
            db.rollback()
            fail(s.say(f"没有编号为 {missing.case_id} 的案件", f"no case {missing.case_id}"))


def refuse(s: Settings, refused: CaseRefusedError) -> NoReturn:
    reason = s.say(refused.zh, refused.en)
    if refused.possible_from is not None:
        reason += s.say(
            f"（{refused.possible_from.isoformat()} 起可办理）",
            f" (possible from {refused.possible_from.isoformat()})",
        )
    fail(reason)
