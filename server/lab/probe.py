"""The task side of recording: measures one task from inside the thread (or process) that runs it.

At each checkpoint the probe compares the thread's CPU clock with the shared wall clock
(``perf_counter_ns``, CLOCK_MONOTONIC on Linux, the same in every process). A chunk whose CPU time
covers its wall time ran throughout; otherwise the task waited for part of it (for the GIL, or for a
core) and the running part is placed at the chunk's end, where the wait had ended. Intervals are kept
as a flat list of integer nanoseconds ``[s0, e0, s1, e1, ...]``: cheap to extend and to pickle.

The gap before the running part is named (``server.lab.waits``) and kept in a second flat list,
``[s0, e0, reason0, ...]``. Only a chunk with a gap reads the thread's run-queue time
(``server.lab.schedstat``, a microsecond), so a task that runs throughout pays nothing more.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from time import perf_counter_ns, thread_time_ns

from experiments.probe import io_wait
from server.lab import waits
from server.lab.schedstat import runq_ns

#: A chunk counts as fully running when its CPU time is at least this share of its wall time.
FULL_SHARE = 0.9
#: Gaps shorter than this between running intervals are measurement noise: merge them.
MERGE_NS = waits.RESOLUTION_NS
#: How often a long task reports the intervals recorded so far.
FLUSH_NS = 50_000_000
#: With ``defer_start``, a task's start is reported at its first checkpoint this long after it
#: began: a task shorter than that reports everything in its end record, one message instead of two.
START_DEFER_NS = 10_000_000


class TaskCancelled(BaseException):
    """Raised at a checkpoint of a task whose run was cancelled (a BaseException so that a
    workload's own ``except Exception`` cannot swallow it)."""


#: Blocked time in a thread can be the GIL's only where there is one (not a free-threaded build).
GIL_ENABLED = bool(getattr(sys, "_is_gil_enabled", lambda: True)())

# A start record: ("start", task_id, pid, tid, start_ns, submitted_ns)
# A progress record: ("progress", task_id, flat_intervals_since_last_flush, flat_waits_since)
# An end record: ("end", task_id, pid, tid, start_ns, end_ns, cpu_ns, all_flat_intervals, status,
#                 error, result, all_flat_waits, submitted_ns[, dues])
# ``submitted_ns`` is when the task was handed to its executor (None if not known). An asyncio
# task's end record has no waits (None) but ``dues``, from which the recorder names them (see
# ``server.lab.stepping``). Readers accept records without the fields that came later.
Record = tuple[object, ...]


class TaskProbe:
    __slots__ = (
        "_cancel",
        "_flushed",
        "_flushed_waits",
        "_last_cpu",
        "_last_wall",
        "_next_flush",
        "_runq",
        "_send",
        "_start_sent",
        "cpu0",
        "intervals",
        "pid",
        "start_ns",
        "submitted_ns",
        "task_id",
        "tid",
        "waits",
    )

    def __init__(
        self,
        task_id: int,
        send: Callable[[Record], None],
        cancel: threading.Event | None = None,
        submitted_ns: int | None = None,
    ) -> None:
        self.task_id = task_id
        self._send = send
        self._cancel = cancel
        self.submitted_ns = submitted_ns
        self.intervals: list[int] = []
        self.waits: list[int] = []
        self._flushed = 0
        self._flushed_waits = 0
        self.pid = os.getpid()
        self.tid = threading.get_native_id()

    def begin(self, defer_start: bool = False) -> None:
        """Start the clocks. ``defer_start`` is for channels where each message is costly (a
        process pool's queue): the start is then sent at the first flush, if the task is still
        running by then."""
        self._runq = runq_ns()  # the baseline for the first gap
        self.cpu0 = self._last_cpu = thread_time_ns()
        self.start_ns = self._last_wall = now = perf_counter_ns()
        self._start_sent = not defer_start
        if defer_start:
            self._next_flush = now + START_DEFER_NS
        else:
            self._next_flush = now + FLUSH_NS
            self._send(self._start_record())

    def _start_record(self) -> Record:
        return ("start", self.task_id, self.pid, self.tid, self.start_ns, self.submitted_ns)

    def tick(self) -> None:
        """The checkpoint hook: attribute the chunk since the last checkpoint."""
        now = perf_counter_ns()
        cpu = thread_time_ns()
        last = self._last_wall
        ran = cpu - self._last_cpu
        wall = now - last
        begin = last if ran >= wall * FULL_SHARE else now - ran
        self._last_cpu, self._last_wall = cpu, now
        if begin - last > MERGE_NS:
            self._gap(last, begin)
        if ran > 0:
            iv = self.intervals
            if len(iv) > self._flushed and begin - iv[-1] <= MERGE_NS:
                iv[-1] = now
            else:
                iv.append(begin)
                iv.append(now)
        if now >= self._next_flush:
            self._next_flush = now + FLUSH_NS
            if not self._start_sent:
                self._start_sent = True
                self._send(self._start_record())
            iv, wv = self.intervals, self.waits
            if len(iv) > self._flushed or len(wv) > self._flushed_waits:
                self._send(
                    ("progress", self.task_id, iv[self._flushed :], wv[self._flushed_waits :])
                )
                self._flushed, self._flushed_waits = len(iv), len(wv)
        if self._cancel is not None and self._cancel.is_set():
            raise TaskCancelled

    def _gap(self, start: int, end: int) -> None:
        """Name the gap ``[start, end]`` of the chunk that just ended and record it."""
        runq, core = runq_ns(), None
        if runq is not None and self._runq is not None:
            core = runq - self._runq  # since the last reading: this gap, and a little before
        self._runq = runq
        threads = GIL_ENABLED and threading.active_count() > 1
        parts = waits.blocked(start, end, core, io_wait(), threads)
        wv, iv = self.waits, self.intervals
        last_run_end = iv[-1] if iv else 0
        for k in range(0, len(parts), 3):
            s, e, code = parts[k], parts[k + 1], parts[k + 2]
            # The same reason again, with no running since: one wait (unless already sent).
            if (
                len(wv) > self._flushed_waits
                and wv[-1] == code
                and last_run_end <= wv[-2]
                and s - wv[-2] <= MERGE_NS
            ):
                wv[-2] = e
            else:
                wv += (s, e, code)

    def end(self, status: str, error: str | None, result: object = None) -> Record:
        """Close the last chunk and return the end record (it carries everything, so it can
        arrive before the start record over another channel and still be complete)."""
        try:
            self._cancel = None
            self.tick()
        except TaskCancelled:  # pragma: no cover - the flag was cleared above
            pass
        return (
            "end",
            self.task_id,
            self.pid,
            self.tid,
            self.start_ns,
            self._last_wall,
            thread_time_ns() - self.cpu0,
            self.intervals,
            status,
            error,
            plain(result),
            self.waits,
            self.submitted_ns,
        )


def plain(value: object) -> object:
    """A task's return value as the run document can hold it: JSON data, or a short repr."""
    if value is None or isinstance(value, bool | int | float | str):
        return value if not isinstance(value, str) else value[:500]
    if isinstance(value, list | tuple) and len(value) <= 1000:
        return [plain(v) for v in value]
    if isinstance(value, dict) and len(value) <= 100:
        return {str(k): plain(v) for k, v in value.items()}
    return repr(value)[:200]


def describe_error(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
