"""Lessons 5, 6, 8 and 9: the GIL, C code that releases it, blocking the loop, race conditions.

Each verdict is checked on hand-made documents, with the expected effect and without it (the verdict
must then report what was measured), and each lesson runs once end to end against a real server.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest

import experiments
from experiments import race_counter
from experiments.lessons import LESSONS, gil, gil_release
from experiments.lessons import blocking_the_loop as btl
from experiments.lessons import race_condition as race
from tests.lessons_util import doc
from tests.support import LabClient, measured_until


def test_the_four_lessons_are_registered_with_their_facts() -> None:
    for lid in ("gil", "gil-release", "blocking-the-loop", "race-condition"):
        lesson = LESSONS[lid]
        assert lesson.references and 2 <= len(lesson.explanation) <= 3
    assert set(LESSONS["race-condition"].facts) >= {
        "expected",
        "counted_unlocked",
        "lost_unlocked",
        "counted_locked",
        "lost_locked",
    }
    assert {"speedup_large", "speedup_small"} <= set(LESSONS["gil-release"].facts)
    for w in ("loop-blocker", "race-counter"):
        assert w not in {v.id for v in experiments.visible()}  # lesson-only helpers


# --- gil ----------------------------------------------------------------------------------------


def threads_doc(n: int, slice_ms: float, share: float, wall: float = 0.6) -> dict[str, Any]:
    """n threads alive for the whole run, each running slices of ``slice_ms`` in turn, for
    ``share`` of the time."""
    step = slice_ms / 1000
    gap = step / share - step
    tasks = []
    for i in range(n):
        t, running = i * step, []
        while t + step <= wall:
            running.append([round(t, 6), round(t + step, 6)])
            t += step + gap
        tasks.append(
            {"id": i, "start_s": 0.0, "end_s": wall, "cpu_s": share * wall, "running": running}
        )
    d = doc(wall=wall, tasks=tasks)
    d["host"]["switch_interval_s"] = 0.005
    return d


def test_gil_verdict_when_threads_take_turns_in_5_ms_slices() -> None:
    v = gil.judge({gil.T2: threads_doc(2, 5, 0.5), gil.T4: threads_doc(4, 5, 0.25)})
    assert v.facts["slice_ms_2_threads"] == pytest.approx(5, abs=0.01)
    assert v.facts["slice_ms_4_threads"] == pytest.approx(5, abs=0.01)
    assert v.facts["cpu_share_2_threads"] == 0.5 and v.facts["cpu_share_4_threads"] == 0.25
    assert v.facts["switch_interval_ms"] == 5
    assert "GIL changed hands about every 5 ms" in v.text and "50%" in v.text and "25%" in v.text


def test_gil_verdict_reports_long_slices_and_full_shares_when_threads_run_side_by_side() -> None:
    # What a free-threaded Python would record: every thread runs its whole life.
    v = gil.judge({gil.T2: threads_doc(2, 300, 1.0), gil.T4: threads_doc(4, 150, 1.0)})
    assert v.facts["slice_ms_2_threads"] == pytest.approx(300, abs=0.01)
    assert v.facts["cpu_share_4_threads"] == 1.0
    assert "changed hands" not in v.text
    assert "300.0 ms" in v.text and "100%" in v.text
    assert "free-threaded" in v.text and "side by side" in v.text


def test_gil_verdict_reports_short_slices_on_a_busy_machine() -> None:
    v = gil.judge({gil.T2: threads_doc(2, 1, 0.2), gil.T4: threads_doc(4, 1, 0.1)})
    assert v.facts["slice_ms_2_threads"] == pytest.approx(1, abs=0.01)
    assert "changed hands" not in v.text
    assert "1.0 ms" in v.text and "operating system" in v.text and "busy" in v.text


# --- gil-release --------------------------------------------------------------------------------


def release_runs(large: float, small: float, p_large: float, p_small: float) -> dict[str, Any]:
    return {
        gil_release.LARGE_SEQ: doc(wall=1.0, avg_parallelism=0.95),
        gil_release.LARGE_THR: doc(wall=1.0 / large, avg_parallelism=p_large),
        gil_release.SMALL_SEQ: doc(wall=0.5, avg_parallelism=0.95),
        gil_release.SMALL_THR: doc(wall=0.5 / small, avg_parallelism=p_small),
    }


def test_gil_release_verdict_when_large_updates_run_in_parallel() -> None:
    v = gil_release.judge(release_runs(1.9, 1.0, 1.85, 0.97))
    assert v.facts == {
        "speedup_large": 1.9,
        "speedup_small": 1.0,
        "parallelism_large": 1.85,
        "parallelism_small": 0.97,
    }
    assert "1.90× with 1 MiB updates" in v.text and "let go of the GIL" in v.text


def test_gil_release_verdict_when_threads_gain_nothing() -> None:
    v = gil_release.judge(release_runs(1.05, 0.98, 1.02, 0.97))
    assert v.facts["speedup_large"] == 1.05
    assert "1.05× with 1 MiB updates" in v.text and "did not gain" in v.text
    assert "shared with other work" in v.text
    assert "let go of the GIL" not in v.text


def test_gil_release_verdict_when_the_control_gains_too() -> None:
    v = gil_release.judge(release_runs(1.9, 1.7, 1.85, 1.7))
    assert "1.70× with 1 KiB updates" in v.text and "control gained 1.70×" in v.text


# --- blocking-the-loop ----------------------------------------------------------------------------


def loop_doc(ticks_in_window: int, mode: str) -> dict[str, Any]:
    """A heartbeat that ticks every 10 ms except during the blocker's 0.3 s window, where it ticks
    ``ticks_in_window`` times, evenly spread."""
    window = (0.1, 0.4)
    ticks = [round(0.01 * k, 4) for k in range(1, 61) if not window[0] <= 0.01 * k <= window[1]]
    ticks += [
        round(window[0] + 0.3 * (k + 0.5) / ticks_in_window, 4) for k in range(ticks_in_window)
    ]
    tasks = [
        {
            "id": 0,
            "start_s": 0.001,
            "end_s": 0.6,
            "running": [],
            "result": {"ticks": sorted(ticks)},
        },
        {
            "id": 1,
            "start_s": 0.001,
            "end_s": 0.401,
            "running": [],
            "result": {"mode": mode, "window": list(window)},
        },
    ]
    return doc(wall=0.6, tasks=tasks)


def test_blocking_the_loop_verdict_when_only_the_blocking_call_stalls_the_heartbeat() -> None:
    v = btl.judge(
        {
            btl.BLOCKING: loop_doc(0, "time.sleep"),
            btl.AWAIT: loop_doc(29, "asyncio.sleep"),
            btl.THREAD: loop_doc(28, "asyncio.to_thread"),
        }
    )
    assert v.facts["ticks_time_sleep"] == 0
    assert v.facts["ticks_asyncio_sleep"] == 29 and v.facts["ticks_to_thread"] == 28
    assert v.facts["gap_ms_time_sleep"] == pytest.approx(320, abs=1)
    assert v.facts["gap_ms_asyncio_sleep"] < 20
    assert "ticked 0 times beside time.sleep" in v.text and "stops the whole event loop" in v.text


def test_blocking_the_loop_verdict_when_the_heartbeat_is_not_stalled() -> None:
    v = btl.judge(
        {
            btl.BLOCKING: loop_doc(25, "time.sleep"),
            btl.AWAIT: loop_doc(29, "asyncio.sleep"),
            btl.THREAD: loop_doc(12, "asyncio.to_thread"),
        }
    )
    assert v.facts["ticks_time_sleep"] == 25 and v.facts["ticks_to_thread"] == 12
    assert (
        "ticked 25 times beside time.sleep" in v.text
        and "12 times beside asyncio.to_thread" in v.text
    )
    assert "did not stall" in v.text and "fewer than 20" in v.text
    assert "stops the whole event loop" not in v.text


# --- race-condition -----------------------------------------------------------------------------


def counter_doc(counters: list[int], added: int = 1000, wall: float = 0.2) -> dict[str, Any]:
    """Tasks reporting the counter as each saw it when it finished, in finishing order."""
    tasks = [
        {
            "id": i,
            "start_s": 0.0,
            "end_s": wall,
            "running": [],
            "result": {"added": added, "finished": i + 1, "counter": c},
        }
        for i, c in enumerate(counters)
    ]
    return doc(wall=wall, tasks=tasks)


def test_race_condition_verdict_when_updates_are_lost_without_the_lock() -> None:
    v = race.judge(
        {
            # The last task to finish read 1,006, although an earlier one had seen more.
            race.UNLOCKED: counter_doc([1003, 1100, 1004, 1006], wall=0.12),
            race.LOCKED: counter_doc([3100, 3600, 3900, 4000], wall=0.46),
        }
    )
    assert v.facts == {
        "expected": 4000,
        "counted_unlocked": 1006,
        "lost_unlocked": 2994,
        "counted_locked": 4000,
        "lost_locked": 0,
        "wall_unlocked": 0.12,
        "wall_locked": 0.46,
    }
    assert "ended at 1,006: 2,994 updates lost (75%)" in v.text
    assert "none lost" in v.text and "0.46 s instead of 0.12 s" in v.text


def test_race_condition_verdict_when_no_update_is_lost() -> None:
    v = race.judge(
        {
            race.UNLOCKED: counter_doc([1000, 2000, 3000, 4000]),
            race.LOCKED: counter_doc([1000, 2000, 3000, 4000]),
        }
    )
    assert v.facts["lost_unlocked"] == 0 and v.facts["lost_locked"] == 0
    assert "ended at 4,000: 0 updates lost (0%)" in v.text
    assert "No update was lost without the lock this time" in v.text
    assert "overwritten" not in v.text


def test_race_condition_verdict_when_the_lock_does_not_help() -> None:
    v = race.judge(
        {
            race.UNLOCKED: counter_doc([1000, 1500, 1800, 2100]),
            race.LOCKED: counter_doc([1000, 2000, 3000, 3990]),
        }
    )
    assert v.facts["lost_locked"] == 10
    assert "3,990: 10 lost" in v.text and "even with the lock" in v.text


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


# --- end to end ---------------------------------------------------------------------------------


def test_gil_end_to_end(client: LabClient) -> None:
    facts = client.run_lesson("gil", timeout=30)["verdict"]["facts"]
    assert facts["switch_interval_ms"] > 0
    assert 1 <= facts["slice_ms_2_threads"] <= 15  # about 5 on an idle machine
    assert 1 <= facts["slice_ms_4_threads"] <= 15
    assert 0.2 <= facts["cpu_share_2_threads"] <= 0.7  # about 1/2
    assert 0.08 <= facts["cpu_share_4_threads"] <= 0.4  # about 1/4


def test_gil_release_end_to_end(client: LabClient) -> None:
    # On two idle cores: about 1.9 threads hashing at once with 1 MiB updates, 1 with 1 KiB ones.
    facts = measured_until(
        lambda: client.run_lesson("gil-release", timeout=30)["verdict"]["facts"],
        lambda f: f["parallelism_large"] >= 1.1 * f["parallelism_small"],
    )
    assert facts["parallelism_small"] <= 1.3 and facts["speedup_small"] <= 1.5
    assert facts["parallelism_large"] >= 1.1 * facts["parallelism_small"]


def test_blocking_the_loop_end_to_end(client: LabClient) -> None:
    c = client.run_lesson("blocking-the-loop", timeout=30)
    facts = c["verdict"]["facts"]
    assert facts["ticks_time_sleep"] <= 3
    assert facts["gap_ms_time_sleep"] >= 250
    assert facts["ticks_asyncio_sleep"] >= 15 and facts["ticks_to_thread"] >= 15
    # The Gantt: the heartbeat has no running step inside the blocking call, which is one long step.
    run_id = next(r["id"] for r in c["runs"] if r["label"] == btl.BLOCKING)
    d = client.get(f"/api/runs/{run_id}").json()
    beat, blocker = d["tasks"][0], d["tasks"][1]
    begin, end = (blocker["start_s"] + t for t in blocker["result"]["window"])
    assert not [iv for iv in beat["running"] if begin + 0.001 < iv[0] < end - 0.001]
    assert any(e - s >= 0.25 for s, e in blocker["running"])


def test_race_condition_end_to_end(client: LabClient) -> None:
    c = client.run_lesson("race-condition", timeout=30)
    facts = c["verdict"]["facts"]
    assert facts["expected"] == race.THREADS * race.INCREMENTS
    assert facts["lost_unlocked"] > 0
    assert facts["lost_locked"] == 0 and facts["counted_locked"] == facts["expected"]
    page = client.get("/lessons/race-condition").text
    assert "data-verdict" in page and "updates lost" in page
