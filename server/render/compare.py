"""Several runs stacked on one shared time axis, each as its chart by worker."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

from server.render import svg
from server.render.live import LiveView

#: A compared run's chart by worker: at most this high (unless rows would go below 1 px), rows of
#: at most 24 px, so that runs with hundreds of threads do not push the others off the screen.
LANES_H = 120
LANE_ROWS = (1.0, 24.0)


@dataclass
class Entry:
    label: str
    view: LiveView
    now: float  # seconds since the run started (its wall time once finished)
    doc: dict[str, Any]


def shared_span(entries: Sequence[Entry]) -> float:
    spans = [
        float(e.doc["wall_s"]) if e.view.finished and e.doc.get("wall_s") else e.now
        for e in entries
    ]
    return max([s for s in spans if s] or [0.1])


def duration(seconds: float) -> str:
    """A wall time as people read it: milliseconds below a second, seconds above."""
    if seconds < 1:
        ms = seconds * 1000
        return f"{ms:.1f} ms" if ms < 9.95 else f"{ms:.0f} ms"
    return f"{seconds:.2f} s"


def _wall(e: Entry) -> str:
    if e.view.finished:
        return duration(float(e.doc["wall_s"])) if e.doc.get("wall_s") else ""
    return f"{duration(e.now)} so far" if e.now else ""


def _title(e: Entry) -> str:
    """The run's title without the label the heading already shows."""
    title, label = e.view.title, e.doc.get("label") or ""
    return title[len(label) + 2 :] if label and title.startswith(f"{label}: ") else title


def stack(entries: Sequence[Entry]) -> str:
    span = shared_span(entries)
    parts = []
    for e in entries:
        v = e.view
        with v.spanning(span):
            parts.append(
                f'<section class="cmp-run run-view-lite" id="run-{v.run_id}">'
                f'<h3><span class="cmp-label">{escape(e.label)}</span> '
                f'<span class="badge {escape(v.status)}">{escape(v.status)}</span> '
                f'<span class="cmp-wall">{_wall(e)}</span> '
                f'<a class="muted" href="/runs/{v.run_id}">{escape(_title(e))}</a></h3>'
                f"{v.clock(e.now)}"
                f'<svg class="defs" width="0" height="0" aria-hidden="true"><defs>'
                f'<clipPath id="now-{v.run_id}" clipPathUnits="userSpaceOnUse">'
                f'<rect class="now-clip" x="-1" y="-100000" width="0" height="1000000"/>'
                f"</clipPath></defs></svg>"
                f"{v.lane_chart(e.now, chart_h=LANES_H, row_range=LANE_ROWS)}</section>"
            )
    ticks = "".join(
        f'<span{" class=end" if f > 0.97 else ""} style="left:{100 * f:.3f}%">{label}</span>'
        for f, label in svg.axis_ticks(span)
    )
    # The axis above and below the runs, and grid lines through every chart at its ticks (CSS
    # repeats one line every --tick), so that a run in the middle of a tall stack can be read too.
    tick = f"--tick:{100 * svg.nice_step(span) / span:.4f}%"
    return (
        f'<div class="cmp-stack" style="{tick}"><div class="axis axis-top">{ticks}</div>'
        f'{"".join(parts)}<div class="axis">{ticks}</div></div>'
    )


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
        d = e.doc
        # A run that has not started has no figures yet (its metrics are zeros).
        m = (d.get("metrics") or {}) if e.view.status != "pending" else {}
        first = firsts[group(e.label)]
        base = first.doc.get("wall_s") if first.view.finished else None
        wall = d.get("wall_s") if e.view.finished else None
        rows.append(
            {
                "label": e.label,
                "id": d["id"],
                "status": e.view.status,
                "wall_s": wall,
                "wall": duration(float(wall)) if wall is not None else "",
                "baseline": first.label,
                "speedup": round(base / wall, 2) if base and wall and e.view.finished else None,
                "avg_concurrency": m.get("avg_concurrency"),
                "avg_parallelism": m.get("avg_parallelism"),
                "cpu_busy_fraction": m.get("cpu_busy_fraction"),
                "outside_cpu_cores": m.get("outside_cpu_cores"),
                "peak_rss_bytes": m.get("peak_rss_bytes"),
            }
        )
    return rows
