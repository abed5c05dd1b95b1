"""A comparison: a lesson's runs, executed one after another, and the verdict computed from them.

Every lesson's verdict gets two things here, without the lesson doing anything:

- Repeats. A lesson may run its steps N times, interleaved (A B C, A B C, ...), so that a slow
  minute of the machine falls on every step alike. The lesson's own verdict then reads, for each
  step, its median run: a real run, so every figure it cites was measured, not averaged. The
  wrapper says so, and how far the repetitions of one step spread.
- Noise. The engine measures the machine's speed around each run (``host.speed``: a fixed
  calibration spin before and after, in work units per ms of CPU). ``speed_spread`` is how much
  those speeds differ across the comparison's runs; past :data:`SPEED_NOTABLE`, the verdict says
  so and names the timing comparisons (the lesson's ratios) small enough to be that alone.
  Documents without ``host.speed`` (older ones) get neither the fact nor the sentence.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from experiments.document import RunDocument
from experiments.lessons import Lesson, Ratio
from experiments.lessons.base import Step, wall
from server.lab import outside
from server.lab.run import Run, utc_now
from server.types import RunStatus

#: The most times one comparison may repeat a lesson's steps.
MAX_REPEAT = 5
#: The machine's speed changing by more than this across a comparison's runs is said in its verdict.
SPEED_NOTABLE = 0.10

#: What the facts added here mean (each lesson documents its own).
FACTS = {
    "repeat": "times the lesson's steps ran, interleaved; each figure is from its step's median run",
    "repeat_spread": "the largest spread of wall times between the repetitions of one step: "
    "(slowest − fastest) / fastest",
    "speed_spread": "how much this machine's speed changed across these runs: (fastest − "
    "slowest) / slowest, over the calibration spins before and after each run",
}


@dataclass(frozen=True)
class Slot:
    """One run of a comparison: a step of the lesson, in its ``repetition`` (of ``of``)."""

    step: Step
    repetition: int = 1
    of: int = 1

    @property
    def label(self) -> str:
        return repetition_label(self.step.label, self.repetition, self.of)


def repetition_label(label: str, repetition: int, of: int) -> str:
    """A step's label, told apart from its other repetitions when there are several."""
    return label if of == 1 else f"{label} · {repetition} of {of}"


def plan(lesson: Lesson, repeat: int = 1) -> list[Slot]:
    """The lesson's steps ``repeat`` times, interleaved: A B C, A B C, ..."""
    if not 1 <= repeat <= MAX_REPEAT:
        raise ValueError(f"repeat must be 1 to {MAX_REPEAT}, not {repeat}")
    return [Slot(step, k, repeat) for k in range(1, repeat + 1) for step in lesson.steps]


class Comparison:
    def __init__(self, lesson: Lesson, runs: Sequence[Run], repeat: int = 1) -> None:
        """``runs`` in the order of :func:`plan` (``lesson``, ``repeat``)."""
        self.id = uuid.uuid4().hex[:12]
        self.lesson = lesson
        self.repeat = repeat
        self.slots = plan(lesson, repeat)
        self.runs = [(slot.label, run) for slot, run in zip(self.slots, runs, strict=True)]
        self.created_at = utc_now()
        self._verdict: dict[str, Any] | None = None
        self._medians: set[str] = set()  # ids of the runs the verdict read

    @property
    def status(self) -> str:
        statuses = {run.status for _, run in self.runs}
        if any(not s.finished for s in statuses):
            return RunStatus.RUNNING.value
        for bad in (RunStatus.FAILED, RunStatus.CANCELLED):
            if bad in statuses:
                return bad.value
        return RunStatus.DONE.value

    def rounds(self) -> list[dict[str, RunDocument]]:
        """The run documents, one mapping of step label to document per repetition."""
        rounds: list[dict[str, RunDocument]] = [{} for _ in range(self.repeat)]
        for slot, (_, run) in zip(self.slots, self.runs, strict=True):
            rounds[slot.repetition - 1][slot.step.label] = run.document()
        return rounds

    def verdict(self) -> dict[str, Any] | None:
        """``None`` until every run has ended; then the lesson's judgement of what was measured."""
        if self._verdict is None and self.status != RunStatus.RUNNING.value:
            rounds = self.rounds()
            self._verdict = judge(self.lesson, *rounds)
            self._medians = {d["id"] for d in medians(rounds).values()}
        return self._verdict

    def document(self) -> dict[str, Any]:
        verdict = self.verdict()  # first: it decides which runs are the medians
        return {
            "id": self.id,
            "lesson": self.lesson.id,
            "title": self.lesson.title,
            "status": self.status,
            "created_at": self.created_at,
            "repeat": self.repeat,
            "runs": [
                run_summary(
                    label,
                    run.document(),
                    slot,
                    median=self.repeat == 1 or run.id in self._medians,
                )
                for slot, (label, run) in zip(self.slots, self.runs, strict=True)
            ],
            "verdict": verdict,
        }


def run_summary(
    label: str, doc: RunDocument, slot: Slot | None = None, *, median: bool = True
) -> dict[str, Any]:
    """A run as a comparison lists it; ``step`` and ``repetition`` place it in the lesson, and
    ``median`` says whether the verdict read it (with repeats, only once the verdict exists)."""
    return {
        "id": doc["id"],
        "label": label,
        "step": slot.step.label if slot else label,
        "repetition": slot.repetition if slot else 1,
        "median": median,
        "workload": doc["workload"],
        "executor": doc["executor"],
        "workers": doc["workers"],
        "tasks": doc["tasks_requested"],
        "params": doc["params"],
        "status": doc["status"],
        "wall_s": doc["wall_s"],
        "metrics": doc["metrics"],
    }


def judge(lesson: Lesson, *rounds: Mapping[str, RunDocument]) -> dict[str, Any]:
    """The lesson's verdict on its runs (one mapping of step label to document per repetition),
    with what repeats and the machine's speed add; runs that did not finish are said, not judged."""
    n = len(rounds)
    labelled = {
        repetition_label(label, k, n): d
        for k, docs in enumerate(rounds, 1)
        for label, d in docs.items()
    }
    unfinished = [
        f"{label} ({d['status']})" for label, d in labelled.items() if d["status"] != "done"
    ]
    if unfinished:
        return {
            "text": "No verdict: not every run finished: " + ", ".join(unfinished) + ".",
            "facts": {},
        }
    chosen = medians(rounds)
    try:
        v = lesson.judge(chosen)
    except Exception as exc:  # a broken verdict must not hide the measurements
        return {
            "text": f"The verdict could not be computed ({type(exc).__name__}: {exc}).",
            "facts": {},
        }
    facts: dict[str, Any] = dict(v.facts)
    paragraphs = [v.text]
    if n > 1:
        spread, step = repeat_spread(rounds)
        facts.update(repeat=n, repeat_spread=round(spread, 3))
        paragraphs.append(repeat_note(n, spread, step))
    speeds = speeds_of(labelled.values())
    if len(speeds) >= 2:
        facts["speed_spread"] = round(relative_spread(speeds), 3)
        paragraphs.append(noise_note(lesson, v.facts, chosen, speeds, facts["speed_spread"]))
    paragraphs.append(_outside_load(labelled))
    return {"text": "\n".join(p for p in paragraphs if p), "facts": facts}


# --- repeats ------------------------------------------------------------------------------------


def median_run(docs: Sequence[RunDocument]) -> RunDocument:
    """The run whose wall time is the median of ``docs``; of an even count, the faster of the
    middle two (a real run either way, never an average of two)."""
    return sorted(docs, key=wall)[(len(docs) - 1) // 2]


def medians(rounds: Sequence[Mapping[str, RunDocument]]) -> dict[str, RunDocument]:
    """Each step's median run over its repetitions, by step label."""
    labels = dict.fromkeys(label for docs in rounds for label in docs)
    return {
        label: median_run([docs[label] for docs in rounds if label in docs]) for label in labels
    }


def relative_spread(values: Iterable[float]) -> float:
    """(largest - smallest) / smallest; 0 without a positive smallest value."""
    values = list(values)
    low = min(values, default=0.0)
    return (max(values) - low) / low if low > 0 else 0.0


def repeat_spread(rounds: Sequence[Mapping[str, RunDocument]]) -> tuple[float, str]:
    """The largest spread of wall times between the repetitions of one step, and that step."""
    labels = dict.fromkeys(label for docs in rounds for label in docs)
    spreads = [
        (relative_spread(wall(docs[label]) for docs in rounds if label in docs), label)
        for label in labels
    ]
    return max(spreads, default=(0.0, ""), key=lambda s: s[0])


def repeat_note(n: int, spread: float, step: str) -> str:
    which = {2: " (the faster of the two)", 4: " (the faster of the middle two)"}.get(n, "")
    return (
        f"Repeated {n} times, interleaved; each figure is from the median run of its step{which}; "
        f"wall times varied by up to {percent(spread)} between repetitions of one step (“{step}”)."
    )


# --- the machine's speed ------------------------------------------------------------------------


def speeds_of(docs: Iterable[RunDocument]) -> list[float]:
    """Every speed measured around these runs (``host.speed`` start and end), where measured."""
    found = []
    for d in docs:
        host: Mapping[str, object] = d.get("host") or {}
        speed = host.get("speed")
        if isinstance(speed, Mapping):
            for key in ("start", "end"):
                value = speed.get(key)
                if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
                    found.append(float(value))
    return found


def within(ratio: float, spread: float) -> bool:
    """Whether a ratio of two timings is no further from 1 than the machine's own change."""
    return ratio > 0 and max(ratio, 1 / ratio) - 1 <= spread


def noise_note(
    lesson: Lesson,
    facts: Mapping[str, float],
    docs: Mapping[str, RunDocument],
    speeds: Sequence[float],
    spread: float,
) -> str:
    """A word on the machine's speed changing across the runs, past :data:`SPEED_NOTABLE`: by
    how much, and which of the verdict's comparisons of timings lie within that change."""
    if spread <= SPEED_NOTABLE:
        return ""
    low, high = min(speeds), max(speeds)
    digits = 0 if high >= 100 else 1 if high >= 10 else 2
    head = (
        f"This machine's speed changed by {percent(spread)} across these runs ({low:,.{digits}f} "
        f"to {high:,.{digits}f} work units per ms of CPU)"
    )
    ratios = lesson.ratios_in(facts)
    close = [r for r in ratios if within(facts[r.fact], spread)]
    if close:
        return head + ". " + " ".join(_ratio_within(r, facts[r.fact], docs) for r in close)
    if ratios:
        return head + ", less than any of the differences this verdict rests on."
    return head + ": a difference in timing smaller than that can be the machine alone."


def _ratio_within(ratio: Ratio, value: float, docs: Mapping[str, RunDocument]) -> str:
    difference = percent(max(value, 1 / value) - 1)
    cause = "this machine's speed changing" + (f", not {ratio.tested}" if ratio.tested else "")
    base, other = docs.get(ratio.base), docs.get(ratio.other)
    if base is None or other is None:
        return f"{ratio.fact} is {value:.2f}×: its {difference} difference can be {cause}."
    pair = f"“{ratio.base}” and “{ratio.other}”"
    if _same_work(base, other):
        return f"{pair} did the same work; their {difference} difference can be {cause}."
    return f"{pair}: their {difference} difference can be {cause}."


def _same_work(a: RunDocument, b: RunDocument) -> bool:
    return all(a.get(k) == b.get(k) for k in ("workload", "params", "tasks_requested"))


def percent(x: float) -> str:
    return "under 1%" if x < 0.005 else f"{x:.0%}"


# --- other programs -----------------------------------------------------------------------------


def _outside_load(docs: Mapping[str, RunDocument]) -> str:
    """A word on other programs' load if it took room from one of the runs (the run it took the
    most from, if several); "" if it took none."""
    said = []
    for label, d in docs.items():
        cpus = d.get("host", {}).get("cpus") or os.cpu_count() or 1
        note = outside.note(d["metrics"], cpus, f"“{label}”")
        if note:
            said.append((d["metrics"]["outside_cpu_cores"], note))
    return max(said)[1] if said else ""
