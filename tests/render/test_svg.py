"""Bars as SVG strings: in ms, live ones clipped at now, finished ones with a tooltip."""

from __future__ import annotations

import itertools

import pytest
from bs4 import Tag

from server.render import svg
from tests.render.handmade import slices_of, soup


def task(**kw: object) -> dict[str, object]:
    t: dict[str, object] = {
        "id": 3,
        "lane": "t1",
        "start_s": 0.0125,
        "end_s": None,
        "cpu_s": None,
        "status": "running",
        "error": None,
        "running": [[0.0125, 0.015], [0.02, 0.0200004]],
    }
    return {**t, **kw}


def test_a_live_bar_reaches_past_the_chart_and_is_clipped_at_now() -> None:
    bar = soup(svg.bar("L", task(), "r1", 0.0, 10.0, svg.task_tip(task(), "thread 1")))
    g = bar.find("g")
    assert isinstance(g, Tag) and g["id"] == "Lr1-3" and "in flight" in str(g["data-tip"])
    flight = bar.select_one("rect.flight.live")
    assert flight is not None and flight["id"] == "FLr1-3"
    assert flight["clip-path"] == "url(#now-r1)" and int(str(flight["width"])) > 1_000_000
    # One path for the running slices (an id while live, for the frames that grow it), in ms.
    (runs,) = bar.select("path.run")
    assert runs["id"] == "Lr1-3-run" and not bar.select("rect.run")
    assert slices_of(str(runs["d"])) == [("12.5", "2.5"), ("20", "0.001")]
    assert bar.find("title") is None  # live bars: the tooltip comes from data-tip


def test_a_finished_bar_has_its_width_status_and_a_tooltip_without_javascript() -> None:
    done = task(end_s=0.0425, cpu_s=0.002, status="error", error="ValueError: x")
    bar = soup(svg.bar("T", done, "r1", 24.0, 10.0, svg.task_tip(done, "thread 1")))
    flight = bar.select_one("rect.flight.error")
    assert flight is not None and flight["width"] == "30" and flight.get("id") is None
    title = bar.find("title")
    assert isinstance(title, Tag) and title.get_text().endswith("error: ValueError: x")
    assert "took 0.030 s" in title.get_text() and "CPU 0.002 s" in title.get_text()
    assert bar.contents[0].contents[-1] is title  # last: an ended live bar appends it


def test_a_bars_slices_are_a_path_per_kind_waits_in_the_order_they_first_occurred() -> None:
    waits = [(0.001, 0.002, "core"), (0.004, 0.005, "gil"), (0.007, 0.008, "core")]
    live = task(running=[(0.0, 0.001), (0.002, 0.004), (0.005, 0.007)], waits=waits)
    bar = soup(svg.bar("T", live, "r1", 24.0, 10.0, "tip"))
    paths = bar.select("g.bar > path")
    assert [(p["class"], p["id"]) for p in paths] == [
        (["run"], "Tr1-3-run"),
        (["wait", "core"], "Tr1-3-core"),
        (["wait", "gil"], "Tr1-3-gil"),
    ]
    assert [slices_of(str(p["d"])) for p in paths] == [
        [("0", "1"), ("2", "2"), ("5", "2")],
        [("1", "1"), ("7", "1")],
        [("4", "1")],
    ]
    assert 'd="M0,24h1v10H0z' in str(bar)  # each slice a rectangle from y over the bar's height
    # Once the task has ended its bar is replaced whole: the same paths, no ids to grow them by.
    done = soup(svg.bar("T", {**live, "end_s": 0.008, "status": "ok"}, "r1", 24.0, 10.0, "tip"))
    assert [p["d"] for p in done.select("path")] == [p["d"] for p in paths]
    assert all(p.get("id") is None for p in done.select("path"))


def test_a_line_keeps_its_ends_and_turns_and_leaves_out_points_where_it_holds_still() -> None:
    # 10 columns of 100 units: x at the middle of each; a height of 103 draws 0..vmax as 103..3.
    values = [1.0, 1.0, 1.0, 1.0, 2.0, 2.0, float("nan"), 2.0, 0.0, 0.0]
    kept = [tuple(map(float, p.split(","))) for p in svg.points(values, 103, 2.0, 10).split()]
    assert kept == [(50, 53), (350, 53), (450, 3), (750, 3), (850, 103), (950, 103)]
    # The line through the points kept passes through every point of the full line.
    for i, v in enumerate(values):
        if v != v:
            continue
        x, y = (i + 0.5) * 100, 103 - 100 * v / 2.0
        (x0, y0), (x1, y1) = next(
            ab for ab in itertools.pairwise(kept) if ab[0][0] <= x <= ab[1][0]
        )
        assert y == pytest.approx(y0 + (y1 - y0) * (x - x0) / (x1 - x0))
    assert svg.points([1.0], 103, 2.0, columns=10) == "50.0,53.0"
    assert svg.points([], 103, 2.0) == ""
