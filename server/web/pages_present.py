"""Presentation mode: the lessons as a deck of slides for a room, one lesson per slide.

``/present`` starts the deck at the first lesson, ``/present/{lesson_id}`` is one slide. A slide
holds the lesson's title, its idea, one Run button, its runs' charts filling the screen and the
verdict in large type. ``static/present.js`` moves through the deck without leaving the page
(fullscreen stays on): it fetches the next slide (htmx sends ``HX-Request``: the answer is then
the slide alone) and puts its URL in the address bar, so that a reload keeps the place.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from experiments.lessons import LESSONS
from server.web.deps import (
    BrokersDep,
    ComparisonsDep,
    ManagerDep,
    SettingsDep,
    StoreDep,
)
from server.web.pages import TEMPLATES
from server.web.pages_lessons import latest_context

router = APIRouter(include_in_schema=False)


@router.get("/present", response_class=HTMLResponse)
async def deck(
    request: Request,
    manager: ManagerDep,
    store: StoreDep,
    brokers: BrokersDep,
    comparisons: ComparisonsDep,
    settings: SettingsDep,
    hx_request: Annotated[str | None, Header()] = None,
) -> Response:
    first = next(iter(LESSONS))
    return await slide(request, first, manager, store, brokers, comparisons, settings, hx_request)


@router.get("/present/{lesson_id}", response_class=HTMLResponse)
async def slide(
    request: Request,
    lesson_id: str,
    manager: ManagerDep,
    store: StoreDep,
    brokers: BrokersDep,
    comparisons: ComparisonsDep,
    settings: SettingsDep,
    hx_request: Annotated[str | None, Header()] = None,
) -> Response:
    ids = list(LESSONS)
    if lesson_id not in LESSONS:
        raise HTTPException(404, f"no lesson {lesson_id!r}; the deck is at /present")
    i = ids.index(lesson_id)
    lesson = LESSONS[lesson_id]
    current = await latest_context(lesson, manager, store, brokers, comparisons, "slide")
    ctx = {
        "lesson": lesson,
        "current": current,
        "index": i,
        "count": len(ids),
        "prev": ids[i - 1] if i > 0 else None,
        "next": ids[i + 1] if i + 1 < len(ids) else None,
        "read_only": settings.read_only,
    }
    template = "partials/_slide.html" if hx_request else "present.html"
    return TEMPLATES.TemplateResponse(request, template, ctx)
