"""Lesson memory-per-process: its verdict on hand-made documents, and the lesson run end to end."""

from __future__ import annotations

from typing import Any

import pytest

from experiments.lessons import LESSONS
from experiments.lessons import memory_per_process as mpp
from tests.lessons.documents import MIB, doc
from tests.support import LabClient


def mem_doc(
    n: int, obj_mib: int = 64, base_mib: int = 20, see_baseline: bool = True
) -> dict[str, Any]:
    """Samples of the lab (pid 1) and ``n`` workers (pids 100...): a baseline, then holding."""
    lab, pids = 1, [100 + i for i in range(n)]
    base, held = base_mib * MIB, (base_mib + obj_mib) * MIB

    def sample(t: float, rss: int) -> dict[str, Any]:
        return {
            "t_s": t,
            "cpu_percent": [50.0],
            "rss_bytes": {"1": 30 * MIB} | {str(p): rss for p in pids},
        }

    samples = ([sample(0.1, base), sample(0.2, base)] if see_baseline else []) + [
        sample(0.5, held),
        sample(0.6, held),
    ]
    samples.append({"t_s": 0.9, "cpu_percent": [1.0], "rss_bytes": {"1": 30 * MIB}})
    results = [
        {"pid": p, "rss_before": base, "rss_held": held, "object_bytes": obj_mib * MIB}
        for p in pids
    ]
    d = doc(tasks=[{"id": i, "result": r} for i, r in enumerate(results)])
    d["samples"], d["lab_pid"] = samples, lab
    return d


def test_memory_per_process_when_each_worker_holds_a_copy() -> None:
    v = mpp.judge({mpp.LABELS[n]: mem_doc(n) for n in mpp.WORKERS})
    f = v.facts
    assert f["children_peak_mib_4"] == 4 * 84 and f["growth_mib_4"] == 256
    assert f["growth_ratio_1"] == f["growth_ratio_2"] == f["growth_ratio_4"] == 1.0
    assert f["reported_growth_mib_2"] == 128 and f["worker_base_mib"] == 20
    assert "4 workers 336 MiB (256 MiB over their baseline, 1.00× N × 64 MiB)" in v.text
    assert "one copy of the object per process" in v.text and "4 GB" in v.text
    assert set(f) == set(LESSONS["memory-per-process"].facts)


def test_memory_per_process_uses_the_workers_own_baseline_when_the_sampler_missed_it() -> None:
    assert mpp.children_at_peak(mem_doc(2, see_baseline=False)) == (2 * 84 * MIB, 128 * MIB)


def test_memory_per_process_ignores_workers_caught_exiting_after_the_peak() -> None:
    # At the pool's shutdown a worker unmaps its memory and the sampler may read it nearly empty;
    # that is not the RSS it had before its object (a CI run once read growth as 1.37x N x 64).
    d = mem_doc(4)
    d["samples"].insert(-1, {"t_s": 0.8, "rss_bytes": {"100": 1 * MIB, "101": 84 * MIB}})
    assert mpp.children_at_peak(d) == (4 * 84 * MIB, 256 * MIB)


def test_memory_per_process_falls_back_on_samples_before_the_peak() -> None:
    d = mem_doc(2)
    for t in d["tasks"]:
        del t["result"]["rss_before"]
    d["samples"].insert(-1, {"t_s": 0.8, "rss_bytes": {"100": 1 * MIB}})
    assert mpp.children_at_peak(d) == (2 * 84 * MIB, 128 * MIB)


def test_memory_per_process_says_what_was_measured_when_memory_does_not_add_up() -> None:
    runs = {mpp.LABELS[n]: mem_doc(n) for n in mpp.WORKERS}
    shared = mem_doc(4, obj_mib=16)  # e.g. pages shared after all
    for r in shared["tasks"]:
        r["result"]["rss_held"] = r["result"]["rss_before"] + 16 * MIB
    runs[mpp.LABELS[4]] = shared
    v = mpp.judge(runs)
    assert v.facts["growth_ratio_4"] == 0.25
    assert "For 4 workers the sampled growth was not N × 64 MiB" in v.text
    assert "64 MiB for 4 workers" in v.text  # what the workers reported (4 x 16 MiB)


def test_memory_per_process_end_to_end(client: LabClient) -> None:
    f = client.run_lesson("memory-per-process", timeout=30)["verdict"]["facts"]
    for n in mpp.WORKERS:
        assert 0.8 <= f[f"growth_ratio_{n}"] <= 1.3, f
        assert f[f"reported_growth_mib_{n}"] == pytest.approx(n * 64, rel=0.1)
