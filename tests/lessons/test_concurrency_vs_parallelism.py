"""Lesson concurrency-vs-parallelism: its verdict on hand-made documents (the lesson page runs it
end to end: test_framework.py)."""

from __future__ import annotations

from experiments.lessons import concurrency_vs_parallelism as cvp
from tests.lessons.documents import doc


def test_concurrency_vs_parallelism_when_the_contrast_shows() -> None:
    v = cvp.judge(
        {
            cvp.THREADS: doc(avg_concurrency=1.98, avg_parallelism=0.97),
            cvp.PROCESSES: doc(avg_concurrency=1.95, avg_parallelism=1.9),
        }
    )
    assert v.facts["threads_parallelism"] == 0.97 and v.facts["processes_parallelism"] == 1.9
    assert "concurrency is not parallelism" in v.text


def test_concurrency_vs_parallelism_says_what_was_measured_when_it_does_not_show() -> None:
    v = cvp.judge(
        {
            cvp.THREADS: doc(avg_concurrency=1.98, avg_parallelism=1.6),  # a free-threaded Python?
            cvp.PROCESSES: doc(avg_concurrency=1.95, avg_parallelism=1.7),
        }
    )
    assert "did not show" in v.text and "1.60" in v.text
