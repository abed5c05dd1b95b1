"""The run log: every message a run produced, in order, with ids rising by one from 1.

Subscribers (event streams) read from it by id, so a reconnect with ``Last-Event-ID`` resumes
exactly, and wait on it for more. A message holds a cheap snapshot and is turned into JSON only when
first read: recording a task costs a tuple, not a ``json.dumps`` (see ``server.lab.recorder``).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

from server.types import EventName

_encode = json.JSONEncoder(separators=(",", ":")).encode


class Message:
    __slots__ = ("_data", "_json", "_render", "event", "id")

    def __init__(self, id: int, event: EventName, render: Callable[[], dict[str, Any]]) -> None:
        self.id = id
        self.event = event
        self._render = render
        self._data: dict[str, Any] | None = None
        self._json: str | None = None

    @property
    def data(self) -> dict[str, Any]:
        if self._data is None:
            self._data = self._render()
        return self._data

    @property
    def json(self) -> str:
        if self._json is None:
            self._json = _encode(self.data)
        return self._json


class RunLog:
    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.closed = False
        self._changed = asyncio.Event()

    def append(self, event: EventName, render: Callable[[], dict[str, Any]]) -> Message:
        msg = Message(len(self.messages) + 1, event, render)
        self.messages.append(msg)
        return msg

    def notify(self) -> None:
        """Wake every subscriber (call after appending a batch)."""
        self._changed.set()
        self._changed = asyncio.Event()

    def close(self) -> None:
        self.closed = True
        self.notify()

    def after(self, last_id: int) -> list[Message]:
        return self.messages[max(last_id, 0) :]

    async def wait(self, last_id: int) -> None:
        """Return once there are messages after ``last_id`` or the log is closed."""
        while len(self.messages) <= last_id and not self.closed:
            await self._changed.wait()
