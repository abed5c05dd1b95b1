"""The four ways to run a batch of tasks. Each runs in a thread of its own, off the caller's loop.

An executor's ``run`` blocks until every task has ended (or the batch was cancelled); ``cancel`` may
be called from any thread and must make ``run`` return within a second. What describes an executor
(its id, title, pool sizes, what it can do) is on its class; ``server.executors`` lists them all.
"""

from __future__ import annotations

import asyncio
import concurrent.futures as cf
import contextlib
import multiprocessing
import os
import signal
import threading
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from time import perf_counter_ns
from typing import Any, ClassVar

import experiments
from experiments import probe as workload_probe
from experiments.cpu import loops_per_ms, set_loops_per_ms
from experiments.document import ExecutorInfo, Kill, Metrics
from experiments.registry import Number, Workload
from server.lab.lifeline import close_inherited_sockets, signal_on_parent_death
from server.lab.probe import Record, TaskCancelled, TaskProbe, describe_error, plain
from server.lab.recorder import LaneNamer, lane_namer
from server.lab.stepping import Stepped
from server.types import LaneKind, TaskStatus

CPUS = os.cpu_count() or 1


@dataclass
class Batch:
    """What to run, and where to report it."""

    workload: Workload
    params: Mapping[str, Number]
    tasks: int
    workers: int
    send: Callable[[Record], None]
    cancel: threading.Event = field(default_factory=threading.Event)
    start_method: str | None = None
    run_id: str = ""
    #: The executor's own options, as its ``parse_options`` returned them (opaque to the engine).
    options: object = None
    #: The run's clock origin, set just before ``run`` is called.
    t0_ns: int = 0


def run_probed(
    workload: Workload,
    params: Mapping[str, Number],
    task_id: int,
    send: Callable[[Record], None],
    cancel: threading.Event | None,
    defer_start: bool = False,
    run_id: str = "",
    submitted_ns: int | None = None,
) -> Record:
    """Run one task in the calling thread under a probe; return its end record."""
    p = TaskProbe(task_id, send, cancel, submitted_ns)
    p.begin(defer_start)
    workload_probe.install(p.tick)
    status, error, result = TaskStatus.OK, None, None
    try:
        result = workload.call(task_id, params, run_id)
    except TaskCancelled:
        status, error = TaskStatus.CANCELLED, "the run was cancelled"
    except Exception as exc:
        status, error = TaskStatus.ERROR, describe_error(exc)
    finally:
        workload_probe.install(None)
    return p.end(status, error, result)


async def run_stepped(
    workload: Workload,
    params: Mapping[str, Number],
    task_id: int,
    send: Callable[[Record], None],
    run_id: str = "",
    blocking: bool = False,
    *,
    where: tuple[int, int] | None = None,
    send_end: bool = False,
    submitted_ns: int | None = None,
) -> Record:
    """Run one task as a coroutine on the running loop, timing each of its steps; send its start
    record and return its end record (and send that too, with ``send_end``). A workload without an
    awaitable form (or any, with ``blocking``) runs its plain function inline and holds the loop
    while it runs. ``where`` is the (pid, thread id) of the loop, if the caller knows it already;
    ``submitted_ns`` when the task was created.

    This is the lab's cost per asyncio task, so it is kept lean: no wrapper coroutine around it,
    nothing computed per task that is the same for all of them."""
    pid, tid = where or (os.getpid(), threading.get_native_id())
    intervals: list[int] = []
    dues: list[int] = []
    start = perf_counter_ns()
    send(("start", task_id, pid, tid, start, submitted_ns))
    status, error, result = TaskStatus.OK, None, None
    try:
        if blocking or workload.afn is None:
            coro: Awaitable[object] = _inline(workload, task_id, params, run_id)
        else:
            coro = workload.call_awaitable(task_id, params, run_id)
        # Stepped needs a coroutine; afn is typed Awaitable but every registered one is an async def.
        result = await Stepped(coro, intervals, dues)  # type: ignore[arg-type]
    except (asyncio.CancelledError, TaskCancelled):
        status, error = TaskStatus.CANCELLED, "the run was cancelled"
    except Exception as exc:
        status, error = TaskStatus.ERROR, describe_error(exc)
    end = perf_counter_ns()
    # One thread runs every task, so a task's CPU time is the time the loop spent on it.
    busy = 0
    for k in range(0, len(intervals), 2):
        busy += intervals[k + 1] - intervals[k]
    record = (
        "end",
        task_id,
        pid,
        tid,
        start,
        end,
        busy,
        intervals,
        status,
        error,
        plain(result),
        None,  # named from the dues by the recorder, off this loop
        submitted_ns,
        dues,
    )
    if send_end:
        send(record)
    return record


async def _inline(
    workload: Workload, task_id: int, params: Mapping[str, Number], run_id: str
) -> object:
    return workload.call(task_id, params, run_id)


class Executor:
    #: What a run names it by (``"executor": ...`` in the API, ``--executor`` on the command line).
    id: ClassVar[str]
    title: ClassVar[str]
    #: What one lane of its charts is ("what each thread was doing").
    lane_noun: ClassVar[str] = "thread"
    #: The largest ``workers`` it accepts (a deployment's limits may say otherwise).
    max_workers: ClassVar[int]
    #: ``workers`` is the size of a pool; if not (one event loop), it only caps tasks in flight.
    workers_are_a_pool: ClassVar[bool] = True
    #: The multiprocessing start methods a run may choose; none for executors that start no process.
    start_methods: ClassVar[tuple[str, ...]] = ()
    #: It takes options of its own (the API's ``server`` object), checked by ``parse_options``.
    takes_options: ClassVar[bool] = False
    #: Its tasks run in the lab's own process, so they need the GIL the lab's work holds too.
    in_lab_process: ClassVar[bool] = True
    #: The lab's own process counts in the run's memory: its tasks run there, or it drives their
    #: workers. A runner process stands in for it.
    lab_memory: ClassVar[bool] = True

    def __init__(self, batch: Batch) -> None:
        self.batch = batch

    @staticmethod
    def default_workers(tasks: int) -> int:
        raise NotImplementedError

    @classmethod
    def lanes_expected(cls, workers: int, tasks: int) -> int:
        """How many lanes its charts will have (0: not known beforehand): a pool's workers that
        have a task, else the one thread its tasks share (threads it hands work to add lanes of
        their own). A live chart keeps room for them from the start, so that its first frame
        does not move what lies below."""
        return min(workers, tasks) if cls.workers_are_a_pool else 1

    @classmethod
    def parse_options(cls, raw: Mapping[str, object] | None) -> object:
        """Its own options, checked (raise InvalidParameter naming the bad one); only called on an
        executor that ``takes_options``."""
        return None

    @classmethod
    def capabilities(cls) -> dict[str, Any]:
        """What else clients may choose for it, added to its entry in ``GET /api/workloads``."""
        return {"start_methods": list(cls.start_methods)} if cls.start_methods else {}

    def lane_namer(self) -> LaneNamer:
        raise NotImplementedError

    def prepare(self) -> None:
        """Set-up that must not count in the run's time (a server starting); runs before the
        run's clock starts, in a thread. It must return soon after ``batch.cancel`` is set."""

    def run(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        """Release what ``prepare`` acquired; called once the run has ended, however it ended."""

    def cancel(self) -> None:
        self.batch.cancel.set()

    def pids(self) -> list[int]:
        """Processes whose memory belongs to this run, besides the lab's own."""
        return []

    def describe(self) -> ExecutorInfo:
        return {}

    def kills(self) -> list[Kill]:
        """Workers this executor killed on purpose so far, ``[{"pid", "t_s"}]`` on the run's
        clock (the server lab's fault demo); they travel with the run's samples."""
        return []

    def metrics(self) -> Metrics:
        """Metrics only this executor can measure, added to the run's."""
        return {}


class Sequential(Executor):
    id = "sequential"
    title = "Sequential: one task after another in one thread"
    max_workers = 1

    @staticmethod
    def default_workers(tasks: int) -> int:
        return 1

    def lane_namer(self) -> LaneNamer:
        return lane_namer(LaneKind.THREAD, "main thread", numbered=False)

    def run(self) -> None:
        b = self.batch
        for i in range(b.tasks):
            if b.cancel.is_set():
                return
            # Every task was handed over at the start: each waits for those before it.
            b.send(
                run_probed(
                    b.workload, b.params, i, b.send, b.cancel, run_id=b.run_id, submitted_ns=b.t0_ns
                )
            )


class Threads(Executor):
    id = "threads"
    title = "Thread pool (concurrent.futures.ThreadPoolExecutor)"
    max_workers = 64

    @staticmethod
    def default_workers(tasks: int) -> int:
        return min(32, CPUS + 4)  # ThreadPoolExecutor's own default

    def lane_namer(self) -> LaneNamer:
        return lane_namer(LaneKind.THREAD, "thread")

    def run(self) -> None:
        b = self.batch

        def job(i: int, submitted: int) -> None:
            if not b.cancel.is_set():
                b.send(
                    run_probed(
                        b.workload, b.params, i, b.send, b.cancel, False, b.run_id, submitted
                    )
                )

        with cf.ThreadPoolExecutor(b.workers, thread_name_prefix="lab-worker") as pool:
            for i in range(b.tasks):
                pool.submit(job, i, perf_counter_ns())


# --- process pool: the worker side -------------------------------------------------------------

_child_send: Callable[[Record], None] | None = None


def _die_with_parent(parent_pid: int | None) -> None:
    """A worker must never outlive the lab (killed, it would leave workers blocked on a pipe no one
    reads). On Linux the kernel kills the worker when the thread that started it ends: the run's
    own thread, which lives until the pool is shut down."""
    signal_on_parent_death(signal.SIGKILL)
    if parent_pid is not None and os.getppid() != parent_pid:  # it died before the request above
        os._exit(1)
    close_inherited_sockets()  # forked, it would hold the dashboard's connections open


def _child_init(queue: Any, cpu_loops_per_ms: int, parent_pid: int | None) -> None:
    global _child_send
    _die_with_parent(parent_pid)
    _child_send = queue.put
    set_loops_per_ms(cpu_loops_per_ms)


def _child_task(
    workload_id: str, params: Mapping[str, Number], task_id: int, run_id: str, submitted: int
) -> Record:
    assert _child_send is not None
    return run_probed(
        experiments.get(workload_id), params, task_id, _child_send, None, True, run_id, submitted
    )


class Processes(Executor):
    id = "processes"
    title = "Process pool (concurrent.futures.ProcessPoolExecutor)"
    lane_noun = "process"
    max_workers = 4 * CPUS
    start_methods = tuple(multiprocessing.get_all_start_methods())
    in_lab_process = False

    def __init__(self, batch: Batch) -> None:
        super().__init__(batch)
        self.start_method = batch.start_method or multiprocessing.get_start_method()
        self._pool: cf.ProcessPoolExecutor | None = None

    @staticmethod
    def default_workers(tasks: int) -> int:
        return CPUS  # ProcessPoolExecutor's own default

    def lane_namer(self) -> LaneNamer:
        return lane_namer(LaneKind.PROCESS, "worker")

    def describe(self) -> ExecutorInfo:
        return {"start_method": self.start_method}

    def pids(self) -> list[int]:
        pool = self._pool
        return list(getattr(pool, "_processes", None) or ()) if pool else []

    def run(self) -> None:
        b = self.batch
        ctx = multiprocessing.get_context(self.start_method)
        # Under forkserver a worker's parent is the fork server, not the lab.
        parent = None if self.start_method == "forkserver" else os.getpid()
        queue = ctx.SimpleQueue()
        reader = threading.Thread(target=self._read, args=(queue,), name="lab-reader", daemon=True)
        reader.start()
        pool = self._pool = cf.ProcessPoolExecutor(
            b.workers,
            mp_context=ctx,
            initializer=_child_init,
            initargs=(queue, loops_per_ms(), parent),
        )

        def done(future: cf.Future[Record]) -> None:
            if not future.cancelled() and future.exception() is None:
                b.send(future.result())

        try:
            futures = []
            for i in range(b.tasks):
                if b.cancel.is_set():
                    break
                f = pool.submit(
                    _child_task, b.workload.id, b.params, i, b.run_id, perf_counter_ns()
                )
                f.add_done_callback(done)
                futures.append(f)
            # Poll rather than wait: after a cancel terminates the workers, the pool's own manager
            # thread may exit without ever resolving the futures that were running.
            pending = set(futures)
            while pending and not b.cancel.is_set():
                _, pending = cf.wait(pending, timeout=0.1)
        finally:
            pool.shutdown(wait=not b.cancel.is_set(), cancel_futures=True)
            queue.put(None)
            reader.join(timeout=1.0)
            queue.close()

    def _read(self, queue: Any) -> None:
        send = self.batch.send
        while (rec := queue.get()) is not None:
            send(rec)

    def cancel(self) -> None:
        super().cancel()
        pool = self._pool
        if pool is None:
            return
        # Threads cannot be killed, but processes can: take the workers before shutdown forgets them.
        procs = list((getattr(pool, "_processes", None) or {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for proc in procs:
            if proc.is_alive():
                proc.terminate()


class Asyncio(Executor):
    id = "asyncio"
    title = "asyncio tasks on one event loop"
    lane_noun = "event loop"
    max_workers = 100_000
    workers_are_a_pool = False

    def __init__(self, batch: Batch) -> None:
        super().__init__(batch)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: list[asyncio.Task[Any]] = []

    @staticmethod
    def default_workers(tasks: int) -> int:
        return tasks  # no limit: every task in flight at once

    def lane_namer(self) -> LaneNamer:
        return lane_namer(LaneKind.LOOP, "event loop", numbered=False)

    def describe(self) -> ExecutorInfo:
        return {"awaitable": self.batch.workload.afn is not None}

    def run(self) -> None:
        b = self.batch

        def cancel_check() -> None:  # lets a cancel stop a workload that blocks the loop
            if b.cancel.is_set():
                raise TaskCancelled

        workload_probe.install(cancel_check)
        try:
            asyncio.run(self._main())
        finally:
            workload_probe.install(None)

    async def _main(self) -> None:
        b = self.batch
        self._loop = asyncio.get_running_loop()
        limit = asyncio.Semaphore(b.workers) if b.workers < b.tasks else None
        send, workload, params, run_id = b.send, b.workload, b.params, b.run_id
        where = (os.getpid(), threading.get_native_id())

        def task(i: int, created: int) -> Coroutine[Any, Any, Record]:
            return run_stepped(
                workload, params, i, send, run_id, where=where, send_end=True, submitted_ns=created
            )

        async def limited(i: int, created: int) -> None:
            assert limit is not None
            async with limit:  # a task waiting here has been submitted, not started
                await task(i, created)

        make: Callable[[int, int], Coroutine[Any, Any, object]] = task if limit is None else limited
        # A task's time from its creation to its first step is its time queued for the loop.
        self._tasks = [asyncio.create_task(make(i, perf_counter_ns())) for i in range(b.tasks)]
        if b.cancel.is_set():
            self._cancel_tasks()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def _cancel_tasks(self) -> None:
        for t in self._tasks:
            t.cancel()

    def cancel(self) -> None:
        super().cancel()
        loop = self._loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(self._cancel_tasks)
