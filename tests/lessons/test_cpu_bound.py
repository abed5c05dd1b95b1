"""Lesson cpu-bound: its verdict on hand-made documents, and the lesson run end to end."""

from __future__ import annotations

import pytest

from experiments.lessons import LESSONS, cpu_bound
from tests.lessons.documents import doc
from tests.support import LabClient, measured_until


def test_cpu_bound_verdict_from_the_expected_figures() -> None:
    v = cpu_bound.judge(
        {
            cpu_bound.SEQ: doc(wall=1.6),
            cpu_bound.THR: doc(wall=1.65),
            cpu_bound.PRC: doc(wall=0.85),
            cpu_bound.AIO: doc(wall=1.62),
        }
    )
    assert v.facts["speedup_processes"] == pytest.approx(1.88, abs=0.01)
    assert v.facts["speedup_threads"] == pytest.approx(0.97, abs=0.01)
    assert "Only processes used more than one" in v.text


def test_cpu_bound_verdict_when_processes_do_not_win() -> None:
    v = cpu_bound.judge(
        {
            cpu_bound.SEQ: doc(wall=1.0),
            cpu_bound.THR: doc(wall=1.0),
            cpu_bound.PRC: doc(wall=0.9),
            cpu_bound.AIO: doc(wall=1.0),
        }
    )
    assert "did not pull ahead" in v.text and "processes 1.11×" in v.text


def test_cpu_bound_end_to_end(client: LabClient) -> None:
    # Speed-ups are ratios of separate runs: if a moment of load hid one, the whole lesson is
    # measured once more, its runs then alternating with the first measurement's.
    c = measured_until(
        lambda: client.run_lesson("cpu-bound"),
        lambda c: (
            c["verdict"]["facts"]["speedup_processes"] >= 1.4
            and c["verdict"]["facts"]["speedup_threads"] <= 1.25
        ),
    )
    facts = c["verdict"]["facts"]
    assert facts["speedup_processes"] >= 1.4  # about 2 on two idle cores
    assert facts["speedup_threads"] <= 1.25
    assert [r["label"] for r in c["runs"]] == [s.label for s in LESSONS["cpu-bound"].steps]
