"""The one SSE encoder, byte for byte, and the loop that follows a log."""

from __future__ import annotations

import asyncio

import pytest

from server.lab.runlog import Log
from server.web import sse


@pytest.mark.parametrize(
    ("data", "kw", "wire"),
    [
        pytest.param(
            '{"a":1}',
            {"id": 3, "event": "task"},
            b'id: 3\r\nevent: task\r\ndata: {"a":1}\r\n\r\n',
            id="json",
        ),
        pytest.param(
            "<b>x</b>\n<i>y</i>",
            {"id": 1},
            b"id: 1\r\ndata: <b>x</b>\r\ndata: <i>y</i>\r\n\r\n",
            id="lines",
        ),
        pytest.param("", {"event": "end"}, b"event: end\r\ndata: \r\n\r\n", id="empty"),
    ],
)
def test_encode(data: str, kw: dict[str, object], wire: bytes) -> None:
    assert sse.encode(data, **kw) == wire  # type: ignore[arg-type]


async def test_follow_yields_what_comes_until_the_log_closes() -> None:
    log: Log[str] = Log()
    got: list[list[str]] = []

    async def reader() -> None:
        async for batch in sse.follow(log, 0):
            got.append(list(batch))

    task = asyncio.create_task(reader())
    log.add("a")
    log.add("b")
    log.notify()
    await asyncio.sleep(0.01)
    log.add("c")
    log.close()
    await asyncio.wait_for(task, 1)
    assert got == [["a", "b"], ["c"]]


async def test_follow_resumes_after_a_position_and_ticks_while_nothing_comes() -> None:
    log: Log[int] = Log()
    for i in range(3):
        log.add(i)
    stream = sse.follow(log, 2, idle_s=0.01)
    assert list(await anext(stream)) == [2]
    assert list(await anext(stream)) == []  # nothing new for 10 ms: an empty batch, a tick
    log.close()
    with pytest.raises(StopAsyncIteration):
        await anext(stream)
