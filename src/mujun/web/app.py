"""The application: routers, the front-end libraries and the pages' own scripts, the security
headers of every response, and what a refusal or a missing sign-in looks like."""

import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus, urlsplit

from fastapi import APIRouter, FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mujun.analytics.derived import follow_orm_writes
from mujun.web import (
    administration,
    audit,
    basemap,
    case_api,
    case_pages,
    cockpit,
    enterprises,
    errors,
    findings,
    grades,
    imports,
    jobs,
    language,
    objection_api,
    objection_pages,
    pages,
    parcel_file,
    parcel_map,
    parcels,
    runs,
    session,
    tasks,
    warning_api,
    warning_pages,
    workbench,
)
from mujun.web.language import in_language
from mujun.web.permissions import RefusedError

ASSETS = Path(str(resources.files("mujun.web") / "assets" / "node_modules"))
VENDOR = {
    "tabler": "@tabler/core/dist",
    "tabler-icons": "@tabler/icons-webfont/dist",
    "echarts": "echarts/dist",
    "maplibre": "maplibre-gl/dist",
    "swagger-ui": "swagger-ui-dist",
}
"""The front-end libraries (from the npm registry, ``assets/package-lock.json``) and the folder
of each that is served: the application works with no network."""
STATIC = Path(str(resources.files("mujun.web") / "static"))
"""The pages' own scripts and style sheet, served at ``/static/``: no page has an inline script
or style, so the Content-Security-Policy allows none."""


class InvalidField(BaseModel):
    """One thing wrong with a request, as FastAPI's validation names it."""

    loc: list[str | int]
    msg: str
    type: str


class Problem(BaseModel):
    """What a refused request is answered: the reason, in Chinese and English; for a request
    that is not valid, FastAPI's list of what is wrong with it, or the application's own reason
    (a ``bbox`` that is not one, an unknown sort)."""

    detail: str | list[InvalidField]


REFUSALS: dict[int | str, dict[str, Any]] = {
    400: {"model": Problem, "description": "请求体无法解析 / a body that cannot be read"},
    401: {"model": Problem, "description": "未登录 / not signed in"},
    403: {"model": Problem, "description": "无权访问，已记入审计日志 / refused, and audited"},
    404: {"model": Problem, "description": "没有此记录 / no such record"},
    422: {"model": Problem, "description": "请求无效 / the request is not valid"},
}
"""The refusals any route of the API may answer, declared on every one of them (the API
document then describes every status and shape the API returns)."""

ROUTERS: tuple[APIRouter, ...] = (
    session.router,
    language.router,
    parcels.router,
    parcel_file.router,
    enterprises.router,
    findings.router,
    cockpit.router,
    grades.router,
    runs.router,
    parcel_map.router,
    basemap.router,
    imports.router,
    case_api.router,
    case_pages.router,
    objection_api.router,
    objection_pages.router,
    tasks.router,
    warning_api.router,
    warning_pages.router,
    workbench.router,
    administration.router,
    pages.router,
)
"""Every route of the application, by domain; each passes the permission gate (a test walks
them)."""


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """While the application serves: the jobs' worker, and the map's parcel index built in the
    background at once, so that the first map request need not wait for it."""
    threading.Thread(
        target=parcel_map.build_index, args=(app.state.engine,), name="map-index", daemon=True
    ).start()
    async with jobs.lifespan(app):
        yield


def content_security_policy(basemap: str | None) -> str:
    """What a page may load and run: scripts, styles and data from this application only (no
    inline script or style); MapLibre's worker, made from a blob; images from data and blob URLs
    (the pages' icon, MapLibre's decoded tiles), and the base map's tiles from its own origin
    when ``MUJUN_BASEMAP_URL`` gives one; and no page of it inside another site's frame."""
    tiles = "" if not basemap else " " + "://".join(urlsplit(basemap)[:2])
    return "; ".join(
        (
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            f"img-src 'self' data: blob:{tiles}",
            f"connect-src 'self'{tiles}",
            "worker-src blob:",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


class SecurityHeaders:
    """Adds the security headers to every response: pages, the API, static files, errors."""

    def __init__(self, app: ASGIApp, basemap: str | None) -> None:
        self.app = app
        self.headers = [
            (b"content-security-policy", content_security_policy(basemap).encode()),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"same-origin"),
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *self.headers]
            await send(message)

        await self.app(scope, receive, sending if scope["type"] == "http" else send)


def create_app(engine: Engine) -> FastAPI:
    follow_orm_writes()  # facts written through the ORM refresh their derived values
    app = FastAPI(
        title="mujun 亩均",
        description="找出、评价、盯住、处置闲置和低效工业用地 · idle and low-efficiency land",
        openapi_url="/api/openapi.json",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.engine = engine
    for router in ROUTERS:
        app.include_router(router, responses=REFUSALS)
    for prefix, folder in VENDOR.items():
        app.mount(f"/assets/{prefix}", StaticFiles(directory=ASSETS / folder, check_dir=False))
    app.mount("/static", StaticFiles(directory=STATIC))

    async def api_docs(_: Request) -> FileResponse:
        """Swagger UI over /api/openapi.json, from the npm registry like the other libraries
        (FastAPI's own page has an inline script and loads it from a CDN)."""
        return FileResponse(STATIC / "api-docs.html")

    app.add_route("/api/docs", api_docs, include_in_schema=False)

    @app.middleware("http")
    async def refuse_nul(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        """A NUL character in the path or query is refused (422): PostgreSQL's text cannot
        hold one, so it would otherwise fail in the database."""
        if "\x00" in unquote_plus(f"{request.url.path}?{request.url.query}"):
            detail = "请求中含有空字符（NUL） / the request holds a NUL character"
            return JSONResponse({"detail": detail}, status_code=422)
        return await call_next(request)

    @app.exception_handler(RefusedError)
    def refused(request: Request, error: RefusedError) -> Response:
        """A request outside one's rights: 403, and a line in the audit log; a page says what
        was refused and why, with a way back the account may follow."""
        account = getattr(request.state, "account", None)
        with Session(engine) as db:
            audit.record(
                db,
                account=account,
                username="" if account is None else account.username,
                action=request.method,
                target=str(request.url.path),
                outcome="refused",
                detail=error.en,
            )
            db.commit()
        if not errors.wants_page(request):
            return JSONResponse({"detail": f"{error.zh} / {error.en}"}, status_code=403)
        return errors.error_page(request, 403, reason=in_language(request, error.zh, error.en))

    @app.exception_handler(StarletteHTTPException)
    def http_error(request: Request, error: StarletteHTTPException) -> Response:
        """A page asked for without signing in goes to the sign-in page; any other error of a
        page (a missing record, an unknown address) is a page, of the API its JSON."""
        if not errors.wants_page(request):
            return JSONResponse(
                {"detail": error.detail}, status_code=error.status_code, headers=error.headers
            )
        if error.status_code == 401:
            return RedirectResponse("/login", status_code=303)
        reason = in_language(request, "没有此页面。", "There is no such page.")
        if error.status_code != 404 or error.detail != "Not Found":
            reason = errors.in_words(request, str(error.detail))
        return errors.error_page(request, error.status_code, reason=reason)

    @app.exception_handler(RequestValidationError)
    def invalid_request(request: Request, error: RequestValidationError) -> Response:
        """A request with a value its route cannot take: 422, the API with FastAPI's list of
        what is wrong, a page naming each field and value in words."""
        if not errors.wants_page(request):
            return JSONResponse({"detail": jsonable_encoder(error.errors())}, status_code=422)
        return errors.error_page(
            request,
            422,
            reason=in_language(
                request,
                "查询条件中有无法识别的值，未执行查询。",
                "A value of the request could not be taken; nothing was searched.",
            ),
            details=errors.invalid_fields(request, error.errors()),
        )

    # Outermost, so that what the other middleware answers has the headers too.
    app.add_middleware(SecurityHeaders, basemap=pages.basemap_url())
    return app
