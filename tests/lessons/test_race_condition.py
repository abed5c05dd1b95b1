"""Lesson race-condition: its verdict on hand-made documents, and the lesson run end to end (the
race-counter workload itself: tests/test_workloads_race_counter.py)."""

from __future__ import annotations

from typing import Any

from experiments.lessons import LESSONS
from experiments.lessons import race_condition as race
from tests.lessons.documents import doc
from tests.support import LabClient


def test_race_condition_documents_its_counts() -> None:
    assert set(LESSONS["race-condition"].facts) >= {
        "expected",
        "counted_unlocked",
        "lost_unlocked",
        "counted_locked",
        "lost_locked",
    }


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


def test_race_condition_end_to_end(client: LabClient) -> None:
    c = client.run_lesson("race-condition", timeout=30)
    facts = c["verdict"]["facts"]
    assert facts["expected"] == race.THREADS * race.INCREMENTS
    assert facts["lost_unlocked"] > 0
    assert facts["lost_locked"] == 0 and facts["counted_locked"] == facts["expected"]
    page = client.get("/lessons/race-condition").text
    assert "data-verdict" in page and "updates lost" in page
