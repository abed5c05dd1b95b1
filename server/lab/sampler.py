"""CPU per core and memory per process, read with psutil at 10 Hz while a run goes."""

from __future__ import annotations

import os
from collections.abc import Callable
from time import perf_counter_ns
from typing import Any

import psutil

from experiments.document import Sample

INTERVAL_S = 0.1


class Sampler:
    """Computes per-core CPU % from its own ``cpu_times`` deltas, so that runs sampling at the same
    time do not disturb each other (``psutil.cpu_percent`` keeps one global baseline)."""

    def __init__(self, t0_ns: int, pids: Callable[[], list[int]], with_lab: bool = True) -> None:
        """``pids``: the run's processes besides the lab's own, which ``with_lab`` adds."""
        self.t0_ns = t0_ns
        self._pids = pids
        self._lab = [os.getpid()] if with_lab else []
        self._procs: dict[int, psutil.Process] = {}
        self._last = psutil.cpu_times(percpu=True)

    def sample(self) -> Sample:
        now = psutil.cpu_times(percpu=True)
        percents = [_busy_percent(a, b) for a, b in zip(self._last, now, strict=False)]
        self._last = now
        rss: dict[str, int] = {}
        for pid in [*self._lab, *self._pids()]:
            try:
                proc = self._procs.get(pid) or self._procs.setdefault(pid, psutil.Process(pid))
                rss[str(pid)] = proc.memory_info().rss
            except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
                self._procs.pop(pid, None)
        return {
            "t_s": round((perf_counter_ns() - self.t0_ns) / 1e9, 4),
            "cpu_percent": percents,
            "rss_bytes": rss,
        }


def _busy_percent(before: Any, after: Any) -> float:
    total = sum(after) - sum(before)
    idle = (after.idle + getattr(after, "iowait", 0)) - (before.idle + getattr(before, "iowait", 0))
    return round(100.0 * (1 - idle / total), 1) if total > 0 else 0.0
