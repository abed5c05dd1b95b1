"""Lesson 12: how a process pool's workers are started, and what that costs before the first task."""

from __future__ import annotations

from collections.abc import Mapping

from experiments.lessons.base import Doc, Lesson, Reference, Step, Verdict, wall

METHODS = ("fork", "forkserver", "spawn")
WORK, TASKS, WORKERS = {"ms": 50}, 4, 2
#: A method is "slower to start" than fork when its first task starts this many times later.
SLOWER = 1.5


def first_start(doc: Doc) -> float:
    """Seconds from the run's start to the first task's start (the pool's start-up gap)."""
    starts = [float(t["start_s"]) for t in doc["tasks"] if t.get("start_s") is not None]
    return min(starts) if starts else 0.0


def judge(runs: Mapping[str, Doc]) -> Verdict:
    firsts = {m: first_start(runs[m]) for m in METHODS}
    facts: dict[str, float] = {}
    for m in METHODS:
        facts[f"first_start_s_{m}"] = round(firsts[m], 4)
        facts[f"wall_s_{m}"] = round(wall(runs[m]), 3)
    fork = firsts["fork"]
    for m in ("forkserver", "spawn"):
        facts[f"{m}_vs_fork"] = round(firsts[m] / fork, 1) if fork > 0 else 0.0

    gaps = ", ".join(f"{firsts[m] * 1000:.0f} ms with {m}" for m in METHODS)
    text = f"The first task started {gaps}."
    slow = [m for m in ("forkserver", "spawn") if facts[f"{m}_vs_fork"] >= SLOWER]
    if len(slow) == 2:
        text += (
            f" forkserver and spawn started {facts['forkserver_vs_fork']:.1f}× and "
            f"{facts['spawn_vs_fork']:.1f}× later than fork: their workers begin without the "
            "parent's memory and import the main program and the task's modules before they can "
            "run it, while a forked worker starts with everything already loaded."
        )
    elif slow:
        other = "spawn" if slow == ["forkserver"] else "forkserver"
        text += (
            f" Only {slow[0]} was clearly slower to start than fork; {other} was within "
            f"{SLOWER}× of it this time (the imports may have been cached, or fork was slowed "
            "by a large parent)."
        )
    else:
        text += (
            " Neither forkserver nor spawn was clearly slower to start than fork this time; "
            f"expected were gaps several times longer (at least {SLOWER}×)."
        )
    return Verdict(text, facts)


LESSON = Lesson(
    id="start-methods",
    title="Start methods: fork, forkserver, spawn",
    summary="A process pool's workers can be forked, forked from a server, or spawned fresh.",
    explanation=(
        "A process pool must first create its workers, and Python has three ways to do it. fork "
        "copies the running process: the worker starts at once with every module already "
        "imported, but it also inherits locks held by other threads at that instant, which can "
        "deadlock it. spawn starts a fresh interpreter that imports the main program and what the "
        "task needs: safe, and the slowest to start. forkserver starts one clean helper process and forks each "
        "worker from it: safer than fork, faster than spawn once the helper runs.",
        "The same four short CPU tasks run in two worker processes with each method. Watch the "
        "gap at the left of each chart, before the first bar: that is the time to get a worker "
        "ready. It is paid once per pool, so it matters for short jobs and for pools that are "
        "created often, not for long-lived workers.",
        "Python 3.14 changed the default on Linux from fork to forkserver, because forking a "
        "process that runs threads is unsafe, and Python 3.12 already warns about it. Code that "
        "relied on the copied memory of fork (for example functions defined interactively) must "
        "now ask for fork explicitly or pass everything a worker needs as picklable arguments.",
    ),
    steps=tuple(
        Step(m, "cpu", "processes", tasks=TASKS, workers=WORKERS, params=WORK, start_method=m)
        for m in METHODS
    ),
    judge=judge,
    facts={
        **{f"first_start_s_{m}": f"seconds before the first task started, {m}" for m in METHODS},
        **{f"wall_s_{m}": f"wall time of the run, {m}" for m in METHODS},
        "forkserver_vs_fork": "forkserver's start-up gap / fork's",
        "spawn_vs_fork": "spawn's start-up gap / fork's",
    },
    references=(
        Reference(
            "What's new in Python 3.14: multiprocessing",
            "the default start method changed from fork to forkserver on platforms other than "
            "macOS and Windows (where it was already spawn)",
            "https://docs.python.org/3/whatsnew/3.14.html#multiprocessing",
        ),
        Reference(
            "Python docs, multiprocessing: contexts and start methods",
            "spawn is rather slow compared to fork or forkserver; safely forking a multithreaded "
            "process is problematic",
            "https://docs.python.org/3/library/multiprocessing.html#contexts-and-start-methods",
        ),
    ),
)
