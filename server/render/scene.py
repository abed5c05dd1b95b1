"""One moment of a run: its model, "now" and the time axis it is drawn on.

Every panel (``server.render.panels``) and chart (``server.render.charts``) renders a
:class:`Scene`; a frame (``server.render.frames``) is the difference between two of them.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from server.render import geometry, svg
from server.render.geometry import COLUMNS, Rows
from server.render.model import RunModel
from server.render.series import Series

#: A task reports what it ran and waited every 50 ms, and a report reaches a frame up to a frame
#: (0.1 s) later: while a run goes, the last this many seconds of its running and waiting are not
#: known yet. Drawn to "now", they would read as a fall to nothing at the lines' end, and pull the
#: average parallelism down; they are drawn up to this long ago instead (a task's start and end
#: are reported at once: tasks in flight are drawn to "now").
REPORT_LAG_S = 0.15


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
    lanes_h: float | None = None  # in a stack, each run's chart height (default: the stack's)
    queue: Queue = Queue()
    #: Frames come once per this many seconds, not as often as usual: the run keeps every core
    #: of its machine busy, and drawing faster would take from it (``server.web.broker``).
    paced_s: float | None = None

    @property
    def run_id(self) -> str:
        return self.model.info.id

    @functools.cached_property
    def curves(self) -> tuple[list[float], list[float]]:
        """Tasks in flight and tasks running per elapsed column (computed once per scene)."""
        return self.columns(self.model.flight, self.model.running)

    def columns(self, flight: Series, running: Series) -> tuple[list[float], list[float]]:
        return self.columns_of(flight), self.columns_of(running, reported=True)

    def columns_of(self, series: Series, reported: bool = False) -> list[float]:
        """The series' averages per column of the time axis, up to now; ``reported``: a series
        of running or waiting, which a live run knows only up to :data:`REPORT_LAG_S` ago."""
        end = self.span if self.model.finished else min(self.now, self.span)
        if reported and not self.model.finished:
            end = max(end - REPORT_LAG_S, 0.0)
        n = geometry.columns_until(end, self.span)
        return series.averages(self.span * n / COLUMNS, n)

    @property
    def lane_rows(self) -> Rows:
        """The lane chart's rows: one per lane, and while the run goes at least as many as it
        should have, so that lanes appearing do not push the page below them down (which would
        make a watching browser repaint all of it)."""
        m = self.model
        n = len(m.lanes) if m.finished else max(len(m.lanes), m.info.lanes_expected)
        return geometry.lane_rows(n, self.compare, self.lanes_h)

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

    def pattern_transform(self, rotate: int) -> str:
        return geometry.pattern_transform(self.span, rotate)


def scene(
    model: RunModel,
    now: float,
    *,
    span: float | None = None,
    queue: Queue = Queue(),
    paced_s: float | None = None,
) -> Scene:
    """The run at ``now``, on its own time axis unless ``span`` is given (a shared one)."""
    if span is None:
        span = model.wall_s or geometry.live_span(now, model.info.expected_s)
    return Scene(model, now, span, queue=queue, paced_s=paced_s)
