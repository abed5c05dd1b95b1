"""Running intervals for asyncio: drive a coroutine one step at a time and time each step.

An asyncio task runs in steps: from one resumption to the next ``await`` that suspends. Wrapping the
coroutine in an awaitable that calls its ``send()``/``throw()`` itself lets us timestamp every step:
each step is a running interval, each suspension a gap. The futures the coroutine yields are passed
through untouched, so the event loop sees exactly what it would have seen.

Each suspension is also a wait: ``await`` until what the task awaited was ready, ``loop`` after that
(``server.lab.waits.stepped``). For each suspension the wrapper notes when it was ready: the due
time ``experiments.probe.asleep`` left in ``experiments.probe.stepping`` during the step, -1 for a
bare ``yield`` (``asyncio.sleep(0)``: ready at once), 0 for any other await (not known: its whole
suspension is ``await``). The recorder names the waits from these notes once the task has ended,
so that the task's own loop pays for one list append per step.
"""

from __future__ import annotations

from collections.abc import Coroutine, Generator
from time import perf_counter_ns
from typing import Any

from experiments.probe import stepping


class Stepped:
    __slots__ = ("coro", "dues", "intervals")

    def __init__(
        self, coro: Coroutine[Any, Any, Any], intervals: list[int], dues: list[int]
    ) -> None:
        self.coro = coro
        self.intervals = intervals
        #: per suspension, when what it awaited was ready (see the module's docstring)
        self.dues = dues

    def __await__(self) -> Generator[Any, Any, Any]:
        coro, iv, dues = self.coro, self.intervals, self.dues
        send, throw = coro.send, coro.throw
        step = stepping
        step.due = 0  # whatever an await outside a step may have left
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
            dues.append(-1 if yielded is None else step.due)
            step.due = 0
            try:
                value, error = (yield yielded), None
            except BaseException as exc:  # cancellation or a failed future, thrown in by the loop
                value, error = None, exc
