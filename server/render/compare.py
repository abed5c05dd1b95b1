"""Several runs stacked on one shared time axis, each as its chart by worker, and their figures."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from server.render import charts, geometry, patterns
from server.render.model import RunModel
from server.render.prose import duration
from server.render.scene import Scene
from server.render.templates import macro
from server.types import RunStatus


@dataclass(frozen=True)
class Entry:
    label: str
    model: RunModel
    now: float  # seconds since the run started (its wall time once finished)


def shared_span(entries: Sequence[Entry]) -> float:
    spans = [e.model.wall_s or e.now for e in entries]
    return max([s for s in spans if s] or [0.1])


def _wall(e: Entry) -> str:
    if e.model.finished:
        return duration(e.model.wall_s) if e.model.wall_s else ""
    return f"{duration(e.now)} so far" if e.now else ""


def _title(e: Entry) -> str:
    """The run's title without the label the heading already shows."""
    title, label = e.model.info.title, e.label
    return title[len(label) + 2 :] if label and title.startswith(f"{label}: ") else title


def stack(entries: Sequence[Entry], lanes_h: float | None = None) -> Markup:
    """The runs on one time axis; ``lanes_h``: each run's chart height (slides fill the
    screen), else the stack's default."""
    span = shared_span(entries)
    runs = []
    for e in entries:
        s = Scene(e.model, e.now, span, compare=True, lanes_h=lanes_h)
        runs.append(
            {
                "id": s.run_id,
                "label": e.label,
                "status": e.model.status,
                "wall": _wall(e),
                "title": _title(e),
                "clip": charts.clip(s),
                "chart": charts.lane_chart(s),
                "style": patterns.style(s.run_id),
            }
        )
    tick = 100 * geometry.tick_step(span) / span
    return macro("stack", runs, geometry.axis_ticks(span), tick)


def group(label: str) -> str:
    """Runs labelled "CPU: threads", "CPU: processes" form the group "CPU"; others, one group."""
    head, sep, _ = label.partition(": ")
    return head if sep else ""


def figures(entries: Sequence[Entry]) -> list[dict[str, Any]]:
    """The table beside the charts: wall time, speedup against the first run of the same group
    (see :func:`group`; the very first run when labels have no groups), and the metrics."""
    firsts: dict[str, Entry] = {}
    for e in entries:
        firsts.setdefault(group(e.label), e)
    rows = []
    for e in entries:
        m = e.model
        metrics = m.metrics if m.status != RunStatus.PENDING.value else {}
        base = firsts[group(e.label)].model.wall_s
        wall = m.wall_s
        rows.append(
            {
                "label": e.label,
                "id": m.info.id,
                "status": m.status,
                "wall_s": wall,
                "wall": duration(wall) if wall is not None else "",
                "baseline": firsts[group(e.label)].label,
                "speedup": round(base / wall, 2) if base and wall else None,
                "avg_concurrency": metrics.get("avg_concurrency"),
                "avg_parallelism": metrics.get("avg_parallelism"),
                "cpu_busy_fraction": metrics.get("cpu_busy_fraction"),
                "outside_cpu_cores": metrics.get("outside_cpu_cores"),
                "peak_rss_bytes": metrics.get("peak_rss_bytes"),
            }
        )
    return rows
