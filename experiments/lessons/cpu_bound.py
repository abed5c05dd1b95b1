"""Lesson 2: CPU-bound work under each executor."""

from __future__ import annotations

from collections.abc import Mapping

from experiments.lessons.base import Doc, Lesson, Ratio, Reference, Step, Verdict, speedup

SEQ, THR, PRC, AIO = "sequential", "threads (2)", "processes (2)", "asyncio"
WORK = {"ms": 150}
TASKS = 8


def judge(runs: Mapping[str, Doc]) -> Verdict:
    base = runs[SEQ]
    facts = {
        "speedup_threads": speedup(base, runs[THR]),
        "speedup_processes": speedup(base, runs[PRC]),
        "speedup_asyncio": speedup(base, runs[AIO]),
        "cpus": float(base["host"]["cpus"]),
    }
    st, sp, sa, cpus = facts.values()
    parts = [f"Against sequential: processes {sp:.2f}×, threads {st:.2f}×, asyncio {sa:.2f}×."]
    if sp >= 1.5 and st <= 1.25:
        parts.append(
            f"Only processes used more than one of the {cpus:.0f} cores; threads and "
            "asyncio shared one, because pure-Python work holds the GIL."
        )
    elif sp < 1.5:
        parts.append(
            "Processes did not pull ahead this time: the machine may have been busy, or "
            "the pool's start-up outweighed the work."
        )
    else:
        parts.append(
            f"Threads gained {st:.2f}×, more than the GIL should allow for pure-Python "
            "work: is this a free-threaded Python?"
        )
    return Verdict(" ".join(parts), facts)


LESSON = Lesson(
    id="cpu-bound",
    title="CPU-bound work",
    summary="Pure-Python computation: only processes make it faster, by about the number of cores.",
    explanation=(
        "CPU-bound work is limited by the processor, not by waiting. In CPython a thread must hold "
        "the global interpreter lock (GIL) to execute Python code, so threads cannot compute at the "
        "same time; asyncio runs everything on one thread, so it cannot either.",
        "Processes each have their own interpreter and their own GIL. With as many workers as cores, "
        "the same work finishes about that many times faster, minus the cost of starting the pool.",
    ),
    steps=(
        Step(SEQ, "cpu", "sequential", tasks=TASKS, params=WORK),
        Step(THR, "cpu", "threads", tasks=TASKS, workers=2, params=WORK),
        Step(PRC, "cpu", "processes", tasks=TASKS, workers=2, params=WORK),
        Step(AIO, "cpu", "asyncio", tasks=TASKS, params=WORK),
    ),
    judge=judge,
    ratios=(
        Ratio("speedup_threads", SEQ, THR, "threads"),
        Ratio("speedup_processes", SEQ, PRC, "processes"),
        Ratio("speedup_asyncio", SEQ, AIO, "asyncio"),
    ),
    facts={
        "speedup_threads": "sequential wall time / threads wall time",
        "speedup_processes": "sequential wall time / processes wall time",
        "speedup_asyncio": "sequential wall time / asyncio wall time",
        "cpus": "cores on this machine",
    },
    references=(
        Reference(
            "Real Python, “Speed Up Your Python Program With Concurrency” (2019)",
            "CPU-bound: synchronous 7.8 s, threads 10.4 s, multiprocessing 2.5 s",
            "https://realpython.com/python-concurrency/",
        ),
    ),
)
