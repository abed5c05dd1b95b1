"""SVG for the Gantt charts and the time series, as strings (fast enough to build every frame).

Bars live in a group whose x unit is the millisecond; a CSS ``transform: scaleX()`` on that group
(see :func:`clock_style`) fits the run into the chart's width, so a finished bar is never redrawn
while the axis grows. A task still in flight is drawn to "forever" and clipped at *now* by a clip
rectangle whose width is also set in CSS. Running intervals are solid; time in flight but waiting
is a light, hatched band behind them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from html import escape
from typing import Any

VIEW_W = 1000  # the charts' viewBox width; the browser stretches it to the real width
FOREVER_MS = 10_000_000


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.3f}".rstrip("0").rstrip(".")


def bar_id(prefix: str, run_id: str, task_id: int) -> str:
    return f"{prefix}{run_id}-{task_id}"


def task_tip(task: Mapping[str, Any], lane_label: str, now: float | None = None) -> str:
    end = task["end_s"]
    dur = (end if end is not None else (now or task["start_s"])) - task["start_s"]
    cpu = task["cpu_s"]
    parts = [
        f"task {task['id']}",
        lane_label,
        f"start {task['start_s']:.3f} s",
        f"{'running for' if end is None else 'took'} {dur:.3f} s",
    ]
    if cpu is not None:
        parts.append(f"CPU {cpu:.3f} s")
    parts.append(task["status"] if not task.get("error") else f"{task['status']}: {task['error']}")
    return " · ".join(parts)


def flight_rect(task: Mapping[str, Any], run_id: str, y: float, h: float, tip: str) -> str:
    """The task's whole time in flight (light); clipped at now while it runs."""
    x = ms(task["start_s"])
    end = task["end_s"]
    if end is None:
        size = f'width="{FOREVER_MS}" clip-path="url(#now-{run_id})"'
        status = "live"
    else:
        size = f'width="{max(float(ms(end - task["start_s"])), 0.001):g}"'
        status = task["status"]
    return (
        f'<rect class="flight {status}" x="{x}" y="{y:g}" height="{h:g}" {size} tabindex="0"'
        f' data-tip="{escape(tip)}"><title>{escape(tip)}</title></rect>'
    )


def run_rects(running: Iterable[Sequence[float]], y: float, h: float) -> str:
    return "".join(
        f'<rect class="run" x="{ms(s)}" y="{y:g}" width="{ms(e - s) or "0.001"}" height="{h:g}"/>'
        for s, e in running
    )


def bar(prefix: str, run_id: str, task: Mapping[str, Any], y: float, h: float, tip: str) -> str:
    return (
        f'<g id="{bar_id(prefix, run_id, task["id"])}" class="bar">'
        f"{bar_inner(run_id, task, y, h, tip)}</g>"
    )


def bar_inner(run_id: str, task: Mapping[str, Any], y: float, h: float, tip: str) -> str:
    return flight_rect(task, run_id, y, h, tip) + run_rects(task["running"], y, h)


def clock_style(run_id: str, span: float, now: float, kills: bool = False) -> str:
    """The per-frame CSS that scales time into the chart width and moves the "now" clip (and
    the labels of :func:`kill_labels`, which are HTML and so outside the scaled SVG)."""
    scale = VIEW_W / max(span * 1000, 1.0)
    css = (
        f"#run-{run_id} .timescale{{transform:scaleX({scale:.6g})}}"
        f"#run-{run_id} .now-clip{{width:{max(now * 1000, 0):.1f}px}}"
    )
    if kills:
        css += f"#run-{run_id} .kill-marks .kill{{--per-s:{100 / max(span, 1e-3):.6g}%}}"
    return css


def kill_lines(
    kills: Iterable[Mapping[str, Any]], height: float, scale: float, in_timescale: bool = True
) -> str:
    """Thin vertical lines at the times a worker was killed (the server lab's fault demo).

    ``scale`` turns seconds into x units: 1000 inside a ``.timescale`` group (whose unit is the
    millisecond and which CSS stretches, hence the non-scaling stroke), ``VIEW_W / span`` outside.
    """
    lines = []
    for k in kills:
        x = f"{max(float(k['t_s']), 0.0) * scale:.3f}".rstrip("0").rstrip(".")
        tip = escape(f"kill -9 pid {k['pid']} at {float(k['t_s']):.3f} s")
        lines.append(
            f'<line class="kill" x1="{x}" x2="{x}" y1="0" y2="{height:g}"'
            f' vector-effect="non-scaling-stroke"><title>{tip}</title></line>'
        )
    group = "".join(lines)
    return (
        f'<g class="timescale kills">{group}</g>'
        if in_timescale
        else f'<g class="kills">{group}</g>'
    )


def kill_labels(kills: Iterable[Mapping[str, Any]], span: float) -> str:
    """HTML labels for :func:`kill_lines`, placed over the chart at the same times (SVG text would
    be stretched with the chart). A label sits at ``--t`` seconds times ``--per-s`` (the percent
    of the chart's width one second takes), which a live page's :func:`clock_style` updates."""
    labels = "".join(
        f'<span class="kill" style="--t:{max(float(k["t_s"]), 0.0):.4f}">'
        f"kill -9 pid {escape(str(k['pid']))}</span>"
        for k in kills
    )
    if not labels or span <= 0:
        return ""
    return (
        f'<div class="kill-marks" style="--per-s:{100 / span:.6g}%" aria-hidden="true">'
        f"{labels}</div>"
    )


def nice_step(span: float, target: int = 6) -> float:
    raw = span / max(target, 1)
    if raw <= 0:
        return 1.0
    mag: float = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if raw <= m * mag:
            return m * mag
    return 10 * mag


def axis_ticks(span: float, target: int = 6) -> list[tuple[float, str]]:
    """Tick positions (fraction of the span) and labels for a time axis of ``span`` seconds."""
    if span <= 0:
        return [(0.0, "0 s")]
    step = nice_step(span, target)
    unit, factor = ("ms", 1000.0) if span < 1 else ("s", 1.0)
    ticks = []
    k = 0
    while k * step <= span * 1.0001:
        t = k * step
        label = f"{t * factor:.{0 if step * factor >= 1 else 1}f}"
        ticks.append((t / span, f"{label} {unit}" if k else f"0 {unit}"))
        k += 1
    return ticks


def density_paths(
    flight: Sequence[float],
    running: Sequence[float],
    y: float,
    h: float,
    flight_full: float,
    running_full: float,
    columns: int = 240,
) -> str:
    """One row of the level-of-detail view: in flight as a light area, running as a solid one.

    Each value is an average count in one time column; ``*_full`` is the count that fills the row.
    """

    def area(values: Sequence[float], full: float) -> str:
        if not values or full <= 0:
            return ""
        col = VIEW_W / columns
        base = y + h
        pts = [f"M0,{base:g}"]
        for i, v in enumerate(values):
            top = base - h * min(v / full, 1.0)
            pts.append(f"L{i * col:.2f},{top:.2f}L{(i + 1) * col:.2f},{top:.2f}")
        pts.append(f"L{len(values) * col:.2f},{base:g}Z")
        return "".join(pts)

    return (
        f'<path class="flight-area" d="{area(flight, flight_full)}"/>'
        f'<path class="run-area" d="{area(running, running_full)}"/>'
    )


def polyline(
    values: Sequence[float], top: float, height: float, vmax: float, cls: str, columns: int = 240
) -> str:
    """A line over the first ``len(values)`` of ``columns`` time columns (NaN: no data yet)."""
    step = VIEW_W / columns
    pts = " ".join(
        f"{(i + 0.5) * step:.1f},{top + height - height * min(v / vmax, 1.0):.1f}"
        for i, v in enumerate(values)
        if v == v
    )
    if not pts:
        return ""
    return f'<polyline class="{cls}" points="{pts}"/>'
