"""Server-Sent Events: the one wire encoder, and the one loop that follows a log as it grows.

Both event streams use them: the JSON stream of a run's log (``/api/runs/{id}/events``) and the
HTML frames of a live page (``/runs/{id}/stream``), whose frames a broker appends to a log of
its own (``server.web.broker``).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from typing import TypeVar

from server.lab.runlog import Log

T = TypeVar("T")


def encode(data: str, *, id: int | None = None, event: str | None = None) -> bytes:
    """One message. Every line of ``data`` gets its own ``data:`` field (the client joins them
    with newlines again), so that a line break in the data cannot end the message early."""
    head = (f"id: {id}\r\n" if id is not None else "") + (
        f"event: {event}\r\n" if event is not None else ""
    )
    lines = "".join(f"data: {line}\r\n" for line in data.splitlines() or [""])
    return f"{head}{lines}\r\n".encode()


async def follow(
    log: Log[T], after: int = 0, *, idle_s: float | None = None
) -> AsyncIterator[Sequence[T]]:
    """The log's items after position ``after``, in batches as they come, until it is closed.

    ``idle_s``: also an empty batch when nothing came for that long, so that a follower can
    redraw what moves with time alone. A follower that paces what it does with the batches (the
    frame broker) holds them itself: a batch it does not act on costs it no delay."""
    position = after
    while True:
        batch = log.after(position)
        if batch:
            position += len(batch)
            yield batch
        elif log.closed:
            return
        elif idle_s is not None:
            try:
                await asyncio.wait_for(log.wait(position), idle_s)
            except TimeoutError:
                yield batch  # empty: only time has moved on
        else:
            await log.wait(position)
