"""How many intervals cover each instant, accumulated incrementally and read back at any resolution.

The live charts need "tasks in flight" and "tasks running" over time, every frame, for runs of up to
100,000 tasks. Recomputing from every interval each frame would cost O(tasks) per frame; this series
costs O(1) per start, end or interval added (plus the buckets an interval spans) and O(buckets) to
read. Closed intervals add their covered time to fixed-width buckets; open ones (a task still in
flight) are kept as a count of starts per bucket, so they extend to "now" without being touched.
When the run outgrows :data:`MAX_BUCKETS`, neighbouring buckets merge and the width doubles.
"""

from __future__ import annotations

from array import array

MAX_BUCKETS = 1024


class Series:
    __slots__ = ("closed", "open_frac", "open_n", "width")

    def __init__(self, width: float = 0.005) -> None:
        self.width = width
        self.closed = array("d")  # seconds covered by closed intervals, per bucket
        self.open_n = array("d")  # open intervals that started in the bucket
        self.open_frac = array("d")  # sum over those of (bucket end - start) / width

    def add(self, start: float, end: float) -> None:
        """A closed interval ``[start, end)``."""
        if end <= start:
            return
        self._reach(end)
        w = self.width
        b, last = int(start / w), min(int(end / w), len(self.closed) - 1)
        closed = self.closed
        while b <= last:
            lo = b * w
            closed[b] += max(0.0, min(end, lo + w) - max(start, lo))
            b += 1

    def open(self, start: float) -> None:
        """An interval that has started and not yet ended: it covers everything up to now."""
        self._reach(start)
        b = int(start / self.width)
        self.open_n[b] += 1
        self.open_frac[b] += (b + 1) - start / self.width

    def close(self, start: float, end: float) -> None:
        """End an interval earlier passed to :meth:`open` with the same ``start``."""
        self._reach(max(start, end))
        b = int(start / self.width)
        self.open_n[b] -= 1
        self.open_frac[b] -= (b + 1) - start / self.width
        self.add(start, end)

    def averages(self, now: float, columns: int) -> list[float]:
        """Average number of covering intervals in each of ``columns`` slices of ``[0, now]``."""
        if now <= 0 or columns <= 0:
            return [0.0] * max(columns, 0)
        self._reach(now)
        w = self.width
        n_b = min(len(self.closed), int(now / w) + 1)
        closed, open_n, open_frac = self.closed, self.open_n, self.open_frac
        # Average count per bucket: closed coverage, plus every interval opened before the bucket,
        # plus the part of the bucket after the start of those opened inside it.
        per_bucket = []
        count = 0.0
        for b in range(n_b):
            per_bucket.append(closed[b] / w + count + open_frac[b])
            count += open_n[b]
        # The bucket holding "now" has only partly elapsed: average it over the elapsed part.
        b = n_b - 1
        lo, tail = b * w, now - b * w
        if 0 < tail < w:
            n_here = open_n[b]
            before = count - n_here  # opened earlier: they cover all of [lo, now]
            # opened here at s: they cover [s, now]; sum(now - s) follows from open_frac.
            here = w * open_frac[b] - n_here * (lo + w - now)
            per_bucket[b] = (closed[b] + before * tail + here) / tail
        # Integral from 0 to the start of each bucket; a column is a difference of two integrals.
        integral = [0.0]
        acc = 0.0
        for v in per_bucket:
            acc += v * w
            integral.append(acc)

        def upto(t: float) -> float:
            k = min(int(t / w), n_b - 1)
            return integral[k] + per_bucket[k] * (t - k * w)

        col_w = now / columns
        edges = [upto(c * col_w) for c in range(columns + 1)]
        return [(edges[c + 1] - edges[c]) / col_w for c in range(columns)]

    def _reach(self, t: float) -> None:
        """Make sure time ``t`` has a bucket, merging buckets if there would be too many."""
        need = int(t / self.width) + 1
        while need > MAX_BUCKETS:
            self._merge()
            need = int(t / self.width) + 1
        grow = need - len(self.closed)
        if grow > 0:
            zeros = array("d", bytes(8 * grow))
            self.closed.extend(zeros)
            self.open_n.extend(zeros)
            self.open_frac.extend(zeros)

    def _merge(self) -> None:
        closed, n, frac = self.closed, self.open_n, self.open_frac
        if len(closed) % 2:
            closed.append(0.0)
            n.append(0.0)
            frac.append(0.0)
        half = len(closed) // 2
        self.closed = array("d", (closed[2 * i] + closed[2 * i + 1] for i in range(half)))
        self.open_n = array("d", (n[2 * i] + n[2 * i + 1] for i in range(half)))
        # An open start in the first half of a merged bucket also covers the whole second half.
        self.open_frac = array(
            "d", ((frac[2 * i] + n[2 * i] + frac[2 * i + 1]) / 2 for i in range(half))
        )
        self.width *= 2
