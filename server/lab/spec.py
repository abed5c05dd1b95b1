"""What a user asks for, checked: a workload, an executor, how many tasks, how many workers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import experiments
from experiments.registry import InvalidParameter, Number, Workload
from server.lab.executors import CPUS, LOCAL_EXECUTORS, Executor, Processes
from server.serverlab.load import ServerLoad
from server.serverlab.options import ServerOptions, server_options

#: Every executor a run may name: the lab's own, and the server lab's (a real web server).
EXECUTORS: dict[str, type[Executor]] = {**LOCAL_EXECUTORS, ServerLoad.id.value: ServerLoad}

DEFAULT_TASKS = 8


@dataclass(frozen=True)
class Limits:
    max_tasks: int = 100_000
    max_thread_workers: int = 64
    max_process_workers: int = 4 * CPUS
    time_limit_s: float = 120.0


@dataclass(frozen=True)
class RunSpec:
    """A checked request: build it with :func:`make_spec`."""

    workload: Workload
    executor: type[Executor]
    tasks: int
    workers: int
    params: Mapping[str, Number]
    start_method: str | None = None
    label: str | None = field(default=None, compare=False)
    server: ServerOptions | None = None


def make_spec(
    workload: str,
    executor: str = "sequential",
    tasks: object = DEFAULT_TASKS,
    workers: object = None,
    params: Mapping[str, object] | None = None,
    start_method: str | None = None,
    limits: Limits = Limits(),
    label: str | None = None,
    server: Mapping[str, object] | ServerOptions | None = None,
) -> RunSpec:
    """Validate raw input; raise :class:`InvalidParameter` naming the first thing that is wrong."""
    w = experiments.get(workload)
    try:
        ex = EXECUTORS[executor]
    except KeyError:
        allowed = ", ".join(EXECUTORS)
        raise InvalidParameter(
            "executor", f"unknown executor {executor!r}; allowed: {allowed}"
        ) from None
    n = _int("tasks", tasks, 1, limits.max_tasks)
    cap = max_workers(ex, limits)
    workers_n = ex.default_workers(n) if workers in (None, "") else _int("workers", workers, 1, cap)
    if start_method not in (None, ""):
        if ex is not Processes:
            raise InvalidParameter("start_method", "only the processes executor has a start method")
        if start_method not in Processes.START_METHODS:
            allowed = ", ".join(Processes.START_METHODS)
            raise InvalidParameter("start_method", f"{start_method!r} is not one of: {allowed}")
    options = None
    if ex is ServerLoad:
        options = server_options(server)
    elif server:
        raise InvalidParameter("server", "server options are for the server executor only")
    resolved = w.resolve(params)
    return RunSpec(w, ex, n, workers_n, resolved, start_method or None, label, options)


def max_workers(executor: type[Executor], limits: Limits) -> int:
    """The largest pool a user may ask this executor for."""
    caps = {"threads": limits.max_thread_workers, "processes": limits.max_process_workers}
    return caps.get(executor.id.value, executor.max_workers())


def _int(name: str, raw: object, lo: int, hi: int) -> int:
    allowed = f"an integer from {lo} to {hi}"
    try:
        if isinstance(raw, bool) or (isinstance(raw, float) and not raw.is_integer()):
            raise ValueError
        value: int = int(raw.strip() if isinstance(raw, str) else raw)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        raise InvalidParameter(name, f"{raw!r} is not {allowed}") from None
    if not lo <= value <= hi:
        raise InvalidParameter(name, f"{value} is out of range; allowed: {allowed}")
    return value
