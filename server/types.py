"""The shared vocabulary: statuses, lane kinds, wait reasons, event names (templates use them too).

Executor ids are not here: each executor says its own (``server.executors`` lists them).
"""

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


class WaitReason(StrEnum):
    """Why a task was not running (CONTRACT.md, "Waits"). Probes record a reason as its index in
    this enum's order (:data:`WAIT_REASONS`), to keep their flat integer lists cheap."""

    GIL = "gil"  # wanted to run Python, blocked on the GIL
    CORE = "core"  # runnable, no CPU free (the OS run queue)
    IO = "io"  # blocked in a sleep or I/O the workload performs
    AWAIT = "await"  # an asyncio task suspended at an await
    LOOP = "loop"  # an asyncio task ready to resume, its event loop busy elsewhere
    OTHER = "other"  # the lab cannot tell

    @property
    def code(self) -> int:
        return WAIT_REASONS.index(self)


#: The reasons in code order: ``WAIT_REASONS[code]`` is the reason a probe recorded as ``code``.
WAIT_REASONS: tuple[WaitReason, ...] = tuple(WaitReason)


class EventName(StrEnum):
    LANE = "lane"
    TASK = "task"
    SAMPLE = "sample"
    STATUS = "status"
