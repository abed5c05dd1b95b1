from __future__ import annotations

import pytest

from server.lab.metrics import Timeline, levels, max_overlap, occupancy, summarize


@pytest.mark.parametrize(
    ("intervals", "expected"),
    [
        pytest.param([], 0, id="empty"),
        pytest.param([(0, 1)], 1, id="one"),
        pytest.param([(0, 1), (1, 2)], 1, id="touching-do-not-overlap"),
        pytest.param([(0, 2), (1, 3)], 2, id="overlap"),
        pytest.param([(0, 10), (1, 2), (1.5, 3), (2.5, 4)], 3, id="nested"),
        pytest.param([(0, 0), (0, 1)], 1, id="empty-interval-ignored"),
    ],
)
def test_max_overlap(intervals: list[tuple[float, float]], expected: int) -> None:
    assert max_overlap(intervals) == expected


def test_max_overlap_ignores_overlaps_shorter_than_the_resolution() -> None:
    # Two threads handing the GIL back and forth, measured with ~1 ms slivers of overlap.
    slices = [(i * 0.005, i * 0.005 + 0.0058) for i in range(20)]
    assert max_overlap(slices) == 2
    assert max_overlap(slices, min_duration=0.002) == 1
    # A real, sustained overlap survives the resolution.
    assert max_overlap([(0, 1), (0.5, 1.5)], min_duration=0.002) == 2


def test_levels_cut_the_timeline_into_counted_segments() -> None:
    assert levels([(0, 2), (1, 3)]) == [(0, 1, 1), (1, 2, 2), (2, 3, 1)]


def test_occupancy_averages_per_bin() -> None:
    assert occupancy([(0, 1), (0.5, 1)], 0, 1, 2) == [1.0, 2.0]
    assert occupancy([(0.25, 0.75)], 0, 1, 2) == [0.5, 0.5]
    assert occupancy([(2, 3)], 0, 1, 4) == [0.0] * 4


def test_threads_under_the_gil_have_concurrency_two_parallelism_one() -> None:
    # Hand-made: two tasks in flight for 1 s, taking turns every 5 ms.
    a = [(i * 0.01, i * 0.01 + 0.005) for i in range(100)]
    b = [(s + 0.005, e + 0.005) for s, e in a]
    m = summarize([Timeline(0, 1, a), Timeline(0, 1, b)], wall=1.0)
    assert m["avg_concurrency"] == pytest.approx(2.0)
    assert m["avg_parallelism"] == pytest.approx(1.0)
    assert (m["max_in_flight"], m["max_running"]) == (2, 1)


def test_processes_have_concurrency_and_parallelism_two() -> None:
    m = summarize([Timeline(0, 1, [(0, 1)]), Timeline(0, 1, [(0, 1)])], wall=1.0)
    assert (m["avg_concurrency"], m["avg_parallelism"], m["max_running"]) == (2.0, 2.0, 2)


def test_many_waits_have_high_concurrency_and_no_parallelism() -> None:
    tl = [Timeline(0, 0.3, [(0, 0.00001), (0.3 - 0.00001, 0.3)]) for _ in range(1000)]
    m = summarize(tl, wall=0.3)
    assert m["avg_concurrency"] == pytest.approx(1000)
    assert m["avg_parallelism"] < 0.1
    assert m["max_in_flight"] == 1000


def test_summary_reads_cpu_and_memory_from_samples() -> None:
    samples = [
        {"t_s": 0.1, "cpu_percent": [100.0, 50.0], "rss_bytes": {"1": 10, "2": 20}},
        {"t_s": 0.2, "cpu_percent": [50.0, 0.0], "rss_bytes": {"1": 40}},
    ]
    m = summarize([], wall=1.0, samples=samples)
    assert m["cpu_busy_fraction"] == pytest.approx(0.5)
    assert m["peak_rss_bytes"] == 40


def test_a_hand_off_sliver_shorter_than_the_switch_interval_is_not_two_running() -> None:
    # Two threads taking turns every 5 ms, each turn's running recorded 3 ms into the other's
    # (a slow checkpoint at the hand-off): still one running at a time. Processes that overlap
    # for 6 ms at a time are two.
    a = [(i * 0.01, i * 0.01 + 0.008) for i in range(100)]
    b = [(s + 0.005, e + 0.005) for s, e in a]
    assert summarize([Timeline(0, 1, a), Timeline(0, 1, b)], wall=1.0)["max_running"] == 1
    c = [(i * 0.01, i * 0.01 + 0.006) for i in range(100)]
    assert summarize([Timeline(0, 1, c), Timeline(0, 1, c)], wall=1.0)["max_running"] == 2
