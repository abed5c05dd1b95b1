"""The observer effect: the same run, watched live by a Chromium tab or not.

On a machine with as many cores as the run uses, the page that draws the run competes with it for
CPU: the browser's work is taken from the run being shown. This measures by how much, with 8 cpu
tasks of 300 ms in 2 processes (as the ``cpu-bound`` lesson runs them), and with hashing in 2
threads, run by the dashboard's runner process or (``CLAB_RUNNER_PROCESS=false``) in the lab's own
process, where the lab's work takes the GIL from the tasks. Unwatched runs (started through the
API) alternate with watched ones (started from the dashboard's form, then watched to the end, as a
presenter would). Reported: the run's average parallelism both ways, and what the browser and the
lab's own process tree spent on the CPU per run. The browser is driven over a bare DevTools
connection (``bench.cdp``), as a presenter's browser has no automation attached. Goals, for the first scenario (the run the
``cpu-bound`` lesson shows): watched parallelism at least 0.95 of unwatched, and Chromium at most
0.15 s of CPU per second of run.
"""

from __future__ import annotations

import contextlib
import json
import math
import time
from dataclasses import dataclass, field
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


#: The processes and threads runs of the ``cpu-bound`` lesson, and hashing in 2 threads (C code
#: that lets the GIL go, as in ``gil-release``); the threads with the dashboard's runner process
#: and without it.
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
SCENARIOS = (
    Scenario(
        "cpu 8x300ms processes(2)",
        {
            "workload": "cpu",
            "executor": "processes",
            "tasks": 8,
            "workers": 2,
            "params": {"ms": 300},
        },
    ),
    Scenario("cpu 8x300ms threads(2), runner", THREADS),
    Scenario("cpu 8x300ms threads(2), no runner", THREADS, {"CLAB_RUNNER_PROCESS": "false"}),
    Scenario("hash 16x64MiB threads(2), runner", HASH),
    Scenario("hash 16x64MiB threads(2), no runner", HASH, {"CLAB_RUNNER_PROCESS": "false"}),
)


def _cpu_s(roots: list[psutil.Process]) -> float:
    total = 0.0
    for root in roots:
        with contextlib.suppress(psutil.Error):
            for p in [root, *root.children(recursive=True)]:
                with contextlib.suppress(psutil.Error):
                    t = p.cpu_times()
                    total += t.user + t.system
    return total


def observer(reps: int) -> list[Row]:
    return [row for scenario in SCENARIOS for row in observe(scenario, reps)]


def _fill_form(tab: Tab, url: str, body: dict[str, Any]) -> None:
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


def _submit(tab: Tab, client: httpx.Client, known: set[str]) -> str:
    """Press Run (the form's own submit) and return the new run's id, read from the API."""
    tab.evaluate("document.getElementById('run-form').requestSubmit()")
    while True:
        rows = client.get("/api/runs", params={"limit": 1}).json()
        if rows and rows[0]["id"] not in known:
            run_id: str = rows[0]["id"]
            return run_id
        time.sleep(0.02)


def observe(scenario: Scenario, reps: int) -> list[Row]:
    what = f"observer {scenario.name}"
    goals = scenario is SCENARIOS[0]  # the goals are for the cpu-bound lesson's run
    par = Row(
        f"{what} parallelism",
        "x",
        goal=0.95 if goals else None,
        at_least=True,
        note="bare: nobody watching; lab: a Chromium tab watching",
    )
    browser_cpu = Row(
        f"{what} Chromium CPU per run-second",
        "s/s",
        goal=0.15 if goals else None,
        absolute=True,
        note="all Chromium processes, from pressing Run to the run's end, / wall_s",
    )
    lab_cpu = Row(f"{what} lab CPU", "s", note="per run, the lab's process tree")
    outside = Row(f"{what} outside_cpu_cores", "cores", note="as the run itself measured it")
    loop_cpu = Row(f"{what} lab_loop_cpu_s", "s", note="the lab's loop, in the tasks' process")
    with (
        LiveServer(env=scenario.env) as server,
        httpx.Client(base_url=server.url, timeout=30) as client,
        chromium() as (proc, page),
    ):
        roots = [psutil.Process(proc.pid)]
        known: set[str] = set()
        for _ in range(max(2, min(reps, 7))):
            for watched in (False, True):
                if watched:
                    _fill_form(page, server.url, scenario.body)
                b0, l0 = _cpu_s(roots), server.cpu_s()
                if watched:
                    run_id = _submit(page, client, known)
                else:
                    run_id = client.post("/api/runs", json=scenario.body).json()["id"]
                known.add(run_id)
                doc = wait_finished(client, run_id, every_s=0.25)
                metrics: dict[str, float] = doc["metrics"]
                (par.lab if watched else par.bare).append(metrics["avg_parallelism"])
                if watched:
                    browser_cpu.lab.append((_cpu_s(roots) - b0) / doc["wall_s"])
                (outside.lab if watched else outside.bare).append(
                    metrics.get("outside_cpu_cores", math.nan)
                )
                if "lab_loop_cpu_s" in metrics:  # measured without a runner only
                    (loop_cpu.lab if watched else loop_cpu.bare).append(metrics["lab_loop_cpu_s"])
                (lab_cpu.lab if watched else lab_cpu.bare).append(server.cpu_s() - l0)
                if watched:  # the page did watch it to the end
                    page.wait_for(
                        f"document.querySelector('#badge-{run_id}')?.dataset.status === 'done'"
                    )
                time.sleep(0.3)
    return [par, browser_cpu, lab_cpu, outside] + ([loop_cpu] if loop_cpu.bare else [])
