"""The real server in a child process, for the benchmarks that go over HTTP (fan-out, latency).

Also the pieces those benchmarks share: a minimal SSE splitter, percentiles, and the run's
clock anchor (the server's run start ``t0`` on this machine's monotonic clock).

Why the anchor is sound: the server stamps everything with ``time.perf_counter_ns()``, which is
CLOCK_MONOTONIC on Linux and shared by every process of the machine, so ``time.perf_counter()`` in
the bench reads the very same clock. The run document only gives times relative to the run's
start, so the start itself has to be recovered: each ``sample`` event of the JSON stream carries
``t_s``, read at the end of the sample and appended to the run log (and the stream woken) right
after it. Its arrival time here is therefore ``t0 + t_s + d``, with ``d >= 0`` the publish and
transport delay, and ``min(arrival - t_s)`` over the run's samples is ``t0`` plus the smallest
``d`` seen: an estimate that can only be late, by well under a millisecond on an idle loopback
(the spread of ``arrival - t_s`` is reported so that this can be checked).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

import server.liveserver

ROOT = Path(__file__).resolve().parent.parent
SEP = b"\r\n\r\n"  # sse-starlette and the JSON stream both end a message with CRLF CRLF
FINAL = {"done", "failed", "cancelled"}


class LiveServer(server.liveserver.LiveServer):
    """The lab in a process group of its own, so that it and any pool children it starts are
    stopped together; plus the scheduler's view of its event loop."""

    def __init__(self, env: dict[str, str] | None = None) -> None:
        super().__init__(env=env, own_group=True)

    def loop_sched(self) -> tuple[float, float]:
        """(seconds on a CPU, seconds runnable but waiting for a CPU) of the server's main thread,
        the one running the event loop, from ``/proc/PID/task/PID/schedstat``."""
        return schedstat(f"/proc/{self.proc.pid}/task/{self.proc.pid}/schedstat")


def schedstat(path: str = "/proc/thread-self/schedstat") -> tuple[float, float]:
    """(seconds on a CPU, seconds waiting on a run queue) of one thread; NaNs where unreadable.

    The wait is the evidence for CPU contention: time the thread could have run but had no core."""
    try:
        run_ns, wait_ns, _ = Path(path).read_text().split()
        return int(run_ns) / 1e9, int(wait_ns) / 1e9
    except (OSError, ValueError):
        return math.nan, math.nan


def wait_finished(client: httpx.Client, run_id: str, every_s: float = 0.1) -> dict[str, Any]:
    """Poll the API until the run has ended; return its document."""
    while True:
        doc: dict[str, Any] = client.get(f"/api/runs/{run_id}").json()
        if doc["status"] in FINAL:
            return doc
        time.sleep(every_s)


class SSESplitter:
    """Bytes in, whole SSE messages out (without their terminating blank line)."""

    def __init__(self) -> None:
        self.buf = b""

    def feed(self, chunk: bytes) -> list[bytes]:
        self.buf += chunk
        if SEP not in self.buf:
            return []
        *messages, self.buf = self.buf.split(SEP)
        return messages


def message_id(msg: bytes) -> int | None:
    if not msg.startswith(b"id: "):
        return None
    return int(msg[4 : msg.index(b"\r\n")])


def pct(values: list[float], q: float) -> float:
    """The ``q``-th percentile (0..100), linear between closest ranks; NaN for no values."""
    if not values:
        return math.nan
    s = sorted(values)
    k = (len(s) - 1) * q / 100
    lo, hi = math.floor(k), math.ceil(k)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


@dataclass
class Anchor:
    """What the JSON event stream of one run told us, timed on the shared monotonic clock."""

    offsets: list[float] = field(default_factory=list)  # arrival - t_s of each live sample
    task_end_arrivals: dict[int, float] = field(default_factory=dict)
    final_status: str | None = None
    t0: float | None = None  # the run's start, on time.perf_counter()'s clock

    @property
    def spread_ms(self) -> tuple[float, float]:
        """(p50, p90) of how much later than the earliest one the samples arrived, in ms."""
        if not self.offsets or self.t0 is None:
            return math.nan, math.nan
        late = [(o - self.t0) * 1e3 for o in self.offsets]
        return pct(late, 50), pct(late, 90)


async def read_anchor(client: httpx.AsyncClient, run_id: str, timeout_s: float) -> Anchor:
    """Follow ``/api/runs/{id}/events`` to the end; return the run's ``t0`` estimate."""
    anchor = Anchor()
    split = SSESplitter()

    async def go() -> None:
        async with client.stream("GET", f"/api/runs/{run_id}/events") as r:
            r.raise_for_status()
            async for chunk in r.aiter_raw():
                now = time.perf_counter()
                for msg in split.feed(chunk):
                    fields = dict(
                        line.split(": ", 1) for line in msg.decode().split("\r\n") if ": " in line
                    )
                    event, data = fields.get("event"), fields.get("data")
                    if not data:
                        continue
                    if event == "sample":
                        anchor.offsets.append(now - json.loads(data)["t_s"])
                    elif event == "task":
                        d: dict[str, Any] = json.loads(data)
                        if d.get("end_s") is not None and d["id"] not in anchor.task_end_arrivals:
                            anchor.task_end_arrivals[d["id"]] = now
                    elif event == "status":
                        status = json.loads(data)["status"]
                        if status in FINAL:
                            anchor.final_status = status

    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(go(), timeout_s)
    if anchor.offsets:
        anchor.t0 = min(anchor.offsets)
    return anchor
