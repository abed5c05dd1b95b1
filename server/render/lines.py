"""The lines over time: tasks in flight, tasks running, tasks waiting per reason, CPU per core.

A live line is drawn in two parts. Its settled part no longer changes: each of its columns ended
at least :data:`SETTLE_S` before "now" (a task reports what it ran every 50 ms, and a report takes
a frame or two to arrive), or, for CPU, before the last sample. Its tail, from there to now, may
still change. A watching page extends the settled part with a segment (a polyline of its own) and
redraws only the tail, so that the browser strokes and rasters a strip of the chart, not all of it
(``server.render.frames``). A finished line is one polyline: what a page rendered at the end shows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from markupsafe import Markup

from server.render import geometry, svg
from server.render.geometry import COLUMNS
from server.render.patterns import PATTERNS
from server.render.scene import Scene
from server.render.templates import macro

LINES_H, CPU_H = 120, 80
#: How long after a moment the lines at that moment may still change (see the module's docstring).
SETTLE_S = 0.25
#: The CPU lines average samples over columns of half the lines' resolution.
CPU_COLUMNS = COLUMNS // 2


@dataclass(frozen=True, slots=True)
class Line:
    """One line: its values per column, and how many of them are settled."""

    key: str  # the group's id is "{key}-{run}", its tail's "{key}t-{run}"
    css: str
    values: list[float]
    settled: int
    live: bool  # drawn with a tail (the run goes on)
    height: float
    vmax: float
    columns: int = COLUMNS

    def points(self, start: int = 0, end: int | None = None) -> str:
        """The points of columns ``start`` to ``end``, from the one before ``start`` (a part
        joins the part it follows)."""
        first = max(start - 1, 0)
        values = self.values[first:end]
        return svg.points(values, self.height, self.vmax, self.columns, first=first)

    @property
    def settled_points(self) -> str:
        return self.points(0, self.settled if self.live else None)

    @property
    def tail_points(self) -> str:
        return self.points(self.settled)


def settled_columns(s: Scene) -> int:
    """How many of the lines' columns no longer change (all of them once the run has ended)."""
    n = geometry.columns_until(s.span if s.model.finished else s.now, s.span)
    if s.model.finished:
        return n
    return min(n, max(0, math.floor(COLUMNS * (s.now - SETTLE_S) / s.span)))


def scale_top(s: Scene) -> float:
    """The series chart's scale: a round number of tasks, at least the most in flight."""
    return geometry.nice_ceiling(max(max(s.curves[0], default=0.0), 1.0))


def reasons(s: Scene) -> tuple[str, ...]:
    """The reasons of waiting that occur in the run, in their order: each has a line."""
    return tuple(p.reason for p in PATTERNS if p.reason in s.model.waiting)


def series(s: Scene) -> tuple[float, list[Line]]:
    """The scale's top, and the lines of the series chart: waiting per reason that occurs (drawn
    first, under the others), tasks in flight, tasks running."""
    fl, ru = s.curves
    top = scale_top(s)
    done, live = settled_columns(s), not s.model.finished
    waiting = [
        Line(
            f"lw{reason}",
            f"line-wait {reason}",
            s.columns_of(s.model.waiting[reason], reported=True),
            done,
            live,
            LINES_H,
            top,
        )
        for reason in reasons(s)
    ]
    return top, [
        *waiting,
        Line("lflight", "line-flight", fl, done, live, LINES_H, top),
        Line("lrun", "line-run", ru, done, live, LINES_H, top),
    ]


def n_cores(s: Scene) -> int:
    samples = s.model.samples
    return len(samples[0]["cpu_percent"]) if samples else 0


def cpu_columns(s: Scene) -> tuple[int, int]:
    """How many CPU columns are drawn (up to the last sample: a line goes as far as what was
    measured), and how many of them are settled (the last sample's may still take more)."""
    samples = s.model.samples
    shown = geometry.columns_until(samples[-1]["t_s"] if samples else 0.0, s.span, CPU_COLUMNS)
    return shown, (shown if s.model.finished else max(shown - 1, 0))


def cores(s: Scene) -> list[Line]:
    """Per core, its CPU % averaged per column (:func:`cpu_columns`)."""
    samples, span = s.model.samples, s.span
    shown, done = cpu_columns(s)
    live = not s.model.finished
    out = []
    for c in range(n_cores(s)):
        cols: list[list[float]] = [[] for _ in range(CPU_COLUMNS)]
        for x in samples:
            # A sample measures the interval that ends at its time: the column that holds it.
            i = math.ceil(x["t_s"] / span * CPU_COLUMNS) - 1 if span else 0
            cols[min(max(i, 0), CPU_COLUMNS - 1)].append(x["cpu_percent"][c])
        vals: list[float] = []
        value = math.nan
        for col in cols[:shown]:
            value = sum(col) / len(col) if col else value  # a column without a sample: carry on
            vals.append(value)
        out.append(
            Line(f"cpu{c}", f"line-cpu core{c % 4}", vals, done, live, CPU_H, 100, CPU_COLUMNS)
        )
    return out


def scale_label(top: float) -> str:
    return f"scale 0–{top:,g}"


def lines(s: Scene) -> Markup:
    top, drawn = series(s)
    return macro("lines", s.run_id, LINES_H, scale_label(top), drawn, reasons(s))


def cpu(s: Scene) -> Markup:
    return macro("cpu", s.run_id, CPU_H, cores(s))


# --- whole lines, for drawings that are not extended (the standalone SVG) ---------------------


def lines_points(s: Scene) -> tuple[float, str, str]:
    """The scale's top, and the points of tasks in flight and tasks running."""
    top, drawn = series(s)
    return top, drawn[-2].points(), drawn[-1].points()


def waiting_points(s: Scene) -> list[tuple[str, str]]:
    """Per reason that occurs, the points of how many tasks waited for it (same scale)."""
    waiting = series(s)[1][:-2]  # drawn first: the last two are in flight and running
    return [(reason, line.points()) for reason, line in zip(reasons(s), waiting, strict=True)]


def cpu_points(s: Scene) -> list[str]:
    return [line.points() for line in cores(s)]
