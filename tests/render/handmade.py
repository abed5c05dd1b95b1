"""Hand-made run logs for the render layer's tests, and a page that applies frames as lab.js does."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bs4 import BeautifulSoup, Tag

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


def soup(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


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
