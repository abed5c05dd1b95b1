"""For information: the cpu-bound lesson's numbers, 8 cpu tasks of 200 ms in each executor."""

from __future__ import annotations

import concurrent.futures as cf
import gc
import multiprocessing
import statistics
from collections.abc import Callable
from time import perf_counter

from bench.engine_overhead import _cpu_task, run_lab
from bench.timing import Row
from experiments.cpu import loops_per_ms, set_loops_per_ms
from server.spec import make_spec

TASKS, MS = 8, 200
EXECUTORS = ("sequential", "threads", "processes")


def _bare(executor: str, workers: int) -> Callable[[], float]:
    """A bare run returning seconds from its start (pool creation included) to its last result."""

    def sequential() -> float:
        t0 = perf_counter()
        for _ in range(TASKS):
            _cpu_task(MS)
        return perf_counter() - t0

    def pooled() -> float:
        t0 = perf_counter()
        pool: cf.Executor
        if executor == "threads":
            pool = cf.ThreadPoolExecutor(workers)
        else:
            ctx = multiprocessing.get_context(multiprocessing.get_start_method())
            pool = cf.ProcessPoolExecutor(
                workers, mp_context=ctx, initializer=set_loops_per_ms, initargs=(loops_per_ms(),)
            )
        with pool:
            for f in [pool.submit(_cpu_task, MS) for _ in range(TASKS)]:
                f.result()
            return perf_counter() - t0

    return sequential if executor == "sequential" else pooled


def cpu_bound_lesson(reps: int) -> list[Row]:
    specs = {ex: make_spec("cpu", ex, TASKS, None, {"ms": MS}) for ex in EXECUTORS}
    walls = {
        ex: Row(f"lesson cpu {TASKS}x{MS}ms {ex}({specs[ex].workers}) wall", "s")
        for ex in EXECUTORS
    }
    for _ in range(reps):
        for ex, spec in specs.items():
            gc.collect()
            walls[ex].bare.append(_bare(ex, spec.workers)())
            gc.collect()
            run, _ = run_lab(spec)
            assert run.wall_s is not None
            walls[ex].lab.append(run.wall_s)
            metrics = run.metrics()
            for name in ("avg_parallelism", "avg_concurrency"):
                walls[ex].add_extra(f"lab_{name}", float(metrics[name] or 0.0))
    rows = list(walls.values())
    seq = walls["sequential"]
    for ex in ("threads", "processes"):
        speedup = Row(f"lesson speedup_{ex}", "x", note="sequential wall / this wall")
        speedup.bare = [statistics.median(seq.bare) / statistics.median(walls[ex].bare)]
        speedup.lab = [statistics.median(seq.lab) / statistics.median(walls[ex].lab)]
        rows.append(speedup)
    return rows
