"""The run log: every message a run produced, in order, with ids rising by one from 1.

Subscribers (event streams) read from it by id, so a reconnect with ``Last-Event-ID`` resumes
exactly, and wait on it for more. A message holds a cheap snapshot and is turned into JSON only when
first read: recording a task costs a tuple, not a ``json.dumps`` (see ``server.lab.recorder``).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any, Generic, TypeVar, cast

from experiments.document import Lane, Sample, StatusMessage, Task
from server.types import EventName

T = TypeVar("T")

_encode = json.JSONEncoder(separators=(",", ":")).encode

#: What a message holds; its event says which.
Payload = Lane | Task | Sample | StatusMessage


class Message:
    __slots__ = ("_data", "_json", "_render", "event", "id")

    def __init__(self, id: int, event: EventName, render: Callable[[], Payload]) -> None:
        self.id = id
        self.event = event
        self._render = render
        self._data: dict[str, Any] | None = None
        self._json: str | None = None

    @property
    def data(self) -> dict[str, Any]:
        """The payload, untyped: its shape depends on :attr:`event`, which readers dispatch on
        and a type checker cannot follow (writers are held to :data:`Payload`)."""
        if self._data is None:
            self._data = cast(dict[str, Any], self._render())
        return self._data

    @property
    def json(self) -> str:
        if self._json is None:
            self._json = _encode(self.data)
        return self._json


class Log(Generic[T]):
    """Items at positions 1, 2, 3..., read by position and waited on: a reader that knows where
    it stopped resumes exactly there (an event stream's ``Last-Event-ID``)."""

    def __init__(self) -> None:
        self.items: list[T] = []
        self.closed = False
        self._changed = asyncio.Event()

    def add(self, item: T) -> None:
        self.items.append(item)

    def notify(self) -> None:
        """Wake every reader (call after adding a batch)."""
        self._changed.set()
        self._changed = asyncio.Event()

    def close(self) -> None:
        self.closed = True
        self.notify()

    def after(self, position: int) -> list[T]:
        return self.items[max(position, 0) :]

    async def wait(self, position: int) -> None:
        """Return once there are items after ``position`` or the log is closed."""
        while len(self.items) <= position and not self.closed:
            await self._changed.wait()


class RunLog(Log[Message]):
    """A run's messages: a message's id is its position."""

    @property
    def messages(self) -> list[Message]:
        return self.items

    def append(self, event: EventName, render: Callable[[], Payload]) -> Message:
        msg = Message(len(self.items) + 1, event, render)
        self.items.append(msg)
        return msg
