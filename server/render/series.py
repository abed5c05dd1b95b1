"""How many intervals cover each instant, accumulated incrementally and read back at any resolution.

The live charts need "tasks in flight" and "tasks running" over time, every frame, for runs of up to
100,000 tasks. Every interval is kept as two signed steps in fixed-width buckets: +1 where it starts,
-1 where it ends (an interval still open has only its +1, so it extends to "now" untouched). Adding
an interval is O(1) whatever its length; reading the series is O(buckets + columns). When the run
outgrows :data:`MAX_BUCKETS`, neighbouring buckets merge and the width doubles.
"""

from __future__ import annotations

from array import array

MAX_BUCKETS = 1024


class Series:
    __slots__ = ("frac", "steps", "width")

    def __init__(self, width: float = 0.005) -> None:
        self.width = width
        self.steps = array("d")  # net starts (+1) and ends (-1) falling in each bucket
        self.frac = array("d")  # for each of those, sign x (bucket end - t) / width

    def add(self, start: float, end: float) -> None:
        """A closed interval ``[start, end)``."""
        if end > start:
            self.open(start)
            self._step(end, -1.0)

    def open(self, start: float) -> None:
        """An interval that has started and not yet ended: it covers everything up to now."""
        self._step(start, 1.0)

    def close(self, start: float, end: float) -> None:
        """End an interval earlier passed to :meth:`open` with the same ``start``."""
        self._step(max(start, end), -1.0)

    def _step(self, t: float, sign: float) -> None:
        self._reach(t)
        b = int(t / self.width)
        self.steps[b] += sign
        self.frac[b] += sign * ((b + 1) - t / self.width)

    def averages(self, now: float, columns: int) -> list[float]:
        """Average number of covering intervals in each of ``columns`` slices of ``[0, now]``."""
        if now <= 0 or columns <= 0:
            return [0.0] * max(columns, 0)
        self._reach(now)
        w = self.width
        n_b = min(len(self.steps), int(now / w) + 1)
        steps, frac = self.steps, self.frac
        # Average count per bucket: everything that started before it and has not ended, plus the
        # partial coverage of starts and ends that fall inside it.
        per_bucket = []
        count = 0.0
        for b in range(n_b):
            per_bucket.append(count + frac[b])
            count += steps[b]
        # The bucket holding "now" has only partly elapsed: average it over the elapsed part.
        b = n_b - 1
        lo, tail = b * w, now - b * w
        if 0 < tail < w:
            before = count - steps[b]  # open since before the bucket: cover all of [lo, now]
            # each step at t inside it adds sign x (now - t); sum(sign x t) follows from frac.
            inside = w * frac[b] - steps[b] * (lo + w - now)
            per_bucket[b] = (before * tail + inside) / tail
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
        grow = need - len(self.steps)
        if grow > 0:
            zeros = array("d", bytes(8 * grow))
            self.steps.extend(zeros)
            self.frac.extend(zeros)

    def _merge(self) -> None:
        steps, frac = self.steps, self.frac
        if len(steps) % 2:
            steps.append(0.0)
            frac.append(0.0)
        half = len(steps) // 2
        self.steps = array("d", (steps[2 * i] + steps[2 * i + 1] for i in range(half)))
        # A step in the first half of a merged bucket also covers (or uncovers) its second half.
        self.frac = array(
            "d", ((frac[2 * i] + steps[2 * i] + frac[2 * i + 1]) / 2 for i in range(half))
        )
        self.width *= 2
