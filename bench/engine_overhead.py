"""Whole runs: the lab's engine against the bare executor on the same workload.

Two walls are compared for each workload. ``wall_s`` is what the run document reports (from the
run's start to the last task's end); the bare figure is taken the same way (from before the pool or
thread starts to the moment every task is done). ``outside`` is the time ``await run.execute()``
takes as seen by its caller, which also pays for shutdown and the final summary; the bare figure
then includes the pool's shutdown (or the thread's join).
"""

from __future__ import annotations

import asyncio
import concurrent.futures as cf
import multiprocessing
import threading
from time import perf_counter, perf_counter_ns

import experiments
from bench.timing import Row, alternate
from experiments.cpu import loops_per_ms, set_loops_per_ms
from server.lab.run import Run
from server.lab.spec import RunSpec
from server.spec import make_spec
from server.types import RunStatus

CPU_TASKS, CPU_MS, CPU_WORKERS = 1_000, 1, 2
IO_TASKS, IO_MS = 10_000, 300


def run_lab(spec: RunSpec, isolate: bool = False) -> tuple[Run, float]:
    """Execute one lab run on a fresh event loop; return it and the seconds ``execute()`` took.
    ``isolate``: in a runner process, as the dashboard runs it (``server.lab.runner``)."""

    async def go() -> tuple[Run, float]:
        run = Run(spec, isolate=isolate)
        t0 = perf_counter()
        await run.execute()
        return run, perf_counter() - t0

    run, outside = asyncio.run(go())
    if run.status is not RunStatus.DONE or run.wall_s is None:
        raise RuntimeError(f"lab run ended {run.status.value}: {run.error}")
    return run, outside


def record_lab(wall: Row, outside: Row, spec: RunSpec, isolate: bool = False) -> None:
    called = perf_counter_ns()
    run, seconds = run_lab(spec, isolate)
    returned = called + int(seconds * 1e9)
    assert run.wall_s is not None and run.t0_ns is not None and run.end_ns is not None
    wall.lab.append(run.wall_s)
    outside.lab.append(seconds)
    # Where the outside time goes: before the run's clock starts, and after its last task ended.
    outside.add_extra("lab_head_s", (run.t0_ns - called) / 1e9)
    outside.add_extra("lab_tail_s", (returned - run.end_ns) / 1e9)


# --- 1,000 cpu tasks of 1 ms in a process pool --------------------------------------------------


def _cpu_task(ms: int) -> None:
    experiments.get("cpu").fn(ms=ms)


def bare_processes(tasks: int, ms: int, workers: int) -> tuple[float, float]:
    """(seconds until every task is done, seconds including the pool's shutdown)."""
    ctx = multiprocessing.get_context(multiprocessing.get_start_method())  # the lab's default
    t0 = perf_counter()
    # The same calibration as the lab's workers, whatever the start method.
    with cf.ProcessPoolExecutor(
        workers, mp_context=ctx, initializer=set_loops_per_ms, initargs=(loops_per_ms(),)
    ) as pool:
        futures = [pool.submit(_cpu_task, ms) for _ in range(tasks)]
        cf.wait(futures)
        done = perf_counter() - t0
    for f in futures:
        f.result()
    return done, perf_counter() - t0


def cpu_processes(reps: int) -> list[Row]:
    what = f"cpu {CPU_TASKS}x{CPU_MS}ms processes({CPU_WORKERS})"
    wall = Row(f"{what} wall_s", "s", goal=1.03, note="pool start to last task end")
    outside = Row(f"{what} outside", "s", goal=1.03, note="execute() vs pool start..shutdown")
    spec = make_spec("cpu", "processes", CPU_TASKS, CPU_WORKERS, {"ms": CPU_MS})

    def bare() -> None:
        done, total = bare_processes(CPU_TASKS, CPU_MS, CPU_WORKERS)
        wall.bare.append(done)
        outside.bare.append(total)

    n = alternate(bare, lambda: record_lab(wall, outside, spec), reps)
    wall.add_extra("reps", n)
    return [wall, outside]


# --- 10,000 asyncio io tasks of 300 ms -----------------------------------------------------------


def bare_asyncio(tasks: int, ms: int) -> tuple[float, float]:
    """(seconds until gather returned, seconds until the thread was joined)."""
    afn = experiments.get("io").afn
    assert afn is not None
    done: list[float] = []

    async def main() -> None:
        await asyncio.gather(*(afn(ms=ms) for _ in range(tasks)))
        done.append(perf_counter())

    t0 = perf_counter()
    thread = threading.Thread(target=asyncio.run, args=(main(),), name="bench-bare-loop")
    thread.start()
    thread.join()
    return done[0] - t0, perf_counter() - t0


def io_asyncio(reps: int) -> list[Row]:
    rows = []
    for isolate in (False, True):
        what = f"io {IO_TASKS}x{IO_MS}ms asyncio" + (", runner" if isolate else "")
        wall = Row(f"{what} wall_s", "s", goal=1.05, note="thread start to last task end")
        outside = Row(f"{what} outside", "s", goal=1.05, note="execute() vs thread start..join")
        spec = make_spec("io", "asyncio", IO_TASKS, None, {"ms": IO_MS})

        def bare(wall: Row = wall, outside: Row = outside) -> None:
            done, total = bare_asyncio(IO_TASKS, IO_MS)
            wall.bare.append(done)
            outside.bare.append(total)

        def lab(wall: Row = wall, outside: Row = outside, isolate: bool = isolate) -> None:
            record_lab(wall, outside, spec, isolate)  # noqa: B023 - the same spec each time

        n = alternate(bare, lab, reps)
        wall.add_extra("reps", n)
        rows += [wall, outside]
    return rows
