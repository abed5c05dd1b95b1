"""Live frames: applied to a page in order, they leave exactly what a fresh render shows."""

from __future__ import annotations

from collections.abc import Callable

from bs4 import Tag

from server.render import frames, panels
from server.render.model import RunInfo, RunModel
from server.render.scene import Scene, scene
from tests.render.handmade import HandLog, Page, soup, whole

PANEL_IDS = (
    "counters",
    "lanes",
    "tasks",
    "axis",
    "lines",
    "cpu",
    "summary",
    "tablebody",
    "badge",
    "nowclip",
    "wgil",
    "legendL",
    "legendT",
    "wawait",
)


def first_render(s: Scene) -> str:
    return "".join(str(html) for html in panels.panels(s).values())


def panel(dom: Page | str, name: str) -> str:
    tree = dom.dom if isinstance(dom, Page) else soup(dom)
    el = tree.find(id=f"{name}-r1")
    assert isinstance(el, Tag), f"no #{name}-r1"
    return el.decode()


def test_frames_bring_a_page_to_what_a_fresh_render_shows(
    hand: HandLog, info: Callable[..., RunInfo], page: Callable[[str], Page]
) -> None:
    model = RunModel(info())
    s = scene(model, 0.0)
    dom, before = page(first_render(s)), frames.shown(s)

    def step(now: float) -> str:
        """One frame, applied; then the page must read as a fresh render of that moment."""
        nonlocal before
        ch = model.fold(hand.take())
        s = scene(model, now)
        html, before = frames.delta(s, ch, before)
        dom.apply(html)
        fresh = first_render(s)
        # The lines over time are extended every LINES_EVERY_S, not every frame, in segments: the
        # same points as a fresh render's, in more polylines, until the end redraws them.
        lines_drawn = "lflightt-r1" in html or 'id="lines-r1"' in html
        for name in PANEL_IDS:
            if name == "counters" and not lines_drawn:  # the averages are drawn with the lines
                assert "cparallelism-r1" not in html
                continue
            if name in ("lines", "cpu") and not model.finished:
                if lines_drawn:
                    for g in soup(panel(fresh, name)).select("svg g[id]"):
                        assert whole(dom.dom, g["id"]) == whole(g, g["id"]), f"{g['id']} at {now}"
                continue
            assert panel(dom, name) == panel(fresh, name), f"{name} at {now} s"
        return html

    hand.status("running")
    hand.lane("t1", "thread 1")
    hand.lane("t2", "thread 2")
    # Two threads taking turns: each waits for the GIL while the other runs.
    gil0 = [(0.006, 0.011, "gil")]
    gil1 = [(0.002, 0.006, "gil"), (0.011, 0.016, "gil")]
    hand.task(0, "t1", 0.001, [(0.001, 0.006)])
    hand.task(1, "t2", 0.002, [(0.006, 0.011)], waits=gil1[:1])
    hand.sample(0.01)
    first = step(0.012)
    history = soup(first).find(id="hist-status-r1")  # the dashboard's history row follows it
    assert isinstance(history, Tag) and history.get_text() == "running"
    assert "waiting for the GIL" in first  # the legend names the reason as soon as it occurs
    # Beyond a task's last report its bar is pale, and named so while tasks are in flight.
    for chart in "LT":
        assert dom.dom.select(f"#legend{chart}-r1 .key.live")
    assert dom.dom.select("#FLr1-0.flight.live") and dom.dom.select("#FTr1-0.flight.live")
    hand.task(0, "t1", 0.001, [(0.001, 0.006), (0.011, 0.016)], waits=gil0)
    hand.task(1, "t2", 0.002, [(0.006, 0.011), (0.016, 0.021)], waits=gil1)
    grow = step(0.022)
    # A grown bar's paths get their new outlines; a reason new to the bar is a path appended.
    for chart in "LT":
        assert f'attrs:#{chart}r1-0-run" d="M1,' in grow and f"attrs:#{chart}r1-1-gil" in grow
        assert f'beforeend:#{chart}r1-0"><path id="{chart}r1-0-gil" class="wait gil"' in grow
    assert "<rect" not in grow  # no element per slice
    assert "attrs:#lflight-r1" not in grow  # 10 ms after the last lines: not yet
    hand.task(0, "t1", 0.001, [(0.001, 0.006), (0.011, 0.016), (0.021, 0.03)], end=0.03, waits=gil0)
    hand.task(2, "t1", 0.03, [(0.03, 0.04)], submitted=0.0)  # queued for 30 ms
    ended = step(0.085)  # on the same 0.1 s axis
    assert 'hx-swap-oob="outerHTML:#Lr1-0"' in ended  # an ended bar is replaced whole
    assert 'innerHTML:#lanes-r1"' not in ended
    assert 'class="queued"' in ended and "queued for a worker" in ended
    hand.sample(0.04, kills=[{"pid": 7, "t_s": 0.035}])
    rescaled = step(0.15)  # the live axis grows (0.1 s -> 0.2 s): the bars' scale changes
    assert 'attrs:#lscale-r1" transform="scale(5,1)"' in rescaled  # 1000 units for 200 ms
    hand.task(1, "t2", 0.002, [(0.006, 0.011), (0.016, 0.021), (0.04, 0.05)], end=0.05, waits=gil1)
    hand.task(
        2,
        "t1",
        0.03,
        [(0.03, 0.04), (0.05, 0.06)],
        end=0.06,
        waits=[(0.04, 0.05, "core")],
        submitted=0.0,
    )
    hand.task(3, "t2", 0.05, [(0.06, 0.07)], end=0.07, status="error", error="ValueError: x")
    hand.sample(0.07)
    hand.status("done", wall=0.071, avg_concurrency=1.93, avg_parallelism=0.98)
    step(0.071)
    assert not dom.dom.select(".key.live") and not dom.dom.select("rect.live")
    bars = dom.dom.select("#lanes-r1 g.bar")
    assert [b["id"] for b in bars] == ["Lr1-0", "Lr1-2", "Lr1-1", "Lr1-3"]  # by lane, in order


def test_a_frame_moves_now_with_one_attribute_and_skips_what_did_not_change(
    hand: HandLog, info: Callable[..., RunInfo]
) -> None:
    model = RunModel(info())
    hand.status("running")
    hand.lane("t1")
    hand.task(0, "t1", 0.0, [(0.0, 0.005)])
    model.fold(hand.take())
    before = frames.shown(scene(model, 0.01))
    html, after = frames.delta(scene(model, 0.02), model.fold(hand.take()), before)
    frame = soup(html)
    clip = frame.find(attrs={"hx-swap-oob": "attrs:#nowclip-r1"})
    assert isinstance(clip, Tag) and clip["width"] == "21"  # 20 ms, from x = -1
    assert not frame.select('[hx-swap-oob="innerHTML:#lanes-r1"]')  # no redraw
    assert not frame.select("g.bar")  # nothing new to draw
    assert not frame.select("#axis-r1")
    assert after.span == before.span == 0.1


def test_a_page_that_joins_late_gets_every_panel(
    hand: HandLog, info: Callable[..., RunInfo], page: Callable[[str], Page]
) -> None:
    model = RunModel(info())
    early = page(first_render(scene(model, 0.0)))
    hand.status("running")
    hand.lane("t1")
    hand.task(0, "t1", 0.0, [(0.0, 0.03)], end=0.03)
    hand.sample(0.03)
    model.fold(hand.take())
    s = scene(model, 0.04)
    html, _ = frames.snapshot(s)
    early.apply(html)
    fresh = first_render(s)
    for name in PANEL_IDS:
        assert panel(early, name) == panel(fresh, name), name


def test_density_strips_are_redrawn_every_half_second_not_every_frame(
    hand: HandLog, info: Callable[..., RunInfo]
) -> None:
    model = RunModel(info(tasks_requested=500))  # past 120 tasks: the task chart has strips
    hand.status("running")
    hand.lane("t1")
    for i in range(10):
        hand.task(i, "t1", 0.0, [(0.0, 0.001)])
    model.fold(hand.take())
    before = frames.shown(scene(model, 0.5))
    soon, later = frames.delta(scene(model, 0.6), model.fold([]), before)
    assert 'innerHTML:#tasks-r1"' not in soon
    late, _ = frames.delta(scene(model, 1.0), model.fold([]), later)
    assert 'innerHTML:#tasks-r1"' in late


def test_a_long_run_extends_its_lines_and_redraws_only_their_tails(
    hand: HandLog, info: Callable[..., RunInfo], page: Callable[[str], Page]
) -> None:
    # Two seconds of two tasks taking turns, watched at 10 frames a second on a planned 2.5 s
    # axis (no rescale): the lines grow by segments that are never redrawn, and only each line's
    # last SETTLE_S is sent again; the page's lines stay those of a fresh render at every frame.
    model = RunModel(info(expected_s=2.2))
    s = scene(model, 0.0)
    assert s.span == 2.5
    dom, before = page(first_render(s)), frames.shown(s)
    hand.status("running")
    hand.lane("t1")
    hand.lane("t2")
    segments = 0
    for k in range(1, 21):
        now = k / 10
        hand.task(0, "t1", 0.0, [(0.0, now)], waits=[])
        waits = [(0.45, 0.5, "core")] if k >= 5 else []  # a reason appears at 0.5 s
        hand.task(1, "t2", 0.0, [(i / 10, i / 10 + 0.05) for i in range(k)], waits=waits)
        hand.sample(now, cpu=(100.0, 50.0))
        ch = model.fold(hand.take())
        s = scene(model, now)
        html, before = frames.delta(s, ch, before)
        dom.apply(html)
        segments += html.count('hx-swap-oob="beforeend:#lrun-r1"')
        # The first frame (running) draws the lines, and a new reason adds one (not a new CPU
        # line: the CPU chart stays as it is); otherwise they are only extended.
        assert ('id="lines-r1"' in html) == (k in (1, 5)), now
        assert ('id="cpu-r1"' in html) == (k == 1), now
        if 'attrs:#lrunt-r1"' not in html:
            continue  # the lines are extended every LINES_EVERY_S
        fresh = soup(first_render(s))
        for name in ("lflight", "lrun", "cpu0", "cpu1", *(["lwcore"] if k >= 5 else [])):
            assert whole(dom.dom, f"{name}-r1") == whole(fresh, f"{name}-r1"), f"{name} at {now}"
        if k > 1:  # a tail is the columns since the settled ones
            tail = soup(html).find(attrs={"hx-swap-oob": "attrs:#lrunt-r1"})
            assert isinstance(tail, Tag)
            first_x = float(str(tail["points"]).split()[0].split(",")[0])
            assert first_x >= (now - 0.25) / s.span * 1000 - 10
    assert segments >= 2
    hand.status("done", wall=2.05)
    ch = model.fold(hand.take())
    html, before = frames.delta(scene(model, 2.05), ch, before)
    dom.apply(html)
    fresh_page = first_render(scene(model, 2.05))
    assert panel(dom, "lines") == panel(fresh_page, "lines")  # one polyline per line again
    assert panel(dom, "cpu") == panel(fresh_page, "cpu")


def test_a_live_lane_chart_keeps_room_for_its_lanes_and_ends_with_the_lanes_it_had(
    hand: HandLog, info: Callable[..., RunInfo], page: Callable[[str], Page]
) -> None:
    # Two workers expected: the live chart has two rows before any lane exists, so that lanes
    # appearing move nothing below it. The run used only one: its end draws the one row a
    # fresh render of the finished run has.
    model = RunModel(info(lanes_expected=2))
    s = scene(model, 0.0)
    assert s.lane_rows.n == 2
    dom, before = page(first_render(s)), frames.shown(s)
    hand.status("running")
    hand.lane("t1")
    hand.task(0, "t1", 0.0, [(0.0, 0.05)], end=0.05)
    s = scene(model, 0.1)
    html, before = frames.delta(s, model.fold(hand.take()), before)
    dom.apply(html)
    assert s.lane_rows.n == 2 and panel(dom, "lanes") == panel(first_render(s), "lanes")
    hand.status("done", wall=0.1)
    s = scene(model, 0.1)
    html, before = frames.delta(s, model.fold(hand.take()), before)
    dom.apply(html)
    assert s.lane_rows.n == 1 and "innerHTML:#lanes-r1" in html
    assert panel(dom, "lanes") == panel(first_render(s), "lanes")


def test_a_status_frame_sends_only_the_head_parts_that_changed(
    hand: HandLog, info: Callable[..., RunInfo]
) -> None:
    """Starting, the badge and the live region change; the Cancel button, the error line and
    the note do not, and are not replaced (a button replaced loses its focus). Failing, the
    Cancel button goes and the error shows."""
    model = RunModel(info())
    s = scene(model, 0.0)
    before = frames.shown(s)
    hand.status("running")
    html, before = frames.delta(scene(model, 0.01), model.fold(hand.take()), before)
    frame = soup(html)
    badge = frame.select_one("#badge-r1")
    assert badge is not None and badge.get_text() == "running"
    assert frame.select_one('[hx-swap-oob="innerHTML:#status-r1"]').get_text() == "Running"
    for part in ("cancel", "error", "waiting"):
        assert frame.select_one(f"#{part}-r1") is None, part
    assert frame.select_one("#hist-status-r1") is not None  # the history row's status
    hand.status("failed", wall=0.02, error="boom")
    html, _ = frames.delta(scene(model, 0.02), model.fold(hand.take()), before)
    frame = soup(html)
    cancel = frame.select_one("#cancel-r1")
    assert cancel is not None and cancel.name == "span" and cancel.has_attr("hidden")
    error = frame.select_one("#error-r1")
    assert error is not None and error.get_text() == "boom" and not error.has_attr("hidden")
