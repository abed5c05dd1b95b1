"""Lesson 7: the convoy effect, an I/O thread slowed down by CPU-bound threads beside it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from experiments.lessons.base import Doc, Lesson, Reference, Step, Verdict, waited

MEASURE_MS = 1000
SWITCH_US = 500
ALONE, ONE, TWO, SWITCH, PROCESS = (
    "alone",
    "beside 1 CPU thread",
    "beside 2 CPU threads",
    "1 CPU thread, 0.5 ms switch interval",
    "CPU work in a process",
)
#: Fact-name suffix of each variant.
KEYS = {
    ALONE: "alone",
    ONE: "1_cpu_thread",
    TWO: "2_cpu_threads",
    SWITCH: "switch_0_5ms",
    PROCESS: "cpu_process",
}
#: The convoy "shows" at this slowdown or more; a remedy "removes most of it" at this share.
CONVOY, MOST = 10.0, 0.5
#: Round trips beside a CPU process "faster than alone" below this slowdown.
FASTER = 0.8


def echo_stats(doc: Doc) -> dict[str, Any]:
    """Task 0's round-trip statistics (the other tasks only keep a core busy)."""
    for t in doc["tasks"]:
        result = t.get("result")
        if t["id"] == 0 and isinstance(result, dict):
            return result
    return {}


def _ms(stats: Mapping[str, Any], name: str) -> float:
    return float(stats.get(name) or 0.0)


def judge(runs: Mapping[str, Doc]) -> Verdict:
    stats = {label: echo_stats(runs[label]) for label in KEYS}
    facts: dict[str, float] = {}
    for label, key in KEYS.items():
        facts[f"median_ms_{key}"] = round(_ms(stats[label], "median_ms"), 4)
        facts[f"mean_ms_{key}"] = round(_ms(stats[label], "mean_ms"), 4)
        facts[f"p90_ms_{key}"] = round(_ms(stats[label], "p90_ms"), 4)
        facts[f"round_trips_{key}"] = float(stats[label].get("count") or 0)
    base = facts["mean_ms_alone"]

    def slowdown(label: str) -> float:
        return round(facts[f"mean_ms_{KEYS[label]}"] / base, 2) if base else 0.0

    for label in (ONE, TWO, SWITCH, PROCESS):
        facts[f"slowdown_{KEYS[label]}"] = slowdown(label)
    one = facts["mean_ms_1_cpu_thread"]

    def removed(label: str) -> float:
        """Share of the 1-CPU-thread slowdown that this variant removed, from 0 (none, or worse)
        to 1 (all of it, or faster than alone)."""
        if one <= base:
            return 0.0
        share = (one - facts[f"mean_ms_{KEYS[label]}"]) / (one - base)
        return round(min(1.0, max(0.0, share)), 2)

    facts["removed_by_switch_interval"] = removed(SWITCH)
    facts["removed_by_process"] = removed(PROCESS)
    io_thread = next((t for t in runs[ONE]["tasks"] if t["id"] == 0 and "waits" in t), None)
    if io_thread is not None:  # how the I/O thread's time went, as the lab classified it
        facts["io_thread_gil_s"] = round(waited(io_thread, "gil"), 3)
        facts["io_thread_io_s"] = round(waited(io_thread, "io"), 3)

    def show(label: str) -> str:
        key = KEYS[label]
        text = (
            f"{label}: {facts[f'mean_ms_{key}']:.3g} ms (median {facts[f'median_ms_{key}']:.3g}, "
            f"p90 {facts[f'p90_ms_{key}']:.3g})"
        )
        return text if label == ALONE else text + f", {facts[f'slowdown_{key}']:.3g}×"

    parts = [
        "Mean echo round trip over loopback (and how many times slower than alone):\n"
        + "\n".join(f"– {show(label)}" for label in KEYS)
        + f"\n{facts['round_trips_alone']:,.0f} round trips alone in {MEASURE_MS / 1000:g} s, "
        f"{facts['round_trips_1_cpu_thread']:,.0f} beside 1 CPU thread."
    ]
    s1, s2 = facts["slowdown_1_cpu_thread"], facts["slowdown_2_cpu_threads"]
    if s1 >= CONVOY:
        parts.append(
            f"The convoy showed: beside one CPU-bound thread the I/O thread's round trips took "
            f"{s1:.0f}× longer, beside two {s2:.0f}×. Every time it blocks on the socket it gives "
            "the GIL away, and it may get it back only when the CPU thread is told to let go, "
            "after a switch interval (5 ms by default)."
        )
        if "io_thread_gil_s" in facts:
            parts[-1] += (
                f" The I/O thread's own bar shows it: beside the CPU thread it spent "
                f"{facts['io_thread_gil_s']:.2f} s waiting for the GIL and "
                f"{facts['io_thread_io_s']:.2f} s in the socket calls themselves."
            )
        if facts["median_ms_1_cpu_thread"] * 10 < one:
            parts[-1] += (
                " The median hides it: most round trips got the GIL back at once, while a "
                f"minority waited one or two whole intervals (p90 "
                f"{facts['p90_ms_1_cpu_thread']:.3g} ms), and those dominate the total time."
            )
    else:
        parts.append(
            f"The convoy did not show clearly: beside one CPU thread the round trips took only "
            f"{s1:.2f}× longer (beside two {s2:.2f}×), where 10× or more is typical; is this "
            "a free-threaded Python, or was the CPU thread starved of a core?"
        )
    rs, rp = facts["removed_by_switch_interval"], facts["removed_by_process"]
    if rs >= MOST:
        parts.append(
            f"A 0.5 ms switch interval removed {rs:.0%} of the slowdown: the I/O thread waits "
            "a tenth as long for its turn; the price is that CPU-bound threads competing "
            "with each other are interrupted ten times as often."
        )
    else:
        parts.append(f"A 0.5 ms switch interval removed only {rs:.0%} of the slowdown.")
    if rp >= MOST:
        parts.append(
            f"Moving the CPU work into a process removed {rp:.0%} of it: a process has its own "
            "GIL, so the two only compete for cores."
        )
        if facts["slowdown_cpu_process"] < FASTER:
            parts[-1] += (
                f" The round trips were even {1 / facts['slowdown_cpu_process']:.1f}× faster than "
                "alone. That is not the GIL: with one core kept busy, both ends of the echo "
                "probably ran on the other core, and handing over on one core is cheaper than "
                "waking an idle one."
            )
    else:
        parts.append(
            f"Moving the CPU work into a process removed only {rp:.0%} of it; with both cores "
            "busy, the I/O thread may have waited for a core instead of the GIL."
        )
    # Line breaks between findings: lesson pages keep them.
    return Verdict("\n".join(parts), facts)


def _step(label: str, cpu: int, **params: int) -> Step:
    return Step(
        label,
        "convoy",
        "threads",
        tasks=1 + cpu,
        workers=1 + cpu,
        params={"ms": MEASURE_MS, "cpu_tasks": cpu, **params},
    )


LESSON = Lesson(
    id="convoy",
    title="The convoy effect",
    summary="A CPU-bound thread beside an I/O thread makes its round trips wait for the GIL.",
    explanation=(
        "An I/O thread releases the GIL each time it blocks on a socket, and needs it back to "
        "handle the reply. If a CPU-bound thread is running, the I/O thread has to ask for the "
        "GIL and wait: CPython lets the running thread go on until the switch interval (5 ms by "
        "default) has passed, then makes it hand over. A request that needs several such "
        "hand-offs can take tens of milliseconds instead of tens of microseconds, like a fast "
        "car stuck behind a slow one on a single-lane road.",
        "Here one thread sends small messages over loopback to an echo server, another thread of "
        "the same process, and times each "
        f"round trip for {MEASURE_MS / 1000:g} s: alone, beside one and two threads that only "
        "compute, then beside one computing thread with the switch interval cut to 0.5 ms, and "
        "finally with the computation moved into a separate process. The verdict compares the "
        "mean round trip, which counts the rare long waits as well as the many quick ones. "
        "On the charts, thread 1 is the I/O thread: solid where it runs, light where it waits "
        "(for the CPU work to get going at first, then for the GIL); in the last run the other "
        "thread only starts the computing process and watches it. Every run measures for "
        f"{MEASURE_MS / 1000:g} s, so wall times hardly differ: what differs is how many round "
        "trips fitted into that second.",
        "Shortening the switch interval is process-wide and makes CPU-bound threads hand the GIL "
        "around more often, so it is a diagnostic more than a fix. The real fixes are to keep "
        "CPU-heavy work out of the process that serves I/O, in a process pool or another "
        "service, or to use C code that releases the GIL.",
    ),
    steps=(
        _step(ALONE, 0),
        _step(ONE, 1),
        _step(TWO, 2),
        _step(SWITCH, 1, switch_us=SWITCH_US),
        _step(PROCESS, 1, cpu_in_process=1),
    ),
    judge=judge,
    facts={
        "io_thread_gil_s": "seconds the I/O thread waited for the GIL beside 1 CPU thread",
        "io_thread_io_s": "seconds the I/O thread spent in its socket calls beside 1 CPU thread",
        **{f"median_ms_{k}": f"median echo round trip, {label}, ms" for label, k in KEYS.items()},
        **{f"mean_ms_{k}": f"mean echo round trip, {label}, ms" for label, k in KEYS.items()},
        **{f"p90_ms_{k}": f"90th percentile round trip, {label}, ms" for label, k in KEYS.items()},
        **{
            f"round_trips_{k}": f"round trips completed in 1 s, {label}"
            for label, k in KEYS.items()
        },
        **{
            f"slowdown_{KEYS[label]}": f"mean round trip {label} / mean round trip alone"
            for label in (ONE, TWO, SWITCH, PROCESS)
        },
        "removed_by_switch_interval": "share of the 1-CPU-thread slowdown removed by a 0.5 ms "
        "switch interval (1 = all of it)",
        "removed_by_process": "share of the 1-CPU-thread slowdown removed by moving the CPU work "
        "into a process (1 = all of it)",
    },
    references=(
        Reference(
            "David Beazley, “Inside the New GIL” (2010)",
            "with the new GIL an I/O thread competing with a CPU-bound thread waits for the "
            "switch interval each time it needs the GIL back: I/O response degrades sharply",
            "https://www.dabeaz.com/python/NewGIL.pdf",
        ),
        Reference(
            "CPython issue bpo-7946, “Convoy effect with I/O bound threads and New GIL”",
            "reported by Beazley in 2010 with a test program: an I/O thread beside a CPU thread "
            "answers far more slowly than alone",
            "https://bugs.python.org/issue7946",
        ),
    ),
)
