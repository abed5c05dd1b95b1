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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import cast

from server.lab import waits
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
    so ``(task, len(intervals), ended, len(waits))`` is an exact snapshot of a task in flight, and
    ``(task, len(intervals), True)`` of an ended one (see ``server.lab.runlog``)."""

    __slots__ = (
        "cpu_ns",
        "dues",
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
        #: ``[s0, e0, reason_code0, ...]``, see ``server.lab.waits``; read them with
        #: :meth:`named_waits`, which names an asyncio task's first. Replaced, never changed in
        #: place, by a list that extends it (so a snapshot's prefix stays), and no list at all
        #: until there is a wait: one object fewer per task for the collector to count.
        self.waits: Sequence[int] = ()
        #: An asyncio task's notes on its suspensions, until its waits are named from them.
        self.dues: list[int] | None = None

    @property
    def ended(self) -> bool:
        return self.end_ns is not None

    def named_waits(self) -> Sequence[int]:
        """:attr:`waits`, complete. An asyncio task's are named here, when first read after its
        end, rather than on its event loop while it runs (``server.lab.stepping``)."""
        if self.dues is not None:
            self.waits = waits.stepped(self.intervals, self.dues)
            self.dues = None
        return self.waits

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
                        task.waits = [*task.waits, *rec[3]]  # type: ignore[misc]
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
        task.start_ns = rec[4]  # type: ignore[assignment]
        # The end record carries every interval (keep the list: snapshots index into it) and wait.
        task.intervals[:] = rec[7]  # type: ignore[call-overload]
        if len(rec) > 12:  # a probe that names waits
            if rec[11] is not None:
                task.waits = rec[11]  # type: ignore[assignment]
            if rec[12] is not None:
                task.submitted_ns = rec[12]  # type: ignore[assignment]
            if len(rec) > 13:
                task.dues = rec[13]  # type: ignore[assignment]
        task.cpu_ns = rec[6]  # type: ignore[assignment]
        task.status = TaskStatus(cast(str, rec[8]))
        task.error = rec[9]  # type: ignore[assignment]
        task.result = rec[10]
        task.end_ns = rec[5]  # type: ignore[assignment]
