"""A process of its own for the runs whose tasks would otherwise execute in the lab's process.

Sequential, thread-pool and asyncio runs execute their tasks in one Python process. If that process
is the lab's, the tasks share its GIL with everything the lab does meanwhile: recording, building
frames, serving the pages of whoever watches. The chart would then show the lab's work as GIL waits
in the tasks, and a presenter's open tab would lower the parallelism it reports. So the dashboard
hands these runs to a runner: a child process, forked before the run's clock starts, that runs the
same executor and sends its records back over a pipe, in batches, a few dozen times a second.

Forking copies the lab's calibration and registered workloads, so nothing is imported or measured
again. The runner closes the sockets it inherited, never touches the lab's other state (its store,
its event loop), and leaves with ``os._exit``. It dies with the lab: the kernel kills it when the
thread that forked it ends.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import pickle
import signal
import threading
import time
from collections import deque
from multiprocessing.connection import Connection
from typing import Any

from experiments.document import ExecutorInfo
from server.lab.executors import Executor
from server.lab.lifeline import close_inherited_sockets, signal_on_parent_death
from server.lab.probe import Record
from server.lab.recorder import LaneNamer

#: How often the runner sends what its tasks recorded: often enough for the live chart, rarely
#: enough that its sending thread seldom asks the tasks for the GIL.
FLUSH_S = 0.02
#: A cancelled runner whose tasks have not stopped after this long is killed: threads cannot be
#: stopped from outside, but a process can.
CANCEL_GRACE_S = 0.8

#: Small objects allocated (and freed) before the clock starts, per task of the run and at most;
#: see ``_warm_up``. Measured with 10,000 asyncio waits: without it, the run took 8% longer than
#: the bare loop; with it, 1%, for about 45 ms more before the start.
WARM_UP_PER_TASK, WARM_UP_MAX = 5, 50_000

#: Runners are forked; where fork is missing, runs execute in the lab's process as before.
AVAILABLE = "fork" in multiprocessing.get_all_start_methods()


class Isolated(Executor):
    """Runs ``inner``, an executor whose tasks would use the lab's process, in a runner."""

    in_lab_process = False
    lab_memory = False  # the runner's memory is the run's, as the lab's was without it

    def __init__(self, inner: Executor) -> None:
        super().__init__(inner.batch)
        self.inner = inner
        self._proc: multiprocessing.process.BaseProcess | None = None
        self._conn: Connection | None = None
        self._say_lock = threading.Lock()

    def lane_namer(self) -> LaneNamer:
        return self.inner.lane_namer()

    def describe(self) -> ExecutorInfo:
        return {**self.inner.describe(), "runner_pid": self._proc.pid if self._proc else None}

    def pids(self) -> list[int]:
        pid = self._proc.pid if self._proc is not None else None
        return [pid] if pid is not None else []

    def prepare(self) -> None:
        ctx = multiprocessing.get_context("fork")
        ours, theirs = ctx.Pipe()
        # Not a daemon process: a workload may start processes of its own (daemons may not).
        proc = ctx.Process(
            target=_runner_main,
            args=(self.inner, theirs, os.getpid()),
            name=f"lab-runner-{self.batch.run_id}",
        )
        proc.start()
        theirs.close()
        self._proc, self._conn = proc, ours
        try:
            ready = ours.recv()
        except EOFError:
            ready = None
        if ready != "ready":
            raise RuntimeError(f"the runner process did not start (exit code {proc.exitcode})")

    def run(self) -> None:
        conn, proc, b = self._conn, self._proc, self.batch
        assert conn is not None and proc is not None, "prepare() starts the runner"
        self._say(("go", b.t0_ns))
        send = b.send
        cancelled_at: float | None = None
        while True:
            if cancelled_at is None and b.cancel.is_set():
                cancelled_at = time.monotonic()
            if cancelled_at is not None and time.monotonic() - cancelled_at > CANCEL_GRACE_S:
                proc.kill()  # its tasks did not stop: end them with their process
                return
            try:
                if not conn.poll(0.1):
                    continue
                message = conn.recv()
            except (EOFError, OSError):
                if b.cancel.is_set():
                    return
                proc.join(timeout=1.0)
                raise RuntimeError(
                    f"the runner process ended early (exit code {proc.exitcode})"
                ) from None
            if isinstance(message, list):
                for record in message:
                    send(record)
            else:  # ("done", the exception that ended the run, or None)
                if message[1] is not None:
                    raise message[1]
                return

    def cancel(self) -> None:
        super().cancel()
        with contextlib.suppress(OSError, ValueError):  # the runner has ended
            self._say(("cancel",))

    def close(self) -> None:
        proc, conn = self._proc, self._conn
        if conn is not None:
            conn.close()
        if proc is not None and proc.pid is not None:
            proc.join(timeout=2.0)
            if proc.is_alive():
                proc.kill()
                proc.join(timeout=2.0)

    def _say(self, message: tuple[Any, ...]) -> None:
        if self._conn is not None:
            with self._say_lock:  # run() and cancel() may speak from different threads
                self._conn.send(message)


# --- the runner's side -----------------------------------------------------------------------


def _warm_up(objects: int) -> None:
    """Take the copy-on-write page faults before the clock starts rather than during the run.

    A forked process shares the lab's memory until it writes to it; its first write to each page
    copies that page. The allocator's free blocks lie in such pages, so a run's first allocations
    would each pay for a copy. Allocating and freeing a spread of small objects here fills those
    blocks (copying their pages) while nothing is being timed."""
    lists = [[None] * (i % 32) for i in range(objects)]
    buffers = [bytearray(i % 480 + 8) for i in range(objects)]
    del lists, buffers


def _runner_main(executor: Executor, conn: Connection, lab_pid: int) -> None:
    # Every object inherited from the lab goes to the collector's permanent generation (an O(1)
    # move): collections in the runner then never walk, and so never copy, the lab's whole heap.
    gc.freeze()
    signal_on_parent_death(signal.SIGKILL)
    if os.getppid() != lab_pid:  # the lab died before the request above
        os._exit(1)
    close_inherited_sockets(keep=conn.fileno())
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a Ctrl-C in the lab's terminal is for the lab
    pending: deque[Record] = deque()
    executor.batch.send = pending.append  # thread-safe, and as cheap as recording in the lab
    _warm_up(min(WARM_UP_MAX, WARM_UP_PER_TASK * executor.batch.tasks))
    conn.send("ready")
    try:
        go = conn.recv()
    except EOFError:  # cancelled before it began
        return
    executor.batch.t0_ns = go[1]
    running = threading.Event()
    running.set()
    flushing = threading.Lock()

    def flush() -> None:
        with flushing:
            records = [pending.popleft() for _ in range(len(pending))]
            if records:
                conn.send(records)

    def sender() -> None:
        while running.is_set():
            time.sleep(FLUSH_S)
            flush()

    def listener() -> None:
        with contextlib.suppress(EOFError, OSError):
            while conn.recv()[0] != "cancel":
                pass
            executor.cancel()

    threading.Thread(target=sender, name="lab-runner-sender", daemon=True).start()
    threading.Thread(target=listener, name="lab-runner-listener", daemon=True).start()
    error: BaseException | None = None
    try:
        executor.run()
    except BaseException as exc:  # the lab reports it as the run's failure
        error = exc
    running.clear()
    flush()
    try:
        conn.send(("done", error))
    except (pickle.PicklingError, TypeError, AttributeError):  # an exception that cannot travel
        conn.send(("done", RuntimeError(f"{type(error).__name__}: {error}")))
