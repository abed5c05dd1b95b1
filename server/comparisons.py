"""Lessons started as comparisons: their runs go through the manager as one group, in order (with
repeats, the lesson's steps interleaved: A B C, A B C)."""

from __future__ import annotations

import dataclasses
from collections import OrderedDict
from typing import Any

from experiments.lessons import Lesson
from server.lab.comparison import Comparison, plan
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


def lesson_specs(lesson: Lesson, limits: Limits, repeat: int = 1) -> list[RunSpec]:
    """The lesson's steps, ``repeat`` times interleaved, as checked run specs (raises
    InvalidParameter for a broken lesson, ValueError for a repeat out of range)."""
    threads = max(limits.max_workers_of(Threads), LESSON_MAX_THREADS)
    limits = dataclasses.replace(limits, max_workers={**limits.max_workers, Threads.id: threads})
    specs = []
    for slot in plan(lesson, repeat):
        s = slot.step
        specs.append(
            make_spec(
                s.workload,
                s.executor,
                s.tasks,
                s.workers,
                dict(s.params),
                s.start_method,
                limits=limits,
                label=slot.label,
                server=s.server,
            )
        )
    return specs


class Comparisons:
    def __init__(self, manager: RunManager, store: Store, limits: Limits) -> None:
        self.manager, self.store, self.limits = manager, store, limits
        self.live: OrderedDict[str, Comparison] = OrderedDict()
        manager.on_finish(self._run_finished)

    def start(self, lesson: Lesson, repeat: int = 1) -> Comparison:
        """Submit the lesson's runs (its steps ``repeat`` times, interleaved) as one exclusive
        group: nothing else runs beside them."""
        specs = lesson_specs(lesson, self.limits, repeat)
        comparison = Comparison(lesson, self.manager.submit_group(specs, exclusive=True), repeat)
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
