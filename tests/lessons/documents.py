"""Hand-made run documents for verdict tests: just the fields verdicts read.

A server-lab document is an ordinary run document whose tasks are requests: ``executor_info`` names
the workers (``workers_ready``), the kills and the HTTP versions, each task's ``result`` carries the
client's view (``pid``, ``latency_s``, ``status_code``), and the metrics add ``requests_ok``,
``requests_failed``, latencies and ``throughput_rps``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

MIB = 1024 * 1024
LAB_PID, SUPERVISOR_PID = 1, 2


def doc(
    label: str = "run",
    *,
    wall: float = 1.0,
    status: str = "done",
    cpus: int = 2,
    tasks: list[dict[str, Any]] | None = None,
    speed: tuple[float, float] | None = None,
    **metrics: float,
) -> dict[str, Any]:
    """A run document with just what verdicts read; ``speed``: the machine's speed measured
    before and after the run (``host.speed``, work units per ms of CPU), if it was."""
    host: dict[str, Any] = {"cpus": cpus}
    if speed is not None:
        host["speed"] = {"start": speed[0], "end": speed[1]}
    return {
        "id": label,
        "status": status,
        "wall_s": wall,
        "host": host,
        "metrics": {"avg_concurrency": 1.0, "avg_parallelism": 1.0, "peak_rss_bytes": 0, **metrics},
        "tasks": tasks or [],
        "lanes": [],
        "samples": [],
        "params": {},
    }


def requests(per_worker: Mapping[int, int], failed: int = 0, latency: float = 1.0) -> list[Any]:
    """Answered requests, ``per_worker[pid]`` of them by each worker, then ``failed`` ones."""
    tasks: list[dict[str, Any]] = []
    for pid, n in per_worker.items():
        for _ in range(n):
            result: dict[str, Any] = {"status_code": 200, "latency_s": latency, "pid": pid}
            tasks.append({"id": len(tasks), "status": "ok", "result": result})
    for _ in range(failed):
        result = {"status_code": None, "latency_s": 0.2, "pid": None}
        tasks.append({"id": len(tasks), "status": "error", "result": result})
    return tasks


def lanes(kind: str, n: int, pid: int = 100) -> list[dict[str, Any]]:
    return [{"id": f"{kind[0]}{pid}-{i}", "kind": kind, "pid": pid} for i in range(n)]


def server_doc(
    *,
    wall: float = 1.0,
    per_worker: Mapping[int, int] | None = None,
    failed: int = 0,
    ready: Mapping[int, float] | None = None,
    kills: Sequence[tuple[int, float]] = (),
    versions: Sequence[str] = ("HTTP/1.1",),
    lane_list: list[dict[str, Any]] | None = None,
    rss: Sequence[Mapping[int, int]] = (),
    **metrics: float,
) -> dict[str, Any]:
    """A server-lab run: workers ``ready`` (pid -> t_s; by default every worker of ``per_worker``,
    before the load), the requests each answered, and ``rss`` samples (pid -> bytes)."""
    per_worker = per_worker if per_worker is not None else {100: 10}
    ok = sum(per_worker.values())
    d = doc(
        wall=wall,
        tasks=requests(per_worker, failed),
        requests_ok=ok,
        requests_failed=failed,
    )
    d["metrics"].update(metrics)
    ready = ready if ready is not None else dict.fromkeys(per_worker, -0.4)
    d["executor"] = "server"
    d["executor_info"] = {
        "setup": "uvicorn",
        "workers_ready": [
            {"pid": p, "t_s": t} for p, t in sorted(ready.items(), key=lambda kv: kv[1])
        ],
        "kills": [{"pid": p, "t_s": t} for p, t in kills],
        "http_versions": sorted(versions),
    }
    d["lanes"] = lane_list if lane_list is not None else lanes("loop", len(per_worker))
    d["samples"] = [
        {"t_s": 0.1 * i, "cpu_percent": [50.0], "rss_bytes": {str(p): v for p, v in s.items()}}
        for i, s in enumerate(rss)
    ]
    return d
