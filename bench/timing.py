"""Shared timing helpers: alternating repetitions, medians, and the rows of the report."""

from __future__ import annotations

import gc
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from time import perf_counter
from typing import Any


@dataclass
class Row:
    """One line of the report: a bare figure, the lab's figure, and the goal for their ratio."""

    name: str
    unit: str
    bare: list[float] = field(default_factory=list)
    lab: list[float] = field(default_factory=list)
    goal: float | None = None
    note: str = ""
    #: Further figures per repetition (e.g. a breakdown of the lab's time), reported as medians.
    extra: dict[str, list[float]] = field(default_factory=dict)
    #: The goal bounds the lab figure itself (a latency, a count), not the lab/bare ratio.
    absolute: bool = False
    #: The goal is a least value (watched parallelism against unwatched), not a most.
    at_least: bool = False
    #: ``bare[i]`` and ``lab[i]`` were measured one after the other: the ratio is the median of
    #: the pairs' ratios, so that the machine's speed drifting between pairs cancels out.
    paired: bool = False

    def add_extra(self, name: str, value: float) -> None:
        if value != value:  # NaN: nothing was measured (and JSON has no NaN)
            return
        self.extra.setdefault(name, []).append(value)

    @property
    def bare_median(self) -> float | None:
        return statistics.median(self.bare) if self.bare else None

    @property
    def lab_median(self) -> float | None:
        return statistics.median(self.lab) if self.lab else None

    @property
    def ratio(self) -> float | None:
        if self.paired:
            pairs = self.pair_ratios
            return statistics.median(pairs) if pairs else None
        b, lab = self.bare_median, self.lab_median
        return lab / b if b and lab is not None else None

    @property
    def pair_ratios(self) -> list[float]:
        """Each pair's ratio (paired rows only)."""
        return (
            [lab / b for b, lab in zip(self.bare, self.lab, strict=True) if b]
            if self.paired
            else []
        )

    @property
    def verdict(self) -> str:
        value = self.lab_median if self.absolute else self.ratio
        if self.goal is None or value is None:
            return "info"
        met = value >= self.goal if self.at_least else value <= self.goal
        return "PASS" if met else "MISS"

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "unit": self.unit,
            "bare": self.bare_median,
            "lab": self.lab_median,
            "ratio": _round(self.ratio, 4),
            "ratio_of": "the median pair" if self.paired else "the medians",
            "goal": self.goal,
            "goal_on": "lab" if self.absolute else "ratio",
            "goal_is": "at least" if self.at_least else "at most",
            "verdict": self.verdict,
            "note": self.note,
            "extra": {k: round(statistics.median(v), 6) for k, v in self.extra.items() if v},
            "bare_samples": [round(x, 6) for x in self.bare],
            "lab_samples": [round(x, 6) for x in self.lab],
            **({"pair_ratios": [round(x, 4) for x in self.pair_ratios]} if self.paired else {}),
        }


def _round(x: float | None, digits: int) -> float | None:
    return None if x is None else round(x, digits)


def timed(fn: Callable[[], object]) -> float:
    """Seconds one call of ``fn`` takes, after a full garbage collection."""
    gc.collect()
    t0 = perf_counter()
    fn()
    return perf_counter() - t0


def alternate(
    bare: Callable[[], None],
    lab: Callable[[], None],
    reps: int,
    budget_s: float = 40.0,
    min_reps: int = 3,
) -> int:
    """Call ``bare`` then ``lab``, ``reps`` times; stop early (after ``min_reps``) once the pairs
    have taken more than ``budget_s``. Each callable records its own figures.

    Returns how many pairs ran."""
    t0 = perf_counter()
    for i in range(reps):
        gc.collect()
        bare()
        gc.collect()
        lab()
        if i + 1 >= min_reps and perf_counter() - t0 > budget_s:
            return i + 1
    return reps
