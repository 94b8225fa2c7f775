"""What every form of the web application shares: the error of a form filled in so that the
service cannot be asked (answered 422 with the form again), its dates and its amounts of money;
and the answer to a form posted, :func:`acted`: what the service did, or the page again with the
reason at the top of the form (422, or 409 for a refusal of the service)."""

import datetime as dt
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import TypeVar

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from mujun.policy.parameters import Unit
from mujun.web.language import in_language

INVALID = 422
"""The status of a form filled in so that the service cannot be asked."""
REFUSED = 409
"""The status of a form the service refuses (its state or the law does not allow it, yet)."""
Refusal = TypeVar("Refusal", bound=Exception)
Again = Callable[[int, str], Response]
"""The page a form is on, again: answered with the status given and the reason (in the page's
language) at the top of the form, its values kept."""


class FormError(Exception):
    """A form filled in so that the service cannot be asked (a date that is not one)."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(en)
        self.zh = zh
        self.en = en


def form_day(value: str, zh: str, en: str) -> dt.date | None:
    """The date in a form's field named ``zh`` / ``en``; None when left blank."""
    text = value.strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise FormError(
            f"{zh}有误：{text[:20]} 不是日期", f"{en} is not a date: {text[:20]}"
        ) from None


def required_day(value: str, zh: str, en: str) -> dt.date:
    """The date in a form's field that must be filled in."""
    found = form_day(value, zh, en)
    if found is None:
        raise FormError(f"请填写{zh}", f"{en} is required")
    return found


def form_yuan(value: str, unit: Unit, zh: str, en: str) -> float | None:
    """The amount in a form's field named ``zh`` / ``en``, typed in ``unit`` (万元/亩, as
    officials write it), in yuan (元/亩); None when left blank. Thousands separators are
    allowed; whether the amount is one the service takes is the service's to say."""
    text = value.strip().replace(",", "").replace("，", "")
    if not text:
        return None
    try:
        amount: Decimal | None = Decimal(text)
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite():
        raise FormError(
            f"{zh}有误：{value.strip()[:20]} 不是数字",
            f"{en} is not a number: {value.strip()[:20]}",
        )
    return float(amount * unit.in_yuan)


def acted(
    request: Request,
    db: Session,
    act: Callable[[], Response],
    again: Again,
    refusals: tuple[type[Refusal], ...],
    words: Callable[[Request, Refusal], str],
) -> Response:
    """What ``act`` answers (a redirect saying what was done, or a file); or ``again`` with the
    reason: 422 for a form filled in so that the service cannot be asked, 409 for one of the
    service's ``refusals``, said by ``words``. Nothing of a refused form is kept."""
    try:
        return act()
    except FormError as error:
        status, text = INVALID, in_language(request, error.zh, error.en)
    except refusals as error:
        status, text = REFUSED, words(request, error)
    db.rollback()
    return again(status, text)
