"""How a workload reports progress without knowing who is listening.

Workloads compute in chunks of about a millisecond and call :func:`checkpoint` between them. While a
run is being recorded, the recorder installs a hook for the current thread; comparing the thread's CPU
clock with the wall clock at each checkpoint shows when the task really ran and when it waited (for
the GIL, or for a core). Outside a recorded run a checkpoint costs one attribute lookup.

A workload also says where it waits on purpose, so that the lab can name the wait: blocking sleeps
go through :func:`sleep`, other blocking I/O (a socket read) inside ``with io():``, and awaited
sleeps through :func:`asleep`. Where it knows when the awaited thing was ready (the due time of a
sleep, the moment a peer sent its answer), the lab can tell the I/O from the wait for the GIL, a
core or the event loop that came after it. The hook may raise to stop a cancelled task, which is
why long blocking waits go through :func:`sleep`.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Coroutine
from time import perf_counter_ns
from types import TracebackType
from typing import Any

_local = threading.local()

#: Longest single blocking sleep, so that a cancelled run notices within this many seconds.
SLEEP_SLICE_S = 0.05

#: ``stepping.due``: when the sleep that the current asyncio step ends in is due (``perf_counter_ns``),
#: written by :func:`asleep` and read (and reset to 0) by the lab's stepper (``server.lab.stepping``)
#: when the step ends. Per thread, since a step runs in its event loop's thread (a ContextVar set per
#: task cost 0.7 µs a task, 2% of 10,000 asyncio waits).
stepping = threading.local()
stepping.due = 0


def checkpoint() -> None:
    hook = getattr(_local, "hook", None)
    if hook is not None:
        hook()


def install(hook: Callable[[], None] | None) -> None:
    """Set (or with ``None`` clear) the checkpoint hook of the calling thread."""
    _local.hook = hook
    _local.io = False
    _local.ready = 0


def sleep(seconds: float) -> None:
    """A blocking ``time.sleep`` that still passes a checkpoint every :data:`SLEEP_SLICE_S`; the
    chunks it sleeps through count as I/O, each up to its slice's due time."""
    deadline = time.monotonic() + seconds
    checkpoint()
    local = _local
    local.io = True
    try:
        while (left := deadline - time.monotonic()) > 0:
            s = min(left, SLEEP_SLICE_S)
            local.ready = perf_counter_ns() + int(s * 1e9)
            time.sleep(s)
            checkpoint()
    finally:
        local.io, local.ready = False, 0


class _IO:
    __slots__ = ()

    def __enter__(self) -> None:
        checkpoint()  # what ran before the block is not I/O
        _local.io = True

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if kind is None:
                checkpoint()  # the chunk that ends here waited inside the block
        finally:
            _local.io, _local.ready = False, 0


_IO_BLOCK = _IO()


def io() -> _IO:
    """``with io():`` the calling thread blocks in I/O inside the block (a socket read): the time
    it is blocked there counts as ``io``. Not nested."""
    return _IO_BLOCK


def ready(ns: int) -> None:
    """Inside ``io()``: the I/O the thread waits for completed at ``ns`` (``perf_counter_ns``),
    e.g. when the peer sent its reply; time blocked after that (until the next checkpoint) was
    spent waiting for something else: the GIL, or a core."""
    _local.ready = ns


def io_wait() -> int | None:
    """For the lab's probe: ``None`` if the calling thread is not in a declared wait, else when
    that wait's I/O completed (``perf_counter_ns``; 0 if not known)."""
    local = _local
    return getattr(local, "ready", 0) if getattr(local, "io", False) else None


def asleep(seconds: float) -> Coroutine[Any, Any, None]:
    """``await asleep(seconds)`` is ``await asyncio.sleep(seconds)`` telling the lab when the sleep
    is due: after that, a task that is not yet running waits for its event loop, not for the sleep.
    A plain function that returns the sleep, not a coroutine around it: an extra coroutine per
    sleep cost 1.6 µs, 4% of 10,000 asyncio waits."""
    stepping.due = perf_counter_ns() + int(seconds * 1e9)
    return asyncio.sleep(seconds)
