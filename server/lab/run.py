"""One run: execute a spec, record it into a run log, and describe it as a run document."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import multiprocessing
import os
import platform
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from time import perf_counter_ns
from typing import TypedDict, cast

import experiments
from experiments import cpu
from experiments.document import (
    ExecutorInfo,
    Host,
    Lane,
    Metrics,
    RunDocument,
    RunHead,
    Sample,
    Speed,
    StatusMessage,
    Task,
    Wait,
)
from server.lab import runner
from server.lab.executors import CPUS, Batch, Executor
from server.lab.metrics import Timeline, summarize
from server.lab.outside import OutsideLoad
from server.lab.recorder import Lane as LaneState
from server.lab.recorder import Recorder, TaskState
from server.lab.runlog import RunLog
from server.lab.sampler import INTERVAL_S, Sampler
from server.lab.spec import RunSpec
from server.lab.waits import NAMES
from server.types import EventName, RunStatus, TaskStatus

#: How often recorded work is folded into the run log (and so reaches subscribers).
FRAME_S = 0.05
#: While runs execute, the young-generation GC threshold is at least this (CPython's default: 700).
GC_GEN0_THRESHOLD = 20_000

_gc_lock = threading.Lock()
_gc_users = 0
_gc_saved: tuple[int, int, int] | None = None


@contextlib.contextmanager
def fewer_collections() -> Iterator[None]:
    """Recording allocates a few objects per task (records, states, messages). Left alone, those
    allocations would trigger young-generation collections inside the workload's process that the
    bare workload would never pay for, and the lab would show a slower run than the real one. So
    while any run executes, collections of the young generation are made rarer (measured in
    ``bench/``: 10,000 asyncio tasks went from 1.40x the bare time to 0.97x with 10,000; recording
    waits added a list per asyncio task, and they took 1.03-1.05x again, 1.01-1.02x with 20,000)."""
    global _gc_users, _gc_saved
    with _gc_lock:
        if _gc_users == 0:
            _gc_saved = gc.get_threshold()
            gen0, *rest = _gc_saved
            gc.set_threshold(max(gen0, GC_GEN0_THRESHOLD), *rest)
        _gc_users += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_users -= 1
            if _gc_users == 0 and _gc_saved is not None:
                gc.set_threshold(*_gc_saved)


def new_run_id() -> str:
    return uuid.uuid4().hex[:12]


def host_info(start_method: str | None = None) -> Host:
    is_gil_enabled = getattr(sys, "_is_gil_enabled", None)
    return {
        "cpus": CPUS,
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "gil_enabled": bool(is_gil_enabled()) if is_gil_enabled else True,
        "switch_interval_s": sys.getswitchinterval(),
        "start_method": start_method or multiprocessing.get_start_method(),
        "platform": platform.platform(terse=True),
    }


def _s(ns: int, t0: int) -> float:
    return round((ns - t0) / 1e9, 6)


def task_view(task: TaskState, t0: int, n_iv: int, ended: bool, n_waits: int | None = None) -> Task:
    """A task as the run document shows it, as it was when it had ``n_iv`` interval bounds and
    ``n_waits`` wait items (all it has, if not given)."""
    iv, wv = task.intervals, task.named_waits()
    running = [[_s(iv[k], t0), _s(iv[k + 1], t0)] for k in range(0, n_iv, 2)]
    n_waits = len(wv) if n_waits is None else n_waits
    waits = [
        cast(Wait, [_s(wv[k], t0), _s(wv[k + 1], t0), NAMES[wv[k + 2]]])
        for k in range(0, n_waits, 3)
    ]
    sub = task.submitted_ns
    return {
        "id": task.id,
        "lane": task.lane,
        "submitted_s": _s(sub, t0) if sub is not None else None,
        "start_s": _s(task.start_ns, t0),
        "end_s": _s(task.end_ns, t0) if ended and task.end_ns is not None else None,
        "cpu_s": round(task.cpu_ns / 1e9, 6) if ended else None,
        "status": task.status.value if ended else TaskStatus.RUNNING.value,
        "error": task.error if ended else None,
        "running": running,
        "waits": waits,
        "result": task.result if ended else None,
    }


def lane_view(lane: LaneState) -> Lane:
    return {
        "id": lane.id,
        "kind": lane.kind.value,
        "pid": lane.pid,
        "tid": lane.tid,
        "label": lane.label,
    }


class _Body(TypedDict):
    """The tasks' part of the run document, which :meth:`Run.document` keeps until the log grows."""

    tasks_started: int
    lanes: list[Lane]
    tasks: list[Task]
    metrics: Metrics
    samples: list[Sample]


def utc_now() -> str:
    """Now as ISO 8601 UTC, to the millisecond."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Run:
    def __init__(self, spec: RunSpec, id: str | None = None, *, isolate: bool = False) -> None:
        self.id = id or new_run_id()
        self.spec = spec
        #: Execute tasks that would use the lab's process in a runner process instead (see
        #: ``server.lab.runner``): the dashboard does, so that its own work cannot slow them.
        self.isolate = isolate and runner.AVAILABLE
        self.status = RunStatus.PENDING
        self.error: str | None = None
        self.created_at = utc_now()
        #: When the run's clock started (a queued run starts after it was created); None until then.
        self.started_at: str | None = None
        self.log = RunLog()
        self.samples: list[Sample] = []
        self._kills_sent = 0
        self.t0_ns: int | None = None
        #: CPU that other programs used during the run, in cores (see ``server.lab.outside``).
        self.outside_cpu_cores: float | None = None
        #: CPU the lab's event loop thread used during the run, when the run's tasks executed in
        #: the lab's process: time in which that thread, not the tasks, held the GIL.
        self.lab_loop_cpu_s: float | None = None
        #: The machine's speed just before the run's clock started and just after it ended.
        self.speed: Speed | None = None
        #: Other runs of this lab that executed while this one did (the manager fills it in).
        self.alongside: list[str] = []
        self.end_ns: int | None = None
        self._cancel = threading.Event()
        self._cancel_reason: str | None = None
        self._executor: Executor | None = None
        self._recorder: Recorder | None = None
        #: The tasks' part of :meth:`document`, with the log position it was built at.
        self._body: tuple[int, _Body] | None = None
        #: How long the run's clock may wait, once the run is ready, for :meth:`watched` (see
        #: :meth:`wait_for_watcher`).
        self._hold_s = 0.0
        self._watched = asyncio.Event()

    # --- control ---------------------------------------------------------------------------------

    @property
    def cancel_requested(self) -> bool:
        return self._cancel.is_set()

    def cancel(self, reason: str = "cancelled by request") -> None:
        """Stop the run soon (within a second); safe to call from any thread, at any time."""
        if self.status.finished or self._cancel.is_set():
            return
        self._cancel_reason = reason
        self._cancel.set()
        if self._executor is not None:
            self._executor.cancel()

    def wait_for_watcher(self, at_most_s: float) -> None:
        """Start the run's clock only once a page watches it (:meth:`watched`), or after
        ``at_most_s``. A page that has just asked for a run draws it for the first time (its
        whole view, then its stream): done on the run's clock, that drawing would take a core
        from the run's first tenths of a second, and the chart would show the page's cost as
        the run's. Call before the run executes."""
        self._hold_s = at_most_s

    def watched(self) -> None:
        """A page is watching the run (its stream is open): its clock need not wait."""
        self._watched.set()

    async def _held(self) -> None:
        if self._hold_s > 0 and not self._watched.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._watched.wait(), self._hold_s)

    async def execute(self, time_limit_s: float = 120.0) -> None:
        """Run to the end; the status tells how it ended. Never raises for a failed run."""
        with fewer_collections():
            await self._execute(time_limit_s)

    async def _execute(self, time_limit_s: float) -> None:
        spec = self.spec
        batch = Batch(
            spec.workload,
            spec.params,
            spec.tasks,
            spec.workers,
            lambda r: None,
            self._cancel,
            spec.start_method,
            self.id,
            spec.options,
        )
        executor = spec.executor(batch)
        if self.isolate and executor.in_lab_process:
            executor = runner.Isolated(executor)
        self._executor = executor
        recorder = self._recorder = Recorder(executor.lane_namer())
        batch.send = recorder.send
        if self._cancel.is_set():  # cancelled while queued
            self._finish(RunStatus.CANCELLED, self._cancel_reason)
            return
        experiments.warm_up()
        try:
            await asyncio.to_thread(executor.prepare)
        except Exception as exc:
            await asyncio.to_thread(executor.close)
            self._finish(RunStatus.FAILED, f"could not start: {exc}")
            return
        await self._held()
        if self._cancel.is_set():  # cancelled while preparing (or waiting for its page)
            await asyncio.to_thread(executor.close)
            self._finish(RunStatus.CANCELLED, self._cancel_reason)
            return
        loop = asyncio.get_running_loop()
        finished: asyncio.Future[None] = loop.create_future()
        outside = await asyncio.to_thread(OutsideLoad)
        # The machine's speed, off the run's clock: a shared machine's drifts from run to run.
        self.speed = {"start": cpu.speed(), "end": None}
        t0 = self.t0_ns = batch.t0_ns = perf_counter_ns()
        self.started_at = utc_now()
        lab0 = time.thread_time()  # this thread is the lab's event loop: recording, web pages
        sampler = Sampler(t0, executor.pids, executor.lab_memory)
        self._set_status(RunStatus.RUNNING)
        threading.Thread(
            target=self._execute_in_thread,
            args=(executor, loop, finished),
            name=f"lab-run-{self.id}",
            daemon=True,
        ).start()
        deadline = t0 + int(time_limit_s * 1e9)
        next_sample = t0
        while not finished.done():
            await asyncio.wait([finished], timeout=FRAME_S)
            now = perf_counter_ns()
            if now >= next_sample:
                self._add_sample(sampler.sample(), executor)
                next_sample = now + int(INTERVAL_S * 1e9)
            self._drain()
            if now >= deadline:
                self.cancel(f"time limit of {time_limit_s:g} s reached")
        self._add_sample(sampler.sample(), executor)
        self._drain()
        if executor.in_lab_process:
            self.lab_loop_cpu_s = round(time.thread_time() - lab0, 3)
        self.speed["end"] = cpu.speed()
        self.outside_cpu_cores = await asyncio.to_thread(outside.cores)
        error = finished.exception()
        if self._cancel.is_set():
            self._close_in_flight(perf_counter_ns(), "the run was cancelled")
            self._finish(RunStatus.CANCELLED, self._cancel_reason)
        elif error is not None:
            self._close_in_flight(perf_counter_ns(), "the run failed")
            self._finish(RunStatus.FAILED, f"{type(error).__name__}: {error}")
        else:
            self._finish(RunStatus.DONE, None)

    @staticmethod
    def _execute_in_thread(
        executor: Executor, loop: asyncio.AbstractEventLoop, finished: asyncio.Future[None]
    ) -> None:
        def settle(error: BaseException | None) -> None:
            if not finished.done():
                finished.set_exception(error) if error else finished.set_result(None)

        outcome: BaseException | None = None
        try:
            executor.run()
        except BaseException as exc:
            outcome = exc
        finally:
            try:
                executor.close()
            except Exception as exc:  # pragma: no cover - close must not hide the run's outcome
                outcome = outcome or exc
        with contextlib.suppress(RuntimeError):  # the loop is gone (interpreter shutting down)
            loop.call_soon_threadsafe(settle, outcome)

    # --- recording -------------------------------------------------------------------------------

    def _drain(self) -> None:
        assert self._recorder is not None and self.t0_ns is not None
        lanes, tasks = self._recorder.drain()
        self._log_changes(lanes, tasks)

    def _log_changes(self, lanes: list[LaneState], tasks: list[TaskState]) -> None:
        t0, log = self.t0_ns, self.log
        assert t0 is not None  # both callers run after the clock origin is set
        for lane in lanes:
            log.append(EventName.LANE, functools.partial(lane_view, lane))
        for task in tasks:
            # An ended task's waits are final (an asyncio task's are named only when read).
            ended = task.end_ns is not None
            view = (
                functools.partial(task_view, task, t0, len(task.intervals), True)
                if ended
                else functools.partial(
                    task_view, task, t0, len(task.intervals), False, len(task.waits)
                )
            )
            log.append(EventName.TASK, view)
        if lanes or tasks:
            log.notify()

    def _add_sample(self, sample: Sample, executor: Executor) -> None:
        kills = executor.kills()
        if len(kills) > self._kills_sent:  # a worker killed since the last sample (fault demo)
            sample["kills"], self._kills_sent = kills[self._kills_sent :], len(kills)
        self.samples.append(sample)
        self.log.append(EventName.SAMPLE, lambda: sample)
        self.log.notify()

    def _close_in_flight(self, now_ns: int, reason: str) -> None:
        assert self._recorder is not None
        self._log_changes([], self._recorder.cancel_in_flight(now_ns, reason))

    def _set_status(self, status: RunStatus, error: str | None = None) -> None:
        self.status, self.error = status, error
        snapshot: StatusMessage = {"id": self.id, "status": status.value, "error": error}
        if status.finished:
            snapshot["wall_s"] = self.wall_s
            snapshot["metrics"] = self.metrics()
        self.log.append(EventName.STATUS, lambda: snapshot)
        self.log.notify()

    def _finish(self, status: RunStatus, error: str | None) -> None:
        tasks = self.tasks
        ends = [t.end_ns for t in tasks if t.end_ns is not None]
        self.end_ns = max(ends) if ends else perf_counter_ns()
        if self.t0_ns is None:
            self.t0_ns = self.end_ns
        self._set_status(status, error)
        self.log.close()

    # --- reading ---------------------------------------------------------------------------------

    @property
    def tasks(self) -> list[TaskState]:
        return sorted(self._recorder.tasks.values(), key=lambda t: t.id) if self._recorder else []

    @property
    def lanes(self) -> list[LaneState]:
        return list(self._recorder.lanes.values()) if self._recorder else []

    @property
    def wall_s(self) -> float | None:
        if self.t0_ns is None:
            return None
        end = self.end_ns if self.end_ns is not None else perf_counter_ns()
        return round((end - self.t0_ns) / 1e9, 6)

    def metrics(self) -> Metrics:
        t0 = self.t0_ns
        wall = self.wall_s
        extra = self._executor.metrics() if self._executor else {}
        if self.outside_cpu_cores is not None:
            extra["outside_cpu_cores"] = self.outside_cpu_cores
        if self.alongside:
            extra["alongside_runs"] = len(self.alongside)
        if self.lab_loop_cpu_s is not None:
            extra["lab_loop_cpu_s"] = self.lab_loop_cpu_s
        if t0 is None or not wall:
            return {**summarize([], 0.0, self.samples), **extra}
        now = t0 + int(wall * 1e9)
        timelines = []
        for t in self.tasks:
            iv, wv, sub = t.intervals, t.named_waits(), t.submitted_ns
            timelines.append(
                Timeline(
                    (t.start_ns - t0) / 1e9,
                    ((t.end_ns if t.end_ns is not None else now) - t0) / 1e9,
                    [((iv[k] - t0) / 1e9, (iv[k + 1] - t0) / 1e9) for k in range(0, len(iv), 2)],
                    [
                        ((wv[k] - t0) / 1e9, (wv[k + 1] - t0) / 1e9, NAMES[wv[k + 2]])
                        for k in range(0, len(wv), 3)
                    ],
                    (sub - t0) / 1e9 if sub is not None else None,
                )
            )
        return {**summarize(timelines, wall, self.samples), **extra}

    def head(self) -> RunHead:
        """The run document without its tasks, lanes, samples and metrics: cheap at any size."""
        spec = self.spec
        executor_info: ExecutorInfo = self._executor.describe() if self._executor else {}
        return {
            "id": self.id,
            "workload": spec.workload.id,
            "executor": spec.executor.id,
            "tasks_requested": spec.tasks,
            "workers": spec.workers,
            "params": dict(spec.params),
            "label": spec.label,
            "status": self.status.value,
            "error": self.error,
            "created_at": self.created_at,
            "started_at": self.started_at,
            "wall_s": self.wall_s,
            "host": self._host(executor_info),
            "executor_info": executor_info,
        }

    def _host(self, executor_info: ExecutorInfo) -> Host:
        host = host_info(executor_info.get("start_method"))
        if self.speed is not None:
            host["speed"] = {**self.speed}
        return host

    def document(self) -> RunDocument:
        """The run document (CONTRACT.md): complete when finished, partial while running.

        What it says about tasks only changes when the run logs something, so that part is kept
        until the log grows: pages that poll a lesson's runs, and clients that poll the API, do
        not rebuild every task of every run each time."""
        position = len(self.log.items)
        if self._body is None or self._body[0] != position:
            t0 = self.t0_ns or 0
            tasks = self.tasks
            body: _Body = {
                "tasks_started": len(tasks),
                "lanes": [lane_view(lane) for lane in self.lanes],
                "tasks": [task_view(t, t0, len(t.intervals), t.ended) for t in tasks],
                "metrics": self.metrics(),
                "samples": list(self.samples),
            }
            self._body = (position, body)
        return {
            **self.head(),
            **self._body[1],
            "lab_pid": os.getpid(),
            "alongside": list(self.alongside),
        }
