"""CPU-bound work: pure-Python arithmetic that holds the GIL for its whole run."""

from __future__ import annotations

import time

from experiments.probe import checkpoint
from experiments.registry import Param, workload

MS = Param("ms", int, 100, 1, 60_000, "CPU time of one task on an idle core", "ms")

_loops_per_ms: int | None = None
CALIBRATION_LOOPS = 100_000  # one trial: about 6 ms of CPU
CALIBRATION_LIMIT_S = 0.5  # however unsettled the speed, calibrating stops after this long


def spin(loops: int) -> int:
    """The unit of CPU work: a tight pure-Python loop (the GIL is held throughout)."""
    acc = 0
    for i in range(loops):
        acc = (acc + i * i) % 1_000_003
    return acc


def loops_per_ms() -> int:
    """How many :func:`spin` loops take one millisecond of CPU here (measured once per process).

    Trials of about 6 ms run until the speed stops improving: a process's first tens of
    milliseconds run slower (a core clocking up from idle, caches filling), and a calibration made
    then would make every later task shorter than asked for. The fastest trial counts, since a
    disturbance only ever makes a trial slower."""
    global _loops_per_ms
    if _loops_per_ms is None:
        trials: list[int] = []
        deadline = time.perf_counter() + CALIBRATION_LIMIT_S
        while True:
            trials.append(_time_spin(CALIBRATION_LOOPS))
            settled = len(trials) >= 8 and min(trials[-4:]) >= 0.98 * min(trials[:-4])
            if settled or time.perf_counter() > deadline:
                break
        _loops_per_ms = max(1, round(CALIBRATION_LOOPS / (min(trials) / 1e6)))
    return _loops_per_ms


def set_loops_per_ms(value: int) -> None:
    """Reuse a calibration made elsewhere (process-pool workers take the parent's)."""
    global _loops_per_ms
    _loops_per_ms = value


#: The machine's speed is measured as the fastest of this many spins of this many loops (about
#: 1 ms of CPU each here): short enough to take a few milliseconds before and after every run.
SPEED_TRIALS, SPEED_LOOPS = 3, 15_000


def speed() -> int:
    """The machine's speed now: :func:`spin` loops per millisecond of CPU time (the calling
    thread's, so waiting for the GIL or a core does not lower it; a slower core does)."""
    best = min(_time_spin(SPEED_LOOPS) for _ in range(SPEED_TRIALS))
    return round(SPEED_LOOPS / (max(best, 1) / 1e6))


def _time_spin(loops: int) -> int:
    t0 = time.thread_time_ns()
    spin(loops)
    return time.thread_time_ns() - t0


def compute(ms: float) -> None:
    """About ``ms`` milliseconds of CPU, in 1 ms chunks with a checkpoint between them."""
    loops = loops_per_ms()
    whole, rest = divmod(ms, 1)
    for _ in range(int(whole)):
        spin(loops)
        checkpoint()
    if rest:
        spin(int(loops * rest))
        checkpoint()


@workload(
    "cpu",
    title="CPU-bound",
    summary="Pure-Python arithmetic: needs a core and the GIL for every millisecond.",
    params=[MS],
)
def cpu(ms: int = 100) -> None:
    compute(ms)
