"""Why tasks waited, on real runs: each reason shows where it should, and every task's time adds up.

Sizes are small and shares generous: this machine has two cores that other programs use too, so a
thread waiting for the GIL now and then also waits for a core.
"""

from __future__ import annotations

import itertools
import os
from typing import Any

import pytest

from server.types import WaitReason
from tests.support import Execute, RunDoc, measured_until

CPUS = os.cpu_count() or 1
REASONS = {r.value for r in WaitReason}


def share(doc: RunDoc, reason: str) -> float:
    """The part of the run's waiting that had this reason."""
    wait_s: dict[str, float] = doc["metrics"]["wait_s"]
    total = sum(wait_s.values())
    return wait_s[reason] / total if total else 0.0


def check_waits(doc: RunDoc) -> None:
    """Every task's waits lie inside it, overlap nothing, and with its running time fill it."""
    assert set(doc["metrics"]["wait_s"]) == REASONS
    for t in doc["tasks"]:
        start, end = t["start_s"], t["end_s"]
        assert t["submitted_s"] is not None and t["submitted_s"] <= start + 1e-6, t
        spans = sorted([(s, e) for s, e in t["running"]] + [(s, e) for s, e, _ in t["waits"]])
        for s, e in spans:
            assert start <= s <= e <= end, t
        for (_, e0), (s1, _) in itertools.pairwise(spans):
            assert e0 <= s1 + 1e-6, t  # touching at most (both are rounded to the microsecond)
        assert {r for _, _, r in t["waits"]} <= REASONS
        covered = sum(e - s for s, e in spans)
        assert covered == pytest.approx(end - start, rel=0.05, abs=1e-3), t


def test_cpu_in_two_threads_waits_for_the_gil(execute: Execute) -> None:
    # About 0.9 on two idle cores. Where other programs keep the cores busy, a thread handed the
    # GIL waits for a core too, and a thread preempted while holding it shows that as core.
    doc = measured_until(
        lambda: execute("cpu", "threads", tasks=4, workers=2, ms=150),
        lambda d: share(d, "gil") > 0.5,
        tries=3,
    )
    check_waits(doc)
    assert share(doc, "gil") > 0.5


@pytest.mark.skipif(CPUS > 8, reason="needs more processes than cores, and not too many")
def test_more_cpu_processes_than_cores_wait_for_a_core(execute: Execute) -> None:
    n = 2 * CPUS  # 4 processes on 2 cores
    doc = measured_until(
        lambda: execute("cpu", "processes", tasks=n, workers=n, ms=150),
        lambda d: share(d, "core") > 0.6,
    )
    check_waits(doc)
    assert share(doc, "core") > 0.6  # about 0.95: a process alone in its worker has no GIL rival
    assert doc["metrics"]["wait_s"]["gil"] == 0.0


def test_io_in_threads_waits_for_io(execute: Execute) -> None:
    doc = execute("io", "threads", tasks=4, workers=4, ms=150)
    check_waits(doc)
    assert share(doc, "io") > 0.9
    assert doc["metrics"]["wait_s"]["io"] == pytest.approx(4 * 0.15, rel=0.1)


def test_io_under_asyncio_waits_at_an_await(execute: Execute) -> None:
    doc = execute("io", "asyncio", tasks=20, ms=150)
    check_waits(doc)
    assert share(doc, "await") > 0.9


def blocker_window(doc: RunDoc) -> tuple[float, float]:
    blocker = next(t for t in doc["tasks"] if t["id"] == 1)
    begin, end = blocker["result"]["window"]
    return blocker["start_s"] + begin, blocker["start_s"] + end


def overlap(waits: list[Any], lo: float, hi: float, reason: str) -> float:
    return sum(max(0.0, min(e, hi) - max(s, lo)) for s, e, r in waits if r == reason)


def test_a_coroutine_that_blocks_makes_the_others_wait_for_the_loop(execute: Execute) -> None:
    doc = execute("loop-blocker", "asyncio", tasks=2, mode=0, block_ms=300)
    check_waits(doc)
    lo, hi = blocker_window(doc)
    heartbeat = next(t for t in doc["tasks"] if t["id"] == 0)
    loop = overlap(heartbeat["waits"], lo, hi, "loop")
    waited = sum(overlap(heartbeat["waits"], lo, hi, r) for r in REASONS)
    assert waited > 0.25  # the heartbeat was not running while the loop was blocked...
    assert loop / waited > 0.9  # ...and its sleep was over: it waited for the loop
    # Where nothing blocks the loop, a heartbeat's sleeps are awaits (about 0.99 on an idle
    # machine; where other programs keep the cores busy, the loop's thread wakes late, and that
    # counts as loop: the lab does not read the loop thread's run queue).
    calm = execute("loop-blocker", "asyncio", tasks=2, mode=1, block_ms=300)
    check_waits(calm)
    assert share(calm, "await") > 0.75


@pytest.mark.parametrize(
    ("executor", "workers"), [("sequential", 1), ("threads", 2), ("processes", 2)]
)
def test_tasks_beyond_the_workers_are_queued_as_the_schedule_says(
    executor: str, workers: int, execute: Execute
) -> None:
    doc = execute("io", executor, tasks=8, workers=workers, ms=100)
    check_waits(doc)
    tasks = sorted(doc["tasks"], key=lambda t: t["start_s"])
    ends: list[float] = []
    for k, t in enumerate(tasks):
        # All handed over at once; the k-th to start could start once k - workers + 1 had ended.
        assert t["submitted_s"] < 0.15, t  # (a process pool forks its workers at the first)
        if k >= workers:
            assert t["start_s"] == pytest.approx(sorted(ends)[k - workers], abs=0.03), t
        ends.append(t["end_s"])
    queued = doc["metrics"]["queued_s"]
    assert queued == pytest.approx(sum(t["start_s"] - t["submitted_s"] for t in tasks), abs=1e-4)
    # At least i // workers rounds of 100 ms for task i: 1.2 s in all with 2 workers, 2.8 s with
    # one (more on a busy machine, where a sleeper wakes late).
    assert queued >= 0.95 * 0.1 * sum(i // workers for i in range(8))


@pytest.mark.parametrize("executor", ["sequential", "threads", "processes", "asyncio"])
def test_running_and_waiting_fill_every_task(executor: str, execute: Execute) -> None:
    workers = None if executor == "sequential" else 2
    check_waits(execute("mixed", executor, tasks=4, workers=workers, ms=80))


def test_the_host_speed_is_measured_before_and_after(execute: Execute) -> None:
    doc = execute("cpu", "threads", tasks=2, workers=2, ms=20)
    speed = doc["host"]["speed"]
    assert speed["start"] > 0 and speed["end"] > 0
    # The same machine a moment apart: within a factor of two however busy it is.
    assert 0.5 < speed["end"] / speed["start"] < 2
