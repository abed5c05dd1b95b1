"""Lessons started as comparisons: their runs go through the manager as one group, in order."""

from __future__ import annotations

import dataclasses
from collections import OrderedDict
from typing import Any

from experiments.lessons import Lesson
from server.lab.comparison import Comparison
from server.lab.executors import Threads
from server.lab.run import Run
from server.lab.spec import RunSpec
from server.manager import RunManager
from server.spec import Limits, make_spec
from server.store import Store

KEEP = 32
#: Lesson steps are vetted code, not user input: they may use bigger thread pools than users
#: (how-many-threads sweeps up to 200 threads).
LESSON_MAX_THREADS = 256


def lesson_specs(lesson: Lesson, limits: Limits) -> list[RunSpec]:
    """The lesson's steps as checked run specs (raises InvalidParameter for a broken lesson)."""
    threads = max(limits.max_workers_of(Threads), LESSON_MAX_THREADS)
    limits = dataclasses.replace(limits, max_workers={**limits.max_workers, Threads.id: threads})
    return [
        make_spec(
            s.workload,
            s.executor,
            s.tasks,
            s.workers,
            dict(s.params),
            s.start_method,
            limits=limits,
            label=s.label,
            server=s.server,
        )
        for s in lesson.steps
    ]


class Comparisons:
    def __init__(self, manager: RunManager, store: Store, limits: Limits) -> None:
        self.manager, self.store, self.limits = manager, store, limits
        self.live: OrderedDict[str, Comparison] = OrderedDict()
        manager.on_finish(self._run_finished)

    def start(self, lesson: Lesson) -> Comparison:
        runs = self.manager.submit_group(lesson_specs(lesson, self.limits), exclusive=True)
        comparison = Comparison(
            lesson, [(s.label, r) for s, r in zip(lesson.steps, runs, strict=True)]
        )
        self.live[comparison.id] = comparison
        while len(self.live) > KEEP:
            self.live.popitem(last=False)
        self.store.save_comparison(comparison.document())
        return comparison

    def get(self, comparison_id: str) -> Comparison | None:
        return self.live.get(comparison_id)

    def stored(self, comparison_id: str) -> dict[str, Any] | None:
        """A comparison read back from the store (blocking: call it off the event loop)."""
        return self.store.get_comparison(comparison_id)

    def latest_live(self, lesson_id: str) -> Comparison | None:
        for c in reversed(self.live.values()):
            if c.lesson.id == lesson_id:
                return c
        return None

    def latest_stored(self, lesson_id: str) -> dict[str, Any] | None:
        """The newest stored comparison of a lesson (blocking: call it off the event loop)."""
        return self.store.latest_comparison(lesson_id)

    def _run_finished(self, run: Run) -> None:
        for c in self.live.values():
            if any(r is run for _, r in c.runs):
                self.store.save_comparison(c.document())
