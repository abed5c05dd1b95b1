"""I/O-bound work: waiting, which needs neither a core nor the GIL."""

from __future__ import annotations

from experiments import probe
from experiments.registry import Param, workload


@workload(
    "io",
    title="I/O-bound",
    summary="Waits like a network call: blocking time.sleep, or await asyncio.sleep under asyncio.",
    params=[Param("ms", int, 100, 0, 60_000, "how long one task waits", "ms")],
)
def io(ms: int = 100) -> None:
    probe.sleep(ms / 1000)


@io.awaitable
async def io_async(ms: int = 100) -> None:
    await probe.asleep(ms / 1000)
