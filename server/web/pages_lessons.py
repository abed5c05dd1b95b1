"""HTML pages for lessons and comparisons: the explanation, one button, the runs side by side."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from experiments.lessons import LESSONS, Lesson
from server.comparisons import Comparisons
from server.lab.comparison import Comparison
from server.manager import QueueFull, ReadOnly, RunManager
from server.render.compare import Entry, figures, stack
from server.store import Store
from server.web.pages import TEMPLATES
from server.web.views import LiveViews

router = APIRouter(include_in_schema=False)
#: How often a lesson page refreshes its comparison while runs are going.
POLL = "700ms"


def _state(request: Request) -> tuple[RunManager, Store, LiveViews, Comparisons]:
    s = request.app.state
    return s.manager, s.store, s.views, s.comparisons


def entries_for(request: Request, pairs: list[tuple[str, str]]) -> list[Entry]:
    """Chart entries for (label, run id) pairs, live runs from memory, the others from the store."""
    manager, store, views, _ = _state(request)
    out = []
    for label, run_id in pairs:
        run = manager.get(run_id)
        if run is not None:
            out.append(Entry(label, views.for_run(run), LiveViews.now(run), run.document()))
            continue
        doc = store.get(run_id)
        if doc is not None:
            out.append(Entry(label, views.for_document(doc), float(doc.get("wall_s") or 0), doc))
    return out


def comparison_context(request: Request, comparison: Comparison | dict[str, Any]) -> dict[str, Any]:
    doc = comparison.document() if isinstance(comparison, Comparison) else comparison
    manager = _state(request)[0]
    entries = entries_for(request, [(r["label"], r["id"]) for r in doc["runs"]])
    lesson = LESSONS.get(doc.get("lesson") or "")
    return {
        "comparison": doc,
        "chart": stack(entries) if entries else "",
        "figures": figures(entries),
        "lesson": lesson,
        "poll": POLL,
        "live": doc["status"] in ("running", "pending"),
        "waiting_for": next(
            filter(None, (manager.waiting_for(r["id"]) for r in doc["runs"])), None
        ),
    }


@router.get("/lessons", response_class=HTMLResponse)
async def lessons_index(request: Request) -> Response:
    return TEMPLATES.TemplateResponse(request, "lessons.html", {"lessons": list(LESSONS.values())})


@router.get("/lessons/{lesson_id}", response_class=HTMLResponse)
async def lesson_page(request: Request, lesson_id: str) -> Response:
    lesson = _lesson(lesson_id)
    latest = _state(request)[3].latest(lesson.id)
    ctx = comparison_context(request, latest) if latest is not None else None
    return TEMPLATES.TemplateResponse(
        request,
        "lesson.html",
        {"lesson": lesson, "current": ctx, "read_only": request.app.state.settings.read_only},
    )


@router.post("/lessons/{lesson_id}/run", response_class=HTMLResponse)
async def run_lesson(
    request: Request, lesson_id: str, hx_request: Annotated[str | None, Header()] = None
) -> Response:
    lesson = _lesson(lesson_id)
    try:
        comparison = _state(request)[3].start(lesson)
    except (QueueFull, ReadOnly) as exc:
        status = 429 if isinstance(exc, QueueFull) else 403
        return TEMPLATES.TemplateResponse(
            request, "partials/_comparison_error.html", {"message": str(exc)}, status_code=status
        )
    if not hx_request:
        return RedirectResponse(f"/lessons/{lesson.id}", status_code=303)
    return TEMPLATES.TemplateResponse(
        request,
        "partials/_comparison.html",
        comparison_context(request, comparison),
        status_code=201,
    )


@router.get("/comparisons/{comparison_id}", response_class=HTMLResponse)
async def comparison_fragment(request: Request, comparison_id: str) -> Response:
    comparisons = _state(request)[3]
    found: Comparison | dict[str, Any] | None = comparisons.get(comparison_id)
    if found is None:
        found = comparisons.document(comparison_id)
    if found is None:
        raise HTTPException(404, f"no comparison with id {comparison_id!r}")
    return TEMPLATES.TemplateResponse(
        request, "partials/_comparison.html", comparison_context(request, found)
    )


@router.get("/compare", response_class=HTMLResponse)
async def compare(
    request: Request,
    runs: Annotated[str, Query(description="run ids, comma-separated")] = "",
    run: Annotated[
        list[str] | None, Query(description="run ids, repeated (the history form)")
    ] = None,
) -> Response:
    ids = [i.strip() for i in runs.split(",") if i.strip()] + list(run or [])
    entries = entries_for(request, [(f"#{n + 1}", i) for n, i in enumerate(dict.fromkeys(ids))])
    missing = [i for i in dict.fromkeys(ids) if i not in {e.doc["id"] for e in entries}]
    status = 200 if ids and not missing else (404 if missing else 422)
    for e in entries:
        e.label = f"{e.label} {e.doc['workload']} · {e.doc['executor']} ({e.doc['workers']})"
    return TEMPLATES.TemplateResponse(
        request,
        "compare.html",
        {
            "chart": stack(entries) if entries else "",
            "figures": figures(entries),
            "missing": missing,
            "empty": not ids,
        },
        status_code=status,
    )


def _lesson(lesson_id: str) -> Lesson:
    lesson = LESSONS.get(lesson_id)
    if lesson is None:
        raise HTTPException(404, f"no lesson {lesson_id!r}")
    return lesson
