"""What a lesson is: an explanation, the runs it performs, and a verdict computed from them.

A lesson knows nothing of the server: its runs are plain descriptions (workload, executor, tasks,
workers, parameters), and its verdict is a function of their finished run documents. The verdict must
say what was measured, also when the textbook effect did not appear.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from experiments.document import RunDocument

#: What a verdict reads: a finished run document.
Doc = RunDocument


@dataclass(frozen=True)
class Step:
    """One run of a lesson."""

    label: str
    workload: str
    executor: str
    tasks: int = 8
    workers: int | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    start_method: str | None = None
    #: For the ``server`` executor: which server and endpoint, and how the load is applied (see
    #: ``server.serverlab.options.ServerOptions``). ``workers`` is then the server's worker count.
    server: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Reference:
    """A published figure to hold our measurement against."""

    source: str
    figures: str
    url: str = ""


@dataclass(frozen=True)
class Ratio:
    """A fact that divides one run's timing by another's: the machine's speed alone can move it.

    ``base`` and ``other`` are the two runs' labels ("" when they depend on the result, such as
    a margin between whichever runs came first and second); ``tested`` is what the comparison is
    meant to show ("asyncio", "a second worker").
    """

    fact: str
    base: str = ""
    other: str = ""
    tested: str = ""


@dataclass(frozen=True)
class Verdict:
    text: str
    facts: dict[str, float]


@dataclass(frozen=True)
class Lesson:
    id: str
    title: str
    summary: str
    explanation: Sequence[str]  # paragraphs, plain text
    steps: Sequence[Step]
    judge: Callable[[Mapping[str, Doc]], Verdict]
    facts: Mapping[str, str] = field(default_factory=dict)  # fact name -> what it means
    references: Sequence[Reference] = ()
    #: The facts that compare timings; ``None``: every fact whose name starts with "speedup".
    ratios: Sequence[Ratio] | None = None

    def ratios_in(self, facts: Mapping[str, float]) -> list[Ratio]:
        """The timing comparisons among a verdict's facts."""
        if self.ratios is None:
            return [Ratio(name) for name in facts if name.startswith("speedup")]
        return [r for r in self.ratios if r.fact in facts]

    def describe(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "summary": self.summary}


# --- small helpers for verdicts -----------------------------------------------------------------


def wall(doc: Doc) -> float:
    return float(doc["wall_s"] or 0.0)


def speedup(base: Doc, other: Doc) -> float:
    return round(wall(base) / wall(other), 2) if wall(other) else 0.0


def metric(doc: Doc, name: str) -> float:
    """A metric by name, 0.0 where the run has none (``None``, or not measured for its executor)."""
    metrics: Mapping[str, object] = doc["metrics"]
    value = metrics.get(name)
    return float(value) if isinstance(value, int | float) else 0.0


def results(doc: Doc) -> list[Any]:
    return [t.get("result") for t in doc["tasks"] if t.get("result") is not None]


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values)) if values else 0.0


def ratio_word(x: float) -> str:
    return f"{x:.2f}×"


def waited(task: Mapping[str, Any], reason: str) -> float:
    """Seconds one task waited for ``reason`` (its ``waits``; none in runs recorded before)."""
    return float(sum(e - s for s, e, r in task.get("waits") or () if r == reason))


def wait_shares(doc: Doc, reason: str) -> dict[str, float]:
    """Per lane (by its label, in order), the share of its tasks' time in flight that they
    waited for ``reason``; empty for a run recorded before waits were."""
    if not any("waits" in t for t in doc["tasks"]):
        return {}
    labels = {lane["id"]: lane["label"] for lane in doc.get("lanes") or ()}
    flight: dict[str, float] = {}
    wait: dict[str, float] = {}
    for t in doc["tasks"]:
        end = t.get("end_s")
        if end is None:
            continue
        lane = labels.get(t.get("lane", ""), t.get("lane", ""))
        flight[lane] = flight.get(lane, 0.0) + end - t["start_s"]
        wait[lane] = wait.get(lane, 0.0) + waited(t, reason)
    return {lane: wait[lane] / f for lane, f in flight.items() if f > 0}
