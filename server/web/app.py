"""``create_app(settings)`` builds the whole web app; nothing runs at import time."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from starlette.middleware import Middleware

from server.comparisons import Comparisons
from server.manager import RunManager
from server.settings import Settings
from server.store import Store
from server.web import (
    api,
    api_exports,
    api_lessons,
    edges,
    pages,
    pages_embed,
    pages_lessons,
    pages_present,
)
from server.web.broker import Brokers, Pacing

ROOT = Path(__file__).resolve().parent.parent.parent
log = logging.getLogger(__name__)
#: FastAPI's API docs pages (Swagger UI, its OAuth2 redirect, ReDoc): they get ``edges.DOCS_POLICY``.
DOCS_PAGES = ("/docs", "/docs/oauth2-redirect", "/redoc")


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store = Store(settings.db_path)
        manager = RunManager(settings, store)
        pacing = Pacing(
            interval_s=settings.frame_interval_s,
            still_s=settings.still_frame_s,
            gather_s=settings.frame_gather_s,
            busy_core_s=settings.busy_frame_core_s,
        )
        brokers = Brokers(manager, pacing)
        app.state.settings, app.state.store, app.state.manager = settings, store, manager
        app.state.brokers = brokers
        app.state.comparisons = Comparisons(manager, store, settings.limits)
        try:
            yield
        finally:
            await manager.close()
            await brokers.close()
            store.close()

    app = FastAPI(
        title="Concurrency Lab",
        summary="Run Python work sequentially, in threads, processes or asyncio, and see what happened.",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=DOCS_PAGES[0],
        swagger_ui_oauth2_redirect_url=DOCS_PAGES[1],
        redoc_url=DOCS_PAGES[2],
        # Outermost first (server/web/edges.py): the refusals carry the headers too.
        middleware=[
            Middleware(
                edges.SecurityHeaders, embed_origins=settings.embed_origins, docs=DOCS_PAGES
            ),
            Middleware(edges.HostCheck, allowed_hosts=settings.allowed_hosts),
            Middleware(edges.OriginCheck),
        ],
        exception_handlers={
            405: edges.method_not_allowed,
            RequestValidationError: edges.unprocessable,
        },
    )
    app.include_router(api.router, responses=edges.RESPONSES)
    app.include_router(api_lessons.router, responses=edges.RESPONSES)
    app.include_router(api_exports.router, responses=edges.RESPONSES)
    app.include_router(pages.router)
    app.include_router(pages_lessons.router)
    app.include_router(pages_embed.router)
    app.include_router(pages_present.router)
    # The more specific mount first: "/static" would otherwise answer for "/static/vendor/...".
    htmx_dist = settings.assets_dir / "htmx.org" / "dist"
    if htmx_dist.is_dir():
        app.mount("/static/vendor/htmx", StaticFiles(directory=htmx_dist), name="htmx")
    else:
        log.warning("htmx is not installed at %s: run `make install` for live pages", htmx_dist)
    app.mount("/static", StaticFiles(directory=ROOT / "static"), name="static")
    return app


def serve(settings: Settings) -> None:
    import uvicorn

    if settings.host not in ("127.0.0.1", "localhost", "::1") and not settings.allowed_hosts:
        log.warning(
            "serving on %s, but answering only requests for 127.0.0.1, localhost and [::1]:"
            " set CLAB_ALLOWED_HOSTS to the name or address other machines use",
            settings.host,
        )

    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="info")
