"""The observer effect: the same run, watched live by a Chromium tab or not.

On a machine with as many cores as the run uses, the page that draws the run competes with it for
CPU: the browser's work is taken from the run being shown. This measures by how much, with 8 cpu
tasks of 300 ms in 2 processes (as the ``cpu-bound`` lesson runs them), alternating unwatched runs
(started through the API) with watched ones (started from the dashboard's form, then watched to
the end, as a presenter would). Reported: the run's average parallelism both ways, and what the
browser and the lab's own process tree spent on the CPU per run.
"""

from __future__ import annotations

import contextlib
import time

import httpx
import psutil

from bench.latency import CHROMIUM, CHROMIUM_ARGS
from bench.liveserver import LiveServer
from bench.timing import Row

BODY = {"workload": "cpu", "executor": "processes", "tasks": 8, "workers": 2, "params": {"ms": 300}}
FINAL = {"done", "failed", "cancelled"}


def _cpu_s(roots: list[psutil.Process]) -> float:
    total = 0.0
    for root in roots:
        with contextlib.suppress(psutil.Error):
            for p in [root, *root.children(recursive=True)]:
                with contextlib.suppress(psutil.Error):
                    t = p.cpu_times()
                    total += t.user + t.system
    return total


def _wait(client: httpx.Client, run_id: str) -> dict[str, object]:
    while True:
        doc: dict[str, object] = client.get(f"/api/runs/{run_id}").json()
        if doc["status"] in FINAL:
            return doc
        time.sleep(0.25)


def observer(reps: int) -> list[Row]:
    from playwright.sync_api import sync_playwright

    what = f"observer cpu {BODY['tasks']}x300ms processes(2)"
    par = Row(
        f"{what} parallelism", "x", note="bare: nobody watching; lab: a Chromium tab watching"
    )
    browser_cpu = Row(f"{what} Chromium CPU", "s", note="per run, all Chromium processes")
    lab_cpu = Row(f"{what} lab CPU", "s", note="per run, the lab's process tree")
    outside = Row(f"{what} outside_cpu_cores", "cores", note="as the run itself measured it")
    with (
        LiveServer() as server,
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
                        page.goto(server.url + "/")
                        page.select_option("#f-workload", "cpu")
                        page.wait_for_selector("#f-param-ms")
                        page.select_option("#f-executor", "processes")
                        page.fill("#f-param-ms", "300")
                        page.fill("#f-tasks", str(BODY["tasks"]))
                        page.fill("#f-workers", "2")
                        time.sleep(0.5)
                    b0, l0 = _cpu_s(roots), server.cpu_s()
                    if watched:
                        page.click("button.primary")
                        run_id = page.get_attribute("article.run-view", "data-run", timeout=10_000)
                    else:
                        run_id = client.post("/api/runs", json=BODY).json()["id"]
                    assert run_id
                    doc = _wait(client, run_id)
                    metrics: dict[str, float] = doc["metrics"]  # type: ignore[assignment]
                    (par.lab if watched else par.bare).append(metrics["avg_parallelism"])
                    if watched:
                        browser_cpu.lab.append(_cpu_s(roots) - b0)
                        outside.lab.append(metrics.get("outside_cpu_cores", float("nan")))
                    else:
                        outside.bare.append(metrics.get("outside_cpu_cores", float("nan")))
                    (lab_cpu.lab if watched else lab_cpu.bare).append(server.cpu_s() - l0)
                    time.sleep(0.3)
        finally:
            browser.close()
    return [par, browser_cpu, lab_cpu, outside]
