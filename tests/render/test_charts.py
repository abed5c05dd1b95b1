"""The charts of a run: rows per lane, bars under one time scale, labels, strips."""

from __future__ import annotations

from collections.abc import Callable

from server.render import charts
from server.render.model import RunInfo, RunModel
from server.render.scene import scene
from tests.render.handmade import HandLog, soup


def test_bars_sit_in_their_lane_under_one_scale_for_the_whole_span(
    hand: HandLog, info: Callable[..., RunInfo]
) -> None:
    model = RunModel(info())
    hand.lane("t1", "thread 1")
    hand.lane("t2", "thread 2")
    hand.task(0, "t1", 0.0, [(0.0, 0.1)], end=0.1)
    hand.task(1, "t2", 0.0, [(0.1, 0.2)], end=0.2)
    hand.status("done", wall=0.25)
    model.fold(hand.take())
    chart = soup(charts.lane_chart(scene(model, 0.25)))
    scale = chart.select_one("#lscale-r1")
    assert scale is not None and scale["transform"] == "scale(4,1)"  # 250 ms onto 1000 units
    lanes = chart.select("#lscale-r1 > g[id^=Llane]")
    assert [g["transform"] for g in lanes] == ["translate(0,0)", "translate(0,30)"]
    assert [lane.select_one("g.bar")["id"] for lane in lanes] == ["Lr1-0", "Lr1-1"]  # type: ignore[index]
    assert [d.get_text() for d in chart.select(".label")] == ["thread 1", "thread 2"]


def test_many_lanes_get_a_range_label_instead_of_one_each(
    hand: HandLog, info: Callable[..., RunInfo]
) -> None:
    model = RunModel(info(workers=64))
    for i in range(64):
        hand.lane(f"t{i + 1}", f"thread {i + 1}")
    model.fold(hand.take())
    labels = soup(charts.lane_chart(scene(model, 0.1))).select(".labels.range .label")
    assert [x.get_text() for x in labels] == ["thread 1", "64 workers", "thread 64"]


def test_past_2000_tasks_the_charts_draw_density_strips_not_bars(
    hand: HandLog, info: Callable[..., RunInfo]
) -> None:
    model = RunModel(info(tasks_requested=5000, executor="asyncio"))
    hand.lane("t1", "event loop")
    for i in range(3000):
        hand.task(i, "t1", 0.0, [(0.0, 0.0001)])
    model.fold(hand.take())
    s = scene(model, 0.5)
    lanes, tasks = soup(charts.lane_chart(s)), soup(charts.task_chart(s))
    assert not lanes.select("g.bar") and lanes.select("path.flight-area")
    assert len(tasks.select("path.run-area")) == 120  # one strip per row of 42 tasks
    assert "42 tasks per row" in tasks.get_text()
