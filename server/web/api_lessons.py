"""The lessons API: list lessons, start one (a comparison of runs), read a comparison."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Response

from experiments.lessons import LESSONS
from server.manager import QueueFull, ReadOnly
from server.web.deps import ComparisonsDep, off_loop

router = APIRouter(prefix="/api", tags=["lessons"])
NO_LESSON: dict[int | str, dict[str, Any]] = {404: {"description": "no such lesson"}}


@router.get("/lessons")
async def list_lessons() -> list[dict[str, Any]]:
    """Every lesson: id, title and a one-line summary."""
    return [lesson.describe() for lesson in LESSONS.values()]


@router.get("/lessons/{lesson_id}", responses=NO_LESSON)
async def get_lesson(lesson_id: str) -> dict[str, Any]:
    """One lesson in full: its explanation, the runs it performs, the facts its verdict reports."""
    lesson = LESSONS.get(lesson_id)
    if lesson is None:
        raise HTTPException(404, f"no lesson {lesson_id!r}; see GET /api/lessons")
    return {
        **lesson.describe(),
        "explanation": list(lesson.explanation),
        "runs": [
            {
                "label": s.label,
                "workload": s.workload,
                "executor": s.executor,
                "tasks": s.tasks,
                "workers": s.workers,
                "params": dict(s.params),
                **({"server": dict(s.server)} if s.server else {}),
            }
            for s in lesson.steps
        ],
        "facts": dict(lesson.facts),
        "references": [
            {"source": r.source, "figures": r.figures, "url": r.url} for r in lesson.references
        ],
    }


@router.post(
    "/lessons/{lesson_id}/runs",
    status_code=202,
    responses={
        **NO_LESSON,
        403: {"description": "the lab is read-only, or a page of another origin sent it"},
        429: {"description": "the run queue is full"},
    },
)
async def start_lesson(
    lesson_id: str, response: Response, comparisons: ComparisonsDep
) -> dict[str, Any]:
    """Start the lesson's runs, one after another; the verdict follows when all have ended."""
    lesson = LESSONS.get(lesson_id)
    if lesson is None:
        raise HTTPException(404, f"no lesson {lesson_id!r}; see GET /api/lessons")
    try:
        comparison = comparisons.start(lesson)
    except QueueFull as exc:
        raise HTTPException(429, str(exc), headers={"Retry-After": "5"}) from None
    except ReadOnly as exc:
        raise HTTPException(403, str(exc)) from None
    response.headers["Location"] = f"/api/comparisons/{comparison.id}"
    return {
        "id": comparison.id,
        "lesson": lesson.id,
        "status": "running",
        "runs": [run.id for _, run in comparison.runs],
    }


@router.get("/comparisons/{comparison_id}", responses={404: {"description": "no such comparison"}})
async def get_comparison(comparison_id: str, comparisons: ComparisonsDep) -> dict[str, Any]:
    """The runs side by side with their figures; ``verdict`` is null until every run has ended."""
    live = comparisons.get(comparison_id)
    doc = live.document() if live else await off_loop(comparisons.stored, comparison_id)
    if doc is None:
        raise HTTPException(404, f"no comparison with id {comparison_id!r}")
    return doc
