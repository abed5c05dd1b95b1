"""The observer effect: the same run, watched live by a Chromium tab or not.

On a machine with as many cores as the run uses, the page that draws the run competes with it for
CPU: the browser's work is taken from the run being shown. This measures by how much, with 8 cpu
tasks of 300 ms in 2 processes (as the ``cpu-bound`` lesson runs them), and with hashing in 2
threads, run by the dashboard's runner process or (``CLAB_RUNNER_PROCESS=false``) in the lab's own
process, where the lab's work takes the GIL from the tasks. Unwatched runs (started through the
API) alternate with watched ones (started from the dashboard's form, then watched to the end, as a
presenter would). Reported: the run's average parallelism both ways, and what the browser and the
lab's own process tree spent on the CPU per run.
"""

from __future__ import annotations

import contextlib
import math
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import psutil

from bench.latency import CHROMIUM, CHROMIUM_ARGS
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


def _fill_form(page: Any, url: str, body: dict[str, Any]) -> None:
    page.goto(url + "/")
    page.select_option("#f-workload", body["workload"])
    first = next(iter(body["params"]))
    page.wait_for_selector(f"#f-param-{first}")
    page.select_option("#f-executor", body["executor"])
    for name, value in body["params"].items():
        page.fill(f"#f-param-{name}", str(value))
    page.fill("#f-tasks", str(body["tasks"]))
    page.fill("#f-workers", str(body["workers"]))
    time.sleep(0.5)


def observe(scenario: Scenario, reps: int) -> list[Row]:
    from playwright.sync_api import sync_playwright

    what = f"observer {scenario.name}"
    par = Row(
        f"{what} parallelism", "x", note="bare: nobody watching; lab: a Chromium tab watching"
    )
    browser_cpu = Row(f"{what} Chromium CPU", "s", note="per run, all Chromium processes")
    lab_cpu = Row(f"{what} lab CPU", "s", note="per run, the lab's process tree")
    outside = Row(f"{what} outside_cpu_cores", "cores", note="as the run itself measured it")
    loop_cpu = Row(f"{what} lab_loop_cpu_s", "s", note="the lab's loop, in the tasks' process")
    with (
        LiveServer(env=scenario.env) as server,
        httpx.Client(base_url=server.url, timeout=30) as client,
        sync_playwright() as pw,
    ):
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        me = psutil.Process()
        roots = [
            p
            for p in me.children(recursive=True)
            if "chrom" in p.name() and "chrom" not in (p.parent() or me).name()
        ]
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        try:
            for _ in range(max(2, min(reps, 5))):
                for watched in (False, True):
                    if watched:
                        _fill_form(page, server.url, scenario.body)
                    b0, l0 = _cpu_s(roots), server.cpu_s()
                    if watched:
                        page.click("button.primary")
                        run_id = page.get_attribute("article.run-view", "data-run", timeout=10_000)
                    else:
                        run_id = client.post("/api/runs", json=scenario.body).json()["id"]
                    assert run_id
                    doc = wait_finished(client, run_id, every_s=0.25)
                    metrics: dict[str, float] = doc["metrics"]
                    (par.lab if watched else par.bare).append(metrics["avg_parallelism"])
                    if watched:
                        browser_cpu.lab.append(_cpu_s(roots) - b0)
                    (outside.lab if watched else outside.bare).append(
                        metrics.get("outside_cpu_cores", math.nan)
                    )
                    if "lab_loop_cpu_s" in metrics:  # measured without a runner only
                        (loop_cpu.lab if watched else loop_cpu.bare).append(
                            metrics["lab_loop_cpu_s"]
                        )
                    (lab_cpu.lab if watched else lab_cpu.bare).append(server.cpu_s() - l0)
                    time.sleep(0.3)
        finally:
            browser.close()
    return [par, browser_cpu, lab_cpu, outside] + ([loop_cpu] if loop_cpu.bare else [])
