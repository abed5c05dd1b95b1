"""The shared vocabulary: statuses, lane kinds, event names and executor ids (templates use them too)."""

from __future__ import annotations

from enum import StrEnum


class RunStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        return self in (RunStatus.DONE, RunStatus.FAILED, RunStatus.CANCELLED)


class TaskStatus(StrEnum):
    RUNNING = "running"  # in flight: only seen in partial documents
    OK = "ok"
    ERROR = "error"
    CANCELLED = "cancelled"


class LaneKind(StrEnum):
    PROCESS = "process"
    THREAD = "thread"
    LOOP = "loop"


class EventName(StrEnum):
    LANE = "lane"
    TASK = "task"
    SAMPLE = "sample"
    STATUS = "status"


class ExecutorId(StrEnum):
    SEQUENTIAL = "sequential"
    THREADS = "threads"
    PROCESSES = "processes"
    ASYNCIO = "asyncio"
    SERVER = "server"
