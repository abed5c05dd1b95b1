"""Hand-made run logs and run documents for the render layer's tests, a page that applies frames
as lab.js does, a line's points read back whatever polylines draw it, and a bar's slices read
back from its paths."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from bs4 import BeautifulSoup, Tag

from experiments.document import RunDocument
from server.lab.runlog import Message, RunLog
from server.types import EventName


class HandLog:
    """Run-log messages as the engine logs them: lanes, task snapshots, samples, statuses."""

    def __init__(self) -> None:
        self.log = RunLog()
        self._taken = 0

    def _add(self, event: EventName, data: dict[str, Any]) -> None:
        self.log.append(event, lambda: data)

    def lane(self, id: str = "t1", label: str = "thread 1", pid: int = 100) -> None:
        kind = "process" if id.startswith("p") else "thread"
        tid = None if kind == "process" else int(id[1:])
        self._add(EventName.LANE, {"id": id, "kind": kind, "pid": pid, "tid": tid, "label": label})

    def task(
        self,
        id: int,
        lane: str = "t1",
        start: float = 0.0,
        running: Sequence[tuple[float, float]] = (),
        end: float | None = None,
        status: str | None = None,
        error: str | None = None,
        waits: Sequence[tuple[float, float, str]] = (),
        submitted: float | None = None,
    ) -> None:
        ended = end is not None
        self._add(
            EventName.TASK,
            {
                "id": id,
                "lane": lane,
                "start_s": start,
                "end_s": end,
                "cpu_s": sum(b - a for a, b in running) if ended else None,
                "status": status or ("ok" if ended else "running"),
                "error": error,
                "running": [list(iv) for iv in running],
                "waits": [list(w) for w in waits],
                "submitted_s": start if submitted is None else submitted,
                "result": None,
            },
        )

    def sample(self, t: float, cpu: Sequence[float] = (50.0, 50.0), **extra: Any) -> None:
        self._add(EventName.SAMPLE, {"t_s": t, "cpu_percent": list(cpu), "rss_bytes": {}, **extra})

    def status(self, status: str, wall: float | None = None, **metrics: Any) -> None:
        data: dict[str, Any] = {"id": "r1", "status": status, "error": metrics.pop("error", None)}
        if wall is not None:
            data["wall_s"] = wall
            data["metrics"] = {"avg_concurrency": 1.0, "avg_parallelism": 1.0, **metrics}
        self._add(EventName.STATUS, data)

    def take(self) -> list[Message]:
        """The messages added since the last take."""
        new = self.log.after(self._taken)
        self._taken = len(self.log.items)
        return new


#: One slice of a bar's path: ``M{x},{y}h{width}v{height}H{x}z`` (``server.render.svg.outline``).
SLICE = re.compile(r"M([-\d.]+),([-\d.]+)h([\d.]+)v([\d.]+)H\1z")


def slices_of(d: str) -> list[tuple[str, str]]:
    """A slice path's rectangles as (x, width), in ms as drawn; the whole ``d`` must be slices."""
    found = SLICE.findall(d)
    assert "".join(f"M{x},{y}h{w}v{h}H{x}z" for x, y, w, h in found) == d, d
    return [(x, w) for x, _, w, _ in found]


def soup(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


def whole(chart: BeautifulSoup | Tag, group: str) -> list[str]:
    """A line's points, whatever the polylines it is drawn in (a part repeats the point of the
    part it joins), as one polyline would have them."""
    g = chart if isinstance(chart, Tag) and chart.get("id") == group else chart.find(id=group)
    assert isinstance(g, Tag), f"no #{group}"
    points = {p for polyline in g.find_all("polyline") for p in str(polyline["points"]).split()}
    xy = sorted((tuple(map(float, p.split(","))) for p in points), key=lambda p: p[0])
    # A point between two at its own height says nothing (a part ends there, or it does not).
    return [
        f"{x:.1f},{y:.1f}"
        for i, (x, y) in enumerate(xy)
        if i in (0, len(xy) - 1) or not (xy[i - 1][1] == y == xy[i + 1][1])
    ]


class Page:
    """A page's DOM as BeautifulSoup, changed by frames exactly as ``static/lab.js`` does."""

    def __init__(self, html: str) -> None:
        self.dom = soup(html)

    def apply(self, frame: str) -> None:
        for el in [c for c in soup(frame).children if isinstance(c, Tag)]:
            spec = str(el.attrs.pop("hx-swap-oob", "true"))
            style, _, target_id = spec.partition(":#")
            if not target_id:
                target = self.dom.find(id=el.get("id"))
                if target is not None:
                    target.replace_with(el)
                continue
            target = self.dom.find(id=target_id)
            assert isinstance(target, Tag), f"frame targets #{target_id}, not on the page"
            children = list(el.children)
            if style == "attrs":
                target.attrs.update(el.attrs)
            elif style == "innerHTML":
                target.clear()
                target.extend(children)
            elif style == "beforeend":
                target.extend(children)
            elif style == "outerHTML":
                target.replace_with(*children)
            else:
                raise AssertionError(f"unknown swap style {style!r}")


class HandDoc:
    """A run document made by hand, lane by lane and task by task, for the exports' tests."""

    def __init__(self, executor: str = "threads", lab_pid: int = 10) -> None:
        self.executor, self.lab_pid = executor, lab_pid
        self.lanes: list[dict[str, Any]] = []
        self.tasks: list[dict[str, Any]] = []
        self.samples: list[dict[str, Any]] = []

    def lane(self, id: str, kind: str = "thread", pid: int = 10, tid: int | None = None) -> str:
        n = sum(lane["kind"] == kind for lane in self.lanes) + 1
        label = {"process": f"worker {n}", "loop": "event loop"}.get(kind, f"thread {n}")
        self.lanes.append({"id": id, "kind": kind, "pid": pid, "tid": tid, "label": label})
        return id

    def task(
        self,
        lane: str,
        start: float,
        end: float | None,
        running: Sequence[tuple[float, float]] = (),
        waits: Sequence[tuple[float, float, str]] | None = None,
        submitted: float | None = None,
        status: str | None = None,
        error: str | None = None,
    ) -> None:
        task: dict[str, Any] = {
            "id": len(self.tasks),
            "lane": lane,
            "start_s": start,
            "end_s": end,
            "cpu_s": sum(b - a for a, b in running) if end is not None else None,
            "status": status or ("ok" if end is not None else "running"),
            "error": error,
            "running": [list(iv) for iv in running],
            "result": None,
        }
        if waits is not None:  # a document recorded before waits were has neither
            task["waits"] = [list(w) for w in waits]
            task["submitted_s"] = start if submitted is None else submitted
        self.tasks.append(task)

    def sample(self, t: float, cpu: Sequence[float]) -> None:
        self.samples.append({"t_s": t, "cpu_percent": list(cpu), "rss_bytes": {}})

    def doc(self, status: str = "done", wall: float | None = None) -> RunDocument:
        ended = [t["end_s"] for t in self.tasks if t["end_s"] is not None]
        finished = status in ("done", "failed", "cancelled")
        d: dict[str, Any] = {
            "id": "r1",
            "workload": "cpu",
            "executor": self.executor,
            "tasks_requested": max(len(self.tasks), 1),
            "workers": max(len(self.lanes), 1),
            "params": {"ms": 100},
            "status": status,
            "error": None,
            "created_at": "2026-12-01T12:00:00+00:00",
            "wall_s": (wall or max(ended, default=0.1)) if finished else None,
            "host": {"cpus": 2, "python": "3.11.7", "gil_enabled": True, "start_method": "fork"},
            "lab_pid": self.lab_pid,
            "lanes": self.lanes,
            "tasks": self.tasks,
            "metrics": {"avg_concurrency": 1.0, "avg_parallelism": 1.0} if finished else {},
            "samples": self.samples,
        }
        document: RunDocument = d  # type: ignore[assignment]
        return document
