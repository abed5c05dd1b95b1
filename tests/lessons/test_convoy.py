"""Lesson convoy: its verdict on hand-made documents, and the lesson run end to end (the convoy
workload itself: tests/test_workloads_convoy.py)."""

from __future__ import annotations

import sys
from typing import Any

import pytest

from experiments.lessons import LESSONS
from experiments.lessons import convoy as cv
from tests.lessons.documents import doc
from tests.support import LabClient, alive, our_children


def echo_doc(mean: float, median: float | None = None, p90: float | None = None) -> dict[str, Any]:
    stats = {
        "count": int(1000 / mean),
        "mean_ms": mean,
        "median_ms": median if median is not None else mean,
        "p90_ms": p90 if p90 is not None else mean * 1.5,
        "max_ms": mean * 5,
        "cpu_workers": 1,
        "switch_interval_s": 0.005,
    }
    return doc(tasks=[{"id": 1, "result": {"where": "thread"}}, {"id": 0, "result": stats}])


def test_convoy_when_the_effect_shows_and_both_remedies_work() -> None:
    v = cv.judge(
        {
            cv.ALONE: echo_doc(0.07, 0.08, 0.1),
            cv.ONE: echo_doc(3.1, 0.04, 10.4),  # bimodal: most quick, some wait whole intervals
            cv.TWO: echo_doc(27.0, 23.0, 57.0),
            cv.SWITCH: echo_doc(0.3, 0.014, 0.68),
            cv.PROCESS: echo_doc(0.0083, 0.008),
        }
    )
    f = v.facts
    assert f["slowdown_1_cpu_thread"] == pytest.approx(44.29, abs=0.01)
    assert f["median_ms_1_cpu_thread"] == 0.04 and f["round_trips_alone"] == 14285
    assert f["removed_by_switch_interval"] == pytest.approx(0.92, abs=0.01)
    assert f["removed_by_process"] == 1.0  # faster than alone counts as all of it
    assert "The convoy showed" in v.text and "44× longer, beside two 386×" in v.text
    assert "The median hides it" in v.text
    assert "removed 92% of the slowdown" in v.text and "removed 100% of it" in v.text
    assert set(f) == set(LESSONS["convoy"].facts) - {"io_thread_gil_s", "io_thread_io_s"}


def test_convoy_says_what_was_measured_when_there_is_no_convoy() -> None:
    v = cv.judge(
        {
            cv.ALONE: echo_doc(0.07),
            cv.ONE: echo_doc(0.1),  # a free-threaded Python, say
            cv.TWO: echo_doc(0.12),
            cv.SWITCH: echo_doc(0.1),
            cv.PROCESS: echo_doc(0.2),
        }
    )
    assert "did not show clearly" in v.text and "only 1.43× longer" in v.text
    assert "The median hides it" not in v.text
    assert "removed only 0% of the slowdown" in v.text and "removed only 0% of it" in v.text


def test_convoy_end_to_end_leaves_no_process_and_restores_the_switch_interval(
    client: LabClient,
) -> None:
    before = our_children()
    interval = sys.getswitchinterval()
    c = client.run_lesson("convoy", timeout=30)
    f = c["verdict"]["facts"]
    if min(f["slowdown_1_cpu_thread"], f["slowdown_2_cpu_threads"]) < 3:
        # A ratio of two runs on a machine whose speed drifts: measure it once more.
        c = client.run_lesson("convoy", timeout=30)
        f = c["verdict"]["facts"]
    assert f["round_trips_alone"] > 1000
    assert f["slowdown_1_cpu_thread"] >= 3  # typically 30-80 on two cores
    assert f["slowdown_2_cpu_threads"] >= 3
    assert f["removed_by_process"] >= 0.5
    assert sys.getswitchinterval() == interval  # the server runs in this process
    process_run = next(r for r in c["runs"] if r["label"] == cv.PROCESS)
    tasks = client.get(f"/api/runs/{process_run['id']}").json()["tasks"]
    pid = next(t["result"]["pid"] for t in tasks if t["id"] == 1)
    assert isinstance(pid, int) and not alive(pid)
    assert our_children() <= before


def test_convoy_verdict_states_the_io_threads_gil_waits() -> None:
    runs = {label: echo_doc(0.02) for label in cv.KEYS}
    runs[cv.ONE] = echo_doc(1.0, median=0.05, p90=4.0)
    runs[cv.ONE]["tasks"][1]["waits"] = [
        [0.1, 0.4, "gil"],
        [0.4, 0.45, "io"],
        [0.5, 0.8, "gil"],
    ]
    v = cv.judge(runs)
    assert (v.facts["io_thread_gil_s"], v.facts["io_thread_io_s"]) == (0.6, 0.05)
    assert "spent 0.60 s waiting for the GIL and 0.05 s in the socket calls" in v.text
