"""HTML pages: the dashboard, one run, and the HTML event stream that keeps a run's page live.

The JSON API lives in ``server.web.api``; these routes render the same data for people.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Form, Header, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sse_starlette import EventSourceResponse

import experiments
from experiments.document import RunDocument
from experiments.registry import InvalidParameter
from server.executors import EXECUTORS, takes_options
from server.lab.executors import Threads
from server.lab.run import Run
from server.manager import QueueFull, ReadOnly, RunManager
from server.render import panels, patterns
from server.render.model import RunModel, from_document
from server.render.prose import duration, pool, run_info
from server.render.scene import Scene, scene
from server.render.templates import ENV
from server.serverlab.options import describe as describe_server_options
from server.spec import make_spec
from server.store import Store
from server.web import server_options, sse
from server.web.broker import Broker, Brokers
from server.web.deps import BrokersDep, ManagerDep, SettingsDep, StoreDep, off_loop

TEMPLATES = Jinja2Templates(env=ENV)
#: A run started from the dashboard's form starts its clock once that page has drawn it and
#: opened its stream (see ``Run.wait_for_watcher``), or after this long without.
WATCHER_WAIT_S = 0.5
#: A page further behind than this many frames gets a fresh snapshot instead of the backlog.
MAX_BACKLOG = 50

router = APIRouter(include_in_schema=False)


def form_context(
    values: Mapping[str, Any] | None = None, errors: Mapping[str, str] | None = None
) -> dict[str, Any]:
    values = values or {}
    workloads = [w.describe() for w in experiments.visible()]
    current = values.get("workload") or "cpu"
    return {
        "workloads": workloads,
        "executors": [
            {"id": e.id, "title": e.title, "takes_options": e.takes_options}
            for e in EXECUTORS.values()
        ],
        "server": describe_server_options(),
        "values": {
            "workload": current,
            "executor": values.get("executor") or Threads.id,
            "tasks": values.get("tasks", "8"),
            "workers": values.get("workers", "2"),
            "params": values.get("params", {}),
            "server": server_options.form_values(values.get("server")),
        },
        "errors": errors or {},
    }


async def history(manager: ManagerDep, store: StoreDep, limit: int = 30) -> list[dict[str, Any]]:
    """The dashboard's list of recent runs (a live run's status wins over the stored one)."""
    rows = {r["id"]: r for r in await off_loop(store.list, limit)}
    for run in manager.runs.values():
        if run.id in rows:
            rows[run.id]["status"] = run.status.value
    for r in rows.values():
        r["wall"] = duration(r["wall_s"]) if r.get("wall_s") else ""
    return sorted(rows.values(), key=lambda r: r["created_at"], reverse=True)


def run_context(
    s: Scene,
    doc: Mapping[str, Any],
    *,
    live: bool = False,
    frame: int = 0,
    options: object = None,
) -> dict[str, Any]:
    """What ``_run.html`` shows: the scene's panels and the run's head. ``options``: the run
    spec's, for the header of a server run whose server has not started yet."""
    info = s.model.info
    executor = EXECUTORS.get(info.executor)
    has_start_method = executor is not None and bool(executor.start_methods)
    return {
        "info": info,
        "panels": panels.panels(s),
        "style": patterns.style(info.id),
        "doc": doc,
        "live": live,
        "frame": frame,
        "pool": pool(info.executor, info.workers, info.tasks_requested),
        "start_method": doc["host"]["start_method"] if has_start_method else None,
        "server": server_options.header(doc, options),
    }


def live_context(broker: Broker) -> dict[str, Any]:
    run = broker.run
    return run_context(
        broker.scene,
        run.head(),
        live=not broker.frames.closed,
        frame=broker.position,
        options=run.spec.options,
    )


def stored_context(doc: RunDocument) -> dict[str, Any]:
    model: RunModel = from_document(run_info(doc), doc)
    return run_context(scene(model, float(doc.get("wall_s") or 0.0)), doc)


@router.get("/", response_class=HTMLResponse)
async def index(
    request: Request,
    manager: ManagerDep,
    store: StoreDep,
    brokers: BrokersDep,
    settings: SettingsDep,
) -> Response:
    current = None
    live_runs = [r for r in manager.runs.values() if not r.status.finished]
    if live_runs:
        current = live_context(brokers.for_run(live_runs[-1]))
    return TEMPLATES.TemplateResponse(
        request,
        "index.html",
        {
            **form_context(),
            "current": current,
            "history": await history(manager, store),
            "read_only": settings.read_only,
        },
    )


@router.post("/runs", response_class=HTMLResponse)
async def start_run(
    request: Request,
    manager: ManagerDep,
    store: StoreDep,
    brokers: BrokersDep,
    settings: SettingsDep,
    workload: Annotated[str, Form()] = "",
    executor: Annotated[str, Form()] = "",
    tasks: Annotated[str, Form()] = "",
    workers: Annotated[str, Form()] = "",
    hx_request: Annotated[str | None, Header()] = None,
) -> Response:
    form = await request.form()
    raw_params = {
        k.removeprefix("param."): str(v) for k, v in form.items() if k.startswith("param.")
    }
    # The server fields are always in the form (shown only with the server executor): read them
    # only for a server run.
    raw_server = server_options.from_form(form)
    values = {
        "workload": workload,
        "executor": executor,
        "tasks": tasks,
        "workers": workers,
        "params": raw_params,
        "server": raw_server,
    }

    async def error(field: str, message: str, status: int = 422) -> Response:
        errors = {field: message}
        if hx_request:
            ctx = form_context(values, errors)
            return TEMPLATES.TemplateResponse(request, "partials/_form.html", ctx, status)
        page = {
            **form_context(values, errors),
            "current": None,
            "history": await history(manager, store),
            "read_only": settings.read_only,
        }
        return TEMPLATES.TemplateResponse(request, "index.html", page, status_code=status)

    try:
        w = experiments.get(workload)
        params = {p.name: raw_params[p.name] for p in w.params if raw_params.get(p.name, "") != ""}
        spec = make_spec(
            workload,
            executor,
            tasks or "8",
            workers or None,
            params,
            limits=settings.limits,
            server=raw_server if takes_options(executor) else None,
        )
        run = manager.submit(spec)
    except InvalidParameter as exc:
        return await error(exc.name, exc.message)
    except QueueFull as exc:
        return await error("form", str(exc), 429)
    except ReadOnly as exc:
        return await error("form", str(exc), 403)
    if not hx_request:
        return RedirectResponse(f"/runs/{run.id}", status_code=303)
    run.wait_for_watcher(WATCHER_WAIT_S)  # this page draws the run, then opens its stream
    ctx = {
        **form_context(values),
        "redraw_form": bool(form.get("shown_errors")),
        "current": live_context(brokers.for_run(run)),
        "history": await history(manager, store),
        "ticked": set(form.getlist("run")),  # the history's ticks, kept (the form includes them)
    }
    return TEMPLATES.TemplateResponse(request, "partials/_started.html", ctx, status_code=201)


async def _stored(store: Store, run_id: str) -> RunDocument:
    doc = await off_loop(store.get, run_id)
    if doc is None:
        raise HTTPException(404, f"no run with id {run_id!r}")
    return doc


async def run_view(
    run_id: str, manager: RunManager, store: Store, brokers: Brokers
) -> dict[str, Any]:
    """A run's view: live from its broker while the lab has it, else from the store (404)."""
    run = manager.get(run_id)
    if run is not None:
        return live_context(brokers.for_run(run))
    return await off_loop(stored_context, await _stored(store, run_id))


@router.get("/runs/{run_id}", response_class=HTMLResponse)
async def run_page(
    request: Request, run_id: str, manager: ManagerDep, store: StoreDep, brokers: BrokersDep
) -> Response:
    ctx = await run_view(run_id, manager, store, brokers)
    return TEMPLATES.TemplateResponse(request, "run.html", {"current": ctx})


@router.post("/runs/{run_id}/cancel")
async def cancel_run(
    run_id: str,
    manager: ManagerDep,
    store: StoreDep,
    hx_request: Annotated[str | None, Header()] = None,
) -> Response:
    if manager.get(run_id) is None:
        await _stored(store, run_id)  # 404 for a run that never was
    manager.cancel(run_id)
    if hx_request:
        return Response(status_code=204)
    return RedirectResponse(f"/runs/{run_id}", status_code=303)


@router.get("/runs/{run_id}/stream")
async def run_stream(
    run_id: str,
    manager: ManagerDep,
    store: StoreDep,
    brokers: BrokersDep,
    after: Annotated[int, Query(ge=0, le=2**31)] = 0,
    last_event_id: Annotated[str | None, Header()] = None,
) -> Response:
    """HTML frames for a live page (see ``server.render.frames``), one message per frame,
    then ``end``."""
    run: Run | None = manager.get(run_id)
    if run is None:
        await _stored(store, run_id)

        async def finished() -> AsyncIterator[bytes]:
            yield sse.encode("", event="end")

        return EventSourceResponse(finished())
    run.watched()
    broker = brokers.for_run(run)
    last = sse_position(last_event_id, after)
    return EventSourceResponse(
        page_frames(broker, last), ping=15, headers={"Cache-Control": "no-store"}
    )


def sse_position(last_event_id: str | None, default: int) -> int:
    """Where a (re)connecting client stopped: its ``Last-Event-ID``, else ``default``."""
    value = (last_event_id or "").strip()
    return int(value) if value.isascii() and value.isdigit() and len(value) < 12 else default


async def page_frames(broker: Broker, last: int) -> AsyncIterator[bytes]:
    """The frames after ``last``; a snapshot instead of a long (or impossible) backlog."""
    if last > broker.position or broker.position - last > MAX_BACKLOG:
        last = broker.position
        yield broker.snapshot()
    async for batch in sse.follow(broker.frames, last):
        # A batch is taken and handed over without a pause: the snapshot is at its end.
        yield broker.snapshot() if len(batch) > MAX_BACKLOG else b"".join(batch)
    yield sse.encode("", event="end", id=broker.position)


@router.get("/favicon.ico")
async def favicon() -> Response:
    """For clients that ask without reading the pages' ``<link rel="icon">`` (the API's JSON)."""
    return RedirectResponse("/static/favicon.svg", status_code=301)


@router.get("/history", response_class=HTMLResponse)
async def history_partial(request: Request, manager: ManagerDep, store: StoreDep) -> Response:
    rows = await history(manager, store)
    return TEMPLATES.TemplateResponse(request, "partials/_history.html", {"history": rows})


@router.get("/form", response_class=HTMLResponse)
async def form_partial(request: Request) -> Response:
    """The run form for another workload (its parameters differ), keeping the other choices."""
    q = request.query_params
    values: dict[str, Any] = {
        "workload": q.get("workload", "cpu"),
        "executor": q.get("executor", ""),
        "tasks": q.get("tasks", "8"),
        "workers": q.get("workers", ""),
        "server": server_options.from_form(q),
    }
    try:
        experiments.get(values["workload"])
    except InvalidParameter as exc:
        return TEMPLATES.TemplateResponse(
            request,
            "partials/_form.html",
            form_context({**values, "workload": "cpu"}, {exc.name: exc.message}),
            status_code=422,
        )
    return TEMPLATES.TemplateResponse(request, "partials/_form.html", form_context(values))
