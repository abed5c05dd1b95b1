"""The race-counter workload (lesson race-condition): a counter per run, updated without a lock
or with one."""

from __future__ import annotations

import threading
from typing import Any

import experiments
from experiments import race_counter


def test_race_counter_is_fresh_per_run_and_kept_for_few_runs() -> None:
    w = experiments.get("race-counter")
    a = w.call(0, {"increments": 5, "locked": 1}, "run-a")
    b = w.call(0, {"increments": 7, "locked": 0}, "run-b")
    a2 = w.call(1, {"increments": 5, "locked": 1}, "run-a")
    assert a == {"added": 5, "finished": 1, "counter": 5}
    assert b == {"added": 7, "finished": 1, "counter": 7}
    assert a2 == {"added": 5, "finished": 2, "counter": 10}
    for k in range(race_counter.KEEP_RUNS + 5):
        w.call(0, {"increments": 1, "locked": 0}, f"many-{k}")
    assert len(race_counter._counters) == race_counter.KEEP_RUNS
    assert "run-a" not in race_counter._counters


def test_race_counter_loses_updates_in_threads_without_the_lock_only() -> None:
    w = experiments.get("race-counter")

    def run(run_id: str, locked: int) -> list[Any]:
        out: list[Any] = []
        threads = [
            threading.Thread(
                target=lambda i=i: out.append(
                    w.call(i, {"increments": 300, "locked": locked}, run_id)
                )
            )
            for i in range(4)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return out

    unlocked = max(run("threads-unlocked", 0), key=lambda r: r["finished"])["counter"]
    locked = max(run("threads-locked", 1), key=lambda r: r["finished"])["counter"]
    assert unlocked < 1200 and locked == 1200
