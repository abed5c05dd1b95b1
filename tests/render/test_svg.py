"""Bars as SVG strings: in ms, live ones clipped at now, finished ones with a tooltip."""

from __future__ import annotations

from bs4 import Tag

from server.render import svg
from tests.render.handmade import soup


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
    runs = bar.select("rect.run")
    assert [(r["x"], r["width"]) for r in runs] == [("12.5", "2.5"), ("20", "0.001")]  # ms
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
