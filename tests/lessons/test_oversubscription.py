"""Lesson 13, oversubscription: 8 processes on 2 cores wait for cores in turn."""

from __future__ import annotations

from typing import Any

from experiments.lessons import LESSONS
from experiments.lessons.oversubscription import FEW, MANY
from tests.lessons.documents import MIB, doc
from tests.support import LabClient

LESSON = LESSONS["oversubscription"]


def run(wall: float, parallelism: float, core: float, workers: int, mib: int) -> dict[str, Any]:
    d = doc(wall=wall, avg_concurrency=float(workers), avg_parallelism=parallelism)
    d["metrics"]["wait_s"] = {"core": core, "gil": 0.0}
    d["lab_pid"] = 1
    d["samples"] = [
        {
            "t_s": 0.1,
            "cpu_percent": [100.0, 100.0],
            "rss_bytes": {"1": 90 * MIB, **{str(100 + i): mib * MIB for i in range(workers)}},
        }
    ]
    return d


def test_the_verdict_when_eight_processes_take_turns_on_two_cores() -> None:
    v = LESSON.judge({FEW: run(0.9, 1.9, 0.02, 2, 12), MANY: run(0.95, 1.9, 5.6, 8, 12)})
    f = v.facts
    assert f["wall_ratio"] == 1.06 and f["core_share_many"] == 0.737 and f["rss_ratio"] == 4.0
    assert "74% of their time in flight runnable but without a free core" in v.text
    assert "24 MiB for 2 and 96 MiB for 8 (4.0×)" in v.text
    assert set(f) <= set(LESSON.facts)


def test_the_verdict_says_what_was_measured_when_no_core_waiting_shows() -> None:
    v = LESSON.judge({FEW: run(0.9, 1.9, 0.0, 2, 12), MANY: run(0.5, 3.9, 0.1, 8, 12)})
    assert "only 2% of their time waiting for a core" in v.text  # 0.1 s of 8 x 0.5 s
    assert "No faster" not in v.text


def test_oversubscription_end_to_end(client: LabClient) -> None:
    c = client.run_lesson("oversubscription")
    f = c["verdict"]["facts"]
    assert f["core_share_many"] > f["core_share_few"]  # the waits turned into `core`
    assert f["rss_ratio"] > 1.5  # more interpreters, more memory
