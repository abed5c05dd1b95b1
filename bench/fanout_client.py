"""One client process of the fan-out benchmark: ``COUNT`` viewers of one run's HTML frame stream.

``python -m bench.fanout_client URL COUNT DEADLINE_S`` imports what it needs, prints ``ready``,
then reads the run id from stdin (so that the run can start after the clients are warm), opens
``COUNT`` concurrent streams of ``/runs/{id}/stream`` with one ``httpx.AsyncClient`` and records,
for each viewer, the id and the arrival time (``time.perf_counter()``, the machine's monotonic
clock, shared with the server and the bench) of every message. It prints one JSON object:
``{"viewers": [...], "cpu_s": ..., "wall_s": ...}`` and exits; after ``DEADLINE_S`` the streams
still open are abandoned and reported with an error.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any

import httpx

from bench.liveserver import SSESplitter, schedstat


async def viewer(client: httpx.AsyncClient, path: str, out: dict[str, Any]) -> None:
    split = SSESplitter()
    ids: list[int] = out["ids"]
    times: list[float] = out["t"]
    try:
        async with client.stream("GET", path) as r:
            out["c"] = time.perf_counter()
            out["status"] = r.status_code
            async for chunk in r.aiter_raw():
                now = time.perf_counter()
                for msg in split.feed(chunk):
                    if not msg.startswith(b"id: "):
                        continue  # a ping comment
                    j = msg.index(b"\r\n")
                    if msg.startswith(b"event: end", j + 2):
                        out["end"] = True
                        return
                    ids.append(int(msg[4:j]))
                    times.append(now)
    except Exception as exc:
        out["err"] = f"{type(exc).__name__}: {exc}"[:200]


async def main(url: str, count: int, deadline_s: float) -> dict[str, Any]:
    print("ready", flush=True)
    run_id = (await asyncio.to_thread(sys.stdin.readline)).strip()
    cpu0, wall0, (_, wait0) = time.process_time(), time.perf_counter(), schedstat()
    limits = httpx.Limits(max_connections=count + 8, max_keepalive_connections=0)
    timeout = httpx.Timeout(30.0, pool=60.0)
    results: list[dict[str, Any]] = [
        {"c": None, "ids": [], "t": [], "end": False, "err": None} for _ in range(count)
    ]
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=timeout) as client:
        path = f"/runs/{run_id}/stream"
        tasks = [asyncio.create_task(viewer(client, path, out)) for out in results]
        _done, pending = await asyncio.wait(tasks, timeout=deadline_s)
        for t in pending:
            t.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
    for out in results:
        if not out["end"] and out["err"] is None:
            out["err"] = "deadline: stream still open"
        out["t"] = [round(x, 6) for x in out["t"]]
    return {
        "viewers": results,
        "cpu_s": time.process_time() - cpu0,
        "runq_wait_s": schedstat()[1] - wait0,
        "wall_s": time.perf_counter() - wall0,
    }


if __name__ == "__main__":
    url, count, deadline = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    result = asyncio.run(main(url, count, deadline))
    sys.stdout.write(json.dumps(result, separators=(",", ":")) + "\n")
