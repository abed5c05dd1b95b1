"""HTML pages: the dashboard, one run, and the HTML event stream that keeps a run's page live.

The JSON API lives in ``server.web.api``; these routes render the same data for people.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Header, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sse_starlette import EventSourceResponse, ServerSentEvent

import experiments
from experiments.registry import InvalidParameter
from server.executors import EXECUTORS, takes_options
from server.lab.executors import Threads
from server.manager import QueueFull, ReadOnly, RunManager
from server.render.live import LiveView
from server.serverlab.options import describe as describe_server_options
from server.spec import make_spec
from server.store import Store
from server.web import server_options
from server.web.views import LiveViews

TEMPLATES = Jinja2Templates(directory=Path(__file__).resolve().parent.parent.parent / "templates")
#: A page further behind than this many frames gets a fresh snapshot instead of the backlog.
MAX_BACKLOG = 50

router = APIRouter(include_in_schema=False)


def _manager(request: Request) -> RunManager:
    return request.app.state.manager  # type: ignore[no-any-return]


def _store(request: Request) -> Store:
    return request.app.state.store  # type: ignore[no-any-return]


def _views(request: Request) -> LiveViews:
    return request.app.state.views  # type: ignore[no-any-return]


def form_context(
    values: dict[str, Any] | None = None, errors: dict[str, str] | None = None
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


def history(request: Request, limit: int = 30) -> list[dict[str, Any]]:
    rows = {r["id"]: r for r in _store(request).list(limit=limit)}
    for run in _manager(request).runs.values():  # live status wins over what is stored
        if run.id in rows:
            rows[run.id]["status"] = run.status.value
    return sorted(rows.values(), key=lambda r: r["created_at"], reverse=True)


def run_context(
    view: LiveView,
    doc: dict[str, Any],
    now: float,
    live: bool,
    options: object = None,
) -> dict[str, Any]:
    """What ``_run.html`` shows; ``options`` is the run spec's, for the header of a server run
    whose server has not started yet."""
    executor = EXECUTORS.get(doc["executor"])
    has_start_method = executor is not None and bool(executor.start_methods)
    return {
        "view": view,
        "panels": view.panels(now),
        "doc": doc,
        "live": live,
        "frame": len(view.frames),
        "server": server_options.header(doc, options),
        # What the template says of the executor, so that it need not know any by its id.
        "lane_noun": executor.lane_noun if executor else "worker",
        "start_method": doc["host"]["start_method"] if has_start_method else None,
    }


@router.get("/", response_class=HTMLResponse)
async def index(request: Request) -> Response:
    manager = _manager(request)
    current = None
    live_runs = [r for r in manager.runs.values() if not r.status.finished]
    if live_runs:
        run = live_runs[-1]
        view = _views(request).for_run(run)
        current = run_context(view, run.document(), LiveViews.now(run), True, run.spec.options)
    return TEMPLATES.TemplateResponse(
        request,
        "index.html",
        {
            **form_context(),
            "current": current,
            "history": history(request),
            "read_only": request.app.state.settings.read_only,
        },
    )


@router.post("/runs", response_class=HTMLResponse)
async def start_run(
    request: Request,
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
    settings = request.app.state.settings
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
        run = _manager(request).submit(spec)
    except InvalidParameter as exc:
        return _form_error(request, values, exc.name, exc.message, hx_request)
    except (QueueFull, ReadOnly) as exc:
        return _form_error(
            request,
            values,
            "form",
            str(exc),
            hx_request,
            429 if isinstance(exc, QueueFull) else 403,
        )
    if not hx_request:
        return RedirectResponse(f"/runs/{run.id}", status_code=303)
    view = _views(request).for_run(run)
    ctx = {
        **form_context(values),
        "current": run_context(view, run.document(), 0.0, True, spec.options),
        "history": history(request),
        "oob": True,
    }
    return TEMPLATES.TemplateResponse(request, "partials/_started.html", ctx, status_code=201)


def _form_error(
    request: Request,
    values: dict[str, Any],
    field: str,
    message: str,
    hx_request: str | None,
    status: int = 422,
) -> Response:
    errors = {field: message}
    if hx_request:
        return TEMPLATES.TemplateResponse(
            request, "partials/_form.html", form_context(values, errors), status_code=status
        )
    return TEMPLATES.TemplateResponse(
        request,
        "index.html",
        {
            **form_context(values, errors),
            "current": None,
            "history": history(request),
            "read_only": request.app.state.settings.read_only,
        },
        status_code=status,
    )


@router.get("/runs/{run_id}", response_class=HTMLResponse)
async def run_page(request: Request, run_id: str) -> Response:
    run = _manager(request).get(run_id)
    if run is not None:
        view = _views(request).for_run(run)
        ctx = run_context(view, run.document(), LiveViews.now(run), not view.done, run.spec.options)
    else:
        doc = _store(request).get(run_id)
        if doc is None:
            raise HTTPException(404, f"no run with id {run_id!r}")
        view = _views(request).for_document(doc)
        ctx = run_context(view, doc, float(doc.get("wall_s") or 0.0), False)
    return TEMPLATES.TemplateResponse(request, "run.html", {"current": ctx})


@router.post("/runs/{run_id}/cancel")
async def cancel_run(
    request: Request, run_id: str, hx_request: Annotated[str | None, Header()] = None
) -> Response:
    manager = _manager(request)
    if manager.get(run_id) is None and _store(request).get(run_id) is None:
        raise HTTPException(404, f"no run with id {run_id!r}")
    manager.cancel(run_id)
    if hx_request:
        return Response(status_code=204)
    return RedirectResponse(f"/runs/{run_id}", status_code=303)


@router.get("/runs/{run_id}/stream")
async def run_stream(
    request: Request,
    run_id: str,
    after: Annotated[int, Query(ge=0)] = 0,
    last_event_id: Annotated[str | None, Header()] = None,
) -> Response:
    """HTML frames for a live page: out-of-band swaps (htmx's `hx-swap-oob` notation, applied by
    ``static/lab.js``), one message per frame, then ``end``."""
    run = _manager(request).get(run_id)
    if run is None:
        if _store(request).get(run_id) is None:
            raise HTTPException(404, f"no run with id {run_id!r}")

        async def finished() -> AsyncIterator[ServerSentEvent]:
            yield ServerSentEvent(data="", event="end")

        return EventSourceResponse(finished())
    view = _views(request).for_run(run)
    last = after
    if last_event_id and last_event_id.isdigit():
        last = int(last_event_id)

    async def frames() -> AsyncIterator[ServerSentEvent | bytes]:
        nonlocal last
        if last > len(view.frames) or len(view.frames) - last > MAX_BACKLOG:
            last = len(view.frames)
            yield ServerSentEvent(data=view.snapshot_frame(LiveViews.now(run)), id=str(last))
        while True:
            for i in range(last, len(view.frames)):
                yield encoded_frame(view, i)
            last = len(view.frames)
            if view.done:
                yield ServerSentEvent(data="", event="end", id=str(last))
                return
            await view.wait(last)
            if len(view.frames) - last > MAX_BACKLOG:  # fell behind: skip to a snapshot
                last = len(view.frames)
                yield ServerSentEvent(data=view.snapshot_frame(LiveViews.now(run)), id=str(last))

    return EventSourceResponse(frames(), ping=15, headers={"Cache-Control": "no-store"})


def encoded_frame(view: LiveView, i: int) -> bytes:
    """Frame ``i`` as SSE bytes, encoded once and shared by every page watching the run (encoding
    per viewer was the largest cost of fan-out, measured in bench/fanout.py)."""
    cache = view.encoded
    while len(cache) <= i:
        n = len(cache)
        cache.append(ServerSentEvent(data=view.frames[n], id=str(n + 1)).encode())
    return cache[i]


@router.get("/history", response_class=HTMLResponse)
async def history_partial(request: Request) -> Response:
    return TEMPLATES.TemplateResponse(
        request, "partials/_history.html", {"history": history(request)}
    )


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
