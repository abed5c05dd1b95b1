"""Workloads: plain functions the lab runs as tasks. Nothing here knows about the server.

To add a workload, write a module beside these with one ``@workload`` function and import it below.
"""

from experiments import cpu, flaky, hash, io, mixed  # noqa: F401  (importing registers them)
from experiments.registry import InvalidParameter, Param, Workload, get, visible, workload

__all__ = ["InvalidParameter", "Param", "Workload", "get", "visible", "warm_up", "workload"]


def warm_up() -> None:
    """One-off measurements workloads need (the CPU calibration), done before a run's clock starts."""
    cpu.loops_per_ms()
