"""For the lesson "Race condition": threads adding to one shared counter, without or with a lock.

Each increment reads the counter, lets other threads run (``time.sleep(0)`` releases the GIL), then
writes back what it read plus one. Without a lock another thread may write in between, and one of the
two updates is lost. With ``locked=1`` the read and the write happen under a lock, as one step.

The counter belongs to one run (keyed by its id), so runs never share it. After its last increment a
task registers as finished, under a lock, and reads the counter: the task that finished last read the
final value, since every other task's writes came before its own registration.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field

from experiments import probe
from experiments.registry import Param, workload

#: Counters of this many recent runs are kept; older ones are dropped.
KEEP_RUNS = 16


@dataclass
class Counter:
    value: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    finished: int = 0
    finish_lock: threading.Lock = field(default_factory=threading.Lock)


_counters: OrderedDict[str, Counter] = OrderedDict()
_counters_lock = threading.Lock()


def counter_for(run_id: str) -> Counter:
    """The run's counter, made by whichever of its tasks comes first."""
    with _counters_lock:
        c = _counters.get(run_id)
        if c is None:
            c = _counters[run_id] = Counter()
            while len(_counters) > KEEP_RUNS:
                _counters.popitem(last=False)
        return c


def _add_one(c: Counter) -> None:
    seen = c.value
    time.sleep(0)  # a blocking call, however short, releases the GIL: another thread may run here
    c.value = seen + 1


@workload(
    "race-counter",
    title="Shared counter",
    summary="Threads add one to a shared counter: read, pause, write; optionally under a lock.",
    params=[
        Param("increments", int, 1000, 1, 1_000_000, "how many times one task adds one"),
        Param("locked", int, 0, 0, 1, "1: each read-pause-write happens under a threading.Lock"),
    ],
    hidden=True,
)
def race_counter(run_id: str, increments: int = 1000, locked: int = 0) -> dict[str, int]:
    c = counter_for(run_id)
    for _ in range(increments):
        if locked:
            with c.lock:
                _add_one(c)
        else:
            _add_one(c)
        probe.checkpoint()
    with c.finish_lock:
        c.finished += 1
        return {"added": increments, "finished": c.finished, "counter": c.value}
