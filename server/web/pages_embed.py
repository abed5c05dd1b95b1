"""Embeds: a run, a lesson or a comparison as a page made for an iframe, and their oEmbed.

An embed is the same view as the full page (the same partials, live the same way), without the
site's navigation; it tells its parent its height (``static/frame.js``, heard by
``static/embed.js`` on the host page). Which sites may frame it is the edges' business
(``frame-ancestors`` from ``CLAB_EMBED_ORIGINS``).
"""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import parse_qs, urlencode, urlsplit

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from markupsafe import escape

from experiments.lessons import LESSONS
from server.web.deps import (
    BrokersDep,
    ComparisonsDep,
    ManagerDep,
    SettingsDep,
    StoreDep,
    off_loop,
)
from server.web.pages import TEMPLATES, run_view
from server.web.pages_lessons import (
    RunQuery,
    RunsQuery,
    compare_context,
    compare_ids,
    latest_context,
    lesson_or_404,
)

router = APIRouter()

Theme = Annotated[
    Literal["auto", "light", "dark"],
    Query(description="auto follows the reader's prefers-color-scheme"),
]
#: The size an oEmbed consumer starts the iframe at (embed.js then fits it to its content).
SIZES = {"run": (800, 1000), "lesson": (800, 900), "compare": (800, 600)}


@router.get("/embed/runs/{run_id}", response_class=HTMLResponse, include_in_schema=False)
async def embed_run(
    request: Request,
    run_id: str,
    manager: ManagerDep,
    store: StoreDep,
    brokers: BrokersDep,
    theme: Theme = "auto",
) -> Response:
    ctx = await run_view(run_id, manager, store, brokers)
    page = {"current": ctx, "theme": theme, "full_url": f"/runs/{run_id}"}
    return TEMPLATES.TemplateResponse(request, "embed_run.html", page)


@router.get("/embed/lessons/{lesson_id}", response_class=HTMLResponse, include_in_schema=False)
async def embed_lesson(
    request: Request,
    lesson_id: str,
    manager: ManagerDep,
    store: StoreDep,
    brokers: BrokersDep,
    comparisons: ComparisonsDep,
    settings: SettingsDep,
    theme: Theme = "auto",
) -> Response:
    lesson = lesson_or_404(lesson_id)
    ctx = await latest_context(lesson, manager, store, brokers, comparisons)
    page = {
        "lesson": lesson,
        "current": ctx,
        "read_only": settings.read_only,
        "theme": theme,
        "full_url": f"/lessons/{lesson.id}",
    }
    return TEMPLATES.TemplateResponse(request, "embed_lesson.html", page)


@router.get("/embed/compare", response_class=HTMLResponse, include_in_schema=False)
async def embed_compare(
    request: Request,
    manager: ManagerDep,
    store: StoreDep,
    brokers: BrokersDep,
    runs: RunsQuery = "",
    run: RunQuery = None,
    theme: Theme = "auto",
) -> Response:
    ids = compare_ids(runs, run)
    ctx, status = await compare_context(manager, store, brokers, ids)
    page = {**ctx, "theme": theme, "full_url": "/compare?" + urlencode({"runs": ",".join(ids)})}
    return TEMPLATES.TemplateResponse(request, "embed_compare.html", page, status_code=status)


# --- oEmbed -----------------------------------------------------------------------------------


#: The names this lab answers to on any machine (CONTRACT.md, "The edges"); settings add more.
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


def embeddable(
    url: str, port: int | None, hosts: frozenset[str] = LOOPBACK
) -> tuple[str, str, str, str] | None:
    """(kind, embed path, title, origin) for one of this lab's run, lesson or compare URLs (a
    full page or an embed) on one of ``hosts`` and the lab's ``port``, else None."""
    parts = urlsplit(url)
    try:
        url_port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or parts.hostname not in hosts or url_port != port:
        return None
    origin = f"{parts.scheme}://{parts.netloc}"
    path = parts.path.removeprefix("/embed")
    segments = [s for s in path.split("/") if s]
    if len(segments) == 2 and segments[0] == "runs":
        return "run", f"/embed/runs/{segments[1]}", f"Run {segments[1]}", origin
    if len(segments) == 2 and segments[0] == "lessons":
        lesson = LESSONS.get(segments[1])
        return ("lesson", f"/embed/lessons/{lesson.id}", lesson.title, origin) if lesson else None
    if segments == ["compare"]:
        query = parse_qs(parts.query)
        ids = compare_ids(",".join(query.get("runs", [])), query.get("run"))
        if ids:
            path = "/embed/compare?" + urlencode({"runs": ",".join(ids)})
            return "compare", path, "Runs side by side", origin
    return None


@router.get(
    "/oembed",
    tags=["embedding"],
    responses={
        404: {"description": "not a run, lesson or comparison of this lab"},
        501: {"description": "a format other than json"},
    },
)
async def oembed(
    request: Request,
    manager: ManagerDep,
    store: StoreDep,
    settings: SettingsDep,
    url: Annotated[
        str, Query(max_length=4000, description="a run, lesson or compare page of this lab")
    ],
    format: Annotated[
        str,
        Query(
            max_length=20,
            description="json, the only one; any other is 501 Not Implemented (oEmbed 1.0)",
            json_schema_extra={"enum": ["json"]},
        ),
    ] = "json",
    maxwidth: Annotated[int | None, Query(ge=100, le=10_000)] = None,
    maxheight: Annotated[int | None, Query(ge=100, le=20_000)] = None,
) -> Response:
    """oEmbed 1.0 (``rich``): the iframe that shows one of this lab's runs, lessons or
    comparisons in another page."""
    if format != "json":
        return JSONResponse({"detail": f"format {format!r} is not supported; use json"}, 501)
    hosts = LOOPBACK | {request.url.hostname or ""} | set(getattr(settings, "allowed_hosts", ()))
    found = embeddable(url, request.url.port or 80, frozenset(hosts))
    if found is None:
        raise HTTPException(404, f"{url!r} is not a run, lesson or comparison page of this lab")
    kind, path, title, origin = found
    if kind == "run":
        run_id = path.rsplit("/", 1)[1]
        if manager.get(run_id) is None and await off_loop(store.get, run_id) is None:
            raise HTTPException(404, f"no run with id {run_id!r}")
    width, height = SIZES[kind]
    width, height = min(width, maxwidth or width), min(height, maxheight or height)
    src = f"{origin}{path}"
    html = (
        f'<iframe src="{escape(src)}" width="{width}" height="{height}" title="{escape(title)}"'
        f' style="border:0;width:100%;max-width:{width}px" loading="lazy"></iframe>'
        f'<script src="{origin}/static/embed.js" defer></script>'
    )
    return JSONResponse(
        {
            "version": "1.0",
            "type": "rich",
            "html": html,
            "width": width,
            "height": height,
            "title": title,
            "provider_name": "Concurrency Lab",
            "provider_url": origin + "/",
        }
    )
