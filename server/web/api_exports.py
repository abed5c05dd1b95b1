"""A run's exports (CONTRACT.md, "Exports"): its trace and its tasks under ``/api``, its charts as
one SVG beside its page (``/runs/{id}/chart.svg``).

A run still going is exported as far as it has got, as ``GET /api/runs/{id}`` answers with the
document so far: a download taken mid-run is a snapshot, and is not cached. Building an export of a
large run takes a while, so it happens in a worker thread, like the store's reads.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, HTTPException
from fastapi.responses import Response

from experiments.document import RunDocument
from server.render.exports import CSV, SVG, TRACE, Export
from server.types import RunStatus
from server.web.deps import ManagerDep, StoreDep, off_loop

router = APIRouter(tags=["exports"])

SNAPSHOT = "; a run still going is exported as far as it has got (not cached)"
#: The chart is a document of its own on this origin: it may style itself, and nothing else.
SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'"


def responses(fmt: Export, description: str) -> dict[int | str, dict[str, Any]]:
    media = fmt.media_type.partition(";")[0]
    return {
        200: {"content": {media: {}}, "description": description + SNAPSHOT},
        404: {"description": "no such run"},
    }


async def document(run_id: str, manager: ManagerDep, store: StoreDep) -> RunDocument:
    """The run's document: a live run's so far, else the stored one; 404 for neither."""
    run = manager.get(run_id)
    if run is not None:
        return run.document()
    doc = await off_loop(store.get, run_id)
    if doc is None:
        raise HTTPException(404, f"no run with id {run_id!r}")
    return doc


async def exported(
    fmt: Export, doc: RunDocument, headers: dict[str, str] | None = None
) -> Response:
    """The export as a download named after the run."""
    body = await off_loop(fmt.build, doc)
    safe_id = re.sub(r"[^A-Za-z0-9_.-]", "_", doc["id"])
    headers = {
        **(headers or {}),
        "Content-Disposition": f'attachment; filename="{fmt.filename(safe_id)}"',
    }
    if not RunStatus(doc["status"]).finished:
        headers["Cache-Control"] = "no-store"
    return Response(body, media_type=fmt.media_type, headers=headers)


@router.get(
    "/api/runs/{run_id}/trace.json",
    response_class=Response,
    responses=responses(
        TRACE,
        "Chrome Trace Event JSON (Perfetto's UI, chrome://tracing): a thread per lane, slices"
        " in the categories task, running and wait, counters of tasks and CPU per core",
    ),
)
async def trace(run_id: str, manager: ManagerDep, store: StoreDep) -> Response:
    """The run as a trace, timestamps in microseconds since its start."""
    return await exported(TRACE, await document(run_id, manager, store))


@router.get(
    "/api/runs/{run_id}/tasks.csv",
    response_class=Response,
    responses=responses(
        CSV,
        "a header row, then one row per task: task, lane, start_s, end_s, cpu_s, status,"
        " submitted_s, queued_s, running_s, wait_<reason>_s for each reason, lane_label, error",
    ),
)
async def tasks(run_id: str, manager: ManagerDep, store: StoreDep) -> Response:
    """The run's tasks as CSV, times in seconds since its start."""
    return await exported(CSV, await document(run_id, manager, store))


@router.get(
    "/runs/{run_id}/chart.svg",
    response_class=Response,
    responses=responses(
        SVG,
        "the run's charts (by worker, by task, over time, CPU per core) as one standalone SVG"
        " document: its own styles, patterns and text",
    ),
)
async def chart(run_id: str, manager: ManagerDep, store: StoreDep) -> Response:
    """The run's charts as an image for slides, papers and issues."""
    doc = await document(run_id, manager, store)
    return await exported(SVG, doc, {"Content-Security-Policy": SVG_POLICY})
