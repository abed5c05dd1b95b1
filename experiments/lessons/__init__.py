"""The lessons: each module here holds one ``LESSON``. To add one, write a module and list it below."""

from __future__ import annotations

from experiments.lessons import (
    concurrency_vs_parallelism,
    cpu_bound,
    io_bound,
)
from experiments.lessons.base import Doc, Lesson, Reference, Step, Verdict

_MODULES = (concurrency_vs_parallelism, cpu_bound, io_bound)

LESSONS: dict[str, Lesson] = {m.LESSON.id: m.LESSON for m in _MODULES}

__all__ = ["LESSONS", "Doc", "Lesson", "Reference", "Step", "Verdict"]
