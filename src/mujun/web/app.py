"""The application: routers, the front-end libraries, and what a refusal or a missing
sign-in looks like."""

import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from urllib.parse import unquote_plus

from fastapi import APIRouter, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from mujun.web import (
    audit,
    cockpit,
    enterprises,
    findings,
    grades,
    imports,
    jobs,
    language,
    pages,
    parcel_file,
    parcel_map,
    parcels,
    runs,
    session,
)
from mujun.web.language import in_language
from mujun.web.permissions import RefusedError

ASSETS = Path(str(resources.files("mujun.web") / "assets" / "node_modules"))
VENDOR = {"echarts": "echarts/dist", "maplibre": "maplibre-gl/dist"}
"""The front-end libraries (from the npm registry, ``assets/package-lock.json``) and the folder
of each that is served: the application works with no network."""

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
    imports.router,
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


def create_app(engine: Engine) -> FastAPI:
    app = FastAPI(
        title="mujun 亩均",
        description="找出、评价、盯住、处置闲置和低效工业用地 · idle and low-efficiency land",
        openapi_url="/api/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.engine = engine
    for router in ROUTERS:
        app.include_router(router)
    for prefix, folder in VENDOR.items():
        app.mount(f"/assets/{prefix}", StaticFiles(directory=ASSETS / folder, check_dir=False))

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
        """A request outside one's rights: 403, and a line in the audit log."""
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
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": f"{error.zh} / {error.en}"}, status_code=403)
        return pages.render(
            request,
            "refused.html",
            status_code=403,
            reason=in_language(request, error.zh, error.en),
        )

    @app.exception_handler(HTTPException)
    def unauthorised_page(request: Request, error: HTTPException) -> Response:
        """A page asked for without signing in goes to the sign-in page."""
        if error.status_code == 401 and not request.url.path.startswith("/api/"):
            return RedirectResponse("/login", status_code=303)
        return JSONResponse({"detail": error.detail}, status_code=error.status_code)

    return app
