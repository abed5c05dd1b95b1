"""How long the calling thread has waited in the OS run queue: runnable, but no CPU free.

Linux keeps it per thread in ``/proc/thread-self/schedstat`` (proc(5): time on a CPU, time waiting
on a run queue, timeslices run; nanoseconds). A file descriptor opened on that path keeps referring
to the thread that opened it, so each thread keeps its own, open for as long as the thread lives;
re-reading it with ``os.pread`` costs under a microsecond here. A forked child inherits its parent's
descriptors, which describe the parent's thread, so a descriptor is kept with the thread id it
belongs to.

``os.pread`` releases the GIL for the read. Measured with two CPU-bound threads reading at every
chunk that waited: the GIL hand-offs were as many as without the reads, since the reader takes the
GIL back a microsecond later, long before a waiting thread wakes up.
"""

from __future__ import annotations

import contextlib
import os
import threading

PATH = "/proc/thread-self/schedstat"


class _Fd:
    """A thread's descriptor, closed when the thread (and so its thread-local storage) ends."""

    __slots__ = ("fd", "tid")

    def __init__(self, fd: int, tid: int) -> None:
        self.fd = fd
        self.tid = tid

    def __del__(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self.fd)


_local = threading.local()
#: False once opening the file has failed (not Linux, or no procfs): then it is never tried again.
available = os.path.exists(PATH)


def runq_ns() -> int | None:
    """Nanoseconds the calling thread has spent waiting in a run queue since it started, or
    ``None`` where the system does not say."""
    global available
    if not available:
        return None
    held: _Fd | None = getattr(_local, "fd", None)
    tid = threading.get_native_id()
    try:
        if held is None or held.tid != tid:
            held = _local.fd = _Fd(os.open(PATH, os.O_RDONLY | os.O_CLOEXEC), tid)
        return int(os.pread(held.fd, 64, 0).split()[1])
    except (OSError, IndexError, ValueError):
        available = False
        return None
