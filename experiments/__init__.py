"""Workloads: plain functions the lab runs as tasks. Nothing here knows about the server.

To add a workload, write a module beside these with one ``@workload`` function: every module in this
package is imported (and so registered) when the package is. Lessons live in ``experiments/lessons``.
"""

from __future__ import annotations

import importlib
import pkgutil

from experiments import cpu
from experiments.registry import InvalidParameter, Param, Workload, get, visible, workload

_NOT_WORKLOADS = {"registry", "probe", "document", "lessons"}

for _info in pkgutil.iter_modules(__path__):
    if _info.name not in _NOT_WORKLOADS:
        importlib.import_module(f"{__name__}.{_info.name}")

__all__ = ["InvalidParameter", "Param", "Workload", "get", "visible", "warm_up", "workload"]


def warm_up() -> None:
    """One-off measurements workloads need (the CPU calibration), done before a run's clock starts."""
    cpu.loops_per_ms()
