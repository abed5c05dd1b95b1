"""Helpers for lesson tests: minimal run documents for verdicts, and running a lesson for real."""

from __future__ import annotations

import time
from typing import Any

import httpx


def doc(
    label: str = "run",
    *,
    wall: float = 1.0,
    status: str = "done",
    cpus: int = 2,
    tasks: list[dict[str, Any]] | None = None,
    **metrics: float,
) -> dict[str, Any]:
    """A run document with just what verdicts read."""
    return {
        "id": label,
        "status": status,
        "wall_s": wall,
        "host": {"cpus": cpus},
        "metrics": {"avg_concurrency": 1.0, "avg_parallelism": 1.0, "peak_rss_bytes": 0, **metrics},
        "tasks": tasks or [],
        "lanes": [],
        "samples": [],
        "params": {},
    }


def run_lesson(client: httpx.Client, lesson_id: str, timeout: float = 120) -> dict[str, Any]:
    r = client.post(f"/api/lessons/{lesson_id}/runs")
    assert r.status_code == 202, r.text
    started = r.json()
    assert started["lesson"] == lesson_id and started["status"] == "running" and started["runs"]
    assert r.headers["location"] == f"/api/comparisons/{started['id']}"
    deadline = time.monotonic() + timeout
    while True:
        c: dict[str, Any] = client.get(f"/api/comparisons/{started['id']}").json()
        if c["status"] != "running":
            break
        assert c["verdict"] is None  # no verdict before every run has ended
        assert time.monotonic() < deadline, f"lesson {lesson_id} still running"
        time.sleep(0.2)
    assert [run["id"] for run in c["runs"]] == started["runs"]
    assert c["status"] == "done", c
    assert c["verdict"]["text"] and c["verdict"]["facts"]
    return c
