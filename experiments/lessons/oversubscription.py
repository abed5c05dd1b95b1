"""Lesson 13: more processes than cores only take turns (the waits turn into `core`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from experiments.lessons.base import Doc, Lesson, Ratio, Reference, Step, Verdict, metric, wall
from experiments.lessons.memory_per_process import MIB, children_at_peak

FEW, MANY = "2 processes", "8 processes"
WORK = {"ms": 100}
TASKS = 16
#: A run "waits for cores" when this share of its tasks' time in flight was `core` waiting.
CORE_SHARE = 0.4


def waited(doc: Doc, reason: str) -> float:
    """Seconds the run's tasks spent waiting for ``reason``, summed."""
    metrics: Mapping[str, Any] = doc["metrics"]
    return float((metrics.get("wait_s") or {}).get(reason) or 0.0)


def in_flight(doc: Doc) -> float:
    """Seconds the run's tasks were in flight, summed (concurrency x wall)."""
    return metric(doc, "avg_concurrency") * wall(doc)


def core_share(doc: Doc) -> float:
    flight = in_flight(doc)
    return waited(doc, "core") / flight if flight else 0.0


def judge(runs: Mapping[str, Doc]) -> Verdict:
    few, many = runs[FEW], runs[MANY]
    cpus = float(few["host"]["cpus"])
    rss_few, rss_many = children_at_peak(few)[0], children_at_peak(many)[0]
    facts = {
        "cpus": cpus,
        "wall_few_s": round(wall(few), 3),
        "wall_many_s": round(wall(many), 3),
        "wall_ratio": round(wall(many) / wall(few), 2) if wall(few) else 0.0,
        "core_share_few": round(core_share(few), 3),
        "core_share_many": round(core_share(many), 3),
        "core_wait_many_s": round(waited(many, "core"), 3),
        "parallelism_few": round(metric(few, "avg_parallelism"), 2),
        "parallelism_many": round(metric(many, "avg_parallelism"), 2),
        "workers_rss_few_mib": round(rss_few / MIB, 1),
        "workers_rss_many_mib": round(rss_many / MIB, 1),
        "rss_ratio": round(rss_many / rss_few, 2) if rss_few else 0.0,
    }
    f = facts
    text = [
        f"On {cpus:.0f} cores, the same {TASKS} tasks took {f['wall_few_s']:.2f} s in 2 "
        f"processes and {f['wall_many_s']:.2f} s in 8 ({f['wall_ratio']:.2f}×); parallelism "
        f"{f['parallelism_few']:.2f} and {f['parallelism_many']:.2f}."
    ]
    if f["core_share_many"] >= CORE_SHARE and f["core_share_many"] > 2 * f["core_share_few"]:
        text.append(
            f"With 8, the tasks spent {100 * f['core_share_many']:.0f}% of their time in flight "
            f"runnable but without a free core ({f['core_wait_many_s']:.2f} s of `core` waiting; "
            f"{100 * f['core_share_few']:.0f}% with 2): the operating system took turns giving "
            "them the cores. No faster, because there were no more cores to give."
        )
    else:
        text.append(
            f"The 8 processes' tasks spent only {100 * f['core_share_many']:.0f}% of their time "
            "waiting for a core: either this machine has more free cores than the lesson "
            "expects, or the lab could not tell why they waited (see the run's waits)."
        )
    if f["rss_ratio"]:
        text.append(
            f"What it cost: the workers' memory at its peak, {f['workers_rss_few_mib']:.0f} MiB "
            f"for 2 and {f['workers_rss_many_mib']:.0f} MiB for 8 ({f['rss_ratio']:.1f}×): each "
            "process is a whole interpreter."
        )
    return Verdict(" ".join(text), facts)


LESSON = Lesson(
    id="oversubscription",
    title="More processes than cores",
    summary="Eight processes on two cores are no faster than two: they wait for a core in turn.",
    explanation=(
        "A process pool runs as many tasks at once as it has workers, but a CPU can only execute "
        "as many threads at once as it has cores. The rest are runnable and wait in the "
        "operating system's run queue: the lab reads that time from the kernel's per-thread "
        "scheduler statistics and calls it waiting for a core.",
        "So with more workers than cores, the work does not finish sooner: it is only cut into "
        "turns. Each extra worker is a whole Python interpreter, though, and its memory adds up.",
    ),
    steps=(
        Step(FEW, "cpu", "processes", tasks=TASKS, workers=2, params=WORK),
        Step(MANY, "cpu", "processes", tasks=TASKS, workers=8, params=WORK),
    ),
    judge=judge,
    ratios=(Ratio("wall_ratio", FEW, MANY, "six more workers"),),
    facts={
        "cpus": "cores on this machine",
        "wall_few_s": "wall time with 2 worker processes",
        "wall_many_s": "wall time with 8 worker processes",
        "wall_ratio": "8 processes' wall time / 2 processes' (about 1 on 2 cores)",
        "core_share_few": "share of the tasks' time in flight spent waiting for a core, 2 processes",
        "core_share_many": "the same with 8 processes",
        "core_wait_many_s": "seconds of `core` waiting, summed over the 8 processes' tasks",
        "parallelism_few": "average tasks executing at once, 2 processes",
        "parallelism_many": "average tasks executing at once, 8 processes",
        "workers_rss_few_mib": "the pool's processes' memory at its peak, 2 workers (MiB)",
        "workers_rss_many_mib": "the same with 8 workers (MiB)",
        "rss_ratio": "8 workers' memory / 2 workers' (about 4)",
    },
    references=(
        Reference(
            "proc(5), /proc/[pid]/task/[tid]/schedstat",
            "time spent on the CPU, and time spent waiting on a run queue, per thread",
            "https://man7.org/linux/man-pages/man5/proc.5.html",
        ),
    ),
)
