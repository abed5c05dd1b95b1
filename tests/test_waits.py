"""Naming waits: the rules on hand-made schedstat deltas and step timings, the thread probe and the
asyncio stepper on a fake clock, and the waits' place in the records, the document and the metrics.

Real runs that show each reason are in ``tests/test_waits_runs.py``.
"""

from __future__ import annotations

from collections.abc import Coroutine, Generator, Iterator
from typing import Any

import pytest

from experiments import probe as workload_probe
from server.lab import probe as lab_probe
from server.lab import schedstat
from server.lab.metrics import Timeline, summarize
from server.lab.probe import TaskProbe
from server.lab.recorder import Recorder, lane_namer
from server.lab.run import task_view
from server.lab.stepping import Stepped
from server.lab.waits import (
    AWAIT,
    CORE,
    GIL,
    IO,
    LOOP,
    OTHER,
    RESOLUTION_NS,
    WAKE_SLACK_NS,
    blocked,
    stepped,
    suspended,
)
from server.types import WAIT_REASONS, LaneKind, WaitReason

MS = 1_000_000


# --- a thread's gap ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("runq", "ready", "threads", "expected"),
    [
        pytest.param(0, None, True, [(0, 10, GIL)], id="no-run-queue-other-threads-gil"),
        pytest.param(0, None, False, [(0, 10, OTHER)], id="no-run-queue-alone-other"),
        pytest.param(4 * MS, None, True, [(0, 6, GIL), (6, 10, CORE)], id="core-at-the-end"),
        pytest.param(25 * MS, None, True, [(0, 10, CORE)], id="core-capped-at-the-gap"),
        pytest.param(10 * MS - 10_000, None, True, [(0, 10, CORE)], id="tiny-rest-joins-core"),
        pytest.param(10_000, None, True, [(0, 10, GIL)], id="tiny-core-joins-rest"),
        pytest.param(None, None, True, [(0, 10, OTHER)], id="no-schedstat-other"),
        pytest.param(None, 0, True, [(0, 10, IO)], id="no-schedstat-io-declared"),
        pytest.param(0, 0, True, [(0, 10, IO)], id="io-ready-unknown"),
        pytest.param(0, 7 * MS, True, [(0, 7, IO), (7, 10, GIL)], id="io-then-gil"),
        pytest.param(0, 7 * MS, False, [(0, 7, IO), (7, 10, OTHER)], id="io-then-other"),
        pytest.param(MS, 7 * MS, True, [(0, 7, IO), (7, 9, GIL), (9, 10, CORE)], id="io-gil-core"),
        pytest.param(0, 10 * MS - WAKE_SLACK_NS // 2, True, [(0, 10, IO)], id="timer-slack-io"),
        pytest.param(0, -MS, True, [(0, 10, IO)], id="stale-ready-unknown"),
        pytest.param(0, 0, True, [(0, 10, IO)], id="io-nothing-else"),
        pytest.param(0, RESOLUTION_NS // 2, True, [(0, 10, GIL)], id="tiny-io-joins-rest"),
    ],
)
def test_a_gap_is_named_from_the_run_queue_and_what_the_workload_declared(
    runq: int | None, ready: int | None, threads: bool, expected: list[tuple[int, int, int]]
) -> None:
    base = 100 * MS  # the gap is [100 ms, 110 ms]; times in the table are from its start
    parts = blocked(base, base + 10 * MS, runq, ready if not ready else base + ready, threads)
    assert ms_from(base, parts) == expected


def ms_from(base: int, parts: list[int] | tuple[int, ...]) -> list[tuple[int, int, int]]:
    return [
        ((parts[k] - base) // MS, (parts[k + 1] - base) // MS, parts[k + 2])
        for k in range(0, len(parts), 3)
    ]


def test_a_gaps_parts_cover_it_exactly() -> None:
    parts = blocked(100, 100 + 9 * MS, 2 * MS, 100 + 5 * MS, True)
    assert parts[0] == 100 and parts[-2] == 100 + 9 * MS
    assert all(parts[k + 1] == parts[k + 3] for k in range(0, len(parts) - 3, 3))


# --- an asyncio task's suspension --------------------------------------------------------------


@pytest.mark.parametrize(
    ("ready", "slack", "expected"),
    [
        pytest.param(0, WAKE_SLACK_NS, [(0, 10, AWAIT)], id="ready-unknown-await"),
        pytest.param(4 * MS, WAKE_SLACK_NS, [(0, 4, AWAIT), (4, 10, LOOP)], id="due-then-loop"),
        pytest.param(10 * MS - 100_000, WAKE_SLACK_NS, [(0, 10, AWAIT)], id="timer-slack"),
        pytest.param(12 * MS, WAKE_SLACK_NS, [(0, 10, AWAIT)], id="woken-before-due"),
        pytest.param(0, 0, [(0, 10, AWAIT)], id="unknown-without-slack"),
    ],
)
def test_a_suspension_is_await_until_ready_then_loop(
    ready: int, slack: int, expected: list[tuple[int, int, int]]
) -> None:
    base = 100 * MS
    parts = suspended(base, base + 10 * MS, base + ready if ready else 0, slack)
    assert ms_from(base, parts) == expected


def test_a_bare_yield_is_ready_at_once_so_its_suspension_is_the_loops() -> None:
    assert suspended(100, 200, 100, 0) == (100, 200, LOOP)


# --- the thread probe on a fake clock ----------------------------------------------------------


class FakeThread:
    """The clocks a probe reads, moved by hand: wall, CPU, and run-queue time (or none)."""

    def __init__(self, runq: int | None = 0) -> None:
        self.wall, self.cpu, self.runq = 1_000 * MS, 0, runq

    def run(self, ns: int) -> None:
        self.wall += ns
        self.cpu += ns

    def wait(self, ns: int, in_runq: bool = False) -> None:
        self.wall += ns
        if in_runq and self.runq is not None:
            self.runq += ns


@pytest.fixture
def thread(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeThread]:
    fake = FakeThread()
    monkeypatch.setattr(lab_probe, "perf_counter_ns", lambda: fake.wall)
    monkeypatch.setattr(lab_probe, "thread_time_ns", lambda: fake.cpu)
    monkeypatch.setattr(lab_probe, "runq_ns", lambda: fake.runq)
    monkeypatch.setattr(lab_probe.threading, "active_count", lambda: 2)
    workload_probe.install(None)
    yield fake
    workload_probe.install(None)


def named(p: TaskProbe) -> list[tuple[float, float, str]]:
    """The probe's waits in ms from its start, with reason names."""
    w, t0 = p.waits, p.start_ns
    return [
        ((w[k] - t0) / MS, (w[k + 1] - t0) / MS, WAIT_REASONS[w[k + 2]].value)
        for k in range(0, len(w), 3)
    ]


def test_the_probe_names_a_gil_wait_and_a_core_wait(thread: FakeThread) -> None:
    p = TaskProbe(0, lambda r: None)
    p.begin()
    thread.run(MS)
    p.tick()
    thread.wait(5 * MS)  # blocked on the GIL...
    thread.wait(MS, in_runq=True)  # ...then runnable, waiting for a core
    thread.run(MS)
    p.tick()
    assert named(p) == [(1, 6, "gil"), (6, 7, "core")]
    assert p.intervals == [p.start_ns, p.start_ns + MS, p.start_ns + 7 * MS, p.start_ns + 8 * MS]


def test_the_probe_says_other_without_schedstat(
    thread: FakeThread, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lab_probe, "runq_ns", lambda: None)
    p = TaskProbe(0, lambda r: None)
    p.begin()
    thread.wait(5 * MS, in_runq=True)
    thread.run(MS)
    p.tick()
    assert named(p) == [(0, 5, "other")]


def test_a_worker_alone_in_its_process_is_not_waiting_for_the_gil(
    thread: FakeThread, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lab_probe.threading, "active_count", lambda: 1)
    p = TaskProbe(0, lambda r: None)
    p.begin()
    thread.wait(3 * MS)
    thread.run(MS)
    p.tick()
    assert named(p) == [(0, 3, "other")]


def test_a_declared_sleep_is_io_until_due_then_gil(
    thread: FakeThread, monkeypatch: pytest.MonkeyPatch
) -> None:
    p = TaskProbe(0, lambda r: None)
    p.begin()
    workload_probe.install(p.tick)
    # What probe.sleep does around one slice, with the clock moved by hand.
    workload_probe._local.io, workload_probe._local.ready = True, thread.wall + 10 * MS
    thread.wait(10 * MS)  # the sleep...
    thread.wait(4 * MS)  # ...then the GIL, held by another thread
    thread.run(100_000)
    workload_probe.checkpoint()
    assert named(p) == [(0, 10, "io"), (10, 14, "gil")]


def test_waits_with_the_same_reason_merge_and_sent_ones_stay(thread: FakeThread) -> None:
    sent: list[tuple[object, ...]] = []
    p = TaskProbe(0, sent.append)
    p.begin()
    thread.wait(3 * MS)
    p.tick()  # a chunk that did not run at all
    thread.wait(2 * MS)
    thread.run(MS)
    p.tick()
    assert named(p) == [(0, 5, "gil")]  # two gaps, no running between: one wait
    thread.wait(lab_probe.FLUSH_NS)
    p.tick()  # a flush: the waits so far are sent
    thread.wait(2 * MS)
    p.tick()
    progress = [r for r in sent if r[0] == "progress"]
    assert progress and progress[0][3] == p.waits[:6]
    assert len(p.waits) == 9  # the wait after the flush is a new one


def test_start_and_end_records_carry_the_submission_and_the_waits(thread: FakeThread) -> None:
    sent: list[tuple[object, ...]] = []
    p = TaskProbe(4, sent.append, submitted_ns=thread.wall - 7 * MS)
    p.begin()
    thread.wait(2 * MS)
    thread.run(MS)
    end = p.end("ok", None)
    assert sent[0] == ("start", 4, p.pid, p.tid, p.start_ns, p.start_ns - 7 * MS)
    assert end[11] == p.waits and len(p.waits) == 3
    assert end[12] == p.start_ns - 7 * MS


def test_schedstat_reads_the_calling_threads_run_queue_or_says_none(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if schedstat.available:
        first = schedstat.runq_ns()
        assert first is not None and first >= 0
        assert (schedstat.runq_ns() or 0) >= first
    monkeypatch.setattr(schedstat, "available", False)
    assert schedstat.runq_ns() is None


# --- the asyncio stepper on a fake clock --------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1_000 * MS

    def __call__(self) -> int:
        return self.now


class Parked:
    """An awaitable that yields a placeholder future once (what a real await hands the loop)."""

    def __init__(self, bare: bool = False) -> None:
        self.bare = bare

    def __await__(self) -> Generator[object, None, None]:
        yield None if self.bare else self


def test_stepping_names_await_and_loop_from_the_due_time(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock()
    monkeypatch.setattr("server.lab.stepping.perf_counter_ns", clock)

    async def task() -> str:
        clock.now += MS  # step 1 runs 1 ms, then sleeps 10 ms through the lab's helper
        workload_probe.stepping.due = clock.now + 10 * MS  # what probe.asleep does
        await Parked()
        clock.now += MS  # step 2: an await the lab knows nothing about
        await Parked()
        clock.now += MS  # step 3: a bare yield, ready at once
        await Parked(bare=True)
        return "done"

    iv: list[int] = []
    dues: list[int] = []
    coro: Coroutine[Any, Any, str] = task()
    steps = Stepped(coro, iv, dues).__await__()
    next(steps)
    clock.now += 14 * MS  # resumed 4 ms after the sleep was due: the loop was busy
    steps.send(None)
    clock.now += 6 * MS
    steps.send(None)
    clock.now += 2 * MS
    with pytest.raises(StopIteration) as stop:
        steps.send(None)
    assert stop.value.value == "done"
    assert workload_probe.stepping.due == 0  # read at the end of each step
    wv, t0 = stepped(iv, dues), iv[0]
    got = [((wv[k] - t0) / MS, (wv[k + 1] - t0) / MS, wv[k + 2]) for k in range(0, len(wv), 3)]
    assert got == [(1, 11, AWAIT), (11, 15, LOOP), (16, 22, AWAIT), (23, 25, LOOP)]
    assert len(iv) == 8


# --- records, document and metrics --------------------------------------------------------------


def recorder() -> Recorder:
    return Recorder(lane_namer(LaneKind.THREAD, "thread"))


def test_the_recorder_keeps_waits_and_the_submission_and_reads_older_records() -> None:
    r = recorder()
    r.send(("start", 0, 1, 2, 1_000, 400))
    r.send(("progress", 0, [1_000, 1_500], [1_500, 1_800, GIL]))
    r.send(("end", 0, 1, 2, 1_000, 2_000, 700, [1_000, 1_500, 1_800, 2_000], "ok", None, None,
            [1_500, 1_800, GIL], 400))  # fmt: skip
    r.send(("start", 1, 1, 2, 1_000))  # an older probe: no submission, no waits
    r.send(("progress", 1, [1_000, 1_200]))
    r.send(("end", 1, 1, 2, 1_000, 1_200, 200, [1_000, 1_200], "ok", None, None))
    r.drain()
    a, b = r.tasks[0], r.tasks[1]
    assert (a.submitted_ns, a.waits) == (400, [1_500, 1_800, GIL])
    assert (b.submitted_ns, list(b.waits), b.intervals) == (None, [], [1_000, 1_200])


def test_an_asyncio_tasks_waits_are_named_by_the_recorder_from_its_dues() -> None:
    r = recorder()
    iv = [1_000, 1_100, 5_000_000, 5_000_100, 6_000_000, 6_000_100]
    r.send(("end", 0, 1, 2, 1_000, 6_000_100, 300, iv, "ok", None, None, None, 900, [2_000_000, 0]))
    r.drain()
    task = r.tasks[0]
    assert task.submitted_ns == 900
    assert task.named_waits() == [
        *(1_100, 2_000_000, AWAIT),  # the sleep, until it was due...
        *(2_000_000, 5_000_000, LOOP),  # ...then the loop was busy elsewhere
        *(5_000_100, 6_000_000, AWAIT),  # an await the lab knows nothing of
    ]


def test_the_document_shows_waits_as_named_intervals_in_seconds() -> None:
    r = recorder()
    t0 = 10**9
    r.send(("start", 3, 1, 2, t0 + 410 * MS, t0))
    r.send(("end", 3, 1, 2, t0 + 410 * MS, t0 + 610 * MS, 150 * MS,
            [t0 + 410 * MS, t0 + 460 * MS, t0 + 510 * MS, t0 + 610 * MS], "ok", None, None,
            [t0 + 460 * MS, t0 + 510 * MS, CORE], t0))  # fmt: skip
    r.drain()
    task = r.tasks[3]
    view = task_view(task, t0, len(task.intervals), True)
    assert view["submitted_s"] == 0.0
    assert view.get("waits") == [[0.46, 0.51, "core"]]
    # A snapshot taken before the waits arrived shows none.
    assert task_view(task, t0, 2, False, 0).get("waits") == []


def test_metrics_sum_waits_per_reason_and_queued_time() -> None:
    a = Timeline(0.5, 1.0, [(0.5, 0.7)], [(0.7, 0.9, "gil"), (0.9, 1.0, "core")], submitted=0.0)
    b = Timeline(0.0, 0.5, [(0.0, 0.1)], [(0.1, 0.5, "io")], submitted=0.0)
    c = Timeline(0.0, 0.2, [(0.0, 0.2)])  # recorded before waits were: nothing to add
    m = summarize([a, b, c], wall=1.0)
    assert m["wait_s"] == {
        "gil": 0.2,
        "core": 0.1,
        "io": 0.4,
        "await": 0.0,
        "loop": 0.0,
        "other": 0.0,
    }
    assert list(m["wait_s"]) == [r.value for r in WaitReason]
    assert m["queued_s"] == 0.5
