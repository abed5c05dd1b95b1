"""What a live frame costs a browser, part by part: a recorded run's frames replayed into its page.

``bench.observer`` measures the whole effect, on a machine whose speed drifts by a fifth within an
hour, beside a run that competes for the same cores. To find where a watching page's CPU goes,
this records one watched run of the observer's first scenario (the page as it stood just before its
first frame, and every frame with its time) and replays those frames into that page, with nothing
else running, through the page's own applier (``ConcurrencyLab.applyFrame`` in ``static/lab.js``).
Each replay is traced (``Tracing`` over the bare DevTools connection of ``bench.cdp``) and costed
as the thread time of every Chromium task, summed (the tracer's own threads left out): exact to
the microsecond where sampling a process tree every 50 ms reads in steps of 10 ms.

Variants, replayed interleaved: every frame whole; every frame but the last (the finished run,
drawn after the run's clock has stopped: what a watched run pays for); frames keeping only one
part (the counters, the chart by worker, the chart by task, the lines over time); only the clock
(the clip at "now" and the elapsed counter), which is what any frame costs at least; the frames
while the run goes without the chart by task, and without the lines; and empty frames at the same
times (the baseline of an open page). Reported in ms of Chromium CPU per replay, and per frame.
"""

from __future__ import annotations

import json
import statistics
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

import httpx
import psutil

from bench.cdp import Tab, chromium
from bench.liveserver import LiveServer, wait_finished
from bench.observer import SCENARIOS, fill_form, settle, submit
from bench.timing import Row

#: Installed before any page script: keeps the page as it was when its first frame came, and
#: every frame with its time after that one.
RECORDER = """
window.__frames = {html: null, t0: 0, frames: []};
(() => {
  const Source = window.EventSource;
  window.EventSource = function (url, options) {
    const source = new Source(url, options);
    source.addEventListener("message", (e) => {
      const r = window.__frames;
      if (r.html === null) { r.html = document.documentElement.outerHTML; r.t0 = performance.now(); }
      r.frames.push([performance.now() - r.t0, e.data]);
    });
    return source;
  };
})();
"""


@dataclass(frozen=True)
class Variant:
    #: Which swaps it keeps, by the id they target (run ids taken out); None keeps them all.
    keep: str | None
    #: Whether it replays the run's last frame: the finished run, drawn after the run's clock has
    #: stopped, so that a watched run does not pay for it.
    last: bool = True


COUNTERS = r"c(?!pu)[a-z]+$"  # the CPU lines are "cpu..."
LANE_CHART = r"(L|Llane|lanes)"
TASK_CHART = r"(T|Trows|tasks)"
LINES = r"(lines|lw|lflight|lrun|cpu)"
VARIANTS: dict[str, Variant] = {
    "whole frames": Variant(None),
    "while the run goes (its last frame left out)": Variant(None, last=False),
    "counters only": Variant(f"^{COUNTERS}"),
    "chart by worker only": Variant(f"^({LANE_CHART}|nowclip)"),
    "chart by task only": Variant(f"^({TASK_CHART}|nowclip)"),
    "lines over time only": Variant(f"^{LINES}"),
    "clock only": Variant(r"^(nowclip|celapsed)$"),
    "while the run goes, without the chart by task": Variant(f"^(?!{TASK_CHART})", last=False),
    "while the run goes, without the lines": Variant(f"^(?!{LINES})", last=False),
    "empty frames": Variant(r"(?!)"),  # matches nothing
}

#: The frames with only the swaps whose target matches ``keep`` (all of them for null), kept as
#: ``window.__kept`` before the replay is traced, so that filtering is not counted.
FILTER = """(frames, keep) => {
  const t = document.createElement("template");
  const rx = keep === null ? null : new RegExp(keep);
  window.__kept = frames.map(([at, html]) => {
    if (rx === null) return [at, html];
    t.innerHTML = html;
    for (const el of [...t.content.children]) {
      const spec = el.getAttribute("hx-swap-oob") || "true";
      const colon = spec.indexOf(":");
      const id = (colon < 0 ? el.id : spec.slice(colon + 2)).replace(/-?[0-9a-f]{12}/, "");
      if (!rx.test(id)) el.remove();
    }
    return [at, t.innerHTML];
  });
}"""

#: ``window.__kept`` applied at the times they were recorded.
REPLAY = """new Promise((done) => {
  const kept = window.__kept;
  const start = performance.now();
  let i = 0;
  function next() {
    while (i < kept.length && performance.now() - start >= kept[i][0]) {
      ConcurrencyLab.applyFrame(kept[i][1]);
      i++;
    }
    if (i < kept.length) setTimeout(next, kept[i][0] - (performance.now() - start));
    else setTimeout(done, 400);  // raster and the compositor finish the last frame
  }
  next();
})"""

CATEGORIES = "devtools.timeline,disabled-by-default-devtools.timeline,toplevel,blink,cc,viz,gpu,v8"
TASKS = ("ThreadControllerImpl::RunTask", "ThreadPool_RunTask")


def record(url: str, client: httpx.Client, tab: Tab, body: dict[str, Any]) -> Any:
    """One run started from the form and watched to its end, after two that warm the lab and
    the page up; its page before the first frame, and its frames."""
    tab.call("Page.enable")
    tab.call("Page.addScriptToEvaluateOnNewDocument", source=RECORDER)
    known: set[str] = set()
    for _ in range(3):
        fill_form(tab, url, body)
        run_id = submit(tab, client, known)
        known.add(run_id)
        wait_finished(client, run_id, every_s=0.25)
        tab.wait_for(f"document.querySelector('#badge-{run_id}')?.dataset.status === 'done'")
    tab.call("Page.disable")
    return json.loads(tab.evaluate("JSON.stringify(window.__frames)"))


def traced(tab: Tab, expression: str) -> Counter[str]:
    """Evaluate ``expression`` under a trace; the thread time of Chromium's tasks meanwhile, in
    ms per thread name."""
    events: list[dict[str, Any]] = []

    def collect(message: dict[str, Any]) -> None:
        if message["method"] == "Tracing.dataCollected":
            events.extend(message["params"]["value"])

    tab.on_event = collect
    tab.call("Tracing.start", categories=CATEGORIES, transferMode="ReportEvents")
    tab.evaluate(expression)
    tab.call("Tracing.end")
    tab.wait_event("Tracing.tracingComplete")
    tab.on_event = None
    names = {
        (e["pid"], e["tid"]): e["args"]["name"]
        for e in events
        if e.get("ph") == "M" and e["name"] == "thread_name"
    }
    used: Counter[str] = Counter()
    for e in events:
        if e.get("ph") == "X" and e["name"] in TASKS:
            name = names.get((e["pid"], e["tid"]), "?")
            if "Perfetto" not in name:
                used[name] += e.get("tdur", 0) / 1000
    return used


def frame_cost(reps: int) -> list[Row]:
    body = SCENARIOS[0].body
    with (
        LiveServer() as server,
        httpx.Client(base_url=server.url, timeout=30) as client,
        chromium() as (proc, tab),
    ):
        settle(psutil.Process(proc.pid), server.url, tab)
        rec = record(server.url, client, tab, body)
        page = rec["html"].replace(" data-stream=", " data-recorded-stream=")  # no live stream
        frames = rec["frames"]
        count = {name: len(frames) - (0 if v.last else 1) for name, v in VARIANTS.items()}
        rows = {
            name: Row(
                f"frames {name}: Chromium CPU per replay",
                "ms",
                note=f"{count[name]} frames of one recorded run, replayed; traced thread time",
            )
            for name in VARIANTS
        }
        threads: dict[str, list[Counter[str]]] = {name: [] for name in VARIANTS}
        for _ in range(max(2, min(reps, 7))):
            for name, variant in VARIANTS.items():
                tab.goto(server.url + "/lessons")
                tab.evaluate(
                    f"(html => {{ document.open(); document.write(html); document.close(); }})"
                    f"({json.dumps(page)})"
                )
                tab.wait_for("document.readyState === 'complete' && window.ConcurrencyLab")
                time.sleep(1.0)  # the page settled: parsed, painted, collected
                replayed = frames if variant.last else frames[:-1]
                tab.evaluate(f"({FILTER})({json.dumps(replayed)}, {json.dumps(variant.keep)})")
                used = traced(tab, REPLAY)
                rows[name].lab.append(sum(used.values()))
                threads[name].append(used)
        for name, row in rows.items():
            row.add_extra("per_frame_ms", (row.lab_median or 0.0) / count[name])
            for thread in ("CrRendererMain", "ThreadPoolForegroundWorker", "VizCompositorThread"):
                used_ms = statistics.median(u.get(thread, 0.0) for u in threads[name])
                row.add_extra(f"{thread}_ms", used_ms)
    return list(rows.values())
