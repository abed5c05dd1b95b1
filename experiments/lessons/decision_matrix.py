"""Lesson 4: the decision matrix, each of its rows run and timed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from experiments.lessons.base import Doc, Lesson, Ratio, Reference, Step, Verdict, speedup, wall

CPU_WORK, CPU_TASKS = {"ms": 100}, 8
FAST_WAIT, FAST_TASKS, FAST_THREADS = {"ms": 10}, 20, 20
SLOW_WAIT, SLOW_TASKS, SLOW_THREADS = {"ms": 200}, 1000, 32

CPU_SEQ, CPU_THR, CPU_PRC, CPU_AIO = (
    "CPU: sequential",
    "CPU: 2 threads",
    "CPU: 2 processes",
    "CPU: asyncio",
)
FAST_SEQ, FAST_THR, FAST_AIO = (
    "fast I/O: sequential",
    f"fast I/O: {FAST_THREADS} threads",
    "fast I/O: asyncio",
)
SLOW_THR, SLOW_AIO = f"slow I/O: {SLOW_THREADS} threads", "slow I/O: asyncio"

#: Processes "win" the CPU row when the runner-up is at least this much slower.
CPU_MARGIN = 1.3
#: Threads are "enough" for fast I/O when they win this share of what asyncio gains over sequential.
ENOUGH_SHARE = 0.9
#: asyncio "wins" the slow-I/O row when the threads take at least this many times longer.
SLOW_MARGIN = 2.0

_SHORT = {
    CPU_SEQ: "sequential",
    CPU_THR: "2 threads",
    CPU_PRC: "2 processes",
    CPU_AIO: "asyncio",
    FAST_SEQ: "sequential",
    FAST_THR: f"{FAST_THREADS} threads",
    FAST_AIO: "asyncio",
    SLOW_THR: f"{SLOW_THREADS} threads",
    SLOW_AIO: "asyncio",
}


def _ranked(runs: Mapping[str, Doc], labels: Sequence[str]) -> tuple[str, str, float]:
    """The fastest label of a row, the runner-up, and how many times slower the runner-up was."""
    order = sorted(labels, key=lambda label: wall(runs[label]))
    first, second = order[0], order[1]
    return first, second, speedup(runs[second], runs[first])


def _row(runs: Mapping[str, Doc], first: str, second: str, margin: float) -> str:
    return (
        f"{_SHORT[first]} won, {margin:.2f}× faster than {_SHORT[second]} "
        f"({wall(runs[first]):.3f} s vs {wall(runs[second]):.3f} s)"
    )


def judge(runs: Mapping[str, Doc]) -> Verdict:
    cpu_first, cpu_second, cpu_margin = _ranked(runs, (CPU_SEQ, CPU_THR, CPU_PRC, CPU_AIO))
    fast_first, fast_second, fast_margin = _ranked(runs, (FAST_SEQ, FAST_THR, FAST_AIO))
    slow_first, slow_second, slow_margin = _ranked(runs, (SLOW_THR, SLOW_AIO))
    seq, thr, aio = wall(runs[FAST_SEQ]), wall(runs[FAST_THR]), wall(runs[FAST_AIO])
    gain = seq - aio
    share = round((seq - thr) / gain, 3) if gain > 0 else 0.0

    cpu_ok = cpu_first == CPU_PRC and cpu_margin >= CPU_MARGIN
    fast_ok = share >= ENOUGH_SHARE
    slow_ok = slow_first == SLOW_AIO and slow_margin >= SLOW_MARGIN
    facts = {
        "cpu_wall_sequential": round(wall(runs[CPU_SEQ]), 3),
        "cpu_wall_threads": round(wall(runs[CPU_THR]), 3),
        "cpu_wall_processes": round(wall(runs[CPU_PRC]), 3),
        "cpu_wall_asyncio": round(wall(runs[CPU_AIO]), 3),
        "cpu_margin": cpu_margin,
        "cpu_processes_speedup": speedup(runs[CPU_SEQ], runs[CPU_PRC]),
        "fast_io_wall_sequential": round(seq, 3),
        "fast_io_wall_threads": round(thr, 3),
        "fast_io_wall_asyncio": round(aio, 3),
        "fast_io_margin": fast_margin,
        "fast_io_threads_speedup": speedup(runs[FAST_SEQ], runs[FAST_THR]),
        "fast_io_threads_share_of_gain": share,
        "slow_io_wall_threads": round(wall(runs[SLOW_THR]), 3),
        "slow_io_wall_asyncio": round(wall(runs[SLOW_AIO]), 3),
        "slow_io_margin": slow_margin,
        "slow_io_asyncio_advantage": speedup(runs[SLOW_THR], runs[SLOW_AIO]),
        "rows_matching_matrix": float(cpu_ok + fast_ok + slow_ok),
    }

    cpu_text = f"CPU-bound ({CPU_TASKS} × {CPU_WORK['ms']} ms): " + _row(
        runs, cpu_first, cpu_second, cpu_margin
    )
    if cpu_ok:
        cpu_text += "; processes are the answer, as the matrix says."
    else:
        cpu_text += (
            f"; the matrix expects processes to win by {CPU_MARGIN}× or more, and they did not "
            "this time (a busy machine, or a pool that took long to start)."
        )
    fast_text = (
        f"Fast I/O, few connections ({FAST_TASKS} × {FAST_WAIT['ms']} ms): "
        + _row(runs, fast_first, fast_second, fast_margin)
        + f"; {FAST_THREADS} threads got {share:.0%} of the time asyncio saved over sequential "
        f"({seq:.3f} s)"
    )
    if fast_ok:
        fast_text += ", so threads are enough here."
    else:
        fast_text += (
            f", less than the {ENOUGH_SHARE:.0%} that would make them 'enough': here the "
            "threads' start-up cost showed."
        )
    slow_text = f"Slow I/O, many connections ({SLOW_TASKS} × {SLOW_WAIT['ms']} ms): " + _row(
        runs, slow_first, slow_second, slow_margin
    )
    if slow_ok:
        slow_text += (
            f"; {SLOW_THREADS} threads can only wait {SLOW_THREADS} at a time, one event loop "
            "waited for all of them at once."
        )
    else:
        slow_text += (
            f"; the matrix expects asyncio to win by {SLOW_MARGIN:g}× or more, and it did not."
        )
    summary = f"The measurements agree with the matrix in {cpu_ok + fast_ok + slow_ok} of 3 rows."
    # One line per row of the matrix (lesson pages keep the line breaks).
    return Verdict("\n".join((cpu_text, fast_text, slow_text, summary)), facts)


LESSON = Lesson(
    id="decision-matrix",
    title="The decision matrix",
    summary="CPU-bound: processes. Fast I/O, few connections: threads. Slow I/O, many: asyncio.",
    explanation=(
        "A common rule of thumb picks the tool from the kind of work. Work that keeps a core busy "
        "needs processes, because only separate interpreters compute at the same time. Work that "
        "mostly waits can overlap in one process, and then the question is how many waits there "
        "are and how long each one lasts.",
        "This lesson runs each row of that table. The CPU row repeats the CPU-bound lesson in "
        "short. The fast-I/O row has twenty short waits: a thread per wait costs little, and "
        "threads finish within milliseconds of asyncio. The slow-I/O row has a thousand long "
        f"waits: a pool of {SLOW_THREADS} threads works through them {SLOW_THREADS} at a time, "
        "while one event loop keeps all thousand in flight.",
        "The verdict names the fastest runner of each row, how far ahead it was, and whether that "
        "matches the table. Threads are counted as 'enough' for fast I/O when they win at least "
        f"{ENOUGH_SHARE:.0%} of the time asyncio saves; the last few milliseconds rarely matter.",
    ),
    steps=(
        Step(CPU_SEQ, "cpu", "sequential", tasks=CPU_TASKS, params=CPU_WORK),
        Step(CPU_THR, "cpu", "threads", tasks=CPU_TASKS, workers=2, params=CPU_WORK),
        Step(CPU_PRC, "cpu", "processes", tasks=CPU_TASKS, workers=2, params=CPU_WORK),
        Step(CPU_AIO, "cpu", "asyncio", tasks=CPU_TASKS, params=CPU_WORK),
        Step(FAST_SEQ, "io", "sequential", tasks=FAST_TASKS, params=FAST_WAIT),
        Step(FAST_THR, "io", "threads", tasks=FAST_TASKS, workers=FAST_THREADS, params=FAST_WAIT),
        Step(FAST_AIO, "io", "asyncio", tasks=FAST_TASKS, params=FAST_WAIT),
        Step(SLOW_THR, "io", "threads", tasks=SLOW_TASKS, workers=SLOW_THREADS, params=SLOW_WAIT),
        Step(SLOW_AIO, "io", "asyncio", tasks=SLOW_TASKS, params=SLOW_WAIT),
    ),
    judge=judge,
    # The margins compare whichever runs came first and second: no fixed pair of runs.
    ratios=(
        Ratio("cpu_margin", tested="the CPU row's winner being faster"),
        Ratio("cpu_processes_speedup", CPU_SEQ, CPU_PRC, "processes"),
        Ratio("fast_io_margin", tested="the fast-I/O row's winner being faster"),
        Ratio("fast_io_threads_speedup", FAST_SEQ, FAST_THR, "threads"),
        Ratio("slow_io_margin", tested="the slow-I/O row's winner being faster"),
        Ratio("slow_io_asyncio_advantage", SLOW_THR, SLOW_AIO, "asyncio"),
    ),
    facts={
        "cpu_wall_sequential": "seconds, CPU row, sequential (about 8 × 100 ms = 0.8 s)",
        "cpu_wall_threads": "seconds, CPU row, 2 threads",
        "cpu_wall_processes": "seconds, CPU row, 2 processes",
        "cpu_wall_asyncio": "seconds, CPU row, asyncio (the work blocks the loop)",
        "cpu_margin": "CPU row: runner-up's wall time / winner's wall time",
        "cpu_processes_speedup": "CPU row: sequential / processes",
        "fast_io_wall_sequential": "seconds, fast-I/O row, sequential (about 20 × 10 ms = 0.2 s)",
        "fast_io_wall_threads": "seconds, fast-I/O row, 20 threads",
        "fast_io_wall_asyncio": "seconds, fast-I/O row, asyncio",
        "fast_io_margin": "fast-I/O row: runner-up's wall time / winner's wall time",
        "fast_io_threads_speedup": "fast-I/O row: sequential / threads",
        "fast_io_threads_share_of_gain": "fast-I/O row: (sequential - threads) / (sequential - "
        "asyncio); 1 means threads did as well as asyncio",
        "slow_io_wall_threads": "seconds, slow-I/O row, 32 threads (about 1000 / 32 × 0.2 s)",
        "slow_io_wall_asyncio": "seconds, slow-I/O row, asyncio (about one wait)",
        "slow_io_margin": "slow-I/O row: runner-up's wall time / winner's wall time",
        "slow_io_asyncio_advantage": "slow-I/O row: threads / asyncio",
        "rows_matching_matrix": "how many of the 3 rows came out as the matrix recommends",
    },
    references=(
        Reference(
            "The seeds' decision matrix (“Choosing the Right Approach”)",
            "CPU-bound → multiprocessing; I/O-bound, fast I/O, limited connections → "
            "multithreading; I/O-bound, slow I/O, many connections → asyncio",
        ),
    ),
)
