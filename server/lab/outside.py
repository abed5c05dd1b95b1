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

Snapshot = dict[tuple[int, float], float]  # (pid, start time) -> CPU seconds so far


def _processes() -> dict[int, tuple[int, float, float]]:
    """pid -> (parent pid, start time, CPU seconds so far) of every process on the machine.

    On Linux straight from ``/proc/PID/stat`` (0.6 ms for 65 processes here, against 3 ms through
    psutil: this runs at each run's start and end, inside the time the run's caller waits)."""
    if not os.path.isdir("/proc/self"):
        return _processes_psutil()
    tick = os.sysconf("SC_CLK_TCK")
    out: dict[int, tuple[int, float, float]] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                stat = f.read()
            # After "pid (command) ": state, ppid, ... utime (12th), stime, ... starttime (20th).
            fields = stat[stat.rindex(b")") + 2 :].split()
            cpu = (int(fields[11]) + int(fields[12])) / tick
            out[int(name)] = (int(fields[1]), int(fields[19]) / tick, cpu)
        except (OSError, ValueError, IndexError):  # gone meanwhile
            continue
    return out


def _processes_psutil() -> dict[int, tuple[int, float, float]]:
    out: dict[int, tuple[int, float, float]] = {}
    for proc in psutil.process_iter(["ppid", "create_time", "cpu_times"]):
        with contextlib.suppress(TypeError, AttributeError):  # an entry that could not be read
            info, t = proc.info, proc.info["cpu_times"]
            out[proc.pid] = (info["ppid"], info["create_time"], t.user + t.system)
    return out


def snapshot() -> Snapshot:
    """CPU seconds so far of every process that is not the lab or one of its descendants."""
    procs = _processes()
    children: dict[int, list[int]] = {}
    for pid, (ppid, _, _) in procs.items():
        children.setdefault(ppid, []).append(pid)
    ours, todo = set(), [os.getpid()]
    while todo:
        pid = todo.pop()
        ours.add(pid)
        todo.extend(c for c in children.get(pid, ()) if c not in ours)
    return {(pid, started): cpu for pid, (_, started, cpu) in procs.items() if pid not in ours}


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
