"""The panels of a run's view, as HTML: the same functions give a page's first render, a
snapshot and the pieces of a live frame (``server.render.frames``).

Panels read a :class:`~server.render.scene.Scene` and render the macros of
``templates/partials/_panels.html``; the charts are in ``server.render.charts``. Nothing here
changes the model.
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from server.render import charts, lines
from server.render.model import RunModel
from server.render.prose import duration, number, summary_parts
from server.render.scene import Scene
from server.render.templates import macro
from server.types import RunStatus

#: The finished page's table of tasks lists at most this many (the CSV export has them all).
TABLE_ROWS = 500


# --- the head: status, queue, cancel ---------------------------------------------------------


def status_context(s: Scene) -> dict[str, Any]:
    m = s.model
    waiting = m.status == RunStatus.PENDING.value and s.queue.position
    paced = s.paced_s is not None and m.status == RunStatus.RUNNING.value
    return {
        "run_id": s.run_id,
        "status": m.status,
        "badge": f"queued, position {s.queue.position}" if waiting else m.status,
        "waiting": s.queue.reason if m.status == RunStatus.PENDING.value else None,
        "paced": f"every core busy: drawn every {s.paced_s:g} s" if paced else None,
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


#: The parts of the head that change with the run's status (``status_parts`` in the template).
HEAD_PARTS = ("badge", "waiting", "cancel", "error", "said")


def head_key(s: Scene) -> tuple[object, ...]:
    """What each of :data:`HEAD_PARTS` shows: a part whose value is the same is drawn the same."""
    st = status_context(s)
    return (
        (st["status"], st["badge"]),
        st["waiting"] or st["paced"],
        st["finished"],
        st["error"],
        st["said"],
    )


def status_parts(s: Scene, only: frozenset[str] | None = None) -> Markup:
    """The pieces of the head that change with the status, out of band (a frame's): all of
    them, or ``only`` those named (of :data:`HEAD_PARTS`)."""
    return macro("status_parts", status_context(s), True, only)


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
        "clip": charts.clip(s),
        "head": head(s),
        "counters": counters(s),
        "legendL": charts.legend(s, "L"),
        "legendT": charts.legend(s, "T"),
        "lanes": charts.lane_chart(s),
        "axis": charts.axis(s),
        "tasks": charts.task_chart(s),
        "lines": lines.lines(s),
        "cpu": lines.cpu(s),
        "summary": summary(s),
        "table": task_table(s),
    }


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0
