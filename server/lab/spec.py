"""What the engine runs: a checked request (``server.spec.make_spec`` checks and builds one)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from experiments.registry import Number, Workload
from server.lab.executors import Executor


@dataclass(frozen=True)
class RunSpec:
    """A workload, an executor, how many tasks and workers: every value already checked."""

    workload: Workload
    executor: type[Executor]
    tasks: int
    workers: int
    params: Mapping[str, Number]
    start_method: str | None = None
    label: str | None = field(default=None, compare=False)
    #: The executor's own options, from its ``parse_options`` (the server lab's ``ServerOptions``).
    options: object = None
