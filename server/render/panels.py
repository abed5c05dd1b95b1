"""The panels of a run's view, as HTML: the same functions give a page's first render, a
snapshot and the pieces of a live frame (``server.render.frames``).

A :class:`Scene` is one moment of a run's model: the model, "now" and the time axis. Panels read
it and render the macros of ``templates/partials/_panels.html``; only the bars are built as
strings (``server.render.svg``). Nothing here changes the model.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from server.render import geometry, svg
from server.render.geometry import COLUMNS, Rows
from server.render.model import RunModel
from server.render.prose import duration, number, summary_parts
from server.render.series import Series
from server.render.templates import macro
from server.types import RunStatus

#: The finished page's table of tasks lists at most this many (the CSV export has them all).
TABLE_ROWS = 500
LINES_H, CPU_H = 120, 80


@dataclass(frozen=True)
class Queue:
    """Why a run that has not started waits (from the run manager, not from its log)."""

    position: int | None = None
    reason: str | None = None


@dataclass(frozen=True)
class Scene:
    model: RunModel
    now: float  # seconds since the run started (its wall time once finished)
    span: float  # the time axis
    compare: bool = False  # drawn in a stack of runs: lower lane rows
    queue: Queue = Queue()

    @property
    def run_id(self) -> str:
        return self.model.info.id

    @functools.cached_property
    def curves(self) -> tuple[list[float], list[float]]:
        """Tasks in flight and tasks running per elapsed column (computed once per scene)."""
        return self.columns(self.model.flight, self.model.running)

    def columns(self, flight: Series, running: Series) -> tuple[list[float], list[float]]:
        end = self.span if self.model.finished else min(self.now, self.span)
        n = geometry.columns_until(end, self.span)
        t = self.span * n / COLUMNS
        return flight.averages(t, n), running.averages(t, n)

    @property
    def lane_rows(self) -> Rows:
        return geometry.lane_rows(len(self.model.lanes), self.compare)

    @property
    def task_rows(self) -> Rows:
        return geometry.task_rows(self.model.info.tasks_requested)

    @property
    def clip_ms(self) -> str:
        """Where "now" is, in the bars' ms: live bars are clipped there."""
        return svg.ms((self.span if self.model.finished else self.now) + 0.001)  # from x=-1

    @property
    def timescale(self) -> str:
        return geometry.timescale(self.span)

    @property
    def hatch(self) -> str:
        return geometry.hatch_transform(self.span)


def scene(
    model: RunModel, now: float, *, span: float | None = None, queue: Queue = Queue()
) -> Scene:
    """The run at ``now``, on its own time axis unless ``span`` is given (a shared one)."""
    if span is None:
        span = model.wall_s or geometry.live_span(now)
    return Scene(model, now, span, queue=queue)


# --- the head: status, queue, cancel ---------------------------------------------------------


def status_context(s: Scene) -> dict[str, Any]:
    m = s.model
    waiting = m.status == RunStatus.PENDING.value and s.queue.position
    return {
        "run_id": s.run_id,
        "status": m.status,
        "badge": f"queued, position {s.queue.position}" if waiting else m.status,
        "waiting": s.queue.reason if m.status == RunStatus.PENDING.value else None,
        "error": m.error,
        "finished": m.finished,
        "said": _said(m.status, m.error, bool(waiting)),
    }


def _said(status: str, error: str | None, queued: bool) -> str:
    """The status as the live region reads it out."""
    words = {
        RunStatus.PENDING.value: "Queued" if queued else "Starting",
        RunStatus.RUNNING.value: "Running",
        RunStatus.DONE.value: "Done",
        RunStatus.FAILED.value: "Failed",
        RunStatus.CANCELLED.value: "Cancelled",
    }
    return words.get(status, status) + (f": {error}" if error else "")


def head(s: Scene) -> Markup:
    return macro("head", s.model.info, status_context(s))


def status_parts(s: Scene) -> Markup:
    """The pieces of the head that change with the status, out of band (a frame's)."""
    return macro("status_parts", status_context(s))


# --- counters ---------------------------------------------------------------------------------


def counter_cells(s: Scene) -> list[tuple[str, str, str]]:
    m = s.model
    done = len(m.ended)
    if m.finished:
        metrics = m.metrics
        conc = metrics.get("avg_concurrency") or 0.0
        par = metrics.get("avg_parallelism") or 0.0
        peak = metrics.get("peak_rss_bytes")
    else:
        fl, ru = s.curves
        conc, par = _mean(fl), _mean(ru)
        peaks = [sum(x["rss_bytes"].values()) for x in m.samples if x["rss_bytes"]]
        peak = max(peaks) if peaks else None
    cells = [
        ("tasks done", f"{done:,} / {m.info.tasks_requested:,}", "done"),
        ("in flight now", f"{len(m.tasks) - done:,}", "inflight"),
        ("elapsed", duration(s.span if m.finished else s.now), "elapsed"),
        ("avg concurrency", number(conc), "concurrency"),
        ("avg parallelism", number(par), "parallelism"),
        ("peak memory", f"{peak / 2**20:,.0f} MiB" if peak else "–", "rss"),
    ]
    if m.info.server:
        cells += _server_cells(m)
    return cells


def _server_cells(m: RunModel) -> list[tuple[str, str, str]]:
    """Requests answered and failed (counted as they end), then latency and throughput, which
    the load generator measures and reports when the run ends."""
    metrics = m.metrics
    if "requests_ok" in metrics:
        ok, failed = metrics["requests_ok"], metrics["requests_failed"]
    else:
        statuses = [m.tasks[t]["status"] for t in m.ended]
        ok, failed = statuses.count("ok"), statuses.count("error")
    if metrics.get("requests_ok"):
        p50, p99 = 1000 * metrics["latency_p50_s"], 1000 * metrics["latency_p99_s"]
        latency = f"{p50:,.0f} / {p99:,.0f} ms" if p50 >= 10 else f"{p50:.1f} / {p99:.1f} ms"
    else:
        latency = "–"
    rps = metrics.get("throughput_rps")
    return [
        ("requests ok / failed", f"{ok:,} / {failed:,}", "requests"),
        ("latency p50 / p99", latency, "latency"),
        ("throughput", f"{rps:,.1f} req/s" if rps is not None and m.finished else "–", "rps"),
    ]


def counters(s: Scene, oob: bool = False) -> Markup:
    return macro("counters", s.run_id, counter_cells(s), oob)


# --- the Gantt charts -------------------------------------------------------------------------


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
    inner += f'<g class="timescale" id="lscale-{s.run_id}" transform="{s.timescale}">{timed}</g>'
    return macro("lane_chart_body", s.run_id, lanes, rows, Markup(inner), _kill_marks(s))


def _kill_marks(s: Scene) -> list[dict[str, Any]]:
    return [
        {"pid": k["pid"], "left": 100 * max(float(k["t_s"]), 0.0) / s.span}
        for k in s.model.kills
        if s.span > 0
    ]


def lane_chart(s: Scene) -> Markup:
    return macro("lane_chart", s.run_id, s.model.info, lane_chart_body(s))


def task_chart_body(s: Scene) -> Markup:
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
            f'<g class="timescale" id="tscale-{s.run_id}" transform="{s.timescale}">'
            f'<g id="Trows-{s.run_id}">{bars}</g></g>'
        )
        label = "one row per task"
    return macro("task_chart_body", s.run_id, m.info.tasks_requested, rows, Markup(inner), label)


def task_chart(s: Scene) -> Markup:
    return macro("task_chart", s.run_id, task_chart_body(s))


def axis(s: Scene, oob: bool = False) -> Markup:
    return macro("axis", s.run_id, geometry.axis_ticks(s.span), oob)


def clip(s: Scene) -> Markup:
    """The run's own defs: the clip at "now" and the hatching that undoes the time scale."""
    return macro("clip", s.run_id, s.clip_ms, s.hatch)


# --- over time --------------------------------------------------------------------------------


def lines_points(s: Scene) -> tuple[float, str, str]:
    """The scale's top, and the points of tasks in flight and tasks running."""
    fl, ru = s.curves
    top = geometry.nice_ceiling(max(max(fl, default=0.0), 1.0))
    return top, svg.points(fl, LINES_H, top), svg.points(ru, LINES_H, top)


def lines(s: Scene) -> Markup:
    top, flight, running = lines_points(s)
    return macro("lines", s.run_id, LINES_H, f"{top:g}", flight, running)


def cpu_points(s: Scene) -> list[str]:
    """Per core, its CPU % averaged per column of half the resolution."""
    samples, span = s.model.samples, s.span
    cores = len(samples[0]["cpu_percent"]) if samples else 0
    n_cols = COLUMNS // 2
    # Up to the last sample, not to "now": a line goes as far as what was measured.
    last = samples[-1]["t_s"] if samples else 0.0
    shown = geometry.columns_until(last, span, n_cols)
    out = []
    for c in range(cores):
        cols: list[list[float]] = [[] for _ in range(n_cols)]
        for x in samples:
            i = min(int(x["t_s"] / span * n_cols), n_cols - 1) if span else 0
            cols[i].append(x["cpu_percent"][c])
        vals: list[float] = []
        last = math.nan
        for col in cols[:shown]:
            last = sum(col) / len(col) if col else last  # a column without a sample: carry on
            vals.append(last)
        out.append(svg.points(vals, CPU_H, 100, n_cols))
    return out


def cpu(s: Scene) -> Markup:
    return macro("cpu", s.run_id, CPU_H, cpu_points(s))


# --- the end: summary and the table of tasks --------------------------------------------------


def summary(s: Scene) -> Markup:
    parts = summary_parts(s.model) if s.model.finished else None
    return macro("summary", s.run_id, parts)


def task_table_body(s: Scene) -> Markup:
    """The table of tasks (the charts' accessible twin); while the run goes, a note."""
    m = s.model
    rows = []
    for t in list(m.tasks.values())[:TABLE_ROWS] if m.finished else []:
        lane = m.lanes.get(t["lane"])
        end = t["end_s"]
        rows.append(
            {
                "id": t["id"],
                "lane": lane["label"] if lane else t["lane"],
                "start": f"{t['start_s']:.3f}",
                "end": f"{end:.3f}" if end is not None else "",
                "executing": f"{sum(b - a for a, b in t['running']):.3f}",
                "cpu": f"{t['cpu_s']:.3f}" if t.get("cpu_s") is not None else "",
                "status": t["status"],
            }
        )
    more = max(0, len(m.tasks) - TABLE_ROWS)
    return macro("task_table_body", s.run_id, rows, more, m.finished)


def task_table(s: Scene) -> Markup:
    return macro("task_table", s.run_id, task_table_body(s))


def history_cells(s: Scene) -> Markup:
    """The run's row in the dashboard's history, out of band (if the page has one)."""
    wall = duration(s.model.wall_s) if s.model.wall_s else ""
    return macro("hist_status", s.run_id, s.model.status, True) + macro(
        "hist_wall", s.run_id, wall, True
    )


def panels(s: Scene) -> dict[str, Markup]:
    """Every panel, whole: a page's first render."""
    return {
        "clip": clip(s),
        "head": head(s),
        "counters": counters(s),
        "lanes": lane_chart(s),
        "axis": axis(s),
        "tasks": task_chart(s),
        "lines": lines(s),
        "cpu": cpu(s),
        "summary": summary(s),
        "table": task_table(s),
    }


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0
