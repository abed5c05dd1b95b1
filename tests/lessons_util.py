"""Helpers for lesson tests: minimal run documents for verdicts."""

from __future__ import annotations

from typing import Any


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
