"""The lines over time: a round scale, and a live line as a settled part and a tail."""

from __future__ import annotations

from collections.abc import Callable

from bs4 import Tag

from server.render import lines, panels
from server.render.model import RunInfo, RunModel
from server.render.scene import scene
from tests.render.handmade import HandLog, soup, whole


def test_the_lines_over_time_scale_to_a_round_top(
    hand: HandLog, info: Callable[..., RunInfo]
) -> None:
    model = RunModel(info())
    hand.lane("t1")
    for i in range(3):
        hand.task(i, "t1", 0.0, [(0.0, 0.05)])
    hand.sample(0.05, cpu=(100.0, 0.0))
    model.fold(hand.take())
    chart = soup(lines.lines(scene(model, 0.1)))
    assert chart.select_one("#linescale-r1").get_text() == "scale 0–5"  # type: ignore[union-attr]
    # A 0.2 s live axis at 0.1 s: half the 240 columns; 3 of 5 in flight (3 px kept at the top),
    # held still, so drawn from the first column's middle to the 120th's.
    assert whole(chart, "lflight-r1") == ["2.1,49.8", "497.9,49.8"]
    cpu = soup(lines.cpu(scene(model, 0.1)))
    # One sample (100% at 50 ms): one point, in the column its interval ends in, at the top.
    assert whole(cpu, "cpu0-r1") == ["245.8,3.0"]


def test_a_live_line_is_a_settled_part_and_a_tail_and_a_finished_one_is_one_polyline(
    hand: HandLog, info: Callable[..., RunInfo]
) -> None:
    model = RunModel(info())
    hand.lane("t1")
    hand.task(0, "t1", 0.0, [(0.0, 0.3), (0.4, 0.6)])
    hand.task(1, "t1", 0.2, [(0.3, 0.4)], end=0.4)
    for t in range(1, 7):
        hand.sample(t / 10, cpu=(10.0 * t, 50.0))
    model.fold(hand.take())
    live = scene(model, 0.6)  # a 1 s axis: 240 columns of 4.2 ms
    chart = soup(lines.lines(live))
    settled = lines.settled_columns(live)
    assert settled == 84  # the columns that ended by 0.35 s (0.25 s before now)
    group = chart.find(id="lrun-r1")
    assert isinstance(group, Tag)
    part, tail = group.find_all("polyline")
    assert tail["id"] == "lrunt-r1" and not part.get("id")
    # The tail starts where the settled part ends: at the middle of column 84, the last settled.
    assert str(part["points"]).split()[-1] == str(tail["points"]).split()[0]
    assert str(tail["points"]).split()[0].startswith(f"{(settled - 0.5) * 1000 / 240:.1f},")
    cpu = lines.cores(live)
    assert [c.settled for c in cpu] == [71, 71]  # of 120: the last sample's column may take more

    hand.task(0, "t1", 0.0, [(0.0, 0.3), (0.4, 0.7)], end=0.7)
    hand.status("done", wall=0.7)
    model.fold(hand.take())
    done = soup(lines.lines(scene(model, 0.7)))
    for g in done.select("svg g"):
        assert len(g.find_all("polyline")) == 1 and not g.select("[id]")  # no tail
    assert whole(done, "lrun-r1")[-1].startswith("997.9,")  # to the end of its own 0.7 s axis


def test_running_is_drawn_up_to_what_tasks_have_reported(
    hand: HandLog, info: Callable[..., RunInfo]
) -> None:
    # A task that has run throughout, reported up to 50 ms ago (it reports every 50 ms): drawn
    # to "now", its last 50 ms would read as not running, a fall of the line to nothing and an
    # average parallelism under 1. Running is drawn up to REPORT_LAG_S ago; in flight to now.
    model = RunModel(info())
    hand.lane("t1")
    hand.task(0, "t1", 0.0, [(0.0, 0.95)])
    model.fold(hand.take())
    live = scene(model, 1.0)  # a 2 s axis: 240 columns of 8.3 ms
    chart = soup(lines.lines(live))
    assert whole(chart, "lflight-r1")[-1].startswith("497.9,")  # to 1.0 s
    assert whole(chart, "lrun-r1") == ["2.1,3.0", "422.9,3.0"]  # to 0.85 s, 1 of 1 throughout
    assert ("avg parallelism", "1.00", "parallelism") in panels.counter_cells(live)
