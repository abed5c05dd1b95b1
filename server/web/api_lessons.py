"""The lessons API: list lessons, start one (a comparison of runs), read a comparison."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, HTTPException, Response
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from experiments.lessons import LESSONS
from server.lab.comparison import FACTS, MAX_REPEAT
from server.manager import QueueFull, ReadOnly
from server.web.deps import ComparisonsDep, off_loop

router = APIRouter(prefix="/api", tags=["lessons"])
NO_LESSON: dict[int | str, dict[str, Any]] = {404: {"description": "no such lesson"}}


def _whole_number(value: object) -> object:
    """JSON numbers that are whole (3, 3.0) as ints; anything else is left for the int check to
    refuse, booleans and strings included."""
    if isinstance(value, bool | str):
        raise ValueError("Input should be a valid integer")
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


class LessonRunRequest(BaseModel):
    """How to run a lesson (the body is optional: no body runs each step once)."""

    model_config = ConfigDict(extra="forbid")

    # ``true`` is not 1, nor ``"3"`` 3; but 3.0 is JSON's 3, as the schema's "integer" says.
    repeat: Annotated[int, BeforeValidator(_whole_number)] = Field(
        1,
        ge=1,
        le=MAX_REPEAT,
        description="times to run the lesson's steps, interleaved (A B C, A B C); the verdict "
        "reads each step's median run",
    )


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
        "facts": {**lesson.facts, **FACTS},
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
    lesson_id: str,
    response: Response,
    comparisons: ComparisonsDep,
    body: Annotated[LessonRunRequest | None, Body()] = None,
) -> dict[str, Any]:
    """Start the lesson's runs, one after another, alone; the verdict follows when all have
    ended."""
    lesson = LESSONS.get(lesson_id)
    if lesson is None:
        raise HTTPException(404, f"no lesson {lesson_id!r}; see GET /api/lessons")
    try:
        comparison = comparisons.start(lesson, body.repeat if body else 1)
    except QueueFull as exc:
        raise HTTPException(429, str(exc), headers={"Retry-After": "5"}) from None
    except ReadOnly as exc:
        raise HTTPException(403, str(exc)) from None
    response.headers["Location"] = f"/api/comparisons/{comparison.id}"
    return {
        "id": comparison.id,
        "lesson": lesson.id,
        "status": "running",
        "repeat": comparison.repeat,
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
