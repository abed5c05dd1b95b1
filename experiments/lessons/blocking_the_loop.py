"""Lesson 8: a blocking call inside a coroutine stops every task on the event loop."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import pairwise

from experiments.document import Task
from experiments.lessons.base import Doc, Lesson, Reference, Step, Verdict, waited
from experiments.loop_blocker import BLOCKER

BLOCK_MS = 300
BLOCKING, AWAIT, THREAD = (
    "time.sleep(0.3)",
    "await asyncio.sleep(0.3)",
    "await asyncio.to_thread(time.sleep, 0.3)",
)
#: Step label -> (mode parameter of the loop-blocker workload, fact suffix).
MODE = {BLOCKING: (0, "time_sleep"), AWAIT: (1, "asyncio_sleep"), THREAD: (2, "to_thread")}


def _task(doc: Doc, task_id: int) -> Task:
    return next(t for t in doc["tasks"] if t["id"] == task_id)


def heartbeat(doc: Doc) -> tuple[list[float], tuple[float, float]]:
    """The heartbeat's tick times and the blocker's window, both in seconds of the run."""
    beat, blocker = _task(doc, 0), _task(doc, BLOCKER)
    ticks = [beat["start_s"] + t for t in beat["result"]["ticks"]]
    begin, end = blocker["result"]["window"]
    return ticks, (blocker["start_s"] + begin, blocker["start_s"] + end)


def ticks_within(ticks: Sequence[float], window: tuple[float, float]) -> int:
    return sum(1 for t in ticks if window[0] < t < window[1])


def longest_gap_ms(ticks: Sequence[float], start: float) -> float:
    """The heartbeat's longest silence, from its start to its last tick."""
    times = [start, *ticks]
    return max((b - a for a, b in pairwise(times)), default=0.0) * 1000


def _times(n: float) -> str:
    return "once" if n == 1 else f"{n:.0f} times"


def judge(runs: Mapping[str, Doc]) -> Verdict:
    facts: dict[str, float] = {}
    for label, (_, name) in MODE.items():
        ticks, window = heartbeat(runs[label])
        facts[f"ticks_{name}"] = ticks_within(ticks, window)
        facts[f"gap_ms_{name}"] = round(longest_gap_ms(ticks, _task(runs[label], 0)["start_s"]), 1)
    blocked_doc = runs[BLOCKING]
    if any("waits" in t for t in blocked_doc["tasks"]):
        facts["heartbeat_loop_wait_s"] = round(waited(_task(blocked_doc, 0), "loop"), 3)
    blocked, awaited, threaded = (facts[f"ticks_{name}"] for _, name in MODE.values())
    gap = facts["gap_ms_time_sleep"]
    text = (
        f"While the blocker waited {BLOCK_MS / 1000:g} s, the 10 ms heartbeat ticked "
        f"{_times(blocked)} beside time.sleep (its longest silence: {gap:.0f} ms), "
        f"{_times(awaited)} beside await asyncio.sleep and {_times(threaded)} beside "
        "asyncio.to_thread. "
    )
    if "heartbeat_loop_wait_s" in facts:
        text += (
            f"Beside time.sleep, the heartbeat spent {facts['heartbeat_loop_wait_s']:.2f} s ready "
            "to run, its sleep over, while the loop was busy elsewhere (its `loop` waits). "
        )
    if blocked <= 3 and min(awaited, threaded) >= 20:
        text += (
            "A blocking call inside a coroutine stops the whole event loop; awaiting, or moving "
            "the blocking call to a thread, keeps the loop turning."
        )
    else:
        if blocked > 3:
            text += (
                "The blocking call did not stall the heartbeat as expected: did the blocker "
                "run on the loop at all? "
            )
        if min(awaited, threaded) < 20:
            text += (
                "The heartbeat should have ticked about 30 times while the blocker awaited, but "
                "ticked fewer than 20: something else held the loop up (a busy machine?)."
            )
    return Verdict(text.rstrip(), facts)


LESSON = Lesson(
    id="blocking-the-loop",
    title="Blocking the event loop",
    summary="One time.sleep inside a coroutine freezes every task on the loop; awaiting does not.",
    explanation=(
        "An event loop runs one coroutine step at a time, in one thread. A step lasts until the "
        "coroutine awaits something that is not ready yet; only then can the loop run another "
        "task. A call that blocks inside a step (time.sleep, a synchronous HTTP or database "
        "client, a long computation) holds up every task on that loop until it returns.",
        "Task 0 is a heartbeat that wakes every 10 ms. After 0.1 s, task 1 waits 0.3 s in one of "
        "three ways: time.sleep, which blocks; await asyncio.sleep, which hands the loop back; and "
        "await asyncio.to_thread(time.sleep, 0.3), which moves the blocking call to a worker thread "
        "and awaits its result. With time.sleep the heartbeat's steps stop for the whole 0.3 s; "
        "in the other two runs they carry on through the wait.",
        "In a real application, asyncio's debug mode (asyncio.run(main(), debug=True), or "
        "PYTHONASYNCIODEBUG=1) logs every step that takes longer than 100 ms: the quickest way to "
        "find the call that blocks.",
    ),
    steps=tuple(
        Step(label, "loop-blocker", "asyncio", tasks=2, params={"mode": m, "block_ms": BLOCK_MS})
        for label, (m, _) in MODE.items()
    ),
    judge=judge,
    facts={
        "heartbeat_loop_wait_s": "seconds the heartbeat waited ready to run while time.sleep held the loop",
        "ticks_time_sleep": "heartbeat ticks during the 0.3 s time.sleep (3 or fewer expected)",
        "ticks_asyncio_sleep": "heartbeat ticks during await asyncio.sleep(0.3) (about 30)",
        "ticks_to_thread": "heartbeat ticks during await asyncio.to_thread(time.sleep, 0.3) "
        "(about 30)",
        "gap_ms_time_sleep": "the heartbeat's longest silence beside time.sleep, ms (about 300)",
        "gap_ms_asyncio_sleep": "the heartbeat's longest silence beside asyncio.sleep, ms (about 10)",
        "gap_ms_to_thread": "the heartbeat's longest silence beside asyncio.to_thread, ms (about 10)",
    },
    references=(
        Reference(
            "Python docs, asyncio, “Developing with asyncio”",
            "in debug mode, callbacks taking longer than 100 ms are logged "
            "(loop.slow_callback_duration); blocking code should run in a thread or process pool",
            "https://docs.python.org/3/library/asyncio-dev.html",
        ),
    ),
)
