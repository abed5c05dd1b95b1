"""Lesson server-threadpool: its verdict on hand-made documents."""

from __future__ import annotations

from typing import Any

from experiments.lessons import LESSONS
from experiments.lessons import server_threadpool as s2
from tests.lessons.documents import lanes, server_doc


def s2_doc(wall: float, in_flight: float, threads: int) -> dict[str, Any]:
    return server_doc(
        per_worker={100: s2.REQUESTS},
        wall=wall,
        max_in_flight=in_flight,
        lane_list=lanes("loop", 1) + lanes("thread", threads),
    )


def test_s2_the_default_pool_caps_requests_at_40() -> None:
    v = s2.judge({s2.LABELS[40]: s2_doc(3.05, 40, 40), s2.LABELS[100]: s2_doc(1.04, 100, 100)})
    f = v.facts
    assert f["wall_40"] == 3.05 and f["max_in_flight_40"] == 40 and f["threads_used_40"] == 40
    assert f["expected_40"] == 3.0 and f["expected_100"] == 1.0
    assert f["threads_used_100"] == 100  # the loop lane is not a thread
    assert "with 40 threads 3.05 s, at most 40 at a time on 40 threads (3 waves of 1 s" in v.text
    assert "with 100 threads 1.04 s, at most 100 at a time on 100 threads (1 wave of 1 s" in v.text
    assert "The default pool of 40 threads is the limit" in v.text and "in 3 waves" in v.text
    assert "With 100 tokens up to 100 requests had a thread at once" in v.text
    assert "finished in 1.04 s: the pool size, not the sleep, set the time" in v.text
    assert "did not show as a clean limit" not in v.text
    queue_facts = {"queued_40", "queued_max_s_40", "queued_100", "queued_max_s_100"}
    assert set(f) == set(LESSONS["server-threadpool"].facts) - queue_facts  # no submitted_s here


def test_s2_says_what_was_measured_when_40_threads_did_not_cap() -> None:
    # The limiter was not applied: all 100 ran at once with "40" tokens too.
    v = s2.judge({s2.LABELS[40]: s2_doc(1.10, 100, 100), s2.LABELS[100]: s2_doc(1.05, 100, 100)})
    assert v.facts["max_in_flight_40"] == 100 and v.facts["threads_used_40"] == 100
    assert "with 40 threads 1.10 s, at most 100 at a time on 100 threads" in v.text
    assert "did not show as a clean limit of 40 this time" in v.text
    assert "is the limit" not in v.text
    assert "the pool size, not the sleep, set the time" not in v.text  # it did not, here


def test_s2_capped_but_slow_and_more_tokens_no_faster() -> None:
    v = s2.judge({s2.LABELS[40]: s2_doc(5.0, 40, 40), s2.LABELS[100]: s2_doc(5.2, 100, 100)})
    assert "did not show as a clean limit of 40" in v.text  # 5 s is not 3 waves of 1 s
    assert "With 100 tokens" not in v.text  # 100 tokens were not faster


def test_s2_counts_the_requests_queued_behind_the_threads() -> None:
    few, many = s2_doc(3.05, 40, 40), s2_doc(1.04, 100, 100)
    for i, t in enumerate(few["tasks"]):  # waves of 40: the second and third wave waited
        t["submitted_s"], t["start_s"] = 0.0, float(i // 40)
    for t in many["tasks"]:
        t["submitted_s"], t["start_s"] = 0.0, 0.01
    v = s2.judge({s2.LABELS[40]: few, s2.LABELS[100]: many})
    assert (v.facts["queued_40"], v.facts["queued_max_s_40"], v.facts["queued_100"]) == (60, 2.0, 0)
    assert "with 40 threads, 60 of the 100 requests waited for a thread" in v.text
