"""Lesson 5: the GIL up close: CPU threads take turns in slices of about the switch interval."""

from __future__ import annotations

import sys
from collections.abc import Mapping

from experiments.lessons.base import Doc, Lesson, Reference, Step, Verdict, median, wait_shares

T2, T4 = "2 threads", "4 threads"
#: The same total work in both runs: 2 tasks of 300 ms, 4 tasks of 150 ms.
THREADS = {T2: (2, 300), T4: (4, 150)}


def slices_ms(doc: Doc) -> list[float]:
    """Lengths of every running interval of every task, in milliseconds."""
    return [(end - start) * 1000 for t in doc["tasks"] for start, end in t.get("running") or ()]


def cpu_share(doc: Doc) -> float:
    """The average, over tasks, of CPU time / time in flight: how much of its life a thread ran."""
    shares = []
    for t in doc["tasks"]:
        cpu, end = t.get("cpu_s"), t.get("end_s")
        if cpu is not None and end is not None and end > t["start_s"]:
            shares.append(cpu / (end - t["start_s"]))
    return sum(shares) / len(shares) if shares else 0.0


def judge(runs: Mapping[str, Doc]) -> Verdict:
    host = runs[T2].get("host") or {}
    interval_ms = round(float(host.get("switch_interval_s") or sys.getswitchinterval()) * 1000, 2)
    facts: dict[str, float] = {}
    for label, (n, _) in THREADS.items():
        facts[f"slice_ms_{n}_threads"] = round(median(slices_ms(runs[label])), 2)
        facts[f"cpu_share_{n}_threads"] = round(cpu_share(runs[label]), 3)
    facts["switch_interval_ms"] = interval_ms
    shares = {label: wait_shares(runs[label], "gil") for label in THREADS}
    for label, (n, _) in THREADS.items():
        if shares[label]:
            facts[f"gil_share_{n}_threads"] = round(median(list(shares[label].values())), 3)
    s2, s4 = facts["slice_ms_2_threads"], facts["slice_ms_4_threads"]
    c2, c4 = facts["cpu_share_2_threads"], facts["cpu_share_4_threads"]
    text = (
        f"With 2 threads: running slices of {s2:.1f} ms (median), each thread running {c2:.0%} "
        f"of its lifetime. With 4 threads: {s4:.1f} ms and {c4:.0%}. "
        f"The switch interval is {interval_ms:g} ms"
    )
    said_waits = _gil_waits(shares)
    slices_ok = all(0.4 * interval_ms <= s <= 2 * interval_ms for s in (s2, s4))
    shares_ok = all(0.6 / n <= c <= 1.3 / n for n, c in ((2, c2), (4, c4)))
    if slices_ok and shares_ok:
        text += (
            f", so the GIL changed hands about every {interval_ms:g} ms, and the threads shared "
            "one core: each of N threads ran about 1/N of the time."
        )
        return Verdict(text + said_waits, facts)
    text += ". "
    if not slices_ok:
        if max(s2, s4) > 2 * interval_ms:
            text += (
                "Slices this much longer than the switch interval mean the threads were not "
                "made to take turns: is the GIL disabled (a free-threaded Python)? "
            )
        else:
            text += (
                "Slices this much shorter than the switch interval mean the threads were also "
                "interrupted by the operating system: other work competed for the cores. "
            )
    if not shares_ok:
        if c2 > 1.3 / 2 or c4 > 1.3 / 4:
            text += "Each thread ran more than 1/N of the time: the threads ran side by side."
        else:
            text += (
                "Each thread ran less than 1/N of the time: besides the GIL, the threads waited "
                "for a core, so the machine was busy."
            )
    return Verdict(text.rstrip() + said_waits, facts)


def _gil_waits(shares: Mapping[str, Mapping[str, float]]) -> str:
    """Each thread's share of its time waiting for the GIL, as the lab classified its waits."""
    runs = [
        f"{label}: " + ", ".join(f"{lane} {share:.0%}" for lane, share in per_lane.items())
        for label, per_lane in shares.items()
        if per_lane
    ]
    return f" Time each thread spent waiting for the GIL: {'; '.join(runs)}." if runs else ""


LESSON = Lesson(
    id="gil",
    title="The GIL up close",
    summary="CPU-bound threads take turns holding the GIL, in slices of about 5 ms each.",
    explanation=(
        "In CPython a thread must hold the global interpreter lock (GIL) to run Python code, and "
        "only one thread can hold it. A thread that wants the GIL waits for the switch interval "
        "(sys.getswitchinterval(), 5 ms by default), then asks the holder to let go; the holder "
        "hands it over at its next opportunity and joins the queue.",
        "Here the same pure-Python arithmetic runs in 2 threads, then in 4. Look at the solid parts "
        "of the bars: they alternate between threads in slices of about 5 ms, never two at once. "
        "Every thread is alive for the whole run but running for only about 1/N of it; the rest is "
        "spent waiting for the GIL.",
        "The lab sees a thread's work in chunks of about 1 ms, so expect slices of 4 to 6 ms rather "
        "than exactly 5, and a few shorter ones when the operating system takes a core away too.",
    ),
    steps=tuple(
        Step(label, "cpu", "threads", tasks=n, workers=n, params={"ms": ms})
        for label, (n, ms) in THREADS.items()
    ),
    judge=judge,
    facts={
        "slice_ms_2_threads": "median length of a running slice with 2 threads, ms (about 5)",
        "slice_ms_4_threads": "median length of a running slice with 4 threads, ms (about 5)",
        "cpu_share_2_threads": "average CPU time / time in flight of a thread, 2 threads (about 1/2)",
        "cpu_share_4_threads": "average CPU time / time in flight of a thread, 4 threads (about 1/4)",
        "switch_interval_ms": "sys.getswitchinterval() of the lab's interpreter, ms",
        "gil_share_2_threads": "median share of a thread's time in flight waiting for the GIL, 2 threads (about 1/2)",
        "gil_share_4_threads": "median share of a thread's time in flight waiting for the GIL, 4 threads (about 3/4)",
    },
    references=(
        Reference(
            "David Beazley, “Understanding the Python GIL” (PyCon 2010)",
            "the new GIL (Python 3.2+): a waiting thread forces a switch after a 5 ms timeout; "
            "CPU-bound threads then alternate on the GIL",
            "https://www.dabeaz.com/python/UnderstandingGIL.pdf",
        ),
    ),
)
