"""Runs go through here: at most N at once, a small queue behind them, each with a time limit.

The manager owns the live :class:`~server.lab.run.Run` objects (their run logs feed event streams)
and hands every finished run document to the store. Finished runs stay in memory for a while so that
late subscribers can replay them exactly; older ones are read back from the store.

A job is one run, or a group of runs executed one after another in one slot. A lesson's group is
*exclusive*: it starts when nothing else is executing, and nothing else starts until it has ended,
because its verdict compares its runs' timings and another run beside them would take cores from
them (a run of the lab's own is not "other programs": see ``server.lab.outside``). The queue stays
first come, first served: runs submitted after a lesson wait for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from server.lab.run import Run
from server.lab.spec import RunSpec
from server.settings import Settings
from server.store import Store
from server.types import RunStatus

log = logging.getLogger(__name__)


class QueueFull(Exception):
    """Every run slot is busy and the queue is full: try again later (HTTP 429)."""


class ReadOnly(Exception):
    """The lab was started read-only: it shows stored runs and starts none."""


@dataclass
class Job:
    runs: list[Run]
    exclusive: bool = False


class RunManager:
    def __init__(self, settings: Settings, store: Store) -> None:
        self.settings = settings
        self.store = store
        self.runs: OrderedDict[str, Run] = OrderedDict()  # live and recently finished, oldest first
        self._queue: list[Job] = []
        self._active: dict[str, bool] = {}  # slot (its first run's id) -> whether exclusive
        self._executing: dict[str, Run] = {}
        self._jobs: set[asyncio.Task[None]] = set()
        self._listeners: list[Callable[[Run], None]] = []

    # --- submitting and controlling ---------------------------------------------------------------

    def submit(self, spec: RunSpec) -> Run:
        """Register a run and start it as soon as a slot is free; raise if it cannot even wait."""
        return self.submit_group([spec])[0]

    def submit_group(self, specs: list[RunSpec], exclusive: bool = False) -> list[Run]:
        """Register runs that execute one after another in a single slot, so that they do not
        compete with each other for the cores (a lesson compares them); ``exclusive``: with no
        other run beside them either."""
        if self.settings.read_only:
            raise ReadOnly("this lab is read-only: it shows stored runs and starts none")
        if len(self._active) >= self.settings.max_concurrent_runs and (
            len(self._queue) >= self.settings.queue_size
        ):
            raise QueueFull(
                f"{len(self._active)} runs are executing and {len(self._queue)} are queued "
                f"(the most allowed); try again when one ends"
            )
        runs = [Run(spec, isolate=self.settings.runner_process) for spec in specs]
        for run in runs:
            self.runs[run.id] = run
            self.store.save(run.document())
        self._queue.append(Job(runs, exclusive))
        self._pump()
        return runs

    def cancel(self, run_id: str) -> bool:
        """Cancel a queued or running run; False if it is unknown or already finished."""
        run = self.runs.get(run_id)
        if run is None or run.status.finished:
            return False
        job = next((job for job in self._queue if run in job.runs), None)
        if job is not None:
            job.runs.remove(run)
            if not job.runs:
                self._queue.remove(job)
            run.cancel("cancelled while queued")
            self._start([run])  # finishes at once: records the cancel and closes its log
        else:
            run.cancel()
        return True

    def queue_position(self, run_id: str) -> int | None:
        """1 for the next run to start, None if the run is not waiting."""
        for i, job in enumerate(self._queue):
            if any(run.id == run_id for run in job.runs):
                return i + 1
        return None

    def waiting_for(self, run_id: str) -> str | None:
        """Why a queued run has not started yet, in a few words; None if it is not queued."""
        position = self.queue_position(run_id)
        if position is None:
            return None
        if any(self._active.values()):
            return "a lesson is running, and lessons run alone: it starts when the lesson ends"
        if self._queue[position - 1].exclusive and position == 1:
            return "a lesson runs alone: it starts when the runs already going have ended"
        if any(job.exclusive for job in self._queue[: position - 1]):
            return "a lesson queued before it runs first, alone"
        return f"{len(self._active)} runs are going, the most at once: it starts when one ends"

    def expected_wall_s(self, run: Run) -> float | None:
        """How long ``run`` should take: the wall time of the latest run of the same spec that
        the lab still holds and that ran to the end; None if it has none."""
        for other in reversed(self.runs.values()):
            if other is not run and other.status is RunStatus.DONE and other.spec == run.spec:
                return other.wall_s
        return None

    def on_finish(self, listener: Callable[[Run], None]) -> None:
        self._listeners.append(listener)

    def get(self, run_id: str) -> Run | None:
        return self.runs.get(run_id)

    @property
    def active(self) -> list[Run]:
        return [r for r in self.runs.values() if r.status.value == "running"]

    @property
    def queued(self) -> list[Run]:
        return [run for job in self._queue for run in job.runs]

    # --- lifecycle --------------------------------------------------------------------------------

    async def close(self) -> None:
        """Cancel everything (server shutdown) and wait until each run is stored."""
        for run in self.queued:
            self.cancel(run.id)
        for run in list(self.runs.values()):
            if not run.status.finished:
                run.cancel("the server stopped")
        if self._jobs:
            await asyncio.wait(self._jobs, timeout=5)

    # --- internals --------------------------------------------------------------------------------

    def _pump(self) -> None:
        while self._queue:
            job = self._queue[0]
            if any(self._active.values()):  # an exclusive job runs alone
                return
            if job.exclusive and self._active:  # and waits until the others are done
                return
            if len(self._active) >= self.settings.max_concurrent_runs:
                return
            self._queue.pop(0)
            self._start(job.runs, job.exclusive)

    def _start(self, runs: list[Run], exclusive: bool = False) -> None:
        slot = runs[0].id
        self._active[slot] = exclusive
        task = asyncio.get_running_loop().create_task(self._execute(slot, runs), name=f"run-{slot}")
        self._jobs.add(task)
        task.add_done_callback(self._jobs.discard)

    async def _execute(self, slot: str, runs: list[Run]) -> None:
        try:
            for run in runs:
                if not run.cancel_requested:  # a run cancelled while queued will not execute
                    for other in self._executing.values():  # they will share the machine
                        other.alongside.append(run.id)
                        run.alongside.append(other.id)
                    self._executing[run.id] = run
                try:
                    await run.execute(self.settings.time_limit_s)
                except Exception:  # a bug in the engine must not take the server down
                    log.exception("run %s crashed", run.id)
                finally:
                    self._executing.pop(run.id, None)
                with contextlib.suppress(Exception):
                    await asyncio.to_thread(self.store.save, run.document())
                for listener in self._listeners:
                    listener(run)
        finally:
            self._active.pop(slot, None)
            self._forget_old()
            self._pump()

    def _forget_old(self) -> None:
        finished = [r for r in self.runs.values() if r.status.finished]
        for run in finished[: max(0, len(finished) - self.settings.keep_live_runs)]:
            del self.runs[run.id]
