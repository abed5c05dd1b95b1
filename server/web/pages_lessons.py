"""HTML pages for lessons and comparisons: the explanation, one button, the runs side by side."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Header, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from experiments.document import RunDocument
from experiments.lessons import LESSONS, Lesson
from server.comparisons import Comparisons
from server.lab.comparison import FACTS, MAX_REPEAT, Comparison
from server.manager import QueueFull, ReadOnly, RunManager
from server.render import geometry
from server.render.compare import Entry, figures, stack
from server.render.model import from_document
from server.render.prose import run_info
from server.store import Store
from server.web.broker import Brokers
from server.web.deps import BrokersDep, ComparisonsDep, ManagerDep, SettingsDep, StoreDep, off_loop
from server.web.pages import TEMPLATES

router = APIRouter(include_in_schema=False)
#: How often a lesson page refreshes its comparison while runs are going.
POLL = "700ms"


def _stored_entry(label: str, doc: RunDocument) -> Entry:
    return Entry(label, from_document(run_info(doc), doc), float(doc.get("wall_s") or 0.0))


async def entries_for(
    manager: RunManager, store: Store, brokers: Brokers, pairs: list[tuple[str, str]]
) -> list[Entry]:
    """Chart entries for (label, run id) pairs: runs in memory from their brokers (no document
    is built for them), the others read back from the store, off the event loop."""
    out = []
    for label, run_id in pairs:
        run = manager.get(run_id)
        if run is not None:
            broker = brokers.for_run(run)
            out.append(Entry(label, broker.model, broker.scene.now))
            continue
        doc = await off_loop(store.get, run_id)
        if doc is not None:
            out.append(await off_loop(_stored_entry, label, doc))
    return out


#: Where a comparison is shown: its lesson's page (or an embed of it), or a slide.
ViewQuery = Annotated[
    Literal["page", "slide"], Query(description="page (a lesson page or embed) or slide")
]


async def comparison_context(
    manager: RunManager,
    store: Store,
    brokers: Brokers,
    comparison: Comparison | Mapping[str, Any],
    view: str = "page",
) -> dict[str, Any]:
    doc = comparison.document() if isinstance(comparison, Comparison) else comparison
    entries = await entries_for(
        manager, store, brokers, [(r["label"], r["id"]) for r in doc["runs"]]
    )
    lesson = LESSONS.get(doc.get("lesson") or "")
    verdict = (doc.get("verdict") or {}).get("text") or ""
    lanes_h = geometry.slide_lanes_h(len(entries), verdict) if view == "slide" else None
    poll_url = f"/comparisons/{doc['id']}" + ("?view=slide" if view == "slide" else "")
    return {
        "comparison": doc,
        "chart": stack(entries, lanes_h) if entries else "",
        "poll_url": poll_url,
        "view": view,
        "figures": figures(_medians_marked(doc, entries)),
        "lesson": lesson,
        "meanings": {**FACTS, **(lesson.facts if lesson else {})},
        "poll": POLL,
        "live": doc["status"] in ("running", "pending"),
        "waiting_for": next(
            filter(None, (manager.waiting_for(r["id"]) for r in doc["runs"])), None
        ),
    }


async def latest_context(
    lesson: Lesson,
    manager: RunManager,
    store: Store,
    brokers: Brokers,
    comparisons: Comparisons,
    view: str = "page",
) -> dict[str, Any] | None:
    """The view of the lesson's latest comparison (live if it still goes), or None before any."""
    latest: Comparison | dict[str, Any] | None = comparisons.latest_live(lesson.id)
    if latest is None:
        latest = await off_loop(comparisons.latest_stored, lesson.id)
    return await comparison_context(manager, store, brokers, latest, view) if latest else None


def _medians_marked(doc: Mapping[str, Any], entries: list[Entry]) -> list[Entry]:
    """With repeats, the figures mark the runs the verdict read (each step's median)."""
    if (doc.get("repeat") or 1) == 1 or not doc.get("verdict"):
        return entries
    medians = {r["id"] for r in doc["runs"] if r.get("median")}
    return [
        dataclasses.replace(e, label=f"{e.label} · median") if e.model.info.id in medians else e
        for e in entries
    ]


@router.get("/lessons", response_class=HTMLResponse)
async def lessons_index(request: Request) -> Response:
    return TEMPLATES.TemplateResponse(request, "lessons.html", {"lessons": list(LESSONS.values())})


@router.get("/lessons/{lesson_id}", response_class=HTMLResponse)
async def lesson_page(
    request: Request,
    lesson_id: str,
    manager: ManagerDep,
    store: StoreDep,
    brokers: BrokersDep,
    comparisons: ComparisonsDep,
    settings: SettingsDep,
) -> Response:
    lesson = lesson_or_404(lesson_id)
    ctx = await latest_context(lesson, manager, store, brokers, comparisons)
    return TEMPLATES.TemplateResponse(
        request, "lesson.html", {"lesson": lesson, "current": ctx, "read_only": settings.read_only}
    )


@router.post("/lessons/{lesson_id}/run", response_class=HTMLResponse)
async def run_lesson(
    request: Request,
    lesson_id: str,
    manager: ManagerDep,
    store: StoreDep,
    brokers: BrokersDep,
    comparisons: ComparisonsDep,
    repeat: Annotated[str, Form()] = "1",
    view: ViewQuery = "page",
    hx_request: Annotated[str | None, Header()] = None,
) -> Response:
    lesson = lesson_or_404(lesson_id)
    if repeat not in {str(n) for n in range(1, MAX_REPEAT + 1)}:
        message = f"repeat must be a whole number from 1 to {MAX_REPEAT}, not {repeat!r}"
        return TEMPLATES.TemplateResponse(
            request, "partials/_comparison_error.html", {"message": message}, status_code=422
        )
    try:
        comparison = comparisons.start(lesson, int(repeat))
    except (QueueFull, ReadOnly) as exc:
        status = 429 if isinstance(exc, QueueFull) else 403
        return TEMPLATES.TemplateResponse(
            request, "partials/_comparison_error.html", {"message": str(exc)}, status_code=status
        )
    if not hx_request:
        back = f"/present/{lesson.id}" if view == "slide" else f"/lessons/{lesson.id}"
        return RedirectResponse(back, status_code=303)
    ctx = await comparison_context(manager, store, brokers, comparison, view)
    return TEMPLATES.TemplateResponse(request, "partials/_comparison.html", ctx, status_code=201)


@router.get("/comparisons/{comparison_id}", response_class=HTMLResponse)
async def comparison_fragment(
    request: Request,
    comparison_id: str,
    manager: ManagerDep,
    store: StoreDep,
    brokers: BrokersDep,
    comparisons: ComparisonsDep,
    view: ViewQuery = "page",
) -> Response:
    found: Comparison | dict[str, Any] | None = comparisons.get(comparison_id)
    if found is None:
        found = await off_loop(comparisons.stored, comparison_id)
    if found is None:
        raise HTTPException(404, f"no comparison with id {comparison_id!r}")
    ctx = await comparison_context(manager, store, brokers, found, view)
    return TEMPLATES.TemplateResponse(request, "partials/_comparison.html", ctx)


def compare_ids(runs: str, run: list[str] | None) -> list[str]:
    """Run ids from ``?runs=A,B`` and ``?run=A&run=B`` (the history form), in order, once each."""
    return list(dict.fromkeys([i.strip() for i in runs.split(",") if i.strip()] + list(run or [])))


async def compare_context(
    manager: RunManager, store: Store, brokers: Brokers, ids: list[str]
) -> tuple[dict[str, Any], int]:
    """Runs side by side, and the status to answer with: 404 if one is missing, 422 if none
    was asked for."""
    pairs = [(f"#{n + 1}", i) for n, i in enumerate(ids)]
    entries = await entries_for(manager, store, brokers, pairs)
    found = {e.model.info.id for e in entries}
    missing = [i for i in ids if i not in found]
    status = 200 if ids and not missing else (404 if missing else 422)
    entries = [
        Entry(
            f"{e.label} {e.model.info.workload} · {e.model.info.executor} ({e.model.info.workers})",
            e.model,
            e.now,
        )
        for e in entries
    ]
    ctx = {
        "chart": stack(entries) if entries else "",
        "figures": figures(entries),
        "missing": missing,
        "empty": not ids,
    }
    return ctx, status


RunsQuery = Annotated[str, Query(description="run ids, comma-separated", max_length=2000)]
RunQuery = Annotated[list[str] | None, Query(description="run ids, repeated (the history form)")]


@router.get("/compare", response_class=HTMLResponse)
async def compare(
    request: Request,
    manager: ManagerDep,
    store: StoreDep,
    brokers: BrokersDep,
    runs: RunsQuery = "",
    run: RunQuery = None,
) -> Response:
    ctx, status = await compare_context(manager, store, brokers, compare_ids(runs, run))
    return TEMPLATES.TemplateResponse(request, "compare.html", ctx, status_code=status)


def lesson_or_404(lesson_id: str) -> Lesson:
    lesson = LESSONS.get(lesson_id)
    if lesson is None:
        raise HTTPException(404, f"no lesson {lesson_id!r}")
    return lesson
