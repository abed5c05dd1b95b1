"""CPU work where some tasks fail: shows how a failed task looks, and that the others go on."""

from __future__ import annotations

from experiments.cpu import compute
from experiments.registry import Param, workload


class TaskFailed(RuntimeError):
    pass


@workload(
    "flaky",
    title="CPU-bound, some tasks fail",
    summary="Like cpu, but every Nth task raises halfway through.",
    params=[
        Param("ms", int, 100, 1, 60_000, "CPU time of one task on an idle core", "ms"),
        Param("fail_every", int, 4, 1, 100_000, "every Nth task raises (task N-1, 2N-1, ...)"),
    ],
)
def flaky(task: int, ms: int = 100, fail_every: int = 4) -> None:
    compute(ms / 2)
    if task % fail_every == fail_every - 1:
        raise TaskFailed(f"task {task} failed on purpose (every {fail_every}th task does)")
    compute(ms / 2)
