"""``create_app(settings)`` builds the whole web app; nothing runs at import time."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from server.comparisons import Comparisons
from server.manager import RunManager
from server.settings import Settings
from server.store import Store
from server.web import api, api_exports, api_lessons, pages, pages_lessons
from server.web.broker import Brokers

ROOT = Path(__file__).resolve().parent.parent.parent
log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store = Store(settings.db_path)
        manager = RunManager(settings, store)
        brokers = Brokers(manager, settings.frame_interval_s, settings.still_frame_s)
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
    )
    app.include_router(api.router)
    app.include_router(api_lessons.router)
    app.include_router(api_exports.router)
    app.include_router(pages.router)
    app.include_router(pages_lessons.router)
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

    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="info")
