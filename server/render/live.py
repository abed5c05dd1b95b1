"""The live view of one run: its run log folded into panels of HTML, and into frames.

A frame is one SSE message of out-of-band swaps: the bars that appeared, grew or ended since the
last frame, plus the small panels (clock, counters, time series). Frames are built once per run and
shared by every page watching it; a page that joins late, or falls too far behind, gets a snapshot
(every panel whole) instead of a backlog. The first render of a page and a snapshot use the very
same panel functions, so what a page shows never depends on when it arrived.

Level of detail: past :data:`LOD_TASKS` tasks the lane chart, and past :data:`MAX_TASK_ROWS` the
task chart, switch from bars to density strips (average tasks in flight and running per time
column), so their cost is rows x columns, whatever the number of tasks.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from html import escape
from typing import Any

from server.lab import outside
from server.lab.runlog import Message
from server.render import svg
from server.render.series import Series
from server.types import EventName, RunStatus

LOD_TASKS = 2000
#: Density strips cost rows x columns to draw: redraw them at most this often (and at the end).
DENSITY_EVERY_S = 0.5
MAX_TASK_ROWS = 120
COLUMNS = 240
LANE_CHART_H = 300
#: Lane rows thinner than this get no label each (the text would overlap).
LABEL_ROW_H = 14
TASK_CHART_H = 300


def _clamp(v: float, lo: float, hi: float) -> float:
    return max(lo, min(hi, v))


@dataclass
class Changes:
    new_lanes: list[str] = field(default_factory=list)
    new: dict[int, None] = field(default_factory=dict)  # ordered sets of task ids
    grown: dict[int, None] = field(default_factory=dict)
    ended: dict[int, None] = field(default_factory=dict)
    samples: bool = False
    kills: bool = False
    status: bool = False

    def __bool__(self) -> bool:
        return bool(
            self.new_lanes or self.new or self.grown or self.ended or self.samples or self.status
        )


class LiveView:
    def __init__(self, run_id: str, tasks_requested: int, title: str) -> None:
        self.run_id = run_id
        self.title = title
        self.tasks_requested = tasks_requested
        self.lane_density = tasks_requested > LOD_TASKS
        self.task_density = tasks_requested > MAX_TASK_ROWS
        self.task_rows = min(tasks_requested, MAX_TASK_ROWS)
        self.per_row = math.ceil(tasks_requested / self.task_rows)
        self.lanes: dict[str, dict[str, Any]] = {}
        self.tasks: dict[int, dict[str, Any]] = {}
        self.flight, self.running = Series(), Series()
        self.lane_series: dict[str, tuple[Series, Series]] = {}
        self.row_series = [
            (Series(), Series()) for _ in range(self.task_rows if self.task_density else 0)
        ]
        self.samples: list[dict[str, Any]] = []
        self.status = RunStatus.PENDING.value
        self.error: str | None = None
        self.final: dict[str, Any] | None = None
        self.queue_position: int | None = None
        self.waiting_for: str | None = None  # why a queued run has not started
        self._counted: dict[int, int] = {}  # running intervals folded into the series, per task
        self._drawn: dict[int, int] = {}  # running intervals drawn as bars, per task
        self._ended: set[int] = set()
        self.frames: list[str] = []
        self.encoded: list[bytes] = []  # frames as SSE bytes, filled in by the stream on demand
        self.log_pos = 0
        self.done = False
        self._changed = asyncio.Event()
        self._avg_cache: tuple[tuple[float, int, float], list[float], list[float]] | None = None
        self.span_override: float | None = None
        self._density_at = -1.0
        #: A server-lab run: its counters add the client's view (requests, latency, throughput).
        self.server = False
        #: The server lab's fault demo: ``[{"pid", "t_s"}]``, from the samples that carry them.
        self.kills: list[dict[str, Any]] = []

    # --- folding the run log ----------------------------------------------------------------------

    def apply(self, messages: Iterable[Message]) -> Changes:
        ch = Changes()
        for m in messages:
            self.log_pos = m.id
            d = m.data
            if m.event == EventName.TASK:
                self._apply_task(d, ch)
            elif m.event == EventName.LANE:
                self.lanes[d["id"]] = d
                self.lane_series[d["id"]] = (Series(), Series())
                ch.new_lanes.append(d["id"])
            elif m.event == EventName.SAMPLE:
                self.samples.append(d)
                ch.samples = True
                if d.get("kills"):
                    self.kills.extend(d["kills"])
                    ch.kills = True
            elif m.event == EventName.STATUS:
                self.status, self.error = d["status"], d.get("error")
                if RunStatus(self.status).finished:
                    self.final = d
                ch.status = True
        return ch

    def _apply_task(self, d: dict[str, Any], ch: Changes) -> None:
        tid = d["id"]
        first = tid not in self.tasks
        self.tasks[tid] = d
        lane = self.lane_series.setdefault(d["lane"], (Series(), Series()))
        row = self.row_series[tid // self.per_row] if self.task_density else None
        flights = (self.flight, lane[0]) + ((row[0],) if row else ())
        runs = (self.running, lane[1]) + ((row[1],) if row else ())
        if first:
            for s in flights:
                s.open(d["start_s"])
            ch.new[tid] = None
        known = self._counted.get(tid, 0)
        if len(d["running"]) > known:
            for a, b in d["running"][known:]:
                for s in runs:
                    s.add(a, b)
            self._counted[tid] = len(d["running"])
            ch.grown[tid] = None
        if d["end_s"] is not None and tid not in self._ended:
            self._ended.add(tid)
            for s in flights:
                s.close(d["start_s"], d["end_s"])
            ch.ended[tid] = None

    # --- time -------------------------------------------------------------------------------------

    @property
    def finished(self) -> bool:
        return self.final is not None

    def curves(self, now: float) -> tuple[list[float], list[float]]:
        """Tasks in flight and tasks running per elapsed column, computed once per frame."""
        key = (now, self.log_pos, self.span(now))
        if self._avg_cache is None or self._avg_cache[0] != key:
            fl, ru = self.series_columns(self.flight, self.running, now)
            self._avg_cache = (key, fl, ru)
        return self._avg_cache[1], self._avg_cache[2]

    def series_columns(
        self, flight: Series, running: Series, now: float
    ) -> tuple[list[float], list[float]]:
        span = self.span(now)
        end = min(now, span) if not self.finished else span
        n = self.columns_until(end, span)
        t = span * n / COLUMNS
        return flight.averages(t, n), running.averages(t, n)

    def span(self, now: float) -> float:
        """The time axis: exactly the run once finished; while live, a round length a little
        beyond now, so the axis (and every bar on it) rescales only now and then, not per frame."""
        if self.span_override is not None:
            return self.span_override
        if self.final is not None and self.final.get("wall_s"):
            return float(self.final["wall_s"])
        return _nice_ceiling(max(now, 0.05) * 1.15, floor=0.1)

    @contextlib.contextmanager
    def spanning(self, span: float) -> Iterator[None]:
        """Draw on a time axis of ``span`` seconds (runs compared side by side share one)."""
        saved, self.span_override = self.span_override, span
        try:
            yield
        finally:
            self.span_override = saved

    def columns_until(self, now: float, span: float) -> int:
        """How many of the :data:`COLUMNS` columns of ``[0, span]`` have elapsed by ``now``."""
        return max(1, min(COLUMNS, math.ceil(COLUMNS * min(now, span) / span)))

    # --- panels -----------------------------------------------------------------------------------

    def _el(self, tag: str, name: str, body: str, oob: bool, cls: str = "") -> str:
        attrs = f' id="{name}-{self.run_id}"' + (f' class="{cls}"' if cls else "")
        attrs += ' hx-swap-oob="true"' if oob else ""
        return f"<{tag}{attrs}>{body}</{tag}>"

    def clock(self, now: float, oob: bool = False) -> str:
        span = self.span(now)
        style = svg.clock_style(self.run_id, span, span if self.finished else now, bool(self.kills))
        return self._el(
            "div",
            "clock",
            f"<style>{style}</style>",
            oob,
            "clock",
        )

    def axis(self, now: float, oob: bool = False) -> str:
        ticks = "".join(
            f'<span style="left:{100 * f:.3f}%">{label}</span>'
            for f, label in svg.axis_ticks(self.span(now))
        )
        return self._el("div", "axis", ticks, oob, "axis")

    def counters(self, now: float, oob: bool = False) -> str:
        span = self.span(now) if self.finished else now
        done = len(self._ended)
        if self.final:
            m = self.final.get("metrics") or {}
            conc, par = m.get("avg_concurrency") or 0.0, m.get("avg_parallelism") or 0.0
            peak = m.get("peak_rss_bytes")
        else:
            fl, ru = self.curves(now)
            conc, par = _mean(fl), _mean(ru)
            peaks = [sum(s["rss_bytes"].values()) for s in self.samples if s["rss_bytes"]]
            peak = max(peaks) if peaks else None
        in_flight = len(self.tasks) - done
        cells = [
            ("tasks done", f"{done:,} / {self.tasks_requested:,}", "done"),
            ("in flight now", f"{in_flight:,}", "inflight"),
            ("elapsed", f"{span:.2f} s", "elapsed"),
            ("avg concurrency", f"{conc:.2f}", "concurrency"),
            ("avg parallelism", f"{par:.2f}", "parallelism"),
            ("peak memory", f"{peak / 2**20:.0f} MiB" if peak else "–", "rss"),
        ]
        if self.server:
            cells += self._server_cells()
        body = "".join(
            f'<div class="counter {key}"><dt>{label}</dt><dd data-counter="{key}">{value}</dd></div>'
            for label, value, key in cells
        )
        return self._el("dl", "counters", body, oob, "counters")

    def _server_cells(self) -> list[tuple[str, str, str]]:
        """Requests answered and failed (counted as they end), then latency and throughput, which
        the load generator measures and reports when the run ends."""
        m = (self.final or {}).get("metrics") or {}
        if "requests_ok" in m:
            ok, failed = m["requests_ok"], m["requests_failed"]
        else:
            statuses = [self.tasks[t]["status"] for t in self._ended]
            ok, failed = statuses.count("ok"), statuses.count("error")
        if m.get("requests_ok"):
            p50, p99 = 1000 * m["latency_p50_s"], 1000 * m["latency_p99_s"]
            latency = f"{p50:,.0f} / {p99:,.0f} ms" if p50 >= 10 else f"{p50:.1f} / {p99:.1f} ms"
        else:
            latency = "–"
        rps = m.get("throughput_rps")
        return [
            ("requests ok / failed", f"{ok:,} / {failed:,}", "requests"),
            ("latency p50 / p99", latency, "latency"),
            ("throughput", f"{rps:,.1f} req/s" if rps is not None and self.final else "–", "rps"),
        ]

    def head(self, oob: bool = False) -> str:
        status = self.status
        if status == RunStatus.PENDING.value and self.queue_position:
            badge = f"queued, position {self.queue_position}"
        else:
            badge = status
        cancel = (
            f'<form class="cancel" hx-post="/runs/{self.run_id}/cancel" hx-swap="none">'
            f'<button type="submit" class="danger">Cancel</button></form>'
            if not self.finished
            else ""
        )
        error = f'<p class="error-text">{escape(self.error)}</p>' if self.error else ""
        waiting = (
            f'<span class="muted waiting">{escape(self.waiting_for)}</span>'
            if status == RunStatus.PENDING.value and self.waiting_for
            else ""
        )
        body = (
            f'<h2><a href="/runs/{self.run_id}">{escape(self.title)}</a></h2>'
            f'<span class="badge {escape(status)}" data-status="{escape(status)}">{escape(badge)}</span>'
            f"{waiting}{cancel}{error}"
        )
        return self._el("header", "head", body, oob, "run-head")

    def lane_chart(
        self,
        now: float,
        oob: bool = False,
        chart_h: float = LANE_CHART_H,
        row_range: tuple[float, float] = (10, 30),
    ) -> str:
        """One row per worker, ``chart_h`` high, each row within ``row_range`` (least, most) pixels."""
        lanes = list(self.lanes.values())
        n = max(len(lanes), 1)
        row_h = _clamp(chart_h / n, *row_range)
        bar_h = row_h - (0 if row_h < 4 else 1 if row_h < 8 else max(2.0, row_h * 0.18))
        height = row_h * n
        if row_h >= LABEL_ROW_H or len(lanes) < 3:
            each = "".join(
                f'<div class="label" style="height:{row_h:g}px" title="pid {lane["pid"]}'
                f'{" · tid " + str(lane["tid"]) if lane["tid"] else ""}">'
                f"{escape(lane['label'])}</div>"
                for lane in lanes
            )
            labels = f'<div class="labels">{each}</div>'
        else:  # rows too thin for a label each: the first, the count, the last
            labels = (
                f'<div class="labels range" style="height:{height:g}px">'
                f'<div class="label">{escape(lanes[0]["label"])}</div>'
                f'<div class="label muted">{len(lanes):,} workers</div>'
                f'<div class="label">{escape(lanes[-1]["label"])}</div></div>'
            )
        if self.lane_density:
            rows = []
            for i, lane in enumerate(lanes):
                f_vals, r_vals = self.series_columns(*self.lane_series[lane["id"]], now)
                rows.append(
                    svg.density_paths(
                        f_vals, r_vals, i * row_h, bar_h, max(max(f_vals, default=0), 1.0), 1.0
                    )
                )
            inner = f'<g class="density">{"".join(rows)}</g>'
        else:
            groups = []
            for i, lane in enumerate(lanes):
                bars = "".join(
                    self._bar("L", t, 0, bar_h)
                    for t in self.tasks.values()
                    if t["lane"] == lane["id"]
                )
                groups.append(
                    f'<g id="Llane-{self.run_id}-{lane["id"]}" transform="translate(0,{i * row_h:g})">{bars}</g>'
                )
            inner = f'<g class="timescale">{"".join(groups)}</g>'
        marks = ""
        if self.kills:
            span = self.span(now)
            scale = svg.VIEW_W / span if self.lane_density and span else 1000.0  # x: ms in bars
            inner += svg.kill_lines(self.kills, height, scale, in_timescale=not self.lane_density)
            marks = svg.kill_labels(self.kills, span)
        body = (
            f"{labels}"
            f'<svg class="gantt-svg" viewBox="0 0 {svg.VIEW_W} {height:g}" preserveAspectRatio="none"'
            f' style="height:{height:g}px" role="img" aria-label="tasks by worker over time">{inner}</svg>'
            f"{marks}"
        )
        return self._el("div", "lanes", body, oob, "gantt lanes-chart")

    def task_chart(self, now: float, oob: bool = False) -> str:
        rows = self.task_rows
        row_h = _clamp(TASK_CHART_H / rows, 3, 18)
        bar_h = row_h - (1 if row_h < 8 else max(2.0, row_h * 0.18))
        height = row_h * rows
        if self.task_density:
            paths = "".join(
                svg.density_paths(
                    *self.series_columns(fl, ru, now),
                    i * row_h,
                    bar_h,
                    float(self.per_row),
                    float(self.per_row),
                )
                for i, (fl, ru) in enumerate(self.row_series)
            )
            inner = f'<g class="density">{paths}</g>'
            label = f"{self.per_row:,} tasks per row"
        else:
            bars = "".join(self._bar("T", t, t["id"] * row_h, bar_h) for t in self.tasks.values())
            inner = f'<g class="timescale"><g id="Trows-{self.run_id}">{bars}</g></g>'
            label = "one row per task"
        first_last = f"task 0 … task {self.tasks_requested - 1:,}"
        body = (
            f'<div class="labels"><div class="label">{first_last}</div><div class="label muted">{label}</div></div>'
            f'<svg class="gantt-svg" viewBox="0 0 {svg.VIEW_W} {height:g}" preserveAspectRatio="none"'
            f' style="height:{height:g}px" role="img" aria-label="each task over time">{inner}</svg>'
        )
        return self._el("div", "tasks", body, oob, "gantt tasks-chart")

    def lines(self, now: float, oob: bool = False) -> str:
        fl, ru = self.curves(now)
        vmax = max(max(fl, default=0.0), 1.0)
        top = _nice_ceiling(vmax)
        h = 120
        grid = "".join(
            f'<line class="grid" x1="0" x2="{svg.VIEW_W}" y1="{h - h * f:g}" y2="{h - h * f:g}"/>'
            for f in (0.25, 0.5, 0.75)
        )
        body = (
            f'<div class="series-legend"><span class="key flight">tasks in flight</span>'
            f'<span class="key run">tasks running</span><span class="muted">scale 0–{top:g}</span></div>'
            f'<svg class="series-svg" viewBox="0 0 {svg.VIEW_W} {h}" preserveAspectRatio="none"'
            f' role="img" aria-label="tasks in flight and running over time">{grid}'
            f"{svg.polyline(fl, 0, h, top, 'line-flight')}{svg.polyline(ru, 0, h, top, 'line-run')}</svg>"
        )
        return self._el("div", "lines", body, oob, "series")

    def cpu(self, now: float, oob: bool = False) -> str:
        span = self.span(now)
        h = 80
        cores = len(self.samples[0]["cpu_percent"]) if self.samples else 0
        lines = []
        for c in range(cores):
            cols: list[list[float]] = [[] for _ in range(COLUMNS // 2)]
            for s in self.samples:
                i = min(int(s["t_s"] / span * len(cols)), len(cols) - 1) if span else 0
                cols[i].append(s["cpu_percent"][c])
            vals: list[float] = []
            last = None
            for col in cols[: max(1, math.ceil(len(cols) * min(now, span) / span))]:
                last = sum(col) / len(col) if col else last
                vals.append(last if last is not None else math.nan)
            lines.append(svg.polyline(vals, 0, h, 100, f"line-cpu core{c % 4}", COLUMNS // 2))
        legend = "".join(f'<span class="key cpu core{c % 4}">core {c}</span>' for c in range(cores))
        body = (
            f'<div class="series-legend">{legend or "<span class=muted>CPU per core</span>"}'
            f'<span class="muted">0–100%</span></div>'
            f'<svg class="series-svg" viewBox="0 0 {svg.VIEW_W} {h}" preserveAspectRatio="none" role="img"'
            f' aria-label="CPU use per core over time">{"".join(lines)}</svg>'
        )
        return self._el("div", "cpu", body, oob, "series")

    def history_cells(self) -> str:
        """Out-of-band updates for this run's row in the dashboard's history, if the page has one."""
        wall = f"{self.final['wall_s']:.2f} s" if self.final and self.final.get("wall_s") else ""
        return (
            f'<span id="hist-status-{self.run_id}" class="badge {self.status}" hx-swap-oob="true">'
            f"{self.status}</span>"
            f'<span id="hist-wall-{self.run_id}" hx-swap-oob="true">{wall}</span>'
        )

    def summary(self, oob: bool = False) -> str:
        return self._el("div", "summary", summary_text(self) if self.final else "", oob, "summary")

    def panels(self, now: float) -> dict[str, str]:
        """Every panel, whole: the first render of a page and a snapshot frame are made of these."""
        return {
            "clock": self.clock(now),
            "head": self.head(),
            "counters": self.counters(now),
            "lanes": self.lane_chart(now),
            "tasks": self.task_chart(now),
            "axis": self.axis(now),
            "lines": self.lines(now),
            "cpu": self.cpu(now),
            "summary": self.summary(),
        }

    def snapshot_frame(self, now: float) -> str:
        return "".join(_oob(html) for html in self.panels(now).values())

    # --- frames -----------------------------------------------------------------------------------

    def delta_frame(self, ch: Changes, now: float) -> str:
        """The out-of-band swaps that bring a page from the previous frame to this one."""
        out = [
            self.clock(now, True),
            self.axis(now, True),
            self.counters(now, True),
            self.lines(now, True),
        ]
        if ch.samples:
            out.append(self.cpu(now, True))
        if ch.status:
            out.append(self.head(True))
            out.append(self.summary(True))
            out.append(self.history_cells())
        redraw_density = ch.status or ch.new_lanes or now - self._density_at >= DENSITY_EVERY_S
        if redraw_density and (self.lane_density or self.task_density):
            self._density_at = now
        # A kill is drawn as a line across the lanes: redraw them once to add it.
        if (self.lane_density and redraw_density) or ch.new_lanes or ch.kills:
            out.append(self.lane_chart(now, True))
        elif not self.lane_density:
            out.extend(self._bar_swaps("L", ch, lambda t: f"Llane-{self.run_id}-{t['lane']}"))
        if self.task_density:
            if redraw_density:
                out.append(self.task_chart(now, True))
        else:
            out.extend(self._bar_swaps("T", ch, lambda t: f"Trows-{self.run_id}"))
        return "".join(out)

    def _bar_swaps(self, prefix: str, ch: Changes, parent_of: Any) -> list[str]:
        lanes = list(self.lanes)
        n = max(len(lanes), 1)
        if prefix == "L":
            row_h = _clamp(LANE_CHART_H / n, 10, 30)
        else:
            row_h = _clamp(TASK_CHART_H / self.task_rows, 3, 18)
        bar_h = row_h - (1 if row_h < 8 else max(2.0, row_h * 0.18))
        out: list[str] = []
        by_parent: dict[str, list[str]] = {}
        for tid in ch.new:
            t = self.tasks[tid]
            by_parent.setdefault(parent_of(t), []).append(
                self._bar(prefix, t, self._y(prefix, t, row_h), bar_h)
            )
        for parent, bars in by_parent.items():
            out.append(f'<svg hx-swap-oob="beforeend:#{parent}">{"".join(bars)}</svg>')
        for tid in ch.ended:
            if tid in ch.new:
                continue
            t = self.tasks[tid]
            self._drawn[(prefix, tid)] = len(t["running"])  # type: ignore[index]
            inner = svg.bar_inner(self.run_id, t, self._y(prefix, t, row_h), bar_h, self._tip(t))
            out.append(
                f'<svg hx-swap-oob="innerHTML:#{svg.bar_id(prefix, self.run_id, tid)}">{inner}</svg>'
            )
        for tid in ch.grown:
            if tid in ch.new or tid in ch.ended:
                continue
            t = self.tasks[tid]
            drawn = self._drawn.get((prefix, tid), 0)  # type: ignore[call-overload]
            rects = svg.run_rects(t["running"][drawn:], self._y(prefix, t, row_h), bar_h)
            self._drawn[(prefix, tid)] = len(t["running"])  # type: ignore[index]
            if rects:
                out.append(
                    f'<svg hx-swap-oob="beforeend:#{svg.bar_id(prefix, self.run_id, tid)}">{rects}</svg>'
                )
        return out

    def _y(self, prefix: str, task: dict[str, Any], row_h: float) -> float:
        return 0.0 if prefix == "L" else task["id"] * row_h

    def _bar(self, prefix: str, t: dict[str, Any], y: float, h: float) -> str:
        self._drawn[(prefix, t["id"])] = len(t["running"])  # type: ignore[index]
        return svg.bar(prefix, self.run_id, t, y, h, self._tip(t))

    def _tip(self, t: dict[str, Any]) -> str:
        lane = self.lanes.get(t["lane"])
        return svg.task_tip(t, lane["label"] if lane else t["lane"])

    # --- driving ----------------------------------------------------------------------------------

    def step(self, messages: list[Message], now: float) -> None:
        ch = self.apply(messages)
        if ch or not self.finished:
            self.frames.append(self.delta_frame(ch, now))
            self.notify()

    def notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait(self, last: int) -> None:
        while len(self.frames) <= last and not self.done:
            await self._changed.wait()


def _oob(html: str) -> str:
    # Panels are single elements whose opening tag ends at the first '>': mark them out-of-band.
    i = html.index(">")
    return html[:i] + ' hx-swap-oob="true"' + html[i:]


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def _nice_ceiling(v: float, floor: float = 1.0) -> float:
    if v <= floor:
        return floor
    mag: float = 10 ** math.floor(math.log10(v))
    for m in (1, 2, 2.5, 5, 10):
        if v <= m * mag:
            return m * mag
    return 10 * mag


#: The lab's own CPU during an in-process run, as a share of its wall time, that the summary says.
LAB_NOTABLE = 0.05


def summary_text(view: LiveView) -> str:
    """The run's outcome in one sentence, computed from its own numbers."""
    final = view.final or {}
    m = final.get("metrics") or {}
    wall = final.get("wall_s") or 0.0
    conc, par = m.get("avg_concurrency") or 0.0, m.get("avg_parallelism") or 0.0
    statuses = [t["status"] for t in view.tasks.values()]
    n_err, n_cancel = statuses.count("error"), statuses.count("cancelled")
    if par >= 1.5:
        verdict = f"about {par:.1f} tasks were executing at any instant: that is parallelism."
    elif conc >= 1.5 and par < min(0.5, conc / 10):
        verdict = (
            f"{conc:,.1f} tasks were in flight on average but almost none was executing: "
            "they were waiting, and waiting needs no core."
        )
    elif conc >= 1.5 and par >= 1.15:
        verdict = (
            f"{conc:.1f} tasks were in flight on average and {par:.2f} were executing: partly "
            "parallel; the rest of the time they waited (for a core, the GIL or I/O)."
        )
    elif conc >= 1.5:
        verdict = (
            f"{conc:.1f} tasks were in flight on average, but only {par:.2f} were executing: "
            "they took turns (concurrency without parallelism)."
        )
    else:
        verdict = "tasks ran one at a time."
    extra = []
    if n_err:
        extra.append(f"{n_err} failed")
    if n_cancel:
        extra.append(f"{n_cancel} cancelled")
    status = final.get("status", view.status)
    lead = (
        f"{len(statuses):,} tasks in {wall:.2f} s"
        if status == "done"
        else f"Run {status} after {wall:.2f} s"
    )
    notes = [outside.note(m, os.cpu_count() or 1)]
    if n := m.get("alongside_runs"):
        notes.append(
            ("Another run of this lab" if n == 1 else f"{n} other runs of this lab")
            + " executed at the same time and shared the cores with it."
        )
    lab_s = m.get("lab_loop_cpu_s") or 0.0
    if wall and lab_s >= LAB_NOTABLE * wall:
        notes.append(
            f"The lab's own work in this process (recording the run, drawing it for the pages "
            f"watching) took {lab_s:.2f} s of CPU during it, holding the GIL the run's tasks "
            "needed; from a terminal (concurrency-lab run) it takes far less."
        )
    said = "".join(f" {note}" for note in notes if note)
    return (
        f"<p><strong>{lead}</strong>{' (' + ', '.join(extra) + ')' if extra else ''}: {verdict}"
        f"{said}</p>"
    )
