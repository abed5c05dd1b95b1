"""Runs side by side: one time axis for all, figures against the first run of each group."""

from __future__ import annotations

from collections.abc import Callable

from server.render.compare import Entry, figures, stack
from server.render.model import RunInfo, RunModel
from tests.render.handmade import HandLog, soup


def finished(info: RunInfo, wall: float) -> RunModel:
    hand = HandLog()
    model = RunModel(info)
    hand.status("running")
    hand.lane("t1")
    hand.task(0, "t1", 0.0, [(0.0, wall)], end=wall)
    hand.status("done", wall=wall, avg_parallelism=1.0)
    model.fold(hand.take())
    return model


def test_compared_runs_share_the_longest_runs_time_axis(info: Callable[..., RunInfo]) -> None:
    fast, slow = finished(info(id="a"), 0.5), finished(info(id="b"), 2.0)
    html = soup(stack([Entry("CPU: fast", fast, 0.5), Entry("CPU: slow", slow, 2.0)]))
    scales = [g["transform"] for g in html.select(".cmp-run g.timescale")]
    assert scales == ["scale(0.5,1)", "scale(0.5,1)"]  # both on 2 s, so the fast bar is short
    assert [a.get_text() for a in html.select(".axis-top span")][-1] == "2.0 s"
    assert [h.select_one(".cmp-label").get_text() for h in html.select(".cmp-run h3")] == [  # type: ignore[union-attr]
        "CPU: fast",
        "CPU: slow",
    ]


def test_speedups_are_against_the_first_run_of_the_same_group(
    info: Callable[..., RunInfo],
) -> None:
    runs = [
        Entry("CPU: sequential", finished(info(id="a"), 2.0), 2.0),
        Entry("CPU: processes", finished(info(id="b"), 1.0), 1.0),
        Entry("I/O: sequential", finished(info(id="c"), 4.0), 4.0),
        Entry("I/O: asyncio", finished(info(id="d"), 0.1), 0.1),
    ]
    rows = figures(runs)
    assert [r["speedup"] for r in rows] == [1.0, 2.0, 1.0, 40.0]
    assert [r["baseline"] for r in rows] == ["CPU: sequential"] * 2 + ["I/O: sequential"] * 2
    assert rows[3]["wall"] == "100 ms"
