"""Lesson gil-release: its verdict on hand-made documents, and the lesson run end to end."""

from __future__ import annotations

from typing import Any

from experiments.lessons import LESSONS, gil_release
from tests.lessons.documents import doc
from tests.support import LabClient, measured_until


def test_gil_release_documents_its_speedups() -> None:
    assert {"speedup_large", "speedup_small"} <= set(LESSONS["gil-release"].facts)


def release_runs(large: float, small: float, p_large: float, p_small: float) -> dict[str, Any]:
    return {
        gil_release.LARGE_SEQ: doc(wall=1.0, avg_parallelism=0.95),
        gil_release.LARGE_THR: doc(wall=1.0 / large, avg_parallelism=p_large),
        gil_release.SMALL_SEQ: doc(wall=0.5, avg_parallelism=0.95),
        gil_release.SMALL_THR: doc(wall=0.5 / small, avg_parallelism=p_small),
    }


def test_gil_release_verdict_when_large_updates_run_in_parallel() -> None:
    v = gil_release.judge(release_runs(1.9, 1.0, 1.85, 0.97))
    assert v.facts == {
        "speedup_large": 1.9,
        "speedup_small": 1.0,
        "parallelism_large": 1.85,
        "parallelism_small": 0.97,
    }
    assert "1.90× with 1 MiB updates" in v.text and "let go of the GIL" in v.text


def test_gil_release_verdict_when_threads_gain_nothing() -> None:
    v = gil_release.judge(release_runs(1.05, 0.98, 1.02, 0.97))
    assert v.facts["speedup_large"] == 1.05
    assert "1.05× with 1 MiB updates" in v.text and "did not gain" in v.text
    assert "shared with other work" in v.text
    assert "let go of the GIL" not in v.text


def test_gil_release_verdict_when_the_control_gains_too() -> None:
    v = gil_release.judge(release_runs(1.9, 1.7, 1.85, 1.7))
    assert "1.70× with 1 KiB updates" in v.text and "control gained 1.70×" in v.text


def test_gil_release_end_to_end(client: LabClient) -> None:
    # On two idle cores: about 1.9 threads hashing at once with 1 MiB updates, 1 with 1 KiB ones.
    facts = measured_until(
        lambda: client.run_lesson("gil-release", timeout=30)["verdict"]["facts"],
        lambda f: (
            f["parallelism_large"] >= 1.1 * f["parallelism_small"]
            and f["parallelism_small"] <= 1.3
            and f["speedup_small"] <= 1.5
        ),
    )
    assert facts["parallelism_small"] <= 1.3 and facts["speedup_small"] <= 1.5
    assert facts["parallelism_large"] >= 1.1 * facts["parallelism_small"]
