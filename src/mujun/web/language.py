"""The interface language: Simplified Chinese by default, English on request.

A page writes each text in both languages beside each other, ``{{ t("宗地清单", "Parcels") }}``,
so that a translation cannot drift away from what it translates. The choice is a cookie set by
``/language/{lang}`` (the switch in every page's header) and may be overridden for one request
with ``?lang=en``.
"""

from typing import Annotated, Any, get_args
from urllib.parse import urlsplit

from fastapi import APIRouter, Header, Request
from fastapi.responses import RedirectResponse
from jinja2 import pass_context
from jinja2.runtime import Context

from mujun.interchange.problems import Language

LANGUAGE_COOKIE = "mujun_lang"
LANGUAGES: tuple[Language, ...] = get_args(Language)
router = APIRouter(include_in_schema=False)


def language_of(request: Request) -> Language:
    """The language a request asks for: ``?lang=``, else the cookie, else Chinese."""
    for asked in (request.query_params.get("lang"), request.cookies.get(LANGUAGE_COOKIE)):
        if asked in LANGUAGES:
            return asked
    return "zh"


@pass_context
def translate(context: Context, zh: str, en: str) -> str:
    """``t(zh, en)`` in a template: the text in the request's language."""
    request: Request = context["request"]
    return zh if language_of(request) == "zh" else en


def in_language(request: Request, zh: str, en: str) -> str:
    """The same choice for text made in Python (a refusal's reason, a chart's label)."""
    return zh if language_of(request) == "zh" else en


@router.get("/language/{lang}")
def switch_language(
    lang: Language, referer: Annotated[str | None, Header()] = None
) -> RedirectResponse:
    """Remember the language in a cookie and go back to the page the switch was clicked on
    (only a path of this site: never an outside address)."""
    came_from = urlsplit(referer or "/")
    back = came_from.path if came_from.path.startswith("/") else "/"
    if back.startswith("//"):
        back = "/"
    if came_from.query:
        back += "?" + came_from.query
    redirect = RedirectResponse(back, status_code=303)
    redirect.set_cookie(LANGUAGE_COOKIE, lang, max_age=365 * 24 * 3600, samesite="lax")
    return redirect


def template_globals() -> dict[str, Any]:
    return {"t": translate, "language_of": language_of}
