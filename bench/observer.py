"""The observer effect: the same run, watched live by a Chromium tab or not.

On a machine with as many cores as the run uses, the page that draws the run competes with it for
CPU: the browser's work is taken from the run being shown. This measures by how much, with 8 cpu
tasks of 300 ms in 2 processes (as the ``cpu-bound`` lesson runs them), and with hashing in 2
threads, run by the dashboard's runner process or (``CLAB_RUNNER_PROCESS=false``) in the lab's own
process, where the lab's work takes the GIL from the tasks. Unwatched runs (started through the
API) alternate with watched ones (started from the dashboard's form, then watched to the end, as a
presenter would). Reported: the run's average parallelism both ways, and what the browser and the
lab's own process tree spent on the CPU per run. For the first scenario, two more watchers tell
where the cost goes: the page's stream read by a plain HTTP client (the lab draws every frame,
nobody paints one), and a tab whose page is hidden (every frame applied, nothing painted). The
browser's CPU is counted from pressing Run to the run's end (its document's ``started_at`` plus
``wall_s``), read from samples taken every 50 ms (not when a poll of the API noticed the end), and
also on the run's clock alone: a run started from the form starts its clock once its page has drawn
it. The browser is driven over a bare DevTools connection (``bench.cdp``), as a presenter's browser
has no automation attached. Goals, for the first scenario (the run the ``cpu-bound`` lesson shows):
watched parallelism at least 0.95 of unwatched, and Chromium at most 0.15 s of CPU per second of
run, from pressing Run. For that goal, the unwatched and the watched run are measured one after
the other (taking turns at going first) at least ``GOAL_PAIRS`` times, and the ratio is the
median pair's: one unwatched run's parallelism varies by 3-4% here from one to the next (its 8
tasks end on 2 workers in lockstep, and a slice of CPU taken from either delays the last), so
that a ratio of two medians of 7 moved by as much as the 2-3% that watching costs.
"""

from __future__ import annotations

import bisect
import contextlib
import json
import math
import os
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
import psutil

from bench.cdp import Tab, chromium
from bench.liveserver import LiveServer, wait_finished
from bench.timing import Row


@dataclass(frozen=True)
class Scenario:
    name: str
    body: dict[str, Any]
    env: dict[str, str] = field(default_factory=dict)


#: The processes and threads runs of the ``cpu-bound`` lesson (and the processes run with one
#: worker, which leaves a core free), and hashing in 2 threads (C code that lets the GIL go, as in
#: ``gil-release``); the threads with the dashboard's runner process and without it.
HASH = {
    "workload": "hash",
    "executor": "threads",
    "tasks": 16,
    "workers": 2,
    "params": {"mib": 64, "chunk_bytes": 1 << 20},
}
THREADS = {
    "workload": "cpu",
    "executor": "threads",
    "tasks": 8,
    "workers": 2,
    "params": {"ms": 300},
}
PROCESSES = {**THREADS, "executor": "processes"}
SCENARIOS = (
    Scenario("cpu 8x300ms processes(2)", PROCESSES),
    # One worker on two cores: the presenter's case of a core the run does not use.
    Scenario("cpu 8x300ms processes(1)", {**PROCESSES, "workers": 1}),
    Scenario("cpu 8x300ms threads(2), runner", THREADS),
    Scenario("cpu 8x300ms threads(2), no runner", THREADS, {"CLAB_RUNNER_PROCESS": "false"}),
    Scenario("hash 16x64MiB threads(2), runner", HASH),
    Scenario("hash 16x64MiB threads(2), no runner", HASH, {"CLAB_RUNNER_PROCESS": "false"}),
)


class CpuMeter:
    """The CPU a process tree has used, read every ``every_s`` in a thread of its own, so that
    it can be told at any past instant (wall clock, as the run document's ``started_at``): a
    browser's CPU between pressing Run and the run's end, not until a poll noticed the end. The
    tree's processes are listed once (listing them scans every process on the machine), and each
    one's ``/proc/PID/stat`` is kept open and read again in place: a reading of Chromium's nine
    processes takes 60 us here, against 240 through psutil, and the meter as a whole 0.8-1% of a
    core against 1.6% (measured over 5 s). The meter runs during every run the bench compares,
    watched or not, so that what measuring costs is the same on both sides (it used to run
    during watched runs only, and took its 1.6% from those alone)."""

    TICKS = os.sysconf("SC_CLK_TCK")

    def __init__(self, root: psutil.Process, every_s: float = 0.05) -> None:
        self._fds: list[int] = []
        for proc in [root, *root.children(recursive=True)]:
            with contextlib.suppress(OSError):
                self._fds.append(os.open(f"/proc/{proc.pid}/stat", os.O_RDONLY))
        self._every_s = every_s
        self._samples: list[tuple[float, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def read(self) -> float:
        """The CPU the tree has used so far (user and system, of the processes still there)."""
        ticks = 0
        for fd in self._fds:
            with contextlib.suppress(OSError, ValueError, IndexError):
                stat = os.pread(fd, 4096, 0)
                fields = stat[stat.rindex(b")") + 2 :].split()
                ticks += int(fields[11]) + int(fields[12])  # utime, stime
        return ticks / self.TICKS

    def _sample(self) -> None:
        while not self._stop.is_set():
            self._samples.append((time.time(), self.read()))
            self._stop.wait(self._every_s)

    def __enter__(self) -> CpuMeter:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.close()

    def close(self) -> None:
        """Close the processes' files (the samples stay)."""
        for fd in self._fds:
            os.close(fd)
        self._fds = []

    def at(self, when: float) -> float:
        """The CPU used by ``when`` (seconds since the epoch), between the samples around it."""
        s = self._samples
        i = bisect.bisect_left(s, (when, -math.inf))
        if i == 0:
            return s[0][1]
        if i == len(s):
            return s[-1][1]
        (t0, c0), (t1, c1) = s[i - 1], s[i]
        return c0 + (c1 - c0) * (when - t0) / (t1 - t0) if t1 > t0 else c1


def _epoch(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


#: How many unwatched and watched pairs the goal's ratio is measured on, whatever ``--reps`` says
#: (the other watchers and scenarios run ``--reps`` times, at most 7).
GOAL_PAIRS = 15


def observer(reps: int) -> list[Row]:
    return [row for scenario in SCENARIOS for row in observe(scenario, reps)]


def fill_form(tab: Tab, url: str, body: dict[str, Any]) -> None:
    """The dashboard, its form filled in as a person would (the workload first: its
    parameters' fields come with it)."""
    tab.goto(url + "/")
    workload = json.dumps(body["workload"])
    tab.evaluate(
        "(() => { const s = document.getElementById('f-workload');"
        f" if (s.value !== {workload}) {{ s.value = {workload};"
        " s.dispatchEvent(new Event('change', {bubbles: true})); } })()"
    )
    first = next(iter(body["params"]))
    tab.wait_for(f"document.getElementById('f-param-{first}')")
    values = {
        "f-executor": body["executor"],
        "f-tasks": str(body["tasks"]),
        "f-workers": str(body["workers"]),
        **{f"f-param-{k}": str(v) for k, v in body["params"].items()},
    }
    tab.evaluate(
        f"Object.entries({json.dumps(values)})"
        ".forEach(([id, v]) => { document.getElementById(id).value = v; })"
    )
    time.sleep(0.5)


def submit(tab: Tab, client: httpx.Client, known: set[str]) -> str:
    """Press Run (the form's own submit) and return the new run's id, read from the API."""
    tab.evaluate("document.getElementById('run-form').requestSubmit()")
    while True:
        rows = client.get("/api/runs", params={"limit": 1}).json()
        if rows and rows[0]["id"] not in known:
            run_id: str = rows[0]["id"]
            return run_id
        time.sleep(0.02)


def settle(browser: psutil.Process, url: str, tab: Tab, timeout_s: float = 15.0) -> None:
    """The dashboard loaded once, then wait until the browser is idle (under 10 ms of CPU in
    half a second): a Chromium just started works for a few seconds, and the first unwatched
    run would otherwise compete with it (measured: parallelism 1.28-1.41 against 1.8-1.9, with
    0.45-0.58 cores used outside the run)."""
    tab.goto(url + "/")
    deadline = time.monotonic() + timeout_s
    with contextlib.closing(CpuMeter(browser)) as meter:
        before = meter.read()
        while time.monotonic() < deadline:
            time.sleep(0.5)
            now = meter.read()
            if now - before < 0.01:
                return
            before = now


#: Who watches a run: nobody (it is started through the API); the lab's stream of frames read by a
#: plain HTTP client (the lab draws every frame, nothing is drawn on a screen); a Chromium tab with
#: its page hidden (every frame arrives and is applied, nothing is laid out or painted); and the
#: tab as a presenter has it. The two between tell where what watching costs a run goes.
NOBODY, STREAM, HIDDEN, TAB = "nobody", "an SSE client", "a hidden tab", "a tab"
#: The page's content hidden, its script left to apply the frames.
HIDE = "(() => { const s = document.createElement('style'); s.textContent ="
HIDE += " 'body > *:not(script) { display: none !important; }'; document.head.append(s); })()"


def read_stream(client: httpx.Client, run_id: str) -> None:
    """Read a run's page stream to its end, as a page would, drawing nothing."""
    with client.stream("GET", f"/runs/{run_id}/stream") as reply:
        for line in reply.iter_lines():
            if line.startswith("event: end"):
                return


def observe(scenario: Scenario, reps: int) -> list[Row]:
    what = f"observer {scenario.name}"
    goals = scenario is SCENARIOS[0]  # the goals are for the cpu-bound lesson's run
    watchers = (NOBODY, STREAM, HIDDEN, TAB) if goals else (NOBODY, TAB)
    par = Row(
        f"{what} parallelism",
        "x",
        goal=0.95 if goals else None,
        at_least=True,
        paired=goals,
        note="bare: nobody watching; lab: a Chromium tab watching"
        + ("; lab/bare: the median of the pairs' ratios" if goals else ""),
    )
    par_by = {
        w: Row(f"{what} parallelism, {w} watching", "x", note="bare: nobody watching")
        for w in (STREAM, HIDDEN)
        if w in watchers
    }
    browser_cpu = Row(
        f"{what} Chromium CPU per run-second",
        "s/s",
        goal=0.15 if goals else None,
        absolute=True,
        note="all Chromium processes, from pressing Run to the run's end, / wall_s",
    )
    idle_cpu = Row(
        f"{what} Chromium CPU per run-second, on its clock, nobody watching",
        "s/s",
        note="the tab left on the run before, during a run started through the API",
    )
    clock_cpu = Row(
        f"{what} Chromium CPU per run-second, on its clock",
        "s/s",
        note="the same from the run's clock start (after its page has drawn it) to its end",
    )
    hidden_cpu = Row(
        f"{what} Chromium CPU per run-second, on its clock, the page hidden",
        "s/s",
        note="frames applied, nothing laid out or painted",
    )
    lab_cpu = Row(f"{what} lab CPU", "s", note="per run, the lab's process tree")
    outside = Row(f"{what} outside_cpu_cores", "cores", note="as the run itself measured it")
    loop_cpu = Row(f"{what} lab_loop_cpu_s", "s", note="the lab's loop, in the tasks' process")
    with (
        LiveServer(env=scenario.env) as server,
        httpx.Client(base_url=server.url, timeout=30) as client,
        chromium() as (proc, page),
    ):
        browser = psutil.Process(proc.pid)
        settle(browser, server.url, page)
        known: set[str] = set()
        some = max(2, min(reps, 7))
        for rep in range(max(reps, GOAL_PAIRS) if goals else some):
            pair = (NOBODY, TAB) if rep % 2 == 0 else (TAB, NOBODY)
            others = [w for w in watchers if w not in pair] if rep < some else []
            for watcher in (*pair, *others):
                in_tab = watcher in (HIDDEN, TAB)
                if in_tab:
                    fill_form(page, server.url, scenario.body)
                    if watcher == HIDDEN:
                        page.evaluate(HIDE)
                meter = CpuMeter(browser)  # for every run: measuring costs each side the same
                l0 = server.cpu_s()
                with meter:
                    pressed = time.time()
                    if in_tab:
                        run_id = submit(page, client, known)
                    else:
                        run_id = client.post("/api/runs", json=scenario.body).json()["id"]
                        if watcher == STREAM:
                            read_stream(client, run_id)
                    known.add(run_id)
                    doc = wait_finished(client, run_id, every_s=0.25)
                metrics: dict[str, float] = doc["metrics"]
                parallelism = metrics["avg_parallelism"]
                if watcher == NOBODY:
                    for row in (par, *par_by.values()):
                        row.bare.append(parallelism)
                else:
                    (par if watcher == TAB else par_by[watcher]).lab.append(parallelism)
                wall, start = doc["wall_s"], _epoch(doc["started_at"])
                end = meter.at(start + wall)
                if watcher == NOBODY:
                    idle_cpu.lab.append((end - meter.at(start)) / wall)
                if in_tab:
                    if watcher == TAB:
                        browser_cpu.lab.append((end - meter.at(pressed)) / wall)
                        clock_cpu.lab.append((end - meter.at(start)) / wall)
                    else:
                        hidden_cpu.lab.append((end - meter.at(start)) / wall)
                if watcher in (NOBODY, TAB):
                    (outside.lab if watcher == TAB else outside.bare).append(
                        metrics.get("outside_cpu_cores", math.nan)
                    )
                    if "lab_loop_cpu_s" in metrics:  # measured without a runner only
                        (loop_cpu.lab if watcher == TAB else loop_cpu.bare).append(
                            metrics["lab_loop_cpu_s"]
                        )
                    (lab_cpu.lab if watcher == TAB else lab_cpu.bare).append(server.cpu_s() - l0)
                if in_tab:  # the page did watch it to the end
                    page.wait_for(
                        f"document.querySelector('#badge-{run_id}')?.dataset.status === 'done'"
                    )
                time.sleep(0.3)
    rows = [par, *par_by.values(), browser_cpu, clock_cpu, *([idle_cpu] if goals else [])]
    rows += [hidden_cpu] if hidden_cpu.lab else []
    return rows + [lab_cpu, outside] + ([loop_cpu] if loop_cpu.bare else [])
