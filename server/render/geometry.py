"""Chart geometry, in one place: time axes, round numbers, rows and bars, columns.

Every chart shares one coordinate system: x runs from 0 to :data:`VIEW_W` across the chart's time
span (the browser stretches it to the real width), y is in CSS pixels. A live chart's span is a
round length a little beyond "now", so it changes only now and then (and the chart is redrawn
then); a finished chart's span is the run's wall time, or the longest of the runs it is compared
with.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

VIEW_W = 1000
#: Time columns of the "over time" lines and of the density strips.
COLUMNS = 240
#: Past this many tasks the lane chart draws density strips instead of bars.
LOD_TASKS = 2000
#: Past this many tasks the task chart groups tasks into rows of density strips.
MAX_TASK_ROWS = 120
LANE_CHART_H = 300
TASK_CHART_H = 300
#: A compared run's lane chart: at most this high, rows of 1 to 24 px, so that runs with
#: hundreds of threads do not push the others off the screen.
COMPARE_LANES_H = 120
#: Rows thinner than this get no label each (the text would overlap).
LABEL_ROW_H = 14
#: Queue time shorter than this is not drawn (a pool hands a task over in microseconds).
QUEUED_MIN_S = 0.0005
#: Round mantissas for spans, steps and scales: 1, 2 and 5 give tick labels that read at once.
NICE = (1.0, 2.0, 5.0, 10.0)


def nice_ceiling(v: float, floor: float = 0.0, mantissas: tuple[float, ...] = NICE) -> float:
    """The smallest of 1, 2 or 5 (or ``mantissas``) times 10^k that is at least ``v`` (and at
    least ``floor``)."""
    if v <= floor or v <= 0:
        return floor if floor > 0 else 1.0
    mag: float = 10 ** math.floor(math.log10(v))
    for m in mantissas:
        if v <= m * mag * (1 + 1e-9):
            return m * mag
    return 10 * mag  # pragma: no cover - the loop ends at 10


#: Round mantissas for a planned time axis (:func:`live_span`): finer than :data:`NICE`, so that a
#: run that takes what its estimate says fills most of the chart.
PLANNED = (1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 7.5, 10.0)


def live_span(now: float, expected: float | None = None) -> float:
    """A live chart's time axis: a round length beyond ``now``, so that it grows in a few steps.
    With ``expected`` (how long the run should take), the axis is planned that long from the
    start and grows only if the run outlasts it: a browser redraws every bar when the axis
    changes, and a presenter's chart does not zoom out under them."""
    grown = nice_ceiling(max(now, 0.05) * 1.15, floor=0.1)
    if not expected or expected <= 0:
        return grown
    planned = nice_ceiling(expected * 1.1, floor=0.1, mantissas=PLANNED)
    return planned if max(now, 0.05) * 1.15 <= planned else grown


def timescale(span: float) -> str:
    """The ``transform`` that fits ``span`` seconds of bars drawn in ms onto the chart's width."""
    return f"scale({VIEW_W / max(span * 1000, 1e-6):.6g},1)"


def pattern_transform(span: float, rotate: int = 0) -> str:
    """A pattern's ``patternTransform`` that undoes :func:`timescale`, so that its stripes keep
    their angle and width (in chart units, about pixels) whatever the span."""
    turn = f" rotate({rotate})" if rotate else ""
    return f"scale({max(span * 1000, 1e-6) / VIEW_W:.6g},1){turn}"


def x(t: float, span: float) -> float:
    """Seconds into the run as a chart x coordinate."""
    return t * VIEW_W / span if span > 0 else 0.0


def fmt_x(t: float, span: float) -> str:
    """:func:`x` as SVG attribute text: 0.001 units is under a microsecond on a 1 s span."""
    return f"{x(t, span):.3f}".rstrip("0").rstrip(".") or "0"


@dataclass(frozen=True, slots=True)
class Tick:
    at: float  # fraction of the span, 0 to 1
    label: str


def tick_step(span: float, target: int = 6) -> float:
    """A round step that cuts ``span`` into about ``target`` parts."""
    return nice_ceiling(span / max(target, 1)) if span > 0 else 1.0


def axis_ticks(span: float, target: int = 6) -> list[Tick]:
    """Ticks at round values (multiples of a 1, 2 or 5 step) with as many decimals as the step
    needs: 0 s, 0.2 s, 0.4 s ... never 0.2, 0.5, 0.8."""
    if span <= 0:
        return [Tick(0.0, "0 s")]
    step = tick_step(span, target)
    unit, factor = ("ms", 1000.0) if span < 1 else ("s", 1.0)
    decimals = max(0, -math.floor(math.log10(step * factor) + 1e-9))
    ticks = []
    k = 0
    while k * step <= span * (1 + 1e-9):
        t = k * step
        ticks.append(Tick(t / span, f"{t * factor:.{decimals}f} {unit}"))
        k += 1
    return ticks


@dataclass(frozen=True, slots=True)
class Rows:
    """``n`` rows of ``row_h`` px, each holding a bar of ``bar_h`` px at its top."""

    n: int
    row_h: float
    bar_h: float

    @property
    def height(self) -> float:
        return self.row_h * self.n

    @property
    def labelled(self) -> bool:
        """Whether each row is tall enough for a label of its own."""
        return self.row_h >= LABEL_ROW_H or self.n < 3

    def y(self, row: int) -> float:
        return row * self.row_h


def rows(n: int, chart_h: float, least: float, most: float) -> Rows:
    """Share ``chart_h`` px between ``n`` rows, each from ``least`` to ``most`` px high; a bar
    leaves a gap below it in proportion to the row, none in rows too thin for one."""
    n = max(n, 1)
    row_h = max(least, min(most, chart_h / n))
    gap = 0.0 if row_h < 4 else 1.0 if row_h < 8 else max(2.0, row_h * 0.18)
    return Rows(n, row_h, row_h - gap)


def lane_rows(lanes: int, compare: bool = False, chart_h: float | None = None) -> Rows:
    """A run's lane chart: on its page, or (``compare``) in a stack of runs, ``chart_h`` high
    (a slide of the presentation gives each run its share of the screen)."""
    if compare:
        return rows(lanes, chart_h or COMPARE_LANES_H, 1, max(24, (chart_h or 0) / 2))
    return rows(lanes, LANE_CHART_H, 10, 30)


def slide_lanes_h(runs: int, verdict: str = "", per_run: float = 30) -> float:
    """Each run's chart height on a 1280 x 720 slide: what the title, the idea and the verdict
    (about 95 characters a line at 24 px) leave, less each run's heading, shared by the runs,
    but never under 60% of the slide for the charts."""
    lines = sum(1 + len(part) // 95 for part in verdict.splitlines()) if verdict else 3
    room = max(300.0, 450.0 - 32 * lines)
    return max(14.0, (room - per_run * runs) / max(runs, 1))


def task_rows(tasks: int) -> Rows:
    return rows(min(max(tasks, 1), MAX_TASK_ROWS), TASK_CHART_H, 3, 18)


def tasks_per_row(tasks: int) -> int:
    """How many tasks share a row of the task chart (1 up to :data:`MAX_TASK_ROWS` tasks)."""
    return max(1, math.ceil(tasks / MAX_TASK_ROWS))


def columns_until(now: float, span: float, columns: int = COLUMNS) -> int:
    """How many of the ``columns`` columns of ``[0, span]`` have begun by ``now``."""
    if span <= 0:
        return 1
    return max(1, min(columns, math.ceil(columns * min(now, span) / span)))
