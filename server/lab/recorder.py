"""The parent side of recording: folds raw records from any thread or process into lanes and tasks.

Probes call :meth:`Recorder.send` from worker threads (and a reader thread forwards what process
workers send); it only appends to a deque, which is thread-safe and cheap. The engine calls
:meth:`Recorder.drain` a few times a second on its event loop to apply what arrived and learn which
lanes are new and which tasks changed. Records may arrive out of order across channels (a process
task's end comes back with its future, its start through a queue), so the end record is complete on
its own and anything that arrives for an ended task is ignored.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

from server.lab.probe import Record
from server.types import LaneKind, TaskStatus


@dataclass(slots=True)
class Lane:
    id: str
    kind: LaneKind
    pid: int
    tid: int | None
    label: str


class TaskState:
    """One task as recorded so far. Intervals and waits only ever grow, and the end is set once,
    so ``(task, len(intervals), len(waits), ended)`` is an exact snapshot (see
    ``server.lab.runlog``)."""

    __slots__ = (
        "cpu_ns",
        "end_ns",
        "error",
        "id",
        "intervals",
        "lane",
        "result",
        "start_ns",
        "status",
        "submitted_ns",
        "waits",
    )

    def __init__(self, id: int, lane: str, start_ns: int, submitted_ns: int | None = None) -> None:
        self.id = id
        self.lane = lane
        self.start_ns = start_ns
        self.submitted_ns = submitted_ns
        self.end_ns: int | None = None
        self.cpu_ns = 0
        self.status = TaskStatus.RUNNING
        self.error: str | None = None
        self.result: object = None
        self.intervals: list[int] = []
        #: ``[s0, e0, reason_code0, ...]``, see ``server.lab.waits``.
        self.waits: list[int] = []

    @property
    def ended(self) -> bool:
        return self.end_ns is not None

    def running_ns(self) -> int:
        iv = self.intervals
        return sum(iv[i + 1] - iv[i] for i in range(0, len(iv), 2))


LaneNamer = Callable[[int, int], tuple[str, LaneKind, int | None, str]]


def lane_namer(kind: LaneKind, label: str, numbered: bool = True) -> LaneNamer:
    """Lanes keyed by process (pid) or by thread (tid), labelled in order of appearance."""
    seen: dict[tuple[int, int | None], int] = {}

    def name(pid: int, tid: int) -> tuple[str, LaneKind, int | None, str]:
        key = (pid, None) if kind is LaneKind.PROCESS else (pid, tid)
        n = seen.setdefault(key, len(seen) + 1)
        lane_id = f"p{pid}" if kind is LaneKind.PROCESS else f"{kind.value[0]}{tid}"
        return (
            lane_id,
            kind,
            None if kind is LaneKind.PROCESS else tid,
            f"{label} {n}" if numbered else label,
        )

    return name


class Recorder:
    def __init__(self, name_lane: LaneNamer) -> None:
        self._inbox: deque[Record] = deque()
        self._name_lane = name_lane
        self._lane_of: dict[tuple[int, int], str] = {}
        self.lanes: dict[str, Lane] = {}
        self.tasks: dict[int, TaskState] = {}
        self.send: Callable[[Record], None] = self._inbox.append

    def drain(self) -> tuple[list[Lane], list[TaskState]]:
        """Apply every record received so far; return new lanes and changed tasks."""
        new_lanes: list[Lane] = []
        changed: dict[int, TaskState] = {}
        inbox, tasks = self._inbox, self.tasks
        # A record is a tuple of objects (``server.lab.probe.Record``): its kind says what its
        # fields are, which a type checker cannot follow, hence the ignores here and in ``_end``.
        while inbox:
            rec = inbox.popleft()
            kind, task_id = rec[0], cast(int, rec[1])  # every record's second field is its task id
            task = tasks.get(task_id)
            if kind == "start":
                if task is None:
                    lane = self._lane(rec[2], rec[3], new_lanes)  # type: ignore[arg-type]
                    submitted = rec[5] if len(rec) > 5 else None
                    task = tasks[task_id] = TaskState(task_id, lane, rec[4], submitted)  # type: ignore[arg-type]
                    changed[task_id] = task
            elif kind == "progress":
                if task is not None and not task.ended:
                    task.intervals.extend(rec[2])  # type: ignore[arg-type]
                    if len(rec) > 3:
                        task.waits.extend(rec[3])  # type: ignore[arg-type]
                    changed[task_id] = task
            elif kind == "end":
                if task is None:
                    lane = self._lane(rec[2], rec[3], new_lanes)  # type: ignore[arg-type]
                    task = tasks[task_id] = TaskState(task_id, lane, rec[4])  # type: ignore[arg-type]
                if not task.ended:
                    self._end(task, rec)
                    changed[task_id] = task
        return new_lanes, list(changed.values())

    def cancel_in_flight(self, end_ns: int, reason: str) -> list[TaskState]:
        """Close every task still running (its worker was stopped): status cancelled."""
        closed = []
        for task in self.tasks.values():
            if not task.ended:
                task.end_ns = max(end_ns, task.intervals[-1] if task.intervals else task.start_ns)
                task.status = TaskStatus.CANCELLED
                task.error = reason
                closed.append(task)
        return closed

    def _lane(self, pid: int, tid: int, new_lanes: list[Lane]) -> str:
        lane_id = self._lane_of.get((pid, tid))
        if lane_id is None:
            lane_id, kind, lane_tid, label = self._name_lane(pid, tid)
            self._lane_of[(pid, tid)] = lane_id
            if lane_id not in self.lanes:
                lane = self.lanes[lane_id] = Lane(lane_id, kind, pid, lane_tid, label)
                new_lanes.append(lane)
        return lane_id

    @staticmethod
    def _end(task: TaskState, rec: Record) -> None:
        _, _, _, _, start_ns, end_ns, cpu_ns, intervals, status, error, result = rec[:11]
        task.start_ns = start_ns  # type: ignore[assignment]
        # The end record carries every interval and wait; keep the list objects (snapshots index
        # into them).
        task.intervals[:] = intervals  # type: ignore[call-overload]
        if len(rec) > 12:
            task.waits[:] = rec[11]  # type: ignore[call-overload]
            if rec[12] is not None:
                task.submitted_ns = rec[12]  # type: ignore[assignment]
        task.cpu_ns = cpu_ns  # type: ignore[assignment]
        task.status = TaskStatus(cast(str, status))
        task.error = error  # type: ignore[assignment]
        task.result = result
        task.end_ns = end_ns  # type: ignore[assignment]
