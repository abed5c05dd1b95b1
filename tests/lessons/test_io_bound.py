"""Lesson io-bound: its verdict on hand-made documents, and the lesson run end to end."""

from __future__ import annotations

import pytest

from experiments.lessons import io_bound
from tests.lessons.documents import doc
from tests.support import LabClient


def test_io_bound_verdict_reports_each_wall_time() -> None:
    runs = {
        io_bound.SEQ: doc(wall=8.1),
        io_bound.T5: doc(wall=1.65),
        io_bound.T10: doc(wall=0.83),
        io_bound.T50: doc(wall=0.18),
        io_bound.AIO: doc(wall=0.06),
        io_bound.PRC: doc(wall=4.1),
    }
    v = io_bound.judge(runs)
    assert v.facts["wall_sequential"] == 8.1 and v.facts["wall_2_processes"] == 4.1
    assert "asyncio 0.06 s" in v.text and "Waiting needs no core" in v.text
    runs[io_bound.AIO] = doc(wall=8.0)  # something blocked the loop
    assert "blocking call" in io_bound.judge(runs).text


@pytest.mark.slow
def test_io_bound_end_to_end(client: LabClient) -> None:
    facts = client.run_lesson("io-bound")["verdict"]["facts"]
    assert 7.5 <= facts["wall_sequential"] <= 10
    assert 1.5 <= facts["wall_5_threads"] <= 2.5
    assert facts["wall_asyncio"] < 0.3
    assert 3.8 <= facts["wall_2_processes"] <= 5.5
