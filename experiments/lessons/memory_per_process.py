"""Lesson 11: every worker process holds its own copy of a large object."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from experiments.lessons.base import Doc, Lesson, Reference, Step, Verdict, results

MIB = 1024 * 1024
OBJECT_MIB = 64
WORKERS = (1, 2, 4)
LABELS = {n: f"{n} worker" if n == 1 else f"{n} workers" for n in WORKERS}
#: The growth "matches" N x object size within these bounds (a worker also allocates a little).
LOW, HIGH = 0.85, 1.2


def children_at_peak(doc: Doc) -> tuple[int, int]:
    """(RSS of the pool's children summed at the sample where that sum was largest, how much of
    it was growth over each child's own baseline). A child's baseline is the RSS it reported
    itself just before allocating; for a child that reported none, the lowest RSS sampled for it
    up to the peak. Samples after the peak are no baseline: a worker that is exiting at the end
    of the run unmaps its memory and can be caught with almost none."""
    lab = str(doc.get("lab_pid", ""))
    samples = [
        {pid: int(rss) for pid, rss in s.get("rss_bytes", {}).items() if pid != lab}
        for s in doc.get("samples", [])
    ]
    samples = [s for s in samples if s]
    if not samples:
        return 0, 0
    at = max(range(len(samples)), key=lambda i: sum(samples[i].values()))
    peak = samples[at]
    sampled: dict[str, int] = {}
    for s in samples[: at + 1]:
        for pid, rss in s.items():
            sampled[pid] = min(rss, sampled.get(pid, rss))
    reported: dict[str, int] = {}
    for r in results(doc):
        if isinstance(r, dict) and r.get("rss_before"):
            pid, before = str(r.get("pid")), int(r["rss_before"])
            reported[pid] = min(before, reported.get(pid, before))
    baseline = {**sampled, **reported}
    return sum(peak.values()), sum(rss - baseline[pid] for pid, rss in peak.items())


def reported_growth(doc: Doc) -> int:
    """What the workers said themselves: RSS holding the object minus RSS just before it."""
    return sum(
        int(r["rss_held"]) - int(r["rss_before"])
        for r in results(doc)
        if isinstance(r, dict) and "rss_held" in r and "rss_before" in r
    )


def judge(runs: Mapping[str, Doc]) -> Verdict:
    facts: dict[str, float] = {"object_mib": float(OBJECT_MIB)}
    rows: list[dict[str, Any]] = []
    for n in WORKERS:
        doc = runs[LABELS[n]]
        total, growth = children_at_peak(doc)
        ratio = growth / (n * OBJECT_MIB * MIB)
        facts[f"children_peak_mib_{n}"] = round(total / MIB, 1)
        facts[f"growth_mib_{n}"] = round(growth / MIB, 1)
        facts[f"growth_ratio_{n}"] = round(ratio, 2)
        facts[f"reported_growth_mib_{n}"] = round(reported_growth(doc) / MIB, 1)
        rows.append({"n": n, "total": total, "growth": growth, "ratio": ratio})
    per_worker = [(r["total"] - r["growth"]) / r["n"] for r in rows if r["total"]]
    facts["worker_base_mib"] = round(min(per_worker) / MIB, 1) if per_worker else 0.0

    listing = ", ".join(
        f"{LABELS[r['n']]} {r['total'] / MIB:.0f} MiB ({r['growth'] / MIB:.0f} MiB over their "
        f"baseline, {r['ratio']:.2f}× N × {OBJECT_MIB} MiB)"
        for r in rows
    )
    text = (
        f"Each worker allocated and touched a {OBJECT_MIB} MiB object. The pool's processes "
        f"together, at the peak: {listing}."
    )
    if all(LOW <= r["ratio"] <= HIGH for r in rows):
        text += (
            "\nMemory grew with the number of workers, one copy of the object per process. The "
            f"rest, about {facts['worker_base_mib']:.0f} MiB per worker, is what each held "
            "before: its interpreter and, when forked, pages still shared with the lab (RSS "
            "counts a shared page in every process that maps it). By the same arithmetic a 1 GB "
            "model in 4 workers needs 4 GB."
        )
    else:
        off = [LABELS[r["n"]] for r in rows if not LOW <= r["ratio"] <= HIGH]
        text += (
            f"\nFor {', '.join(off)} the sampled growth was not N × {OBJECT_MIB} MiB: the sampler "
            "may have missed the peak or a worker's baseline. The workers themselves reported "
            + ", ".join(
                f"{facts[f'reported_growth_mib_{n}']:.0f} MiB for {LABELS[n]}" for n in WORKERS
            )
            + "."
        )
    return Verdict(text, facts)


LESSON = Lesson(
    id="memory-per-process",
    title="Memory per worker process",
    summary="Processes share no memory: N workers holding a large object need N copies of it.",
    explanation=(
        "Processes do not share their memory. When each worker of an application loads a large "
        "object, such as a machine-learning model, a cache or a big lookup table, each worker "
        "holds its own copy, and the machine must have room for all of them at once.",
        f"Here each worker process allocates a {OBJECT_MIB} MiB buffer, writes to every page of it "
        "so that the memory is really in use, holds it for half a second and frees it, first with "
        "one worker, then two, then four. On the charts each bar is light while the worker waits "
        "(before, to let the sampler see it without the object; after, holding it) and solid "
        "while it writes the object. A run's own page (click its name) draws its memory line, "
        "which climbs by one object per worker. The sampler records the resident set size (RSS) "
        "of every worker; the verdict adds them up at the peak and subtracts what each worker "
        "held before its object existed.",
        "A forked worker can share pages with its parent until either writes to them, which is "
        "why some servers load a model before forking. CPython updates reference counts inside "
        "objects, so pages holding many small Python objects tend to be copied anyway; a model "
        "loaded after the workers start is always copied in full.",
    ),
    steps=tuple(
        Step(
            LABELS[n],
            "hold-memory",
            "processes",
            tasks=n,
            workers=n,
            params={"mib": OBJECT_MIB, "hold_ms": 500},
        )
        for n in WORKERS
    ),
    judge=judge,
    facts={
        "object_mib": "size of the object each worker holds, MiB",
        **{
            f"children_peak_mib_{n}": f"RSS of the pool's processes summed at the peak, {LABELS[n]}, MiB"
            for n in WORKERS
        },
        **{
            f"growth_mib_{n}": f"that sum minus each worker's baseline RSS, {LABELS[n]}, MiB"
            for n in WORKERS
        },
        **{f"growth_ratio_{n}": f"growth / ({n} × object size); about 1 expected" for n in WORKERS},
        **{
            f"reported_growth_mib_{n}": f"growth the workers measured themselves, {LABELS[n]}, MiB"
            for n in WORKERS
        },
        "worker_base_mib": "RSS of one worker without the object, MiB",
    },
    references=(
        Reference(
            "The seeds, “Memory per Process”",
            "a 1 GB machine-learning model: one process needs at least 1 GB of RAM, four workers "
            "4 GB; a server with 3 GB will have problems",
        ),
        Reference(
            "FastAPI docs, “Deployments Concepts”: memory per process",
            "multiple processes normally don't share memory; each worker loading a large model "
            "consumes that much RAM",
            "https://fastapi.tiangolo.com/deployment/concepts/#memory-per-process",
        ),
    ),
)
