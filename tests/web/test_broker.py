"""The frame broker: when a frame is due. Fed run-log messages as the engine logs them, into a
real run and a real run manager (with its SQLite store)."""

from __future__ import annotations

from pathlib import Path
from time import perf_counter_ns
from typing import Any

import pytest
from bs4 import BeautifulSoup

from server.lab.run import Run
from server.manager import RunManager
from server.settings import Settings
from server.spec import make_spec
from server.store import Store
from server.types import EventName
from server.web.broker import Broker


@pytest.fixture
def broker(tmp_path: Path) -> Broker:
    settings = Settings(data_dir=tmp_path)
    run = Run(make_spec("cpu", "threads", tasks=2, workers=2, params={"ms": 10}), id="b1")
    return Broker(run, RunManager(settings, Store(settings.db_path)))


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
