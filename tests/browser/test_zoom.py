"""Zoom and pan in Chromium: a finished 2-thread cpu run, down to the GIL's hand-offs."""

from __future__ import annotations

import itertools
from typing import Any

import httpx
from playwright.sync_api import Page, expect

from server.liveserver import LiveServer

#: The running slices inside the zoomed window, by lane, in time order (x in ms on the bars).
SLICES_IN_WINDOW = """([t0, t1]) => [...document.querySelectorAll('[id^=Llane-] path.run')]
  .flatMap(p => [...p.getAttribute('d').matchAll(/M([-\\d.]+),[-\\d.]+h([\\d.]+)/g)]
    .map(m => ({lane: p.closest('[id^=Llane-]').id, x: +m[1], w: +m[2]})))
  .filter(s => s.x + s.w > t0 && s.x < t1).sort((a, b) => a.x - b.x).map(s => s.lane)"""


def in_window(doc: dict[str, Any], t0_ms: float, t1_ms: float) -> list[str]:
    """The lanes of the running slices that overlap [t0_ms, t1_ms], in time order."""
    slices = [
        (round(a * 1000, 3), f"Llane-{doc['id']}-{task['lane']}")
        for task in doc["tasks"]
        for a, b in task["running"]
        if b * 1000 > t0_ms and a * 1000 < t1_ms
    ]
    return [lane for _, lane in sorted(slices)]


def takes_turns(lanes: list[str]) -> bool:
    return len(set(lanes)) == 2 and sum(a != b for a, b in itertools.pairwise(lanes)) >= 2


def test_a_finished_threads_run_zooms_to_20_ms_where_the_lanes_take_turns(
    page: Page, server: LiveServer
) -> None:
    body = {
        "workload": "cpu",
        "executor": "threads",
        "tasks": 4,
        "workers": 2,
        "params": {"ms": 200},
    }
    run_id = httpx.post(f"{server.url}/api/runs", json=body).json()["id"]
    for _ in range(300):
        doc = httpx.get(f"{server.url}/api/runs/{run_id}").json()
        if doc["status"] == "done":
            break
        page.wait_for_timeout(100)
    page.goto(f"{server.url}/runs/{run_id}")
    chart = page.locator(f"#lanes-{run_id}")
    chart.focus()
    span = doc["wall_s"]
    # Drag across the axis over the middle fifth of the run, then zoom in with the keyboard.
    axis = page.locator(f"#axis-{run_id}").bounding_box()
    assert axis is not None
    y = axis["y"] + axis["height"] / 2
    page.mouse.move(axis["x"] + 0.4 * axis["width"], y)
    page.mouse.down()
    page.mouse.move(axis["x"] + 0.6 * axis["width"], y, steps=4)
    page.mouse.up()
    note = page.locator(".zoom-note")
    expect(note).to_be_visible()
    chart.focus()
    while True:  # halve the window until it is at most 20 ms
        t0, t1 = page.evaluate(
            """id => { const g = document.getElementById('lscale-' + id);
                 const m = g.getAttribute('transform').match(/scale\\(([^,]+),1\\) translate\\(([^,]+),0\\)/);
                 const k = +m[1], x0 = -m[2]; return [x0, x0 + 1000 / k]; }""",
            run_id,
        )
        if t1 - t0 <= 20.5:
            break
        page.keyboard.press("+")
    assert 0.3 * span * 1000 < t0 < 0.7 * span * 1000  # around the middle of the run
    # Two threads hand the GIL over every 5 ms or so: in 20 ms, both lanes, taking turns. On a
    # busy machine the OS can hold a thread back for longer, so the window is the first one, in
    # steps of the arrow key's pan (a fifth of the window), where the run document says so.
    step = (t1 - t0) / 5
    presses = next(
        k
        for k in range(int((span * 1000 - t1) / step))
        if takes_turns(in_window(doc, t0 + k * step, t1 + k * step))
    )
    for _ in range(presses):
        page.keyboard.press("ArrowRight")
    t0, t1 = t0 + presses * step, t1 + presses * step
    lanes = page.evaluate(SLICES_IN_WINDOW, [t0, t1])
    assert lanes == in_window(doc, t0, t1)  # the zoomed chart draws the slices the run has
    assert takes_turns(lanes), lanes
    ticks = page.locator(f"#axis-{run_id} span").all_inner_texts()
    assert ticks and all(t.endswith(" ms") for t in ticks)  # the axis follows the window
    page.keyboard.press("Escape")
    expect(note).to_have_count(0)
    assert page.locator(f"#lscale-{run_id}").get_attribute("transform") == (
        f"scale({1000 / (span * 1000):.6g},1)"
    )
