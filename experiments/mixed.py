"""Mixed work: compute a little, wait a little, in ten alternating steps."""

from __future__ import annotations

from experiments import probe
from experiments.cpu import compute
from experiments.registry import Param, workload

STEPS = 10


@workload(
    "mixed",
    title="Mixed",
    summary="Alternates computing and waiting, like a request handler that also parses.",
    params=[
        Param("ms", int, 100, 1, 60_000, "total time of one task on an idle core", "ms"),
        Param("cpu_fraction", float, 0.5, 0.0, 1.0, "share of the time spent computing"),
    ],
)
def mixed(ms: int = 100, cpu_fraction: float = 0.5) -> None:
    step_cpu, step_wait = ms * cpu_fraction / STEPS, ms * (1 - cpu_fraction) / STEPS / 1000
    for _ in range(STEPS):
        compute(step_cpu)
        probe.sleep(step_wait)


@mixed.awaitable
async def mixed_async(ms: int = 100, cpu_fraction: float = 0.5) -> None:
    step_cpu, step_wait = ms * cpu_fraction / STEPS, ms * (1 - cpu_fraction) / STEPS / 1000
    for _ in range(STEPS):
        compute(step_cpu)
        await probe.asleep(step_wait)
