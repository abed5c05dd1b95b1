"""Running intervals for asyncio: drive a coroutine one step at a time and time each step.

An asyncio task runs in steps: from one resumption to the next ``await`` that suspends. Wrapping the
coroutine in an awaitable that calls its ``send()``/``throw()`` itself lets us timestamp every step:
each step is a running interval, each suspension a gap. The futures the coroutine yields are passed
through untouched, so the event loop sees exactly what it would have seen.
"""

from __future__ import annotations

from collections.abc import Coroutine, Generator
from time import perf_counter_ns
from typing import Any


class Stepped:
    __slots__ = ("coro", "intervals")

    def __init__(self, coro: Coroutine[Any, Any, Any], intervals: list[int]) -> None:
        self.coro = coro
        self.intervals = intervals

    def __await__(self) -> Generator[Any, Any, Any]:
        coro, iv = self.coro, self.intervals
        send, throw = coro.send, coro.throw
        value: Any = None
        error: BaseException | None = None
        while True:
            t0 = perf_counter_ns()
            try:
                yielded = send(value) if error is None else throw(error)
            except StopIteration as stop:
                iv += (t0, perf_counter_ns())
                return stop.value
            except BaseException:
                iv += (t0, perf_counter_ns())
                raise
            iv += (t0, perf_counter_ns())
            try:
                value, error = (yield yielded), None
            except BaseException as exc:  # cancellation or a failed future, thrown in by the loop
                value, error = None, exc
