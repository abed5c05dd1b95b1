"""Task end to screen: how long after a task ends its bar turns "ended" in the page, in Chromium.

The real server runs as a child process; headless Chromium (Playwright) opens the dashboard and
starts each run from the page's own form: ``io`` tasks in threads, so that tasks end at known,
regular times without loading the CPU. A ``MutationObserver`` (installed before any page script)
stamps ``performance.timeOrigin + performance.now()`` when each task's bar in the lane chart
(``g#L{RUN}-{TASK} rect.flight``) first carries the class ``ok``, then once more in the next
``requestAnimationFrame`` callback (the frame that paints it).

How the times are put on one clock (all on this machine):

- The task's end: ``end_s`` from ``GET /api/runs/{id}``, relative to the run's start ``t0``. ``t0``
  on the machine's monotonic clock comes from the ``sample`` events of the JSON stream (see
  :mod:`bench.liveserver`): an estimate that can only be late, by the smallest delivery delay of
  a sample (sub-ms on an idle loopback; ``anchor_p50_ms`` shows the spread), so latencies can only
  be understated, by that much.
- The page's clock: ``performance.timeOrigin + now()`` is mapped onto ``time.perf_counter()`` by
  a handshake (``page.evaluate`` between two readings; the round trip with the smallest time is
  kept), before and after the run: error at most half that round trip (``sync_rtt_ms``), and the
  drift between the two handshakes is reported too (``sync_drift_ms``).

To tell where the time goes, the bench also follows the run's JSON event stream (when a task's
end reached the run log and a subscriber) and its HTML frame stream (when the frame that ends the
bar reached a second viewer): ``end_to_event`` and ``end_to_frame`` in the extras.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import re
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from bench.liveserver import LiveServer, SSESplitter, pct, read_anchor
from bench.timing import Row

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
#: 40 io tasks on 4 threads; 337 ms is no multiple of the 50 ms drain or the 100 ms frame period,
#: so that the ends fall at every phase of the server's ticks over the runs.
FORM = {"workload": "io", "ms": "337", "executor": "threads", "tasks": "40", "workers": "4"}
RUNS = 3
GOAL_P95_MS = 200.0
RUN_TIMEOUT_S = 40.0

OBSERVER_JS = """
(() => {
  const rec = window.__lab = {ends: {}};
  const now = () => performance.timeOrigin + performance.now();
  function scan(node) {
    if (node.nodeType !== 1) return;
    const rects = node.matches('rect.flight.ok') ? [node] : [];
    for (const r of node.querySelectorAll('rect.flight.ok')) rects.push(r);
    if (!rects.length) return;
    const t = now();
    for (const r of rects) {
      const g = r.closest('g.bar');
      if (!g || !g.id.startsWith('L') || rec.ends[g.id]) continue;
      const entry = rec.ends[g.id] = {dom: t, raf: null};
      requestAnimationFrame(() => { entry.raf = now(); });
    }
  }
  new MutationObserver((muts) => {
    for (const m of muts) {
      if (m.type === 'attributes') scan(m.target);
      else for (const n of m.addedNodes) scan(n);
    }
  }).observe(document, {subtree: true, childList: true, attributes: true,
                        attributeFilter: ['class']});
})();
"""


@dataclass
class Sync:
    rtt_s: float
    offset_s: float  # page clock (s) - perf_counter


async def clock_sync(page: Any, tries: int = 25) -> Sync:
    best: Sync | None = None
    for _ in range(tries):
        a = time.perf_counter()
        b = await page.evaluate("performance.timeOrigin + performance.now()")
        c = time.perf_counter()
        s = Sync(c - a, b / 1e3 - (a + c) / 2)
        if best is None or s.rtt_s < best.rtt_s:
            best = s
    assert best is not None
    return best


async def frame_ends(client: httpx.AsyncClient, run_id: str, timeout_s: float) -> dict[int, float]:
    """Arrival time (perf_counter) of the first frame that draws each task's lane bar as ended."""
    ends: dict[int, float] = {}
    split = SSESplitter()
    bar = re.compile(rb"[LT]" + run_id.encode() + rb"-(\d+)")

    async def go() -> None:
        async with client.stream("GET", f"/runs/{run_id}/stream") as r:
            async for chunk in r.aiter_raw():
                now = time.perf_counter()
                for msg in split.feed(chunk):
                    if b"event: end" in msg[:40]:
                        return
                    marks = list(bar.finditer(msg))
                    bounds = [m.start() for m in marks[1:]] + [len(msg)] if marks else []
                    for m, stop in zip(marks, bounds, strict=True):
                        if msg[m.start()] != ord("L"):
                            continue
                        seg = msg[m.end() : stop]
                        tid = int(m.group(1))
                        if b'class="flight ok' in seg and tid not in ends:
                            ends[tid] = now

    try:
        await asyncio.wait_for(go(), timeout_s)
    except (TimeoutError, httpx.HTTPError) as exc:  # the decomposition is a bonus: say, go on
        print(f"bench: latency: the HTML frame stream failed: {exc!r}", file=sys.stderr)
    return ends


@dataclass
class RunResult:
    to_dom_ms: list[float] = field(default_factory=list)
    to_paint_ms: list[float] = field(default_factory=list)
    to_event_ms: list[float] = field(default_factory=list)
    to_frame_ms: list[float] = field(default_factory=list)
    missing: int = 0
    sync_rtt_ms: float = math.nan
    sync_drift_ms: float = math.nan
    anchor_p50_ms: float = math.nan


async def start_from_form(page: Any) -> str:
    await page.evaluate("document.querySelector('#run-form').dataset.stale = '1'")
    await page.select_option("#f-workload", FORM["workload"])  # re-renders the form (hx-get)
    await page.wait_for_function(
        "() => { const f = document.querySelector('#run-form');"
        " return f && !f.dataset.stale && document.querySelector('#f-param-ms'); }"
    )
    await page.fill("#f-param-ms", FORM["ms"])
    await page.select_option("#f-executor", FORM["executor"])
    await page.fill("#f-tasks", FORM["tasks"])
    await page.fill("#f-workers", FORM["workers"])
    async with page.expect_response(
        lambda r: r.url.endswith("/runs") and r.request.method == "POST"
    ) as info:
        await page.click("#run-form button[type=submit]")
    response = await info.value
    m = re.search(r"/runs/([0-9a-zA-Z]+)/stream", await response.text())
    if response.status != 201 or not m:
        raise RuntimeError(f"the form did not start a run: HTTP {response.status}")
    return m.group(1)


async def one_run(page: Any, client: httpx.AsyncClient) -> RunResult:
    res = RunResult()
    before = await clock_sync(page)
    run_id = await start_from_form(page)
    anchor_task = asyncio.create_task(read_anchor(client, run_id, RUN_TIMEOUT_S))
    frames_task = asyncio.create_task(frame_ends(client, run_id, RUN_TIMEOUT_S))
    anchor = await anchor_task
    ntasks = int(FORM["tasks"])
    with contextlib.suppress(Exception):  # the page gets the final frame a little later
        await page.wait_for_function(
            f"() => Object.keys(window.__lab.ends).filter(k => k.startsWith('L{run_id}-'))"
            f".length >= {ntasks}",
            timeout=5000,
        )
    await asyncio.sleep(0.1)  # the last requestAnimationFrame callbacks
    seen: dict[str, dict[str, float | None]] = await page.evaluate("window.__lab.ends")
    after = await clock_sync(page)
    frames = await frames_task
    doc = (await client.get(f"/api/runs/{run_id}")).json()
    if anchor.t0 is None or doc["status"] != "done":
        raise RuntimeError(
            f"run {run_id} ended {doc['status']} (t0 known: {anchor.t0 is not None})"
        )
    offset = (before.offset_s + after.offset_s) / 2
    res.sync_rtt_ms = max(before.rtt_s, after.rtt_s) * 1e3
    res.sync_drift_ms = (after.offset_s - before.offset_s) * 1e3
    res.anchor_p50_ms = anchor.spread_ms[0]
    for task in doc["tasks"]:
        end = anchor.t0 + task["end_s"]
        mark = seen.get(f"L{run_id}-{task['id']}")
        if mark is None:
            res.missing += 1
        else:
            res.to_dom_ms.append((mark["dom"] / 1e3 - offset - end) * 1e3)  # type: ignore[operator]
            if mark["raf"] is not None:
                res.to_paint_ms.append((mark["raf"] / 1e3 - offset - end) * 1e3)
        if task["id"] in anchor.task_end_arrivals:
            res.to_event_ms.append((anchor.task_end_arrivals[task["id"]] - end) * 1e3)
        if task["id"] in frames:
            res.to_frame_ms.append((frames[task["id"]] - end) * 1e3)
    return res


async def measure(runs: int) -> list[RunResult]:
    from playwright.async_api import async_playwright

    results: list[RunResult] = []
    with LiveServer() as server:
        async with (
            async_playwright() as pw,
            httpx.AsyncClient(base_url=server.url, timeout=30) as client,
        ):
            browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                page = await browser.new_page()
                await page.add_init_script(OBSERVER_JS)
                await page.goto(server.url + "/")
                for _ in range(runs):
                    results.append(await one_run(page, client))
                    r = results[-1]
                    print(
                        f"bench: latency run: end->DOM p50 {pct(r.to_dom_ms, 50):.1f} p95 "
                        f"{pct(r.to_dom_ms, 95):.1f} max {max(r.to_dom_ms, default=math.nan):.1f}"
                        f" ms; end->paint p95 {pct(r.to_paint_ms, 95):.1f}; end->frame at bench"
                        f" p95 {pct(r.to_frame_ms, 95):.1f}; end->JSON event p95 "
                        f"{pct(r.to_event_ms, 95):.1f}; {r.missing} bars not seen; clock sync "
                        f"rtt {r.sync_rtt_ms:.2f} ms drift {r.sync_drift_ms:.2f} ms",
                        file=sys.stderr,
                        flush=True,
                    )
            finally:
                await browser.close()
    return results


def latency(reps: int) -> list[Row]:
    results = asyncio.run(measure(max(1, min(reps, RUNS))))
    what = f"task end->screen io {FORM['tasks']}x{FORM['ms']}ms threads({FORM['workers']})"
    note = "Chromium: MutationObserver stamp - task end (run t0 from sample events)"
    dom50 = Row(f"{what} DOM p50", "ms", absolute=True, note=note)
    dom95 = Row(f"{what} DOM p95", "ms", goal=GOAL_P95_MS, absolute=True, note=note)
    paint95 = Row(
        f"{what} paint p95",
        "ms",
        goal=GOAL_P95_MS,
        absolute=True,
        note="the requestAnimationFrame after the DOM change - task end",
    )
    missing = Row(f"{what} bars never ended", "count", goal=0, absolute=True)
    pooled: dict[str, list[float]] = {"dom": [], "paint": [], "event": [], "frame": []}
    for r in results:
        dom50.lab.append(pct(r.to_dom_ms, 50))
        dom95.lab.append(pct(r.to_dom_ms, 95))
        paint95.lab.append(pct(r.to_paint_ms, 95))
        missing.lab.append(r.missing)
        dom95.add_extra("max_ms", max(r.to_dom_ms, default=math.nan))
        dom95.add_extra("min_ms", min(r.to_dom_ms, default=math.nan))
        dom95.add_extra("end_to_event_p50_ms", pct(r.to_event_ms, 50))
        dom95.add_extra("end_to_event_p95_ms", pct(r.to_event_ms, 95))
        dom95.add_extra("end_to_frame_p50_ms", pct(r.to_frame_ms, 50))
        dom95.add_extra("end_to_frame_p95_ms", pct(r.to_frame_ms, 95))
        dom95.add_extra("sync_rtt_ms", r.sync_rtt_ms)
        dom95.add_extra("sync_drift_ms", r.sync_drift_ms)
        dom95.add_extra("anchor_p50_ms", r.anchor_p50_ms)
        paint95.add_extra("p50_ms", pct(r.to_paint_ms, 50))
        pooled["dom"] += r.to_dom_ms
        pooled["paint"] += r.to_paint_ms
        pooled["event"] += r.to_event_ms
        pooled["frame"] += r.to_frame_ms
    for k, values in pooled.items():
        dom95.add_extra(f"pooled_{k}_p50_ms", pct(values, 50))
        dom95.add_extra(f"pooled_{k}_p95_ms", pct(values, 95))
    dom95.add_extra("pooled_tasks", len(pooled["dom"]))
    return [dom50, dom95, paint95, missing]
