"""The JSON API under ``/api`` (CONTRACT.md): workloads, runs, cancel, and each run's event stream.

Store reads go through ``asyncio.to_thread``: a large run document takes a while to decompress and
parse, and the event loop meanwhile drives live runs (a frame every 50 ms).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException, Query
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt, StrictStr
from sse_starlette import EventSourceResponse

import experiments
from experiments.document import RunDocument
from experiments.registry import InvalidParameter
from server.executors import EXECUTORS, spoken, takes_options
from server.lab.executors import Sequential
from server.lab.replay import replay_log
from server.lab.run import Run
from server.lab.runlog import RunLog
from server.lab.spec import RunSpec
from server.manager import QueueFull, ReadOnly, RunManager
from server.serverlab.options import HELP
from server.spec import DEFAULT_TASKS, Limits, describe_executor, make_spec, misplaced_options
from server.web import sse
from server.web.deps import ManagerDep, SettingsDep, StoreDep, off_loop

#: Keep-alive comments on an idle event stream, so proxies do not drop it.
PING_S = 15
#: A client that takes longer than this to accept one chunk is dropped (it may reconnect).
SEND_TIMEOUT_S = 30
#: Most messages sent in one chunk when a subscriber has a backlog (a replay, a late join).
MAX_CHUNK = 256

router = APIRouter(prefix="/api", tags=["api"])


class ServerRequest(BaseModel):
    """The server executor's options (``executor: "server"`` only); see GET /api/workloads."""

    # Unknown names pass through to the lab's own check, whose message lists the allowed ones.
    model_config = ConfigDict(extra="allow")

    setup: str | None = Field(
        None, description="uvicorn, gunicorn, gunicorn-sync, hypercorn or granian"
    )
    endpoint: str | None = Field(
        None, description="async, async-blocking or sync (default: async; sync for gunicorn-sync)"
    )
    # Strict: the lab checks the range itself and says what is allowed; ``true`` is not 1.
    concurrency: StrictInt | None = Field(None, description=HELP["concurrency"], examples=[0])
    threads: StrictInt | None = Field(None, description=HELP["threads"])
    kill_at_ms: StrictInt | None = Field(None, description=HELP["kill_at_ms"])
    http2: StrictBool | None = Field(
        None, description="HTTP/2 instead of HTTP/1.1 (hypercorn, granian)"
    )


class RunRequest(BaseModel):
    """What to run; every field is checked against the workload and the lab's limits."""

    # The example is a whole request, so that "Try it out" (and schemathesis) starts a real run.
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"workload": "cpu", "executor": "threads", "tasks": 4, "params": {"ms": 20}}
            ]
        },
    )

    workload: str = Field(description="workload id, see GET /api/workloads")
    executor: str = Field(Sequential.id, description=spoken(list(EXECUTORS)))
    tasks: int = Field(DEFAULT_TASKS, description="how many tasks")
    workers: int | None = Field(None, description="pool size (default: the executor's own)")
    # Strict members: a JSON ``true`` is not the number 1 (the workload parses strings itself).
    params: dict[str, StrictInt | StrictFloat | StrictStr] = Field(
        default_factory=dict, description='workload parameters, e.g. {"ms": 100}'
    )
    start_method: str | None = Field(None, description="processes only: fork, forkserver, spawn")
    label: str | None = Field(None, max_length=200, description="a name shown beside the run")
    server: ServerRequest | None = Field(
        None, description="server executor only: which server, endpoint kind and load"
    )


def _not_found(run_id: str) -> HTTPException:
    return HTTPException(404, f"no run with id {run_id!r}")


def live_document(manager: RunManager, run: Run) -> RunDocument:
    doc = run.document()
    position = manager.queue_position(run.id)
    if position is not None:
        doc["queue_position"] = position
        doc["queue_reason"] = manager.waiting_for(run.id)
    return doc


def check(body: RunRequest, limits: Limits) -> RunSpec:
    """Build the spec, or raise a 422 whose ``loc`` names the offending field.

    The run's own fields are checked first with default parameters, so that an error raised with
    the parameters given can only be about a parameter (whose name may be anything). Server
    options are checked in between; their errors are named ``server`` or ``server.NAME``.
    """
    fields: dict[str, Any] = {
        "workload": body.workload,
        "executor": body.executor,
        "tasks": body.tasks,
        "workers": body.workers,
        "start_method": body.start_method,
    }
    try:
        make_spec(**fields, limits=limits)
    except InvalidParameter as exc:
        raise _invalid(("body", exc.name), exc, fields.get(exc.name)) from None
    server = body.server.model_dump(exclude_none=True) if body.server is not None else None
    if server is not None:
        if not takes_options(body.executor):
            raise _invalid(("body", "server"), misplaced_options(body.executor), server)
        try:
            make_spec(**fields, limits=limits, server=server)
        except InvalidParameter as exc:
            _, _, name = exc.name.partition(".")
            loc = ("body", "server", name) if name else ("body", "server")
            raise _invalid(loc, exc, server.get(name) if name else server) from None
    try:
        return make_spec(
            **fields, params=body.params, limits=limits, label=body.label, server=server
        )
    except InvalidParameter as exc:
        raise _invalid(("body", "params", exc.name), exc, body.params.get(exc.name)) from None


def _invalid(loc: tuple[str, ...], exc: InvalidParameter, value: Any) -> RequestValidationError:
    # The shape FastAPI gives its own validation errors, so clients handle both alike.
    return RequestValidationError(
        [{"loc": loc, "msg": exc.message, "type": "value_error", "input": value}]
    )


@router.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/workloads")
async def workloads(settings: SettingsDep) -> dict[str, Any]:
    """The workloads with their parameters, and the executors with their pool sizes."""
    limits = settings.limits
    return {
        "workloads": [w.describe() for w in experiments.visible()],
        "executors": [describe_executor(ex, limits) for ex in EXECUTORS.values()],
        "tasks": {"default": DEFAULT_TASKS, "min": 1, "max": limits.max_tasks},
    }


@router.post(
    "/runs",
    status_code=202,
    responses={
        202: {"description": "queued or started; the run document so far"},
        403: {"description": "the lab is read-only, or a page of another origin sent it"},
        422: {"description": "a field or parameter is not allowed; `loc` names it"},
        429: {"description": "the run queue is full"},
    },
)
async def start_run(body: RunRequest, manager: ManagerDep, settings: SettingsDep) -> Response:
    spec = check(body, settings.limits)
    try:
        run = manager.submit(spec)
    except QueueFull as exc:
        return JSONResponse({"detail": str(exc)}, status_code=429, headers={"Retry-After": "1"})
    except ReadOnly as exc:
        return JSONResponse({"detail": str(exc)}, status_code=403)
    return JSONResponse(
        live_document(manager, run), status_code=202, headers={"Location": f"/api/runs/{run.id}"}
    )


@router.get("/runs")
async def list_runs(
    manager: ManagerDep,
    store: StoreDep,
    limit: Annotated[int, Query(ge=1, le=500, description="most summaries to return")] = 100,
    offset: Annotated[int, Query(ge=0, le=2**31, description="summaries to skip")] = 0,
) -> Response:
    """Summaries of stored runs, newest first; a run still in memory shows its live status."""
    rows = await off_loop(store.list, limit, offset)
    for row in rows:
        run = manager.get(row["id"])
        if run is not None and run.status.value != row["status"]:  # the store lags behind
            row.update(status=run.status.value, wall_s=run.wall_s)
            if run.status.finished:
                row["metrics"] = run.metrics()
    return JSONResponse(rows)


@router.get("/runs/{run_id}", responses={404: {"description": "no such run"}})
async def get_run(run_id: str, manager: ManagerDep, store: StoreDep) -> Response:
    """The run document: partial while the run goes (with ``queue_position`` while queued)."""
    run = manager.get(run_id)
    if run is not None:
        return JSONResponse(live_document(manager, run))
    doc = await off_loop(store.get, run_id)
    if doc is None:
        raise _not_found(run_id)
    return JSONResponse(doc)


@router.post(
    "/runs/{run_id}/cancel",
    status_code=202,
    responses={
        202: {"description": "cancel requested; the run ends within a second"},
        403: {"description": "a page of another origin sent it"},
        404: {"description": "no such run"},
        409: {"description": "the run has already finished"},
    },
)
async def cancel_run(run_id: str, manager: ManagerDep, store: StoreDep) -> Response:
    run = manager.get(run_id)
    if run is None:
        doc = await off_loop(store.get, run_id)
        if doc is None:
            raise _not_found(run_id)
        raise HTTPException(409, f"run {run_id!r} has already finished ({doc['status']})")
    if run.status.finished:
        raise HTTPException(409, f"run {run_id!r} has already finished ({run.status.value})")
    manager.cancel(run_id)
    return JSONResponse(live_document(manager, run), status_code=202)


@router.get(
    "/runs/{run_id}/events",
    responses={
        200: {
            "content": {"text/event-stream": {}},
            "description": "lane, task, sample and status events; ends after the final status",
        },
        404: {"description": "no such run"},
    },
)
async def run_events(
    run_id: str,
    manager: ManagerDep,
    store: StoreDep,
    last_event_id: Annotated[str | None, Header(description="resume after this message id")] = None,
) -> EventSourceResponse:
    """Every message of the run's log after ``Last-Event-ID``, live, then the stream ends."""
    run = manager.get(run_id)
    if run is not None:
        log = run.log
    else:
        doc = await off_loop(store.get, run_id)
        if doc is None:
            raise _not_found(run_id)
        log = replay_log(doc)
    return EventSourceResponse(
        stream(log, parse_last_event_id(last_event_id)), ping=PING_S, send_timeout=SEND_TIMEOUT_S
    )


def parse_last_event_id(value: str | None) -> int:
    """The id to resume after; 0 (from the start) when absent or malformed."""
    value = (value or "").strip()
    return int(value) if value.isascii() and value.isdigit() and len(value) < 12 else 0


async def stream(log: RunLog, last_id: int) -> AsyncIterator[bytes]:
    """The log's messages after ``last_id``, each as soon as it is there, until the log ends
    (its last message is the final status)."""
    async for batch in sse.follow(log, last_id):
        for i in range(0, len(batch), MAX_CHUNK):
            chunk = batch[i : i + MAX_CHUNK]
            yield b"".join(sse.encode(m.json, id=m.id, event=m.event) for m in chunk)
