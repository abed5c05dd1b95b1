"""A comparison: a lesson's runs, executed one after another, and the verdict computed from them."""

from __future__ import annotations

import os
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from experiments.document import RunDocument
from experiments.lessons import Lesson
from server.lab import outside
from server.lab.run import Run
from server.types import RunStatus


class Comparison:
    def __init__(self, lesson: Lesson, runs: list[tuple[str, Run]]) -> None:
        self.id = uuid.uuid4().hex[:12]
        self.lesson = lesson
        self.runs = runs
        self.created_at = (
            datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        )
        self._verdict: dict[str, Any] | None = None

    @property
    def status(self) -> str:
        statuses = {run.status for _, run in self.runs}
        if any(not s.finished for s in statuses):
            return RunStatus.RUNNING.value
        for bad in (RunStatus.FAILED, RunStatus.CANCELLED):
            if bad in statuses:
                return bad.value
        return RunStatus.DONE.value

    def verdict(self) -> dict[str, Any] | None:
        """``None`` until every run has ended; then the lesson's judgement of what was measured."""
        if self._verdict is None and self.status != RunStatus.RUNNING.value:
            self._verdict = judge(self.lesson, {label: run.document() for label, run in self.runs})
        return self._verdict

    def document(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "lesson": self.lesson.id,
            "title": self.lesson.title,
            "status": self.status,
            "created_at": self.created_at,
            "runs": [run_summary(label, run.document()) for label, run in self.runs],
            "verdict": self.verdict(),
        }


def run_summary(label: str, doc: RunDocument) -> dict[str, Any]:
    return {
        "id": doc["id"],
        "label": label,
        "workload": doc["workload"],
        "executor": doc["executor"],
        "workers": doc["workers"],
        "tasks": doc["tasks_requested"],
        "params": doc["params"],
        "status": doc["status"],
        "wall_s": doc["wall_s"],
        "metrics": doc["metrics"],
    }


def judge(lesson: Lesson, docs: Mapping[str, RunDocument]) -> dict[str, Any]:
    """Run the lesson's verdict function; runs that did not finish are said, not judged."""
    unfinished = [f"{label} ({d['status']})" for label, d in docs.items() if d["status"] != "done"]
    if unfinished:
        return {
            "text": "No verdict: not every run finished: " + ", ".join(unfinished) + ".",
            "facts": {},
        }
    try:
        v = lesson.judge(docs)
    except Exception as exc:  # a broken verdict must not hide the measurements
        return {
            "text": f"The verdict could not be computed ({type(exc).__name__}: {exc}).",
            "facts": {},
        }
    return {"text": _with_outside_load(v.text, docs), "facts": v.facts}


def _with_outside_load(text: str, docs: Mapping[str, RunDocument]) -> str:
    """The verdict, plus a word on other programs' load if it took room from one of the runs (the
    run it took the most from, if several)."""
    said = []
    for label, d in docs.items():
        cpus = d.get("host", {}).get("cpus") or os.cpu_count() or 1
        note = outside.note(d["metrics"], cpus, f"“{label}”")
        if note:
            said.append((d["metrics"]["outside_cpu_cores"], note))
    return f"{text}\n{max(said)[1]}" if said else text
