"""Several runs stacked on one shared time axis, each as its chart by worker."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

from server.render import svg
from server.render.live import LiveView


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
                f'<a class="muted" href="/runs/{v.run_id}">{escape(v.title)}</a></h3>'
                f"{v.clock(e.now)}"
                f'<svg class="defs" width="0" height="0" aria-hidden="true"><defs>'
                f'<clipPath id="now-{v.run_id}" clipPathUnits="userSpaceOnUse">'
                f'<rect class="now-clip" x="-1" y="-100000" width="0" height="1000000"/>'
                f"</clipPath></defs></svg>"
                f"{v.lane_chart(e.now)}</section>"
            )
    ticks = "".join(
        f'<span style="left:{100 * f:.3f}%">{label}</span>' for f, label in svg.axis_ticks(span)
    )
    return f'<div class="cmp-stack">{"".join(parts)}<div class="axis">{ticks}</div></div>'


def figures(entries: Sequence[Entry]) -> list[dict[str, Any]]:
    """The table beside the charts: wall time, speedup against the first run, and the metrics."""
    base = entries[0].doc.get("wall_s") if entries and entries[0].view.finished else None
    rows = []
    for e in entries:
        d, m = e.doc, e.doc.get("metrics") or {}
        wall = d.get("wall_s") if e.view.finished else None
        rows.append(
            {
                "label": e.label,
                "id": d["id"],
                "status": e.view.status,
                "wall_s": wall,
                "speedup": round(base / wall, 2) if base and wall and e.view.finished else None,
                "avg_concurrency": m.get("avg_concurrency"),
                "avg_parallelism": m.get("avg_parallelism"),
                "cpu_busy_fraction": m.get("cpu_busy_fraction"),
                "peak_rss_bytes": m.get("peak_rss_bytes"),
            }
        )
    return rows
