"""The ASGI app the server lab puts under load: any lab workload, served three ways.

- ``GET /async/{workload}``: an ``async def`` endpoint that awaits the workload's awaitable form
  (``io`` awaits ``asyncio.sleep``); a workload without one runs inline and holds the event loop.
- ``GET /async-blocking/{workload}``: an ``async def`` endpoint that calls the plain, blocking
  function (``io`` calls ``time.sleep``): the classic mistake, every request on this worker waits.
- ``GET /sync/{workload}``: a plain ``def`` endpoint; FastAPI runs it in AnyIO's thread pool, whose
  size (40 by default) comes from ``CLAB_TARGET_THREADS``.

Query: ``task`` and ``run`` (for the lab's records) and the workload's parameters, e.g.
``/async/io?task=3&ms=1000``. Run it yourself with ``uvicorn server.serverlab.target:app``.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio.to_thread
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from server.serverlab import handler

THREADS_ENV = "CLAB_TARGET_THREADS"


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    tokens = os.environ.get(THREADS_ENV, "")
    if tokens.isdigit() and int(tokens) > 0:
        anyio.to_thread.current_default_thread_limiter().total_tokens = int(tokens)
    handler.setup_worker("asgi")
    yield


app = FastAPI(title="Concurrency Lab target app", lifespan=lifespan)


@app.exception_handler(handler.BadRequest)
async def bad_request(request: Request, exc: handler.BadRequest) -> JSONResponse:
    return JSONResponse({"detail": exc.detail}, status_code=exc.status)


@app.get("/health")
async def health(request: Request) -> dict[str, Any]:
    return {
        "status": "ok",
        "pid": os.getpid(),
        "interface": "asgi",
        "http_version": request.scope.get("http_version"),
        "thread_pool_tokens": anyio.to_thread.current_default_thread_limiter().total_tokens,
    }


def _reply(answer: dict[str, Any], request: Request) -> dict[str, Any]:
    return {**answer, "http_version": request.scope.get("http_version")}


@app.get("/async/{workload}")
async def async_endpoint(workload: str, request: Request) -> dict[str, Any]:
    w, task, run, params = handler.parse(workload, request.query_params)
    return _reply(await handler.run_on_loop(w, task, run, params, blocking=False), request)


@app.get("/async-blocking/{workload}")
async def async_blocking_endpoint(workload: str, request: Request) -> dict[str, Any]:
    w, task, run, params = handler.parse(workload, request.query_params)
    return _reply(await handler.run_on_loop(w, task, run, params, blocking=True), request)


@app.get("/sync/{workload}")
def sync_endpoint(workload: str, request: Request) -> dict[str, Any]:
    w, task, run, params = handler.parse(workload, request.query_params)
    return _reply(handler.run_in_thread(w, task, run, params, "thread"), request)
