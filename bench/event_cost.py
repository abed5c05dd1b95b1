"""The cost of recording one event, in microseconds: a probe checkpoint, a record through the
recorder, a task message turned into JSON. The bare column is the nearest thing without the lab."""

from __future__ import annotations

import functools
import os
import threading
from collections import deque
from time import perf_counter, perf_counter_ns

from bench.timing import Row, timed
from experiments import probe as workload_probe
from server.lab.probe import Record, TaskProbe
from server.lab.recorder import Recorder, lane_namer
from server.lab.run import task_view
from server.lab.runlog import Message, RunLog
from server.types import EventName, LaneKind

CHECKPOINTS = 200_000
RECORDED_TASKS = 10_000


def _per_us(seconds: float, n: int) -> float:
    return seconds / n * 1e6


def checkpoint_cost(reps: int) -> Row:
    """(a) One ``experiments.probe.checkpoint()`` with the lab's probe installed, as in a task."""
    row = Row("probe checkpoint", "us", note="bare: checkpoint() with no hook installed")
    checkpoint = workload_probe.checkpoint

    def loop() -> None:
        for _ in range(CHECKPOINTS):
            checkpoint()

    recorder = Recorder(lane_namer(LaneKind.THREAD, "thread"))
    for _ in range(reps):
        workload_probe.install(None)
        row.bare.append(_per_us(timed(loop), CHECKPOINTS))
        p = TaskProbe(0, recorder.send, threading.Event())
        p.begin()
        workload_probe.install(p.tick)
        try:
            row.lab.append(_per_us(timed(loop), CHECKPOINTS))
        finally:
            workload_probe.install(None)
        recorder.drain()
    return row


def _records(n: int) -> list[Record]:
    """Start and end records for ``n`` tasks, shaped like an asyncio io task's (two steps)."""
    pid, tid, t = os.getpid(), threading.get_native_id(), perf_counter_ns()
    out: list[Record] = []
    for i in range(n):
        out.append(("start", i, pid, tid, t))
    for i in range(n):
        iv = [t, t + 10_000, t + 300_000_000, t + 300_010_000]
        out.append(("end", i, pid, tid, t, t + 300_010_000, 20_000, iv, "ok", None, None))
    return out


def _through_deque(records: list[Record]) -> None:
    inbox: deque[Record] = deque()
    for r in records:
        inbox.append(r)
    while inbox:
        inbox.popleft()


def _through_recorder(records: list[Record]) -> None:
    recorder = Recorder(lane_namer(LaneKind.LOOP, "event loop", numbered=False))
    for r in records:
        recorder.send(r)
    recorder.drain()


def _into_run_log(records: list[Record]) -> None:
    """What a run does with records: drain them, then log one message per changed task. Start
    records arrive in one drain and end records in a later one, as in a real run."""
    recorder = Recorder(lane_namer(LaneKind.LOOP, "event loop", numbered=False))
    log, t0, half = RunLog(), perf_counter_ns(), len(records) // 2
    for batch in (records[:half], records[half:]):
        for r in batch:
            recorder.send(r)
        _, tasks = recorder.drain()
        for task in tasks:
            view = functools.partial(task_view, task, t0, len(task.intervals), task.ended)
            log.append(EventName.TASK, view)


def recorder_cost(reps: int) -> list[Row]:
    """(b) ``Recorder.send`` of every record, then ``drain()``; and the same followed by what the
    run does with a drain's result (one run-log message per changed task)."""
    through = Row("recorder send+drain / record", "us", note="bare: deque append+popleft")
    logged = Row("record -> run log / record", "us", note="send+drain+RunLog.append per task")
    records = _records(RECORDED_TASKS)
    n = len(records)
    for _ in range(reps):
        through.bare.append(_per_us(timed(lambda: _through_deque(records)), n))
        through.lab.append(_per_us(timed(lambda: _through_recorder(records)), n))
        logged.lab.append(_per_us(timed(lambda: _into_run_log(records)), n))
    return [through, logged]


def json_cost(reps: int) -> Row:
    """(c) Turning one ended task's message into JSON (``Message.json``), first read."""
    row = Row("task message -> JSON", "us", note="Message.json of an ended task, 2 intervals")
    recorder = Recorder(lane_namer(LaneKind.LOOP, "event loop", numbered=False))
    for r in _records(RECORDED_TASKS):
        recorder.send(r)
    _, tasks = recorder.drain()
    t0 = perf_counter_ns()
    for _ in range(reps):
        messages = [
            Message(k, EventName.TASK, functools.partial(task_view, t, t0, len(t.intervals), True))
            for k, t in enumerate(tasks, 1)
        ]
        start = perf_counter()
        for m in messages:
            m.json  # noqa: B018  (the property renders and caches the JSON)
        row.lab.append(_per_us(perf_counter() - start, len(messages)))
    return row


def event_costs(reps: int) -> list[Row]:
    return [checkpoint_cost(reps), *recorder_cost(reps), json_cost(reps)]
