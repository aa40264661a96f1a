"""The FastAPI application: the API under ``/api/`` and the console at ``/``."""

from __future__ import annotations

import time
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from khazar.api import (
    routes_alerts,
    routes_collections,
    routes_live,
    routes_ops,
    routes_session,
    routes_users,
)
from khazar.api.errors import ERROR_RESPONSES, install_error_handlers
from khazar.api.guards import JsonGuard, OriginGuard
from khazar.live.state import ServerState

__all__ = ["CONSOLE_DIR", "VENDOR_DIR", "create_app"]

CONSOLE_DIR = Path(__file__).resolve().parent.parent / "console"
#: where scripts/setup-console.sh installs MapLibre GL JS from npm (git-ignored)
VENDOR_DIR = CONSOLE_DIR / "vendor" / "node_modules" / "maplibre-gl" / "dist"

# The page may talk only to this server: every script, style, image and connection is
# same-origin. MapLibre starts its workers from blob: URLs.
_CSP = (
    "default-src 'self'; script-src 'self'; worker-src 'self' blob:; child-src blob:; "
    "img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; connect-src 'self'; "
    "font-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)


def create_app(state: ServerState) -> FastAPI:
    """The app for one server; ``state`` holds the store and the sessions."""
    app = FastAPI(
        title="Khazar API",
        version="0.1.0",
        description=(
            "Caspian maritime picture, alerts, patrols and fleet. Collections are shaped like "
            "OGC API – Features (GeoJSON, bbox, datetime, limit). Log in with POST /api/login; "
            "browsers use the session cookie plus the X-CSRF-Token header on writes, scripts "
            "use 'Authorization: Bearer <token>'."
        ),
        openapi_url="/api/openapi.json",
        docs_url=None,  # Swagger UI would load scripts from a CDN; the spec is enough
        redoc_url=None,
    )
    app.state.khazar = state
    app.state.metrics = metrics = routes_ops.ServerMetrics(state)
    templates = routes_ops.RouteTemplates()
    install_error_handlers(app)
    # /api/health and /metrics carry their full paths: /metrics is not part of the API
    app.include_router(routes_ops.router, responses=ERROR_RESPONSES)
    templates.add_router(routes_ops.router, "")
    routers = [module.router for module in (routes_session, routes_collections, routes_alerts,
                                             routes_live, routes_users)]
    for router in [*routers, *_optional_routers()]:
        app.include_router(router, prefix="/api", responses=ERROR_RESPONSES)
        templates.add_router(router, "/api")

    # bodies and origins are checked before any route; all plain ASGI middleware: nothing
    # is buffered, and a streamed answer passes through without a task or a queue per chunk
    app.add_middleware(JsonGuard)
    app.add_middleware(OriginGuard, allowed=state.settings.serve.allowed_origins)
    # outside the guards, so that their refusals carry the headers too
    app.add_middleware(_SecurityHeaders)
    # added last, so outermost: it times and counts what the other middleware answer too
    app.add_middleware(_RequestMetrics, metrics=metrics, templates=templates)

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(CONSOLE_DIR / "index.html", media_type="text/html")

    app.mount("/console", StaticFiles(directory=CONSOLE_DIR, check_dir=True), name="console")
    if VENDOR_DIR.is_dir():
        app.mount("/vendor/maplibre-gl", StaticFiles(directory=VENDOR_DIR), name="maplibre")
    state.components["console_vendor"] = "ok" if VENDOR_DIR.is_dir() else (
        "missing: run scripts/setup-console.sh"
    )
    templates.add_mounts(app.routes)
    return app


class _SecurityHeaders:
    """The browser's rules for every answer: the content security policy (same origin
    only), no MIME sniffing, no referrer, and ``Cache-Control: no-store`` on the API, each
    unless the route set its own. Plain ASGI (``@app.middleware`` would run every answer,
    the live stream's chunks included, through a task and a memory stream of its own)."""

    _ALWAYS = ((b"content-security-policy", _CSP.encode()),
               (b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer"))
    _API = ((b"cache-control", b"no-store"),)

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive,
                       self._adding(scope, send) if scope["type"] == "http" else send)

    def _adding(self, scope: Scope, send: Send) -> Send:
        """``send`` with the headers added to the answer's start."""
        extra = self._ALWAYS + (self._API if scope["path"].startswith("/api/") else ())

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                present = {name.lower() for name, _ in headers}
                headers += [(n, v) for n, v in extra if n not in present]
                message = {**message, "headers": headers}
            await send(message)

        return send_with_headers


class _RequestMetrics:
    """Counts every HTTP request by method, route template and status, with its duration
    (``khazar_http_requests_total``, ``khazar_http_request_duration_seconds``). Plain ASGI
    rather than ``@app.middleware``: nothing is buffered, and a streamed answer (the live
    stream) is counted when it ends."""

    def __init__(self, app: ASGIApp, metrics: routes_ops.ServerMetrics,
                 templates: routes_ops.RouteTemplates) -> None:
        self.app = app
        self.metrics = metrics
        self.templates = templates

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.monotonic()
        # an exception before the answer started becomes a 500 further out
        status = 500

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            # the router wrote the matched route into this same scope on the way in
            self.metrics.observe(scope["method"], self.templates(scope), status,
                                 time.monotonic() - started)


def _optional_routers() -> list[APIRouter]:
    from khazar.api import routes_dispatch, routes_exercise, routes_fleet, routes_scorecard

    return [routes_fleet.router, routes_dispatch.router, routes_scorecard.router,
            routes_exercise.router]
