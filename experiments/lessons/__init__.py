"""The lessons: each module in this package holds one ``LESSON``; adding a lesson is adding a module.

Modules are found automatically. :data:`ORDER` fixes the order lessons are listed in (the published
ids, see CONTRACT.md); a lesson whose id is not in it is listed after them.
"""

from __future__ import annotations

import importlib
import pkgutil

from experiments.lessons.base import Doc, Lesson, Ratio, Reference, Step, Verdict

ORDER = (
    "concurrency-vs-parallelism",
    "cpu-bound",
    "io-bound",
    "decision-matrix",
    "gil",
    "gil-release",
    "convoy",
    "blocking-the-loop",
    "race-condition",
    "how-many-threads",
    "memory-per-process",
    "start-methods",
    "oversubscription",
    "server-blocking-async",
    "server-threadpool",
    "server-async-await",
    "server-workers",
    "server-gunicorn-sync",
    "server-restart",
    "server-http2",
)


def _discover() -> dict[str, Lesson]:
    found: dict[str, Lesson] = {}
    for info in pkgutil.iter_modules(__path__):
        if info.name == "base":
            continue
        lesson = getattr(importlib.import_module(f"{__name__}.{info.name}"), "LESSON", None)
        if isinstance(lesson, Lesson):
            if lesson.id in found:
                raise ValueError(f"lesson {lesson.id!r} is defined twice")
            found[lesson.id] = lesson
    rank = {lid: i for i, lid in enumerate(ORDER)}
    return dict(sorted(found.items(), key=lambda kv: (rank.get(kv[0], len(ORDER)), kv[0])))


LESSONS: dict[str, Lesson] = _discover()

__all__ = ["LESSONS", "ORDER", "Doc", "Lesson", "Ratio", "Reference", "Step", "Verdict"]
