"""Errors as pages: what a browser is shown when a page is refused (403), missing (404) or asked
for with a value it cannot take (422), in the page's language, inside the layout (when the
request is signed in), with a way back that the account may follow. The API (``/api/…``)
answers JSON instead (its shapes are declared in OpenAPI); the handlers in
:mod:`mujun.web.app` choose.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from mujun.records.accounts import Account
from mujun.web import pages
from mujun.web.accounts import session_of
from mujun.web.dependencies import SESSION_COOKIE
from mujun.web.language import in_language
from mujun.web.navigation import WORKBENCH, Link, link_of, may_follow, way_back
from mujun.web.permissions import Role

FIELDS: Mapping[str, tuple[str, str]] = {
    "county": ("区县", "county"),
    "park": ("园区", "park"),
    "industry": ("行业", "industry"),
    "category": ("类别", "category"),
    "grade": ("等级", "grade"),
    "cohort": ("企业类别", "cohort"),
    "q": ("搜索", "search"),
    "page": ("页码", "page"),
    "evaluations_page": ("页码", "page"),
    "sort": ("排序", "sort"),
    "run": ("批次", "run"),
    "a": ("批次", "run"),
    "b": ("批次", "run"),
    "year": ("年度", "year"),
    "as_of": ("截至日", "as of"),
    "export": ("导出", "export"),
    "parcel_id": ("宗地号", "parcel id"),
    "credit_code": ("统一社会信用代码", "credit code"),
}
"""The names a page's query and path parameters are shown by."""

REASONS: Mapping[str, tuple[str, str]] = {
    "enum": ("不是可选的值", "is not one of the choices"),
    "literal_error": ("不是可选的值", "is not one of the choices"),
    "string_too_long": ("太长", "is too long"),
    "string_pattern_mismatch": ("格式不对", "is not in the expected form"),
    "int_parsing": ("应为整数", "should be a whole number"),
    "int_type": ("应为整数", "should be a whole number"),
    "float_parsing": ("应为数字", "should be a number"),
    "greater_than_equal": ("超出允许范围（太小）", "is too small"),
    "greater_than": ("超出允许范围（太小）", "is too small"),
    "less_than_equal": ("超出允许范围（太大）", "is too large"),
    "less_than": ("超出允许范围（太大）", "is too large"),
    "date_from_datetime_parsing": ("不是日期", "is not a date"),
    "date_parsing": ("不是日期", "is not a date"),
    "missing": ("必须填写", "is required"),
}
"""FastAPI's validation errors by type, said the way an official reads them."""


@dataclass(frozen=True)
class Signed:
    """Who asked, when the request carries a live session."""

    account: Account
    csrf_token: str


def signed_of(request: Request) -> Signed | None:
    """The account of the request's session cookie, if any (an error may come before or
    without the route's own sign-in check)."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    with Session(request.app.state.engine, expire_on_commit=False) as db:
        found = session_of(db, token)
        db.commit()
    if found is None:
        return None
    return Signed(found[0], found[1].csrf_token)


def wants_page(request: Request) -> bool:
    """Whether the request is a browser's, answered with a page (everything but the API)."""
    path = request.url.path
    return not (path == "/api" or path.startswith("/api/"))


def in_words(request: Request, text: str) -> str:
    """A reason written ``中文 / English`` (as the API's details are), in the page's
    language."""
    zh, sep, en = text.partition(" / ")
    if not sep:
        return text
    return in_language(request, zh, en)


def invalid_fields(request: Request, errors: Sequence[Mapping[str, Any]]) -> list[str]:
    """Each thing wrong with a request, as a sentence naming the field and the value."""
    said = []
    for error in errors:
        loc = [str(part) for part in error.get("loc", ())]
        name = loc[-1] if loc else ""
        field = in_language(request, *FIELDS.get(name, (name, name)))
        reason = REASONS.get(str(error.get("type", "")))
        why = in_language(request, *reason) if reason else str(error.get("msg", ""))
        value = error.get("input")
        if value is None or isinstance(value, dict):
            said.append(in_language(request, f"「{field}」{why}", f"{field} {why}"))
        else:
            shown = str(value)[:64]
            said.append(
                in_language(request, f"「{field}」的值“{shown}”{why}", f'{field} "{shown}" {why}')
            )
    return said


HEADINGS: Mapping[int, tuple[str, str]] = {
    403: ("无权访问", "Refused"),
    404: ("没有找到", "Not found"),
    422: ("查询条件无效", "The request is not valid"),
}


def error_page(
    request: Request,
    status_code: int,
    *,
    reason: str,
    details: Sequence[str] = (),
    note: str | None = None,
) -> HTMLResponse:
    """The page of an error: its heading, the reason (``role="alert"``), what more there is
    to say, and the ways back; in the layout when signed in."""
    heading = in_language(request, *HEADINGS.get(status_code, ("出错了", "Something went wrong")))
    signed = signed_of(request)
    context: dict[str, Any] = {
        "heading": heading,
        "status": status_code,
        "reason": reason,
        "details": list(details),
        "note": note,
        "path": request.url.path,
    }
    if signed is None:
        return pages.render(request, "error.html", status_code=status_code, **context)
    role = Role(signed.account.role)
    back: list[Link] = []
    if status_code == 422:
        listed = link_of(request.url.path)
        if listed is not None and may_follow(role, listed):
            back.append(listed)  # the same list, without the filter it could not take
    back.append(way_back(role, request.url.path))
    if WORKBENCH not in back:
        back.append(WORKBENCH)
    context["back"] = list(dict.fromkeys(back))
    context["back_here"] = status_code == 422
    return pages.render(
        request,
        "error.html",
        status_code=status_code,
        **pages.layout(request, signed.account, signed.csrf_token),
        **context,
    )
