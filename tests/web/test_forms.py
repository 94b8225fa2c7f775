"""A form posted is answered by :func:`~mujun.web.forms.acted`: what the service did; or the
page again with the reason at the top of the form, 422 for a form filled in wrongly and 409 for
a refusal of the service, and nothing of it kept."""

from typing import Any, cast

import pytest
from fastapi import Request
from fastapi.responses import PlainTextResponse, Response
from sqlalchemy.orm import Session

from mujun.web.forms import FormError, acted
from mujun.web.language import in_language


class RefusedError(Exception):
    """A service's refusal, in Chinese and English."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(en)
        self.zh = zh
        self.en = en


class FaultError(Exception):
    """Not a refusal: a fault, which is no form's to answer."""


class Kept:
    """A session that counts what was rolled back."""

    def __init__(self) -> None:
        self.rollbacks = 0

    def rollback(self) -> None:
        self.rollbacks += 1


def _request(query: str = "") -> Request:
    return Request({"type": "http", "query_string": query.encode(), "headers": []})


def _answer(error: Exception | None, query: str = "") -> tuple[Response, list[Any], Kept]:
    """What ``acted`` answers when the service raises ``error`` (or does its work), the
    pages asked again (status and reason) and the session."""
    db = Kept()
    asked: list[Any] = []

    def act() -> Response:
        if error is not None:
            raise error
        return PlainTextResponse("done", status_code=303)

    def again(status: int, text: str) -> Response:
        asked.append((status, text))
        return PlainTextResponse(text, status_code=status)

    def words(request: Request, refused: RefusedError) -> str:
        return "refused: " + in_language(request, refused.zh, refused.en)

    answer = acted(_request(query), cast(Session, db), act, again, (RefusedError,), words)
    return answer, asked, db


def test_a_refusal_is_the_page_again_409_with_the_reason_and_nothing_kept() -> None:
    answer, asked, db = _answer(RefusedError("尚未届满", "not yet due"))
    assert answer.status_code == 409 and answer.body == "refused: 尚未届满".encode()
    assert asked == [(409, "refused: 尚未届满")] and db.rollbacks == 1
    _, asked, _ = _answer(RefusedError("尚未届满", "not yet due"), "lang=en")
    assert asked == [(409, "refused: not yet due")]


def test_a_form_filled_in_wrongly_is_the_page_again_422_in_the_pages_language() -> None:
    answer, asked, db = _answer(FormError("请填写日期", "the date is required"))
    assert answer.status_code == 422 and asked == [(422, "请填写日期")] and db.rollbacks == 1
    _, asked, _ = _answer(FormError("请填写日期", "the date is required"), "lang=en")
    assert asked == [(422, "the date is required")]


def test_what_the_service_did_is_answered_as_it_says() -> None:
    answer, asked, db = _answer(None)
    assert answer.status_code == 303 and answer.body == b"done"
    assert asked == [] and db.rollbacks == 0


def test_an_error_that_is_no_refusal_is_not_answered_as_one() -> None:
    with pytest.raises(FaultError):
        _answer(FaultError("a fault"))
