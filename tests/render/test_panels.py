"""The panels of a run's view, read as a browser (and a screen reader) would: by structure."""

from __future__ import annotations

from collections.abc import Callable

from bs4 import Tag

from server.render import panels
from server.render.model import RunInfo, RunModel
from server.render.scene import Queue, scene
from tests.render.handmade import HandLog, soup


def finished_run(hand: HandLog, info: RunInfo, tasks: int = 4) -> RunModel:
    model = RunModel(info)
    hand.status("running")
    hand.lane("t1")
    hand.lane("t2", "thread 2")
    for i in range(tasks):
        hand.task(i, f"t{1 + i % 2}", 0.1 * i, [(0.1 * i, 0.1 * i + 0.05)], end=0.1 * i + 0.1)
    hand.sample(0.2)
    hand.status("done", wall=0.1 * tasks, avg_concurrency=47618.114, avg_parallelism=0.4567)
    model.fold(hand.take())
    return model


def test_each_chart_is_one_tab_stop_whatever_the_number_of_tasks(
    hand: HandLog, info: Callable[..., RunInfo]
) -> None:
    model = finished_run(hand, info(tasks_requested=60), tasks=60)
    page = soup("".join(panels.panels(scene(model, 6.0)).values()))
    stops = page.select("[tabindex]")
    assert [el["id"] for el in stops] == ["lanes-r1", "tasks-r1"]
    assert all(el["tabindex"] == "0" and el["role"] == "img" for el in stops)
    assert len(page.select("#lanes-r1 g.bar")) == 60  # the bars are there, just not tab stops


def test_the_table_of_tasks_lists_each_task_once_the_run_has_ended(
    hand: HandLog, info: Callable[..., RunInfo]
) -> None:
    model = finished_run(hand, info())
    table = soup(panels.task_table(scene(model, 0.4)))
    rows = table.select("#tablebody-r1 tbody tr")
    assert [r.th.get_text() for r in rows if r.th] == ["0", "1", "2", "3"]
    assert [td.get_text() for td in rows[1].find_all("td")] == [
        "thread 2",
        "0.100",
        "0.200",
        "0.050",
        "0.050",
        "ok",
    ]
    live = RunModel(info())
    assert not soup(panels.task_table(scene(live, 0.1))).select("table")


def test_numbers_have_sensible_precision(hand: HandLog, info: Callable[..., RunInfo]) -> None:
    model = finished_run(hand, info())
    counters = soup(panels.counters(scene(model, 0.4)))
    value = {dd["data-counter"]: dd.get_text() for dd in counters.select("dd")}
    assert value["concurrency"] == "47,618"  # not 47618.11
    assert value["parallelism"] == "0.46"
    assert value["elapsed"] == "400 ms"


def test_the_status_is_a_live_region_and_cancel_works_without_javascript(
    hand: HandLog, info: Callable[..., RunInfo]
) -> None:
    model = RunModel(info())
    head = soup(panels.head(scene(model, 0.0, queue=Queue(2, "2 runs are going"))))
    region = head.find(id="status-r1")
    assert isinstance(region, Tag) and region["role"] == "status"
    assert region["aria-live"] == "polite" and region.get_text() == "Queued"
    badge = head.find(id="badge-r1")
    assert isinstance(badge, Tag) and badge.get_text() == "queued, position 2"
    form = head.find("form", id="cancel-r1")
    assert isinstance(form, Tag) and form["method"] == "post"
    assert form["action"] == "/runs/r1/cancel" and form.button is not None
    done = finished_run(HandLog(), info())
    head = soup(panels.head(scene(done, 0.4)))
    assert head.find("form") is None and head.find(id="status-r1").get_text() == "Done"  # type: ignore[union-attr]


def test_the_summary_counts_the_runs_own_cores_not_this_machines(
    hand: HandLog, info: Callable[..., RunInfo]
) -> None:
    model = RunModel(info(cpus=8))
    hand.status("running")
    hand.status("done", wall=1.0, outside_cpu_cores=2.0, cpu_busy_fraction=0.97)
    model.fold(hand.take())
    text = soup(panels.summary(scene(model, 1.0))).get_text()
    assert "used 2.0 of its 8" in text
