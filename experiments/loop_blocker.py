"""For the lesson "Blocking the event loop": a heartbeat beside a task that waits, well or badly.

Task 0 is a heartbeat: it ticks every 10 ms for about 0.6 s and returns when each tick happened.
Task 1 waits 0.1 s, then spends ``block_ms`` in one of three ways (``mode``) and returns when:

- mode 0: ``time.sleep`` called straight from the coroutine: the whole event loop stops;
- mode 1: ``await asyncio.sleep``: the loop runs other tasks meanwhile;
- mode 2: ``await asyncio.to_thread(time.sleep, ...)``: the blocking call moves to a thread.

Times in the results are seconds from the task's own start (its ``start_s`` in the run document),
so a verdict can put both tasks on the run's time axis. Other tasks (2, 3, ...) are heartbeats too.
"""

from __future__ import annotations

import asyncio
import time

from experiments import probe
from experiments.registry import Param, workload

TICK_S = 0.01
HEARTBEAT_S = 0.6
BLOCK_AFTER_S = 0.1
BLOCKER = 1
#: What each mode does, as the lesson and the results name it.
MODES = ("time.sleep", "asyncio.sleep", "asyncio.to_thread")


def _since(t0: float) -> float:
    return round(time.perf_counter() - t0, 6)


@workload(
    "loop-blocker",
    title="Heartbeat beside a blocking call",
    summary="Task 0 ticks every 10 ms; task 1 sleeps blocking, awaiting, or in a thread.",
    params=[
        Param(
            "mode",
            int,
            0,
            0,
            2,
            "0: time.sleep (blocks the loop), 1: await asyncio.sleep, 2: await asyncio.to_thread",
        ),
        Param("block_ms", int, 300, 1, 10_000, "how long the blocker sleeps", "ms"),
    ],
    hidden=True,
)
def loop_blocker(task: int, mode: int = 0, block_ms: int = 300) -> dict[str, object]:
    """Outside asyncio every mode is a plain blocking sleep (there is no loop to block)."""
    t0 = time.perf_counter()
    if task != BLOCKER:
        ticks = []
        while time.perf_counter() - t0 < HEARTBEAT_S:
            probe.sleep(TICK_S)
            ticks.append(_since(t0))
        return {"ticks": ticks}
    probe.sleep(BLOCK_AFTER_S)
    begin = _since(t0)
    probe.sleep(block_ms / 1000)
    return {"mode": MODES[mode], "window": [begin, _since(t0)]}


@loop_blocker.awaitable
async def loop_blocker_async(task: int, mode: int = 0, block_ms: int = 300) -> dict[str, object]:
    t0 = time.perf_counter()
    if task != BLOCKER:
        ticks = []
        while time.perf_counter() - t0 < HEARTBEAT_S:
            await probe.asleep(TICK_S)
            ticks.append(_since(t0))
        return {"ticks": ticks}
    await probe.asleep(BLOCK_AFTER_S)
    begin = _since(t0)
    if mode == 0:
        probe.sleep(block_ms / 1000)  # time.sleep in slices, so a cancel is noticed: still blocking
    elif mode == 1:
        await probe.asleep(block_ms / 1000)
    else:
        await asyncio.to_thread(time.sleep, block_ms / 1000)
    return {"mode": MODES[mode], "window": [begin, _since(t0)]}
