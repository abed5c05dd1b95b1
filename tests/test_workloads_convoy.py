"""The convoy workload (lesson convoy): round trips beside a CPU thread or process, the switch
interval it sets and restores, and what a cancel leaves behind."""

from __future__ import annotations

import os
import sys
import threading
import time
from typing import Any

import psutil
import pytest

import experiments
from experiments import convoy as convoy_workload
from tests.support import Lab, LabClient, alive, our_children


def test_switch_interval_is_restored_by_its_last_user_only() -> None:
    before = sys.getswitchinterval()
    with convoy_workload.switch_interval(0.0005):
        with convoy_workload.switch_interval(0.0005):
            assert sys.getswitchinterval() == pytest.approx(0.0005)
        assert sys.getswitchinterval() == pytest.approx(0.0005)  # the outer user still needs it
    assert sys.getswitchinterval() == before
    with pytest.raises(RuntimeError), convoy_workload.switch_interval(0.001):
        raise RuntimeError
    assert sys.getswitchinterval() == before


def test_convoy_workload_measures_round_trips_beside_a_cpu_thread() -> None:
    w = experiments.get("convoy")
    out: dict[int, Any] = {}

    def task(i: int) -> None:
        out[i] = w.call(i, {"ms": 200, "switch_us": 0, "cpu_in_process": 0}, "unit-convoy")

    threads = [threading.Thread(target=task, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert out[1] == {"where": "thread"}
    assert out[0]["cpu_workers"] == 1 and out[0]["count"] > 0
    assert out[0]["median_ms"] <= out[0]["p90_ms"] <= out[0]["max_ms"]
    assert convoy_workload._runs == {}  # the shared state went with the run


def test_convoy_waits_for_a_cpu_task_that_starts_late() -> None:
    """A pool thread may start after the grace period on a loaded machine: with ``cpu_tasks``,
    task 0 measures beside it rather than alone."""
    w = experiments.get("convoy")
    params = {"ms": 100, "switch_us": 0, "cpu_in_process": 0, "cpu_tasks": 1}
    out: dict[int, Any] = {}

    def task(i: int) -> None:
        out[i] = w.call(i, params, "unit-convoy-late")

    first = threading.Thread(target=task, args=(0,))
    first.start()
    time.sleep(convoy_workload.GRACE_S + 0.25)
    assert first.is_alive()  # still waiting for the CPU task, not measuring alone
    late = threading.Thread(target=task, args=(1,))
    late.start()
    first.join(10)
    late.join(10)
    assert out[0]["cpu_workers"] == 1 and out[0]["count"] > 0
    assert out[1] == {"where": "thread"}


def parent(pid: int) -> int | None:
    try:
        return psutil.Process(pid).ppid()
    except psutil.Error:
        return None


def cmdline(pid: int) -> str:
    try:
        return " ".join(psutil.Process(pid).cmdline())
    except psutil.Error:
        return ""


CONVOY = {
    "workload": "convoy",
    "executor": "threads",
    "tasks": 2,
    "workers": 2,
    "params": {"ms": 10_000, "switch_us": 500, "cpu_in_process": 1},
}


def cancel_and_wait(client: LabClient, run_id: str) -> None:
    assert client.post(f"/api/runs/{run_id}/cancel").status_code in (200, 202)
    assert client.wait_until_finished(run_id, timeout=3)["status"] == "cancelled"


def test_a_cancelled_convoy_stops_its_cpu_process_and_its_runner(client: LabClient) -> None:
    # The dashboard runs a threads run in a runner process; the convoy starts a CPU process from
    # there. Cancelled, both go.
    before = our_children()
    run = client.post("/api/runs", json=CONVOY).json()
    deadline = time.monotonic() + 10
    while True:  # the runner is our child; the CPU process, spawned, is the runner's
        new = our_children() - before
        runners = {p for p in new if parent(p) == os.getpid()}
        spawned = {p for p in new - runners if "spawn_main" in cmdline(p)}
        if runners and spawned:
            break
        assert time.monotonic() < deadline, "no CPU process was started"
        time.sleep(0.02)
    spinning = runners | spawned
    assert len(runners) == 1 and len(spawned) == 1
    cancel_and_wait(client, run["id"])
    deadline = time.monotonic() + 3
    while any(alive(p) for p in spinning):
        assert time.monotonic() < deadline, "the CPU process or the runner outlived the run"
        time.sleep(0.05)


def test_a_cancelled_convoy_in_the_labs_process_restores_the_interval(lab: Lab) -> None:
    # Without a runner (the CLI runs this way), the convoy changes the lab's own switch interval,
    # and must put it back.
    before = our_children()
    interval = sys.getswitchinterval()
    with lab(runner_process=False) as client:
        run = client.post("/api/runs", json=CONVOY).json()
        deadline = time.monotonic() + 10
        while sys.getswitchinterval() == interval:  # measuring: the CPU process is up
            assert time.monotonic() < deadline, "the convoy never started measuring"
            time.sleep(0.02)
        spinning = our_children() - before
        assert spinning, "no CPU process was started"
        cancel_and_wait(client, run["id"])
        deadline = time.monotonic() + 3
        while any(alive(p) for p in spinning) or sys.getswitchinterval() != interval:
            assert time.monotonic() < deadline, (
                "the CPU process or the switch interval outlived the run"
            )
            time.sleep(0.05)
