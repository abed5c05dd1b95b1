"""How a workload reports progress without knowing who is listening.

Workloads compute in chunks of about a millisecond and call :func:`checkpoint` between them. While a
run is being recorded, the recorder installs a hook for the current thread; comparing the thread's CPU
clock with the wall clock at each checkpoint shows when the task really ran and when it waited (for
the GIL, or for a core). Outside a recorded run a checkpoint costs one attribute lookup.

The hook may raise to stop a cancelled task, which is why long blocking waits go through :func:`sleep`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

_local = threading.local()

#: Longest single blocking sleep, so that a cancelled run notices within this many seconds.
SLEEP_SLICE_S = 0.05


def checkpoint() -> None:
    hook = getattr(_local, "hook", None)
    if hook is not None:
        hook()


def install(hook: Callable[[], None] | None) -> None:
    """Set (or with ``None`` clear) the checkpoint hook of the calling thread."""
    _local.hook = hook


def sleep(seconds: float) -> None:
    """A blocking ``time.sleep`` that still passes a checkpoint every :data:`SLEEP_SLICE_S`."""
    deadline = time.monotonic() + seconds
    checkpoint()
    while (left := deadline - time.monotonic()) > 0:
        time.sleep(min(left, SLEEP_SLICE_S))
        checkpoint()
