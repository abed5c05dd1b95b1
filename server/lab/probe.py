"""The task side of recording: measures one task from inside the thread (or process) that runs it.

At each checkpoint the probe compares the thread's CPU clock with the shared wall clock
(``perf_counter_ns``, CLOCK_MONOTONIC on Linux, the same in every process). A chunk whose CPU time
covers its wall time ran throughout; otherwise the task waited for part of it (for the GIL, or for a
core) and the running part is placed at the chunk's end, where the wait had ended. Intervals are kept
as a flat list of integer nanoseconds ``[s0, e0, s1, e1, ...]``: cheap to extend and to pickle.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from time import perf_counter_ns, thread_time_ns

#: A chunk counts as fully running when its CPU time is at least this share of its wall time.
FULL_SHARE = 0.9
#: Gaps shorter than this between running intervals are measurement noise: merge them.
MERGE_NS = 50_000
#: How often a long task reports the intervals recorded so far.
FLUSH_NS = 50_000_000
#: With ``defer_start``, a task's start is reported at its first checkpoint this long after it
#: began: a task shorter than that reports everything in its end record, one message instead of two.
START_DEFER_NS = 10_000_000


class TaskCancelled(BaseException):
    """Raised at a checkpoint of a task whose run was cancelled (a BaseException so that a
    workload's own ``except Exception`` cannot swallow it)."""


# A start record: ("start", task_id, pid, tid, start_ns)
# A progress record: ("progress", task_id, flat_intervals_since_last_flush)
# An end record: ("end", task_id, pid, tid, start_ns, end_ns, cpu_ns, all_flat_intervals, status,
#                 error, result)
Record = tuple[object, ...]


class TaskProbe:
    __slots__ = (
        "_cancel",
        "_flushed",
        "_last_cpu",
        "_last_wall",
        "_next_flush",
        "_send",
        "_start_sent",
        "cpu0",
        "intervals",
        "pid",
        "start_ns",
        "task_id",
        "tid",
    )

    def __init__(
        self,
        task_id: int,
        send: Callable[[Record], None],
        cancel: threading.Event | None = None,
    ) -> None:
        self.task_id = task_id
        self._send = send
        self._cancel = cancel
        self.intervals: list[int] = []
        self._flushed = 0
        self.pid = os.getpid()
        self.tid = threading.get_native_id()

    def begin(self, defer_start: bool = False) -> None:
        """Start the clocks. ``defer_start`` is for channels where each message is costly (a
        process pool's queue): the start is then sent at the first flush, if the task is still
        running by then."""
        self.cpu0 = self._last_cpu = thread_time_ns()
        self.start_ns = self._last_wall = now = perf_counter_ns()
        self._start_sent = not defer_start
        if defer_start:
            self._next_flush = now + START_DEFER_NS
        else:
            self._next_flush = now + FLUSH_NS
            self._send(("start", self.task_id, self.pid, self.tid, now))

    def tick(self) -> None:
        """The checkpoint hook: attribute the chunk since the last checkpoint."""
        now = perf_counter_ns()
        cpu = thread_time_ns()
        ran = cpu - self._last_cpu
        wall = now - self._last_wall
        begin = self._last_wall if ran >= wall * FULL_SHARE else now - ran
        self._last_cpu, self._last_wall = cpu, now
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
                self._send(("start", self.task_id, self.pid, self.tid, self.start_ns))
            if len(self.intervals) > self._flushed:
                self._send(("progress", self.task_id, self.intervals[self._flushed :]))
                self._flushed = len(self.intervals)
        if self._cancel is not None and self._cancel.is_set():
            raise TaskCancelled

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
