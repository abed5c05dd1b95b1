"""The workload registry: one decorated function per workload, with typed, bounded parameters.

A workload is a plain function. Register it with ``@workload(...)``; give it an awaitable form with
``@that_workload.awaitable`` when it has one (the asyncio executor awaits that form, and runs the
plain function inline, blocking its loop, when there is none).
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

Number = int | float


class InvalidParameter(ValueError):
    """A parameter is unknown, malformed or out of range; ``str()`` is one line naming it."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"{name}: {message}")
        self.name = name
        self.message = message


@dataclass(frozen=True)
class Param:
    name: str
    type: type[int] | type[float]
    default: Number
    min: Number
    max: Number
    help: str
    unit: str = ""

    @property
    def allowed(self) -> str:
        kind = "an integer" if self.type is int else "a number"
        return f"{kind} from {self.min} to {self.max}"

    def parse(self, raw: object) -> Number:
        """Turn raw input (a string from a form or CLI, or a JSON number) into a bounded value."""
        value: Number
        try:
            if isinstance(raw, bool):
                raise TypeError
            if self.type is int:
                if isinstance(raw, float) and not raw.is_integer():
                    raise ValueError
                # raw may be any object: int() raises TypeError for what it cannot convert, which
                # is caught below.
                value = int(raw.strip() if isinstance(raw, str) else raw)  # type: ignore[call-overload]
            else:
                value = float(raw)  # type: ignore[arg-type]
                if value != value or value in (float("inf"), float("-inf")):
                    raise ValueError
        except (TypeError, ValueError):
            raise InvalidParameter(self.name, f"{raw!r} is not {self.allowed}") from None
        if not self.min <= value <= self.max:
            raise InvalidParameter(self.name, f"{value} is out of range; allowed: {self.allowed}")
        return value

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.type.__name__,
            "default": self.default,
            "min": self.min,
            "max": self.max,
            "unit": self.unit,
            "help": self.help,
        }


@dataclass
class Workload:
    id: str
    title: str
    summary: str
    fn: Callable[..., object]
    params: tuple[Param, ...] = ()
    afn: Callable[..., Awaitable[object]] | None = None
    hidden: bool = False
    _by_name: dict[str, Param] = field(init=False, repr=False)
    _fn_context: tuple[str, ...] = field(init=False, repr=False)
    _afn_context: tuple[str, ...] = field(init=False, repr=False, default=())

    def __post_init__(self) -> None:
        self._by_name = {p.name: p for p in self.params}
        self._fn_context = _context_names(self.fn)

    def call(self, task: int, params: Mapping[str, Number], run_id: str = "") -> object:
        """Run the plain form. A function with a ``task`` parameter is told its task index, one
        with a ``run_id`` parameter the run's id (for state shared by one run's tasks only)."""
        if self._fn_context:
            return self.fn(**_context(self._fn_context, task, run_id), **params)
        return self.fn(**params)

    def call_awaitable(
        self, task: int, params: Mapping[str, Number], run_id: str = ""
    ) -> Awaitable[object]:
        assert self.afn is not None
        if self._afn_context:
            return self.afn(**_context(self._afn_context, task, run_id), **params)
        return self.afn(**params)

    def awaitable(self, afn: Callable[..., Awaitable[object]]) -> Callable[..., Awaitable[object]]:
        """Decorator: register the awaitable form of this workload."""
        self.afn = afn
        self._afn_context = _context_names(afn)
        return afn

    def resolve(self, raw: Mapping[str, object] | None) -> dict[str, Number]:
        """Defaults overlaid with ``raw``, each value parsed and bounds-checked."""
        raw = raw or {}
        for name in raw:
            if name not in self._by_name:
                allowed = ", ".join(self._by_name) or "none"
                raise InvalidParameter(
                    name, f"unknown parameter for workload {self.id!r}; allowed: {allowed}"
                )
        return {p.name: p.parse(raw[p.name]) if p.name in raw else p.default for p in self.params}

    def describe(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "summary": self.summary,
            "awaitable": self.afn is not None,
            "params": [p.describe() for p in self.params],
        }


CONTEXT = ("task", "run_id")


def _context_names(fn: Callable[..., object]) -> tuple[str, ...]:
    """Which of the context arguments (task index, run id) ``fn`` accepts."""
    names = inspect.signature(fn).parameters
    return tuple(n for n in CONTEXT if n in names)


def _context(names: tuple[str, ...], task: int, run_id: str) -> dict[str, object]:
    values = {"task": task, "run_id": run_id}
    return {n: values[n] for n in names}


_REGISTRY: dict[str, Workload] = {}


def workload(
    id: str, *, title: str, summary: str, params: Iterable[Param] = (), hidden: bool = False
) -> Callable[[Callable[..., object]], Workload]:
    """Register the decorated function as the workload ``id``."""

    def register(fn: Callable[..., object]) -> Workload:
        if id in _REGISTRY:
            raise ValueError(f"workload {id!r} is registered twice")
        w = Workload(
            id=id, title=title, summary=summary, fn=fn, params=tuple(params), hidden=hidden
        )
        _REGISTRY[id] = w
        return w

    return register


def get(id: str) -> Workload:
    try:
        return _REGISTRY[id]
    except KeyError:
        allowed = ", ".join(w.id for w in visible())
        raise InvalidParameter("workload", f"unknown workload {id!r}; allowed: {allowed}") from None


def visible() -> list[Workload]:
    """The workloads offered to users (lessons may register hidden helpers)."""
    return [w for w in _REGISTRY.values() if not w.hidden]
