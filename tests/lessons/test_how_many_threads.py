"""Lesson how-many-threads: its verdict on hand-made documents, and the lesson run end to end."""

from __future__ import annotations

from typing import Any

import pytest

from experiments.lessons import LESSONS, how_many_threads
from tests.lessons.documents import MIB, doc
from tests.support import LabClient


def hm_doc(
    wall: float, rss: int, threads: int, own: list[int | None] | None = None
) -> dict[str, Any]:
    """A run whose sampler saw a peak of ``rss`` bytes in the tasks' process (besides the lab's
    own, which the lesson must leave out); ``own`` are the tasks' own readings."""
    lab = (500 + threads) * MIB  # the dashboard's process, busier during bigger runs
    d = doc(
        wall=wall,
        peak_rss_bytes=rss + lab,
        tasks=[{"id": i, "result": r} for i, r in enumerate(own or [])],
    )
    d["lanes"] = [{"id": f"t{i}", "pid": 4242} for i in range(threads)]
    d["samples"] = [{"t_s": 0.1, "rss_bytes": {"4242": rss, "1": lab}}]
    return d


def hm_runs(walls: dict[int, float], rss200: int, aio_rss: int, own200: int = 0) -> dict[str, Any]:
    base = 80 * MIB
    runs = {
        how_many_threads.LABELS[w]: hm_doc(walls[w], base + (0 if w < 200 else rss200), min(w, 400))
        for w in how_many_threads.POOLS
    }
    many = how_many_threads.LABELS[200]
    runs[many] = hm_doc(walls[200], base + rss200, 151, [base + own200, None])
    runs[how_many_threads.AIO] = hm_doc(0.37, base + aio_rss, 1)
    return runs


def test_how_many_threads_when_more_threads_still_pay() -> None:
    walls = {1: 8.2, 5: 1.65, 10: 0.83, 50: 0.18, 200: 0.12}
    # The sampler missed the 200 threads; the tasks' own readings did not.
    v = how_many_threads.judge(hm_runs(walls, rss200=0, aio_rss=40 * MIB, own200=3000 * 1024))
    f = v.facts
    assert f["wall_200"] == 0.12 and f["speedup_200"] == pytest.approx(68.33, abs=0.01)
    assert f["efficiency_200"] == pytest.approx(0.33, abs=0.01)
    assert f["threads_used_200"] == 151
    assert f["rss_per_thread_kib"] == pytest.approx(20.0, abs=0.1)  # 3000 KiB / 150 extra
    assert f["rss_per_coroutine_kib"] == pytest.approx(4.1, abs=0.01)
    assert f["coroutines_in_waits"] == pytest.approx(1.85, abs=0.01)
    assert "30–50 threads did not show" in v.text and "1.5× sooner than 50" in v.text
    assert "20 KiB of RSS per extra thread" in v.text
    assert set(f) == set(LESSONS["how-many-threads"].facts)


def test_how_many_threads_when_the_gain_stops_and_memory_does_not_grow() -> None:
    walls = {1: 8.2, 5: 1.65, 10: 0.83, 50: 0.18, 200: 0.17}
    v = how_many_threads.judge(hm_runs(walls, rss200=0, aio_rss=0))
    assert "stopped improving (0.18 s with 50, 0.17 s with 200)" in v.text
    assert "did not grow measurably" in v.text
    assert v.facts["rss_per_thread_kib"] == 0


@pytest.mark.slow
def test_how_many_threads_end_to_end(client: LabClient) -> None:
    f = client.run_lesson("how-many-threads", timeout=60)["verdict"]["facts"]
    assert 7.9 <= f["wall_1"] <= 10
    assert f["speedup_10"] >= 7 and f["speedup_200"] >= f["speedup_10"]
    assert f["wall_coroutines"] < 1.5
    assert 0 < f["rss_per_coroutine_kib"] < f["rss_per_thread_kib"]
