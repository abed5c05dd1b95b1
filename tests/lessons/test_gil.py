"""Lesson gil: its verdict on hand-made documents, and the lesson run end to end."""

from __future__ import annotations

from typing import Any

import pytest

from experiments.lessons import gil
from tests.lessons.documents import doc
from tests.support import LabClient


def threads_doc(
    n: int, slice_ms: float, share: float, wall: float = 0.6, waits: bool = False
) -> dict[str, Any]:
    """n threads alive for the whole run, each running slices of ``slice_ms`` in turn, for
    ``share`` of the time; with ``waits``, the gaps recorded as GIL waits."""
    step = slice_ms / 1000
    gap = step / share - step
    tasks = []
    for i in range(n):
        t, running = i * step, []
        while t + step <= wall:
            running.append([round(t, 6), round(t + step, 6)])
            t += step + gap
        task = {"id": i, "start_s": 0.0, "end_s": wall, "cpu_s": share * wall, "running": running}
        if waits:
            task["lane"] = f"t{i}"
            ends = [0.0] + [e for _, e in running]
            task["waits"] = [
                [a, b, "gil"]
                for a, b in zip(ends, [s for s, _ in running] + [wall], strict=True)
                if b > a
            ]
        tasks.append(task)
    d = doc(wall=wall, tasks=tasks)
    d["lanes"] = [{"id": f"t{i}", "label": f"thread {i + 1}"} for i in range(n)]
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


def test_gil_end_to_end(client: LabClient) -> None:
    facts = client.run_lesson("gil", timeout=30)["verdict"]["facts"]
    assert facts["switch_interval_ms"] > 0
    assert 1 <= facts["slice_ms_2_threads"] <= 15  # about 5 on an idle machine
    assert 1 <= facts["slice_ms_4_threads"] <= 15
    assert 0.2 <= facts["cpu_share_2_threads"] <= 0.7  # about 1/2
    assert 0.08 <= facts["cpu_share_4_threads"] <= 0.4  # about 1/4


def test_gil_verdict_states_each_threads_share_of_gil_waiting() -> None:
    v = gil.judge(
        {gil.T2: threads_doc(2, 5, 0.5, waits=True), gil.T4: threads_doc(4, 5, 0.25, waits=True)}
    )
    assert v.facts["gil_share_2_threads"] == pytest.approx(0.5, abs=0.02)
    assert v.facts["gil_share_4_threads"] == pytest.approx(0.75, abs=0.02)
    assert (
        "Time each thread spent waiting for the GIL: 2 threads: thread 1 50%, thread 2 5" in v.text
    )
    without = gil.judge({gil.T2: threads_doc(2, 5, 0.5), gil.T4: threads_doc(4, 5, 0.25)})
    assert "gil_share_2_threads" not in without.facts and "waiting for the GIL:" not in without.text
