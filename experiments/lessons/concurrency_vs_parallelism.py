"""Lesson 1: the same CPU work in two threads and in two processes."""

from __future__ import annotations

from collections.abc import Mapping

from experiments.lessons.base import Doc, Lesson, Reference, Step, Verdict, metric

THREADS, PROCESSES = "2 threads", "2 processes"


def judge(runs: Mapping[str, Doc]) -> Verdict:
    t, p = runs[THREADS], runs[PROCESSES]
    facts = {
        "threads_concurrency": metric(t, "avg_concurrency"),
        "threads_parallelism": metric(t, "avg_parallelism"),
        "processes_concurrency": metric(p, "avg_concurrency"),
        "processes_parallelism": metric(p, "avg_parallelism"),
    }
    tc, tp, pc, pp = facts.values()
    if tp < 1.25 and pp >= 1.5:
        text = (
            f"Both runs had about two tasks in flight ({tc:.2f} and {pc:.2f}), but the threads "
            f"executed {tp:.2f} at a time and the processes {pp:.2f}: concurrency is not parallelism."
        )
    else:
        text = (
            f"Measured: threads {tc:.2f} in flight and {tp:.2f} executing; processes {pc:.2f} in "
            f"flight and {pp:.2f} executing. The expected contrast (1 vs 2 executing) did not show "
            "clearly this time; a busy machine or a GIL-free Python would explain it."
        )
    return Verdict(text, facts)


LESSON = Lesson(
    id="concurrency-vs-parallelism",
    title="Concurrency vs parallelism",
    summary="Two tasks in flight is not two tasks executing: threads take turns, processes do not.",
    explanation=(
        "Concurrency is about dealing with several things at once: tasks whose lifetimes overlap. "
        "Parallelism is about doing several things at once: tasks executing at the same instant, "
        "which needs more than one core.",
        "Here the same CPU-bound tasks run in two threads and then in two processes. Watch the "
        "solid parts of the bars: in threads they alternate, because only the thread holding the "
        "GIL executes Python code; in processes both workers are solid at once.",
    ),
    steps=(
        Step(THREADS, "cpu", "threads", tasks=4, workers=2, params={"ms": 250}),
        Step(PROCESSES, "cpu", "processes", tasks=4, workers=2, params={"ms": 250}),
    ),
    judge=judge,
    facts={
        "threads_concurrency": "average tasks in flight, threads",
        "threads_parallelism": "average tasks executing, threads",
        "processes_concurrency": "average tasks in flight, processes",
        "processes_parallelism": "average tasks executing, processes",
    },
    references=(
        Reference(
            "Rob Pike, “Concurrency is not parallelism” (2012)",
            "concurrency is composing independently executing things; parallelism is executing them at once",
        ),
        Reference(
            "FastAPI docs, “Concurrency and async / await”",
            "the concurrent burgers (one cashier, many orders) vs the parallel burgers (many cashiers)",
        ),
    ),
)
