"""The memory workloads: hold-memory (lesson memory-per-process) and wait-rss (how-many-threads)."""

from __future__ import annotations

import pytest

import experiments
from experiments import memory
from experiments.memory import MIB


def test_hold_memory_grows_by_the_object_and_wait_rss_reads_the_rss() -> None:
    # 40 MiB: above glibc's largest mmap threshold, so the buffer is fresh memory, not reused heap.
    r = experiments.get("hold-memory").call(0, {"mib": 40, "hold_ms": 0, "settle_ms": 0})
    assert isinstance(r, dict)
    assert 39 * MIB <= r["rss_held"] - r["rss_before"] <= 42 * MIB
    w = experiments.get("wait-rss")
    assert w.call(0, {"ms": 0, "rss_every": 2}) == pytest.approx(memory.rss_bytes(), rel=0.2)
    assert w.call(1, {"ms": 0, "rss_every": 2}) is None
