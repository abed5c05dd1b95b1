"""One :class:`LiveView` per watched run, driven at the frame rate while the run goes."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from time import perf_counter_ns
from typing import Any

from server.executors import EXECUTORS
from server.lab.replay import replay_log
from server.lab.run import Run
from server.manager import RunManager
from server.render.live import LiveView
from server.serverlab.load import ServerLoad

KEEP = 32


def run_title(doc: dict[str, Any]) -> str:
    params = ", ".join(f"{k}={v}" for k, v in doc["params"].items())
    label = f"{doc['label']}: " if doc.get("label") else ""
    workers, executor = doc["workers"], EXECUTORS.get(doc["executor"])
    if executor is not None and not executor.workers_are_a_pool:  # only a cap on tasks in flight
        pool = "one event loop" if workers >= doc["tasks_requested"] else f"≤ {workers:,} at once"
    else:
        pool = f"{workers} worker{'s' if workers != 1 else ''}"
    return f"{label}{doc['workload']}({params}) × {doc['tasks_requested']:,} · {doc['executor']} · {pool}"


def _kills(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The workers the server lab's fault demo killed (``executor_info.kills``), if any."""
    info = doc.get("executor_info") or {}
    return list(info.get("kills") or [])


class LiveViews:
    def __init__(self, manager: RunManager, interval_s: float) -> None:
        self.manager = manager
        self.interval_s = interval_s
        self._views: OrderedDict[str, LiveView] = OrderedDict()
        self._jobs: set[asyncio.Task[None]] = set()

    def for_run(self, run: Run) -> LiveView:
        """The run's live view, caught up with its log (what a page renders now is current)."""
        view = self._views.get(run.id)
        if view is not None and not view.done and len(run.log.messages) > view.log_pos:
            # Through step(), so the catch-up is also a frame that every watching page receives.
            view.step(run.log.after(view.log_pos), self.now(run))
        if view is not None and not view.done and run.log.closed:
            # Every message is folded in, the final status too: the run is over for this page,
            # even if the drive job has not woken up to say so yet.
            view.done = True
            view.notify()
        if view is None:
            doc = run.document()
            view = LiveView(run.id, run.spec.tasks, run_title(doc))
            view.server = run.spec.executor is ServerLoad
            self._remember(run.id, view)
            view.queue_position = self.manager.queue_position(run.id)
            view.waiting_for = self.manager.waiting_for(run.id)
            view.step(run.log.after(0), self.now(run))
            if run.log.closed:
                view.done = True
            else:
                job = asyncio.get_running_loop().create_task(self._drive(run, view))
                self._jobs.add(job)
                job.add_done_callback(self._jobs.discard)
        return view

    def for_document(self, doc: dict[str, Any]) -> LiveView:
        view = LiveView(doc["id"], doc["tasks_requested"], run_title(doc))
        view.server = doc.get("executor") == ServerLoad.id
        view.apply(replay_log(doc).messages)
        view.kills = view.kills or _kills(doc)  # runs stored before kills travelled with samples
        view.done = True
        return view

    @staticmethod
    def now(run: Run) -> float:
        if run.t0_ns is None:
            return 0.0
        end = run.end_ns if run.end_ns is not None else perf_counter_ns()
        return (end - run.t0_ns) / 1e9

    async def _drive(self, run: Run, view: LiveView) -> None:
        while True:
            closed = run.log.closed
            view.queue_position = self.manager.queue_position(run.id)
            view.waiting_for = self.manager.waiting_for(run.id)
            view.step(run.log.after(view.log_pos), self.now(run))
            if closed:
                break
            await asyncio.sleep(self.interval_s)  # one frame per interval, whatever the task rate
        view.done = True
        view.notify()

    def _remember(self, run_id: str, view: LiveView) -> None:
        self._views[run_id] = view
        while len(self._views) > KEEP:
            old_id, old = next(iter(self._views.items()))
            if not old.done:
                break
            del self._views[old_id]

    async def close(self) -> None:
        for job in list(self._jobs):
            job.cancel()
