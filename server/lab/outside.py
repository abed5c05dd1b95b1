"""The CPU other programs used while a run went: load on the machine that the lab did not cause.

Parallelism needs free cores. If a browser drawing the live charts, a compiler or another test
takes part of a core, a run that could use every core shows less parallelism than it would on an
idle machine, and the page should say so instead of letting the number speak for Python.

Two snapshots, at the run's start and end, of every process's CPU time (user + system). Processes
of the lab's own tree (the lab and all its descendants: pool workers, servers under test) are left
out. What the others used in between, divided by the run's wall time, is the outside load in cores.
A process that started during the run counts from zero; one that ended during the run is missed
(its last figures are gone with it), so the figure can only read low.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping
from time import perf_counter
from typing import Any

import psutil

#: Outside load, in cores, from which pages and verdicts mention it...
NOTABLE_CORES = 0.25
#: ...if the machine's cores were at least this busy (so the run could have used the room).
SATURATED = 0.9

Snapshot = dict[tuple[int, float], float]  # (pid, create time) -> CPU seconds so far


def _ours() -> set[int]:
    try:
        me = psutil.Process(os.getpid())
        return {os.getpid(), *(p.pid for p in me.children(recursive=True))}
    except psutil.Error:
        return {os.getpid()}


def snapshot() -> Snapshot:
    ours = _ours()
    out: Snapshot = {}
    for proc in psutil.process_iter(["create_time", "cpu_times"]):
        if proc.pid in ours:
            continue
        with contextlib.suppress(psutil.Error, TypeError, AttributeError):
            t = proc.info["cpu_times"]
            out[(proc.pid, proc.info["create_time"])] = t.user + t.system
    return out


class OutsideLoad:
    """Start measuring at construction; :meth:`cores` ends the measurement."""

    def __init__(self) -> None:
        self._before = snapshot()
        self._t0 = perf_counter()

    def cores(self) -> float:
        """Cores' worth of CPU that processes outside the lab used since the start."""
        after, elapsed = snapshot(), perf_counter() - self._t0
        used = sum(cpu - self._before.get(key, 0.0) for key, cpu in after.items())
        return round(max(used, 0.0) / elapsed, 2) if elapsed > 0 else 0.0


def note(metrics: Mapping[str, Any], cpus: int, run: str = "this run") -> str | None:
    """A sentence about the outside load when it took room the run could have used, else ``None``.

    That is when it was notable and the machine's cores were (nearly) all busy: a sequential run
    on two cores leaves one free, and a browser using part of it slows nothing down."""
    cores = metrics.get("outside_cpu_cores")
    busy = metrics.get("cpu_busy_fraction") or 0.0
    if cores is None or cores < NOTABLE_CORES or busy < SATURATED:
        return None
    return (
        f"While {run} went, every core was busy and other programs on this machine used "
        f"{cores:.1f} of its {cpus} (a browser drawing live charts counts): {run} had less room "
        "than on an idle machine."
    )
