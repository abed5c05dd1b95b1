"""Lesson start-methods: its verdict on hand-made documents, and the lesson run end to end."""

from __future__ import annotations

from typing import Any

import pytest

from experiments.lessons import LESSONS, start_methods
from tests.lessons.documents import doc
from tests.support import LabClient


def starts_doc(first: float, wall: float) -> dict[str, Any]:
    tasks = [{"id": i, "start_s": first + 0.05 * (i // 2)} for i in range(4)]
    return doc(wall=wall, tasks=tasks)


def test_start_methods_when_fork_starts_first() -> None:
    v = start_methods.judge(
        {
            "fork": starts_doc(0.012, 0.12),
            "forkserver": starts_doc(0.118, 0.23),
            "spawn": starts_doc(0.135, 0.24),
        }
    )
    f = v.facts
    assert f["first_start_s_fork"] == 0.012 and f["first_start_s_spawn"] == 0.135
    assert f["forkserver_vs_fork"] == pytest.approx(9.8) and f["spawn_vs_fork"] == pytest.approx(
        11.2
    )
    assert "12 ms with fork, 118 ms with forkserver, 135 ms with spawn" in v.text
    assert "9.8× and 11.2× later than fork" in v.text
    assert set(f) == set(LESSONS["start-methods"].facts)


def test_start_methods_says_what_was_measured_when_the_gap_does_not_show() -> None:
    runs = {m: starts_doc(0.1, 0.2) for m in start_methods.METHODS}
    v = start_methods.judge(runs)
    assert "Neither forkserver nor spawn was clearly slower" in v.text
    runs["spawn"] = starts_doc(0.3, 0.4)
    v = start_methods.judge(runs)
    assert "Only spawn was clearly slower" in v.text and "forkserver was within" in v.text


def test_start_methods_end_to_end(client: LabClient) -> None:
    c = client.run_lesson("start-methods", timeout=30)
    f = c["verdict"]["facts"]
    assert 0 < f["first_start_s_fork"] < 0.5
    assert f["first_start_s_fork"] < f["first_start_s_forkserver"]
    assert f["first_start_s_fork"] < f["first_start_s_spawn"]
    assert "with fork" in c["verdict"]["text"]
