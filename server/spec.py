"""What a user asks for, checked against the executors and the lab's limits: a :class:`RunSpec`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import experiments
from experiments.registry import InvalidParameter
from server.executors import EXECUTORS, spoken
from server.lab.executors import Executor, Sequential
from server.lab.spec import RunSpec

DEFAULT_TASKS = 8


@dataclass(frozen=True)
class Limits:
    max_tasks: int = 100_000
    #: The largest pool by executor id, where it is not the executor's own ``max_workers``.
    max_workers: Mapping[str, int] = field(default_factory=dict)
    time_limit_s: float = 120.0

    def max_workers_of(self, executor: type[Executor]) -> int:
        """The largest pool a user may ask this executor for."""
        return self.max_workers.get(executor.id, executor.max_workers)


def make_spec(
    workload: str,
    executor: str = Sequential.id,
    tasks: object = DEFAULT_TASKS,
    workers: object = None,
    params: Mapping[str, object] | None = None,
    start_method: str | None = None,
    limits: Limits = Limits(),
    label: str | None = None,
    server: Mapping[str, object] | None = None,
) -> RunSpec:
    """Validate raw input; raise :class:`InvalidParameter` naming the first thing that is wrong.

    ``server`` is the executor's own options (the API's ``server`` object), for one that takes them.
    """
    w = experiments.get(workload)
    try:
        ex = EXECUTORS[executor]
    except KeyError:
        allowed = ", ".join(EXECUTORS)
        raise InvalidParameter(
            "executor", f"unknown executor {executor!r}; allowed: {allowed}"
        ) from None
    n = _int("tasks", tasks, 1, limits.max_tasks)
    cap = limits.max_workers_of(ex)
    workers_n = ex.default_workers(n) if workers in (None, "") else _int("workers", workers, 1, cap)
    if start_method not in (None, ""):
        if not ex.start_methods:
            owners = spoken([e.id for e in EXECUTORS.values() if e.start_methods])
            raise InvalidParameter("start_method", f"only the {owners} executor has a start method")
        if start_method not in ex.start_methods:
            allowed = ", ".join(ex.start_methods)
            raise InvalidParameter("start_method", f"{start_method!r} is not one of: {allowed}")
    if ex.takes_options:
        options = ex.parse_options(server)
    elif server:
        raise misplaced_options()
    else:
        options = None
    resolved = w.resolve(params)
    return RunSpec(w, ex, n, workers_n, resolved, start_method or None, label, options)


def misplaced_options(executor: str | None = None) -> InvalidParameter:
    """The error for server options given to an executor that takes none (named, if ``executor``)."""
    owners = spoken([e.id for e in EXECUTORS.values() if e.takes_options])
    given = f", not {executor!r}" if executor else ""
    return InvalidParameter("server", f"server options are for the {owners} executor only{given}")


def describe_executor(executor: type[Executor], limits: Limits) -> dict[str, Any]:
    """The executor as ``GET /api/workloads`` lists it: id, title, pool sizes, and its choices."""
    return {
        "id": executor.id,
        "title": executor.title,
        "default_workers": executor.default_workers(DEFAULT_TASKS),
        "max_workers": limits.max_workers_of(executor),
        **executor.capabilities(),
    }


def _int(name: str, raw: object, lo: int, hi: int) -> int:
    allowed = f"an integer from {lo} to {hi}"
    try:
        if isinstance(raw, bool) or (isinstance(raw, float) and not raw.is_integer()):
            raise ValueError
        # raw may be any object: int() raises TypeError for what it cannot convert (caught below).
        value: int = int(raw.strip() if isinstance(raw, str) else raw)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        raise InvalidParameter(name, f"{raw!r} is not {allowed}") from None
    if not lo <= value <= hi:
        raise InvalidParameter(name, f"{value} is out of range; allowed: {allowed}")
    return value
