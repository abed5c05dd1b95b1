"""The frame broker: when a frame is due. Fed run-log messages as the engine logs them, into a
real run and a real run manager (with its SQLite store)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from time import perf_counter_ns
from typing import Any

import pytest
from bs4 import BeautifulSoup

from server.lab.run import Run
from server.manager import RunManager
from server.render import panels
from server.settings import Settings
from server.spec import make_spec
from server.store import Store
from server.types import EventName
from server.web.broker import Broker, Pacing, free_cores


@pytest.fixture
def broker(tmp_path: Path) -> Broker:
    settings = Settings(data_dir=tmp_path)
    run = Run(make_spec("cpu", "threads", tasks=2, workers=2, params={"ms": 10}), id="b1")
    # No gathering here (frames drawn by ``step`` at once): it has a test of its own.
    pacing = Pacing(interval_s=0.1, still_s=0.25, gather_s=0.0, busy_core_s=1.0)
    return Broker(run, RunManager(settings, Store(settings.db_path)), pacing)


def log(b: Broker, event: EventName, data: dict[str, Any]) -> None:
    b.run.log.append(event, lambda: data)


def task(id: int, start: float) -> dict[str, Any]:
    return {
        "id": id,
        "lane": "t1",
        "start_s": start,
        "end_s": None,
        "cpu_s": None,
        "status": "running",
        "error": None,
        "running": [],
        "waits": [],
        "submitted_s": 0.0,
        "result": None,
    }


def frames(b: Broker) -> list[str]:
    return [f.decode() for f in b.frames.items]


def test_a_runs_start_waits_for_its_first_tasks_and_one_frame_draws_both(broker: Broker) -> None:
    b = broker
    b.run.t0_ns = perf_counter_ns()
    log(b, EventName.STATUS, {"id": "b1", "status": "running", "error": None})
    b.step(b.run.log.after(0))
    assert frames(b) == []  # the start alone is not worth a browser's frame
    log(b, EventName.LANE, {"id": "t1", "kind": "thread", "pid": 1, "tid": 1, "label": "thread 1"})
    log(b, EventName.TASK, task(0, 0.001))
    b.step(b.run.log.after(1))
    [frame] = frames(b)
    page = BeautifulSoup(frame, "html.parser")
    assert page.select_one("#badge-b1").get_text() == "running"
    assert page.select("#Lb1-0")  # and the task's bar


def test_a_start_with_no_task_yet_is_drawn_once_time_has_moved_on(broker: Broker) -> None:
    b = broker
    b.run.t0_ns = perf_counter_ns()
    log(b, EventName.STATUS, {"id": "b1", "status": "running", "error": None})
    b.step(b.run.log.after(0))
    assert frames(b) == []
    b.run.t0_ns -= int(b.still_s * 1e9) + 1  # as if still_s had passed: a tick draws it
    b.step([])
    [frame] = frames(b)
    assert BeautifulSoup(frame, "html.parser").select_one("#badge-b1").get_text() == "running"


async def test_an_end_is_drawn_when_the_frame_rate_allows_not_a_period_after_the_last_batch(
    broker: Broker,
) -> None:
    """Pacing holds back frames, not batches: a batch that draws nothing (a task's progress)
    must not make the next event wait a frame period. And an event soon after a frame still
    waits for the rest of the period. (With a 1 s period, so that only a stalled loop could
    blur the two.)"""
    b = broker
    b.interval_s, b.still_s = 1.0, 60.0  # no frames for the clock alone
    b.run.t0_ns = perf_counter_ns()
    log(b, EventName.LANE, {"id": "t1", "kind": "thread", "pid": 1, "tid": 1, "label": "thread 1"})
    log(b, EventName.TASK, task(0, 0.001))
    log(b, EventName.TASK, task(1, 0.001))
    b.run.log.notify()
    drive = asyncio.create_task(b.drive())
    try:
        await asyncio.sleep(0.05)
        assert len(frames(b)) == 1  # the first tasks, at once
        await asyncio.sleep(1.05)
        log(b, EventName.TASK, {**task(0, 0.001), "running": [[0.001, 1.0]]})
        b.run.log.notify()  # progress only: no frame, and no wait either
        await asyncio.sleep(0.1)
        assert len(frames(b)) == 1
        ended = asyncio.get_running_loop().time()
        log(b, EventName.TASK, {**task(0, 0.001), "end_s": 1.2, "status": "ok"})
        b.run.log.notify()
        while len(frames(b)) == 1:
            await asyncio.sleep(0.01)
        # Drawn at once: a period after the progress batch would have been 0.9 s from now.
        assert asyncio.get_running_loop().time() - ended < 0.8
        assert "Lb1-0" in frames(b)[1]
        drawn = asyncio.get_running_loop().time()
        log(b, EventName.TASK, {**task(1, 0.001), "end_s": 1.3, "status": "ok"})
        b.run.log.notify()
        await asyncio.sleep(0.3)
        assert len(frames(b)) == 2  # a frame came less than a period ago: this one waits
        while len(frames(b)) == 2:
            await asyncio.sleep(0.01)
        assert asyncio.get_running_loop().time() - drawn >= 0.99
        assert "Lb1-1" in frames(b)[2]
    finally:
        drive.cancel()


async def test_what_happens_together_is_drawn_in_one_frame(broker: Broker) -> None:
    """An event waits ``gather_s`` for what comes with it: two tasks that start 0.1 s apart,
    within a gather of 0.4 s, are one frame, drawn no sooner than the gather after the first."""
    b = broker
    b.interval_s, b.still_s, b.gather_s = 0.05, 60.0, 0.4
    b.run.t0_ns = perf_counter_ns()
    drive = asyncio.create_task(b.drive())
    loop = asyncio.get_running_loop()
    try:
        log(
            b,
            EventName.LANE,
            {"id": "t1", "kind": "thread", "pid": 1, "tid": 1, "label": "thread 1"},
        )
        log(b, EventName.TASK, task(0, 0.001))
        b.run.log.notify()
        first = loop.time()
        await asyncio.sleep(0.1)
        log(b, EventName.TASK, task(1, 0.1))
        b.run.log.notify()
        while not frames(b):
            await asyncio.sleep(0.01)
        assert loop.time() - first >= 0.39
        [frame] = frames(b)
        page = BeautifulSoup(frame, "html.parser")
        assert page.select("#Lb1-0") and page.select("#Lb1-1")
    finally:
        drive.cancel()


def sample(t: float, cpu_percent: list[float]) -> dict[str, Any]:
    return {"t_s": t, "cpu_percent": cpu_percent, "rss_bytes": {}}


def test_free_cores_is_the_idle_share_of_every_core_on_average() -> None:
    assert free_cores([[100.0, 100.0], [90.0, 100.0]]) == pytest.approx(0.05)
    assert free_cores([[100.0, 20.0, 0.0, 50.0]]) == pytest.approx(2.3)


def test_while_every_core_is_busy_frames_come_less_often_and_the_view_says_why(
    broker: Broker,
) -> None:
    """Samples with no core to spare stretch the frame period to ``busy_core_s`` per core (the
    samples' two cores: 0.5 s); the head's note says
    so (and only the note is swapped, so that the live region is not read out again); a core
    free again brings the usual period back, and the note goes."""
    b = broker
    b.run.t0_ns = perf_counter_ns()
    log(b, EventName.STATUS, {"id": "b1", "status": "running", "error": None})
    log(b, EventName.LANE, {"id": "t1", "kind": "thread", "pid": 1, "tid": 1, "label": "thread 1"})
    log(b, EventName.TASK, task(0, 0.001))
    b.step(b.run.log.after(0), now=True)
    assert not b.busy and 0.05 < b.due_in() <= b.interval_s
    for i in (1, 2):
        log(b, EventName.SAMPLE, sample(0.1 * i, [99.0, 98.0]))
    b.step(b.run.log.after(3), now=True)
    assert not b.busy  # two samples are not enough to tell
    log(b, EventName.SAMPLE, sample(0.3, [100.0, 97.0]))
    b.step(b.run.log.after(5), now=True)
    assert b.busy and b.paced_s == 0.5
    assert b.interval_s < b.due_in() <= 0.5
    page = BeautifulSoup(frames(b)[-1], "html.parser")
    assert page.select_one("#waiting-b1").get_text() == "every core busy: drawn every 0.5 s"
    assert page.select_one("#badge-b1") is None and "#status-b1" not in frames(b)[-1]
    # A core half free is not enough to leave (hysteresis): 0.6 cores idle stays busy.
    for i in (4, 5, 6):
        log(b, EventName.SAMPLE, sample(0.1 * i, [100.0, 40.0]))
    b.step(b.run.log.after(6), now=True)
    assert b.busy
    for i in (7, 8, 9):
        log(b, EventName.SAMPLE, sample(0.1 * i, [100.0, 10.0]))
    b.step(b.run.log.after(9), now=True)
    assert not b.busy and b.due_in() <= b.interval_s
    page = BeautifulSoup(frames(b)[-1], "html.parser")
    assert page.select_one("#waiting-b1").get_text() == ""


def test_the_frame_period_while_busy_shrinks_with_more_cores_and_the_end_is_not_paced(
    broker: Broker,
) -> None:
    """A frame takes the same share of the run on any number of cores: ``busy_core_s`` (1.0
    here) per core is 0.25 s on 4 cores. A run that ends leaves its cores free: its end is drawn
    within the usual period, not the busy one."""
    b = broker
    b.run.t0_ns = perf_counter_ns()
    log(b, EventName.STATUS, {"id": "b1", "status": "running", "error": None})
    for i in (1, 2, 3):
        log(b, EventName.SAMPLE, sample(0.1 * i, [100.0, 100.0, 99.0, 100.0]))
    b.step(b.run.log.after(0), now=True)
    assert b.busy and b.paced_s == 0.25
    log(b, EventName.STATUS, {"id": "b1", "status": "done", "error": None, "wall_s": 0.4})
    b.step(b.run.log.after(4))
    assert not b.busy and b.paced_s is None and b.due_in() <= b.interval_s


async def test_a_run_that_ends_while_its_frames_are_paced_is_drawn_at_once_not_a_period_later(
    broker: Broker,
) -> None:
    """The last tasks' ends come while the cores still read busy, and wait for the busy period
    (2 s here); the run's end, logged soon after, frees the cores: the broker, waiting out that
    period, sees it and draws the end within the usual frame period. (It used to sleep the
    whole period it had worked out before the end came.)"""
    b = broker
    b.busy_core_s = 4.0  # 2 s on the samples' 2 cores
    b.run.t0_ns = perf_counter_ns()
    log(b, EventName.STATUS, {"id": "b1", "status": "running", "error": None})
    log(b, EventName.LANE, {"id": "t1", "kind": "thread", "pid": 1, "tid": 1, "label": "thread 1"})
    log(b, EventName.TASK, task(0, 0.001))
    for i in (1, 2, 3):
        log(b, EventName.SAMPLE, sample(0.1 * i, [100.0, 100.0]))
    b.run.log.notify()
    drive = asyncio.create_task(b.drive())
    try:
        while not frames(b):
            await asyncio.sleep(0.01)
        assert b.paced_s == 2.0
        log(b, EventName.TASK, {**task(0, 0.001), "end_s": 0.4, "status": "ok"})
        b.run.log.notify()
        await asyncio.sleep(0.15)
        assert len(frames(b)) == 1  # held: the cores still read busy
        ended = asyncio.get_running_loop().time()
        log(b, EventName.STATUS, {"id": "b1", "status": "done", "error": None, "wall_s": 0.4})
        b.run.end_ns = perf_counter_ns()
        b.run.log.close()
        await asyncio.wait_for(drive, 1.5)
        assert asyncio.get_running_loop().time() - ended < 1.0  # not the 1.85 s left
        end = BeautifulSoup(frames(b)[-1], "html.parser")
        assert end.select_one("#badge-b1").get_text() == "done"
    finally:
        drive.cancel()


def test_a_page_rendered_while_every_core_is_busy_says_so_and_a_finished_one_does_not(
    broker: Broker,
) -> None:
    b = broker
    b.run.t0_ns = perf_counter_ns()
    log(b, EventName.STATUS, {"id": "b1", "status": "running", "error": None})
    for i in (1, 2, 3):
        log(b, EventName.SAMPLE, sample(0.1 * i, [100.0, 100.0]))
    b.step(b.run.log.after(0), now=True)
    head = BeautifulSoup(str(panels.head(b.scene)), "html.parser")
    assert head.select_one("#waiting-b1").get_text().startswith("every core busy")
    log(b, EventName.STATUS, {"id": "b1", "status": "done", "error": None, "wall_s": 0.4})
    b.step(b.run.log.after(4), now=True)
    head = BeautifulSoup(str(panels.head(b.scene)), "html.parser")
    assert head.select_one("#waiting-b1").get_text() == ""
