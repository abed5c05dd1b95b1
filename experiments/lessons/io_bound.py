"""Lesson 3: waiting, under each executor."""

from __future__ import annotations

from collections.abc import Mapping

from experiments.lessons.base import Doc, Lesson, Ratio, Reference, Step, Verdict, speedup, wall

TASKS, WAIT = 160, {"ms": 50}
SEQ, T5, T10, T50, AIO, PRC = (
    "sequential",
    "5 threads",
    "10 threads",
    "50 threads",
    "asyncio",
    "2 processes",
)


def judge(runs: Mapping[str, Doc]) -> Verdict:
    facts = {f"wall_{k.replace(' ', '_')}": round(wall(d), 3) for k, d in runs.items()}
    facts["speedup_asyncio"] = speedup(runs[SEQ], runs[AIO])
    facts["speedup_threads_50"] = speedup(runs[SEQ], runs[T50])
    seq, aio, t5, prc = wall(runs[SEQ]), wall(runs[AIO]), wall(runs[T5]), wall(runs[PRC])
    text = (
        f"{TASKS} waits of {WAIT['ms']} ms: sequential {seq:.2f} s, 5 threads {t5:.2f} s, "
        f"asyncio {aio:.2f} s, 2 processes {prc:.2f} s. "
    )
    if aio < seq / 20:
        text += (
            "Waiting needs no core and no GIL, so every extra thread or coroutine overlaps "
            "another wait; the two processes only halve it, at a far higher price per worker."
        )
    else:
        text += "asyncio did not overlap the waits as expected: look for a blocking call."
    return Verdict(text, facts)


LESSON = Lesson(
    id="io-bound",
    title="I/O-bound work",
    summary="Waiting overlaps: threads and asyncio shine, processes are an expensive way to wait.",
    explanation=(
        "I/O-bound work spends its time waiting for something outside the program: a network, a "
        "disk, a database. A waiting thread releases the GIL, and a waiting coroutine gives the event "
        "loop back, so many waits can overlap on one core.",
        "Each task here waits 50 ms, like a quick network call. Sequentially the waits add up; with "
        "W threads about W overlap; asyncio overlaps all of them at once.",
    ),
    steps=(
        Step(SEQ, "io", "sequential", tasks=TASKS, params=WAIT),
        Step(T5, "io", "threads", tasks=TASKS, workers=5, params=WAIT),
        Step(T10, "io", "threads", tasks=TASKS, workers=10, params=WAIT),
        Step(T50, "io", "threads", tasks=TASKS, workers=50, params=WAIT),
        Step(AIO, "io", "asyncio", tasks=TASKS, params=WAIT),
        Step(PRC, "io", "processes", tasks=TASKS, workers=2, params=WAIT),
    ),
    judge=judge,
    ratios=(
        Ratio("speedup_asyncio", SEQ, AIO, "asyncio"),
        Ratio("speedup_threads_50", SEQ, T50, "50 threads"),
    ),
    facts={
        "wall_sequential": "seconds, one wait after another (about 160 × 50 ms = 8 s)",
        "wall_5_threads": "seconds with 5 threads (about 1.6 s)",
        "wall_asyncio": "seconds with one event loop (about one wait)",
        "wall_2_processes": "seconds with 2 processes (about 4 s)",
        "speedup_asyncio": "sequential / asyncio",
        "speedup_threads_50": "sequential / 50 threads",
    },
    references=(
        Reference(
            "Real Python, “Speed Up Your Python Program With Concurrency” (2019)",
            "I/O-bound (real downloads): synchronous 14.3 s, threads 3.7 s, asyncio 2.6 s, "
            "multiprocessing 5.7 s",
            "https://realpython.com/python-concurrency/",
        ),
    ),
)
