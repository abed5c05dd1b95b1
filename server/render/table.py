"""A run's tasks as CSV (CONTRACT.md, "Exports"): a header row, then one row per task.

Seconds have six decimals (microseconds, like the trace). The wait columns hold the seconds a task
waited for each reason; they are empty for a document recorded before waits were (unknown, not
zero), as are ``submitted_s`` and ``queued_s``. A task still in flight has no ``end_s``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from typing import Any

from experiments.document import RunDocument
from server.types import WaitReason

WAIT_COLUMNS = tuple(f"wait_{r.value}_s" for r in WaitReason)
COLUMNS = (
    "task",
    "lane",
    "start_s",
    "end_s",
    "cpu_s",
    "status",
    "submitted_s",
    "queued_s",
    "running_s",
    *WAIT_COLUMNS,
    "lane_label",
    "error",
)


def seconds(value: float | None) -> str:
    return "" if value is None else f"{value:.6f}"


def row(task: Mapping[str, Any], lane_label: str) -> dict[str, str]:
    submitted, start = task.get("submitted_s"), task["start_s"]
    out = {
        "task": str(task["id"]),
        "lane": task["lane"],
        "start_s": seconds(start),
        "end_s": seconds(task["end_s"]),
        "cpu_s": seconds(task.get("cpu_s")),
        "status": task["status"],
        "submitted_s": seconds(submitted),
        "queued_s": seconds(start - submitted if submitted is not None else None),
        "running_s": seconds(sum(e - s for s, e in task["running"])),
        "lane_label": lane_label,
        "error": task.get("error") or "",
    }
    waits = task.get("waits")
    for reason, column in zip(WaitReason, WAIT_COLUMNS, strict=True):
        spent = None if waits is None else sum(e - s for s, e, r in waits if r == reason)
        out[column] = seconds(spent)
    return out


def rows(doc: RunDocument) -> list[dict[str, str]]:
    labels = {lane["id"]: lane["label"] for lane in doc.get("lanes") or ()}
    tasks: Sequence[Mapping[str, Any]] = doc.get("tasks") or []
    return [row(t, labels.get(t["lane"], t["lane"])) for t in sorted(tasks, key=lambda t: t["id"])]


def tasks_csv(doc: RunDocument) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, COLUMNS, lineterminator="\r\n")  # RFC 4180
    writer.writeheader()
    writer.writerows(rows(doc))
    return out.getvalue()
