"""What a case refuses, and why."""

import datetime as dt
from typing import Any


class CaseRefusedError(Exception):
    """A move, step or record the rules do not allow (now): the reason in Chinese and English,
    the date it becomes possible where there is one, and the figures that decided it."""

    def __init__(
        self,
        zh: str,
        en: str,
        *,
        possible_from: dt.date | None = None,
        evidence: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(en)
        self.zh = zh
        self.en = en
        self.possible_from = possible_from
        self.evidence = evidence


class CaseNotFoundError(LookupError):
    """No case has the number asked for."""

    def __init__(self, case_id: int) -> None:
        super().__init__(f"no case {case_id}")
        self.case_id = case_id
