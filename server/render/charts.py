"""The charts of a run's view: by worker, by task, and the time axis (the lines over time are in
``server.render.lines``).

Bars are strings (``server.render.svg``); what holds them comes from the macros of
``templates/partials/_panels.html``, like every panel.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from markupsafe import Markup

from server.render import geometry, svg
from server.render.patterns import PATTERNS
from server.render.scene import Scene
from server.render.templates import macro


def tip(s: Scene, task: Mapping[str, Any]) -> str:
    lane = s.model.lanes.get(task["lane"])
    return svg.task_tip(task, lane["label"] if lane else task["lane"])


def lane_bars(s: Scene, lane_id: str) -> str:
    rows = s.lane_rows
    return "".join(
        svg.bar("L", t, s.run_id, 0.0, rows.bar_h, tip(s, t))
        for t in s.model.tasks.values()
        if t["lane"] == lane_id
    )


def lane_chart_body(s: Scene) -> Markup:
    """The lane chart's content (labels, the SVG, kill marks): new lanes redraw it."""
    lanes = list(s.model.lanes.values())
    inner = Markup(lane_plot(s))
    return macro("lane_chart_body", s.run_id, lanes, s.lane_rows, inner, _kill_marks(s))


def lane_plot(s: Scene) -> str:
    """What the lane chart's SVG holds, in its coordinates (also drawn by
    ``server.render.standalone``)."""
    m, rows = s.model, s.lane_rows
    lanes = list(m.lanes.values())
    if m.info.lane_density:
        paths = []
        for i, lane in enumerate(lanes):
            fl, ru = s.columns(*m.lane_series[lane["id"]])
            full = max(max(fl, default=0.0), 1.0)
            paths.append(svg.density_paths(fl, ru, rows.y(i), rows.bar_h, full, 1.0))
        # Density strips are in chart units (redrawn as they grow); the kill lines in ms.
        inner = f'<g class="density">{"".join(paths)}</g>'
        timed = svg.kill_lines(m.kills, rows.height)
    else:
        timed = "".join(
            f'<g id="Llane-{s.run_id}-{lane["id"]}" transform="translate(0,{rows.y(i):g})">'
            f"{lane_bars(s, lane['id'])}</g>"
            for i, lane in enumerate(lanes)
        )
        timed += svg.kill_lines(m.kills, rows.height)
        inner = ""
    inner += (
        f'<g class="timescale" id="lscale-{s.run_id}" transform="{s.timescale}"'
        f' data-span="{s.span:g}">{timed}</g>'
    )
    return inner


def _kill_marks(s: Scene) -> list[dict[str, Any]]:
    return [
        {"pid": k["pid"], "t": k["t_s"], "left": 100 * max(float(k["t_s"]), 0.0) / s.span}
        for k in s.model.kills
        if s.span > 0
    ]


def lane_chart(s: Scene) -> Markup:
    return macro("lane_chart", s.run_id, s.model.info, lane_chart_body(s))


def task_chart_body(s: Scene) -> Markup:
    inner, label = task_plot(s)
    tasks = s.model.info.tasks_requested
    return macro("task_chart_body", s.run_id, tasks, s.task_rows, Markup(inner), label)


def task_plot(s: Scene) -> tuple[str, str]:
    """What the task chart's SVG holds, and what its rows are (also drawn by
    ``server.render.standalone``)."""
    m, rows = s.model, s.task_rows
    if m.info.task_density:
        paths = "".join(
            svg.density_paths(
                *s.columns(fl, ru), rows.y(i), rows.bar_h, float(m.per_row), float(m.per_row)
            )
            for i, (fl, ru) in enumerate(m.row_series)
        )
        inner = f'<g class="density">{paths}</g>'
        label = f"{m.per_row:,} tasks per row"
    else:
        bars = "".join(
            svg.bar("T", t, s.run_id, rows.y(t["id"]), rows.bar_h, tip(s, t))
            for t in m.tasks.values()
        )
        inner = (
            f'<g class="timescale" id="tscale-{s.run_id}" transform="{s.timescale}"'
            f' data-span="{s.span:g}">'
            f'<g id="Trows-{s.run_id}">{bars}</g></g>'
        )
        label = "one row per task"
    return inner, label


def task_chart(s: Scene) -> Markup:
    return macro("task_chart", s.run_id, task_chart_body(s))


def axis(s: Scene, oob: bool = False) -> Markup:
    return macro("axis", s.run_id, geometry.axis_ticks(s.span), oob)


def clip(s: Scene) -> Markup:
    """The run's own defs: the clip at "now", and its patterns of waiting, whose transforms undo
    the time scale of its bars."""
    transforms = {p.reason: s.pattern_transform(p.rotate) for p in PATTERNS}
    return macro("clip", s.run_id, s.clip_ms, PATTERNS, transforms)


# --- legends ----------------------------------------------------------------------------------


def legend_keys(s: Scene, chart: str) -> tuple[tuple[str, str], ...]:
    """What a chart's legend names: executing, while tasks are in flight the part of their bars
    not reported yet, then each way of waiting that occurs (the reasons, in their order; a run
    recorded before reasons were has plain "waiting"), queued (the task chart), failed and
    cancelled if any task ended so."""
    m = s.model
    keys = [("run", "executing")]
    if not m.finished and len(m.ended) < len(m.tasks):
        keys.append(("live", "not reported yet"))
    if m.waiting:
        keys += [(p.reason, p.label) for p in PATTERNS if p.reason in m.waiting]
    elif m.tasks:
        keys.append(("flight", "in flight, waiting"))
    if chart == "T" and m.queued:
        keys.append(("queued", "queued for a worker"))
    keys += [
        (k, label)
        for k, label in (("error", "failed"), ("cancelled", "cancelled"))
        if k in m.statuses
    ]
    if chart == "L" and m.kills:
        keys.append(("kill", "kill -9 of a worker"))
    return tuple(keys)


def legend(s: Scene, chart: str) -> Markup:
    return macro("legend", s.run_id, chart, legend_keys(s, chart))
