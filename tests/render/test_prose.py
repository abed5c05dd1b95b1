"""Words about a run: titles, numbers, the summary sentence."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from server.render import prose
from server.render.model import RunInfo, RunModel
from tests.render.handmade import HandLog


def head(**kw: Any) -> dict[str, Any]:
    doc = {
        "id": "r1",
        "workload": "io",
        "executor": "asyncio",
        "tasks_requested": 100_000,
        "workers": 100_000,
        "params": {"ms": 2000},
        "host": {"cpus": 2},
    }
    return {**doc, **kw}


def test_an_asyncio_run_is_one_event_loop_not_thousands_of_workers() -> None:
    assert prose.run_title(head()) == "io(ms=2000) × 100,000 · asyncio · one event loop"
    capped = prose.run_title(head(workers=50))
    assert capped.endswith("one event loop, ≤ 50 at once")
    assert prose.run_title(head(executor="threads", workers=1)).endswith("· 1 worker")


@pytest.mark.parametrize(
    ("v", "shown"), [(0.456, "0.46"), (1.0, "1.00"), (12.34, "12.3"), (47618.11, "47,618")]
)
def test_numbers_get_the_precision_they_deserve(v: float, shown: str) -> None:
    assert prose.number(v) == shown


def summary(hand: HandLog, info: RunInfo, **metrics: Any) -> str:
    model = RunModel(info)
    hand.status("running")
    hand.status("done", wall=1.2, **metrics)
    model.fold(hand.take())
    return prose.summary_text(model)


def test_the_summary_says_when_the_labs_own_work_took_the_gil(
    hand: HandLog, info: Callable[..., RunInfo]
) -> None:
    said = summary(hand, info(), lab_loop_cpu_s=0.1)
    assert "took 0.10 s of CPU during it" in said
    assert "The lab's own work" not in summary(HandLog(), info(), lab_loop_cpu_s=0.01)
    assert "The lab's own work" not in summary(HandLog(), info())  # stored before it was measured


def test_the_summary_says_what_the_numbers_mean(
    hand: HandLog, info: Callable[..., RunInfo]
) -> None:
    assert "that is parallelism" in summary(hand, info(), avg_concurrency=2, avg_parallelism=1.9)
    turns = summary(HandLog(), info(), avg_concurrency=2.0, avg_parallelism=0.97)
    assert "they took turns" in turns
    waits = summary(HandLog(), info(), avg_concurrency=47618.1, avg_parallelism=0.01)
    assert waits.startswith("0 tasks in 1.20 s: 47,618 tasks were in flight")


def test_run_info_comes_from_the_documents_head() -> None:
    info = prose.run_info(head(host={"cpus": 8}))
    assert (info.cpus, info.lane_noun, info.lane_density) == (8, "event loop", True)


def test_the_lanes_a_run_should_have_come_from_its_executor() -> None:
    # One lane per pool worker that has a task to run; one event loop; one main thread; a
    # server's lanes are its setup's business (none kept).
    def lanes(executor: str, workers: int, tasks: int) -> int:
        doc = head(executor=executor, workers=workers, tasks_requested=tasks)
        return prose.run_info(doc).lanes_expected

    assert lanes("processes", 2, 8) == 2 and lanes("threads", 8, 3) == 3
    assert lanes("asyncio", 100_000, 100_000) == 1 and lanes("sequential", 1, 5) == 1
    assert lanes("server", 2, 100) == 0
