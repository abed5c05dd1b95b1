"""Pure functions from task timelines to the numbers the lab is about. Times in seconds.

Concurrency counts tasks in flight (started, not yet ended); parallelism counts tasks executing at
the same instant (inside one of their running intervals).

Running intervals are measured at checkpoints about a millisecond apart, so where a task waited
inside a chunk is known only to that resolution. Peak counts of running tasks therefore count only
levels held for at least :data:`RUNNING_RESOLUTION_S`: a thread handing the GIL to another must not
show up as "2 running" because of the sliver at the hand-off. That sliver is one checkpoint's
chunk placed where the wait had ended (``server.lab.probe``): 0.6-1.3 ms at most in twelve runs
of two cpu threads here, and over 2 ms once in a slow spell of this VM, which read "peak 2" for
threads under one GIL. The resolution is CPython's switch interval, the least a thread keeps the
GIL between hand-offs while another asks for it; tasks that truly run together for that long
still count (cpu tasks of 5 ms in two processes read 2).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from experiments.document import Metrics, Sample, Wait
from server.types import WaitReason

Interval = tuple[float, float]

RUNNING_RESOLUTION_S = 0.005  # sys.getswitchinterval() by default


@dataclass(frozen=True, slots=True)
class Timeline:
    start: float
    end: float
    running: Sequence[Interval]
    waits: Sequence[Wait] = ()
    submitted: float | None = None  # None: not known (queued time counts as 0)


def levels(intervals: Iterable[Interval]) -> list[tuple[float, float, int]]:
    """The timeline cut into segments ``(start, end, how many intervals cover it)``, from the
    first start to the last end (gaps included, with 0).

    A merge of the sorted starts with the sorted ends: sorting two lists of floats is about twice
    as fast as sorting (time, +1/-1) pairs, and a 10,000-task run computes this at its end. At equal
    times an end comes first: an interval that ends where another starts does not overlap it."""
    kept = [(s, e) for s, e in intervals if e > s]
    starts = sorted([s for s, _ in kept])
    ends = sorted([e for _, e in kept])
    out: list[tuple[float, float, int]] = []
    append, n, i, cur = out.append, len(starts), 0, 0
    prev = starts[0] if starts else 0.0
    for e in ends:
        while i < n and starts[i] < e:
            s = starts[i]
            if s > prev:
                append((prev, s, cur))
                prev = s
            cur += 1
            i += 1
        if e > prev:
            append((prev, e, cur))
            prev = e
        cur -= 1
    return out


def max_overlap(intervals: Iterable[Interval], min_duration: float = 0.0) -> int:
    """The largest number of intervals that cover every instant of some span at least
    ``min_duration`` long (with 0, of any single instant). Linear in the number of segments."""
    segs = levels(intervals)
    if not segs:
        return 0
    if min_duration <= 0:
        return max(n for _, _, n in segs)
    best = 0
    stack: list[tuple[int, float]] = []  # (level, start of the span where every level >= it)
    end = segs[-1][1]
    for s, _, n in [*segs, (end, end, 0)]:
        start = s
        while stack and stack[-1][0] >= n:
            level, start = stack.pop()
            if level > best and s - start >= min_duration:
                best = level
        stack.append((n, start))
    return best


def occupancy(intervals: Iterable[Interval], t0: float, t1: float, bins: int) -> list[float]:
    """Average number of intervals covering each of ``bins`` equal slices of ``[t0, t1]``."""
    width = (t1 - t0) / bins if bins and t1 > t0 else 0.0
    out = [0.0] * bins
    if not width:
        return out
    for s, e in intervals:
        s, e = max(s, t0), min(e, t1)
        if e <= s:
            continue
        first, last = int((s - t0) / width), min(int((e - t0) / width), bins - 1)
        for b in range(first, last + 1):
            lo = t0 + b * width
            out[b] += max(0.0, min(e, lo + width) - max(s, lo)) / width
    return out


def summarize(
    timelines: Sequence[Timeline], wall: float, samples: Sequence[Sample] = ()
) -> Metrics:
    in_flight = [(t.start, t.end) for t in timelines]
    running = [iv for t in timelines for iv in t.running]
    busy = [
        sum(s["cpu_percent"]) / len(s["cpu_percent"]) / 100 for s in samples if s["cpu_percent"]
    ]
    peaks = [sum(s["rss_bytes"].values()) for s in samples if s["rss_bytes"]]
    return {
        "avg_concurrency": _ratio(sum(e - s for s, e in in_flight), wall),
        "avg_parallelism": _ratio(sum(e - s for s, e in running), wall),
        "max_in_flight": max_overlap(in_flight),
        # Anything that ran at all had one task running at some instant, however briefly.
        "max_running": max(max_overlap(running, RUNNING_RESOLUTION_S), 1 if running else 0),
        "cpu_busy_fraction": round(sum(busy) / len(busy), 4) if busy else None,
        "peak_rss_bytes": max(peaks) if peaks else None,
        "wait_s": wait_seconds(timelines),
        "queued_s": round(
            sum(max(0.0, t.start - t.submitted) for t in timelines if t.submitted is not None), 6
        ),
    }


def wait_seconds(timelines: Iterable[Timeline]) -> dict[str, float]:
    """Seconds of waiting per reason, summed over tasks: every reason, in the enum's order, with
    0.0 for those that did not occur (so readers can index it)."""
    total = dict.fromkeys([r.value for r in WaitReason], 0.0)
    for t in timelines:
        for s, e, reason in t.waits:
            total[reason] = total.get(reason, 0.0) + (e - s)
    return {k: round(v, 6) for k, v in total.items()}


def _ratio(total: float, wall: float) -> float:
    return round(total / wall, 4) if wall > 0 else 0.0
