"""Workloads that report memory (lesson-only): a worker holding a large object, and a wait that
reads the process's resident set size while many threads or coroutines are alive."""

from __future__ import annotations

import importlib
import os
from typing import Any

from experiments import probe
from experiments.registry import Param, workload

MIB = 1024 * 1024
PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def rss_bytes() -> int:
    """This process's resident set size now (cheap on Linux: one read of /proc/self/statm)."""
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[1]) * PAGE
    except (OSError, IndexError, ValueError):  # not Linux
        psutil = importlib.import_module("psutil")
        return int(psutil.Process().memory_info().rss)


def touch(buf: bytearray) -> None:
    """Write one byte in every page, so that the whole buffer becomes resident (a fresh bytearray
    is zero pages the kernel has not handed out yet)."""
    step = MIB
    for offset in range(0, len(buf), step):
        end = min(offset + step, len(buf))
        buf[offset:end:PAGE] = b"\x01" * len(range(offset, end, PAGE))
        probe.checkpoint()


@workload(
    "hold-memory",
    title="Hold a large object",
    summary="Allocates a buffer, writes to every page of it, holds it a while, then frees it.",
    params=[
        Param("mib", int, 64, 1, 1024, "size of the object one task holds", "MiB"),
        Param("hold_ms", int, 500, 0, 10_000, "how long the object is held", "ms"),
        Param("settle_ms", int, 300, 0, 10_000, "wait before allocating (a baseline)", "ms"),
    ],
    hidden=True,
)
def hold_memory(mib: int = 64, hold_ms: int = 500, settle_ms: int = 300) -> dict[str, Any]:
    probe.sleep(settle_ms / 1000)  # the sampler sees this worker before the object exists
    before = rss_bytes()
    buf = bytearray(mib * MIB)
    touch(buf)
    held = rss_bytes()
    probe.sleep(hold_ms / 1000)
    del buf
    return {"pid": os.getpid(), "rss_before": before, "rss_held": held, "object_bytes": mib * MIB}


_WAIT = Param("ms", int, 20, 0, 60_000, "how long one task waits", "ms")
_EVERY = Param("rss_every", int, 1, 1, 100_000, "every Nth task reads the RSS after its wait")


@workload(
    "wait-rss",
    title="Wait, then read the RSS",
    summary="Like io (a blocking or awaited sleep); every Nth task then reads the process's RSS.",
    params=[_WAIT, _EVERY],
    hidden=True,
)
def wait_rss(task: int, ms: int = 20, rss_every: int = 1) -> int | None:
    probe.sleep(ms / 1000)
    # Read at the end of the wait: the pool's threads (or the loop's coroutines) are all alive.
    return rss_bytes() if task % rss_every == 0 else None


@wait_rss.awaitable
async def wait_rss_async(task: int, ms: int = 20, rss_every: int = 1) -> int | None:
    await probe.asleep(ms / 1000)
    return rss_bytes() if task % rss_every == 0 else None
