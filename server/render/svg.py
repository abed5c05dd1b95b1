"""Per-bar SVG, built as strings: a run of 2,000 tasks has tens of thousands of these elements,
and a template call per rectangle would cost more than drawing them.

Bars are in milliseconds since the run's start, inside a group whose ``transform`` scales the
run's time axis onto the chart (``server.render.panels``): when a live axis grows, one attribute
changes and no bar is redrawn. A task still in flight is drawn to far beyond the chart's end and
clipped at "now" by the run's clip rectangle (``#now-{run}``), whose width is the one thing a
frame changes for it.

A bar's slices are one ``<path>`` per kind (running, and each reason of waiting), each slice a
rectangle of the path, not an element of its own: a cpu task in a busy process is preempted
dozens of times a second, and a watching browser styles, lays out and paints every element a
frame adds. While the task is in flight its paths have ids, so that a frame gives a grown bar
its paths' new outlines; the frame that ends the task replaces the bar whole.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from html import escape
from typing import Any

from server.render.geometry import COLUMNS, QUEUED_MIN_S, VIEW_W

#: A live bar's width in ms: far past any chart's right edge (the clip ends it at "now").
FOREVER_MS = 10_000_000


def ms(seconds: float) -> str:
    """Seconds as SVG milliseconds: 0.001 is a microsecond."""
    return f"{seconds * 1000:.3f}".rstrip("0").rstrip(".") or "0"


def width(seconds: float) -> str:
    """A duration as an SVG width in ms, never 0 (a zero-width shape would not be drawn at all)."""
    w = ms(seconds)
    return w if w != "0" else "0.001"


def bar_id(prefix: str, run_id: str, task_id: int) -> str:
    return f"{prefix}{run_id}-{task_id}"


def flight_id(prefix: str, run_id: str, task_id: int) -> str:
    return f"F{prefix}{run_id}-{task_id}"


def seconds(s: float) -> str:
    """A duration as people read it in a tooltip: 0.004 s, 0.123 s, 12.3 s."""
    return f"{s:.3f} s" if s < 10 else f"{s:.1f} s"


def task_tip(task: Mapping[str, Any], lane_label: str) -> str:
    end = task["end_s"]
    parts = [f"task {task['id']}", lane_label, f"start {seconds(task['start_s'])}"]
    if end is not None:
        parts.append(f"took {seconds(end - task['start_s'])}")
        ran = sum(b - a for a, b in task["running"])
        parts.append(f"executing {seconds(ran)}")
        if task.get("cpu_s") is not None:
            parts.append(f"CPU {seconds(task['cpu_s'])}")
        parts += [f"{reason} {seconds(t)}" for reason, t in wait_times(task).items()]
        status = task["status"]
        parts.append(status if not task.get("error") else f"{status}: {task['error']}")
    else:
        parts.append("in flight")
    return " · ".join(parts)


def wait_times(task: Mapping[str, Any]) -> dict[str, float]:
    """Seconds the task spent queued and waiting for each reason, in the order they occur."""
    out: dict[str, float] = {}
    submitted = task.get("submitted_s")
    if submitted is not None and task["start_s"] - submitted >= QUEUED_MIN_S:
        out["queued"] = task["start_s"] - submitted
    for s, e, reason in task.get("waits") or []:
        out[reason] = out.get(reason, 0.0) + (e - s)
    return out


def flight_rect(prefix: str, task: Mapping[str, Any], run_id: str, y: float, h: float) -> str:
    """The task's whole time in flight (its waiting shows through between running slices)."""
    x0 = ms(task["start_s"])
    end = task["end_s"]
    if end is None:
        fid = flight_id(prefix, run_id, task["id"])
        return (
            f'<rect id="{fid}" class="flight live" x="{x0}" y="{y:g}" height="{h:g}"'
            f' width="{FOREVER_MS}" clip-path="url(#now-{run_id})"/>'
        )
    return (
        f'<rect class="flight {task["status"]}" x="{x0}" y="{y:g}" height="{h:g}"'
        f' width="{width(end - task["start_s"])}"/>'
    )


def _rect(cls: str, s: float, e: float, y: float, h: float) -> str:
    return f'<rect class="{cls}" x="{ms(s)}" y="{y:g}" width="{width(e - s)}" height="{h:g}"/>'


def outline(spans: Iterable[Sequence[float]], y: float, h: float) -> str:
    """Rectangles from ``y`` to ``y + h`` over each (start, end) in seconds, as a path's ``d``."""
    out = []
    for s, e in spans:
        x = ms(s)
        out.append(f"M{x},{y:g}h{width(e - s)}v{h:g}H{x}z")
    return "".join(out)


def slice_kinds(task: Mapping[str, Any]) -> dict[str, list[Sequence[float]]]:
    """The task's slices by kind: ``run`` first, then each reason of waiting in the order it first
    occurred (the order a live bar gains its paths in)."""
    kinds: dict[str, list[Sequence[float]]] = {"run": list(task["running"])}
    for s, e, reason in task.get("waits") or []:
        kinds.setdefault(reason, []).append((s, e))
    return kinds


def slice_id(bar: str, kind: str) -> str:
    """The id of a live bar's path of one kind (``run`` or a reason of waiting)."""
    return f"{bar}-{kind}"


def slice_path(kind: str, d: str, path_id: str | None = None) -> str:
    cls = "run" if kind == "run" else f"wait {kind}"
    ident = f' id="{path_id}"' if path_id else ""
    return f'<path{ident} class="{cls}" d="{d}"/>'


def slices(task: Mapping[str, Any], y: float, h: float, bar: str | None = None) -> str:
    """The task's running slices and its waits, a path per kind; with ids from ``bar`` (the bar's
    id) while the task is in flight."""
    return "".join(
        slice_path(kind, outline(spans, y, h), slice_id(bar, kind) if bar else None)
        for kind, spans in slice_kinds(task).items()
    )


def queued_rect(task: Mapping[str, Any], y: float, h: float) -> str:
    """Before its start, the time a task waited for a worker: a thin line in the task's row."""
    submitted = task.get("submitted_s")
    if submitted is None or task["start_s"] - submitted < QUEUED_MIN_S:
        return ""
    return _rect("queued", submitted, task["start_s"], y + h / 2 - 1, 2)


def title(tip: str) -> str:
    """A finished bar's tooltip without JavaScript (live bars have only ``data-tip``)."""
    return f"<title>{escape(tip)}</title>"


def bar(prefix: str, task: Mapping[str, Any], run_id: str, y: float, h: float, tip: str) -> str:
    """One task: (in the task chart) its time queued, its time in flight, its running slices and
    waits, and (once ended) its tooltip."""
    ended = task["end_s"] is not None
    queued = queued_rect(task, y, h) if prefix == "T" else ""
    ident = bar_id(prefix, run_id, task["id"])
    return (
        f'<g id="{ident}" class="bar" data-tip="{escape(tip)}">'
        f"{queued}{flight_rect(prefix, task, run_id, y, h)}"
        f"{slices(task, y, h, None if ended else ident)}{title(tip) if ended else ''}</g>"
    )


def kill_lines(kills: Iterable[Mapping[str, Any]], height: float) -> str:
    """Thin vertical lines at the times a worker was killed (the server lab's fault demo), in
    ms like the bars."""
    lines = []
    for k in kills:
        x = ms(max(float(k["t_s"]), 0.0))
        tip = escape(f"kill -9 pid {k['pid']} at {float(k['t_s']):.3f} s")
        lines.append(
            f'<line class="kill" x1="{x}" x2="{x}" y1="0" y2="{height:g}"'
            f' vector-effect="non-scaling-stroke"><title>{tip}</title></line>'
        )
    return f'<g class="kills">{"".join(lines)}</g>' if lines else ""


def density_paths(
    flight: Sequence[float],
    running: Sequence[float],
    y: float,
    h: float,
    flight_full: float,
    running_full: float,
    columns: int = COLUMNS,
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


#: Room above a line at its maximum, so that its stroke is not cut in half by the chart's edge.
LINE_PAD = 3.0


def points(
    values: Sequence[float], height: float, vmax: float, columns: int = COLUMNS, first: int = 0
) -> str:
    """A polyline's points over ``len(values)`` of ``columns`` time columns from column
    ``first`` (NaN: no data yet, skipped); ``vmax`` is drawn :data:`LINE_PAD` below the top.

    A point between two at its own height is left out: the line is the same, and a count that
    holds still (2 tasks running for a second) is two points instead of dozens, which a watching
    browser strokes anew whenever the line grows."""
    step, room = VIEW_W / columns, height - LINE_PAD
    xy = [
        (f"{(i + 0.5) * step:.1f}", f"{height - room * min(v / vmax, 1.0):.1f}")
        for i, v in enumerate(values, first)
        if v == v
    ]
    kept = [
        f"{x},{y}"
        for i, (x, y) in enumerate(xy)
        if i == 0 or i == len(xy) - 1 or not (xy[i - 1][1] == y == xy[i + 1][1])
    ]
    return " ".join(kept)
