"""Runs whose tasks would use the lab's process execute in a runner process of their own.

The runner is real: forked from this test process, killed for real, its file descriptors read
from /proc."""

from __future__ import annotations

import asyncio
import os
import signal
import stat
import time
from pathlib import Path
from typing import Any

import psutil
import pytest

from server.lab.run import Run
from server.spec import make_spec
from tests.support import LabClient, in_flight_and_running, in_flight_while_queued

pytestmark = pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="reads /proc")


def isolated_document(
    workload: str, executor: str, tasks: int, workers: int | None = None, **params: Any
) -> dict[str, Any]:
    run = Run(make_spec(workload, executor, tasks, workers, params), isolate=True)
    asyncio.run(run.execute())
    return run.document()


def sockets(pid: int) -> int:
    count = 0
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            count += stat.S_ISSOCK(os.stat(f"/proc/{pid}/fd/{fd}").st_mode)
        except OSError:  # closed meanwhile
            continue
    return count


def runner_of(client: LabClient, run_id: str) -> int:
    deadline = time.monotonic() + 10
    while (doc := client.get(f"/api/runs/{run_id}").json())["status"] != "running":
        assert time.monotonic() < deadline, doc
        time.sleep(0.02)
    pid = doc["executor_info"]["runner_pid"]
    assert isinstance(pid, int) and pid != os.getpid()
    return pid


@pytest.mark.parametrize(
    ("executor", "workers", "lanes"), [("sequential", 1, 1), ("threads", 3, 3), ("asyncio", 6, 1)]
)
def test_each_in_process_executor_runs_in_a_runner(executor: str, workers: int, lanes: int) -> None:
    doc = isolated_document("io", executor, 6, workers, ms=150)
    assert doc["status"] == "done" and doc["error"] is None
    runner = doc["executor_info"]["runner_pid"]
    assert runner != os.getpid() and not psutil.pid_exists(runner)  # gone with the run
    assert {lane["pid"] for lane in doc["lanes"]} == {runner} and len(doc["lanes"]) == lanes
    assert sorted(t["id"] for t in doc["tasks"]) == list(range(6))
    assert all(t["status"] == "ok" and t["end_s"] > t["start_s"] >= 0 for t in doc["tasks"])
    assert "lab_loop_cpu_s" not in doc["metrics"]  # the lab's loop shares no GIL with them
    # The runner's memory is the run's, in place of the lab's (which it shares, copy on write).
    # (The last sample, taken once the runner has exited, has no memory to read.)
    rss = [s["rss_bytes"] for s in doc["samples"]]
    assert rss[0] and all(set(r) <= {str(runner)} for r in rss)
    assert doc["metrics"]["peak_rss_bytes"] == max(r.get(str(runner), 0) for r in rss)


def test_threads_in_a_runner_still_share_one_gil() -> None:
    doc = isolated_document("cpu", "threads", 4, 2, ms=150)
    # One GIL: never much more than one thread executing. (The lower bound only shows that the
    # threads did execute: on this VM a slow spell, its CPU taken by the host, read 0.55.)
    assert 0.3 <= doc["metrics"]["avg_parallelism"] <= 1.1, doc["metrics"]
    assert in_flight_while_queued(doc) >= 1.8
    # The tasks waited for the GIL about as long as they ran: the runner recorded the waits.
    in_flight, running = in_flight_and_running(doc)
    assert in_flight > 1.5 * running, doc["tasks"]


def test_the_dashboard_runs_threads_in_a_runner_that_kept_no_socket(client: LabClient) -> None:
    run_id = client.start(
        workload="io", executor="threads", tasks=2, workers=2, params={"ms": 600}
    )["id"]
    runner = runner_of(client, run_id)
    assert psutil.Process(runner).ppid() == os.getpid()
    # One socket left: its pipe to the lab. Not the dashboard's listening socket, nor this
    # client's connection, which a runner holding a copy would keep open after the lab closed it.
    assert sockets(runner) == 1
    assert sockets(os.getpid()) >= 3
    doc = client.wait_until_finished(run_id, timeout=10)
    assert doc["status"] == "done"
    assert {lane["pid"] for lane in doc["lanes"]} == {runner}


def test_forked_pool_workers_keep_no_socket_either(client: LabClient) -> None:
    run_id = client.start(
        workload="io",
        executor="processes",
        tasks=2,
        workers=2,
        start_method="fork",
        params={"ms": 800},
    )["id"]
    deadline = time.monotonic() + 10
    while len(lanes := client.get(f"/api/runs/{run_id}").json()["lanes"]) < 2:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    assert [sockets(lane["pid"]) for lane in lanes] == [0, 0]
    assert client.wait_until_finished(run_id, timeout=10)["status"] == "done"


def test_a_cancelled_runner_goes_within_a_second(client: LabClient) -> None:
    run_id = client.start(
        workload="cpu", executor="threads", tasks=8, workers=2, params={"ms": 2000}
    )["id"]
    runner = runner_of(client, run_id)
    asked = time.monotonic()
    assert client.post(f"/api/runs/{run_id}/cancel").status_code == 202
    doc = client.wait_until_finished(run_id, timeout=5)
    assert time.monotonic() - asked < 1.5
    assert doc["status"] == "cancelled"
    deadline = time.monotonic() + 3
    while psutil.pid_exists(runner) and psutil.Process(runner).status() != psutil.STATUS_ZOMBIE:
        assert time.monotonic() < deadline, "the runner outlived its cancelled run"
        time.sleep(0.05)


def test_a_runner_that_dies_fails_its_run_and_says_so(client: LabClient) -> None:
    run_id = client.start(
        workload="io", executor="threads", tasks=4, workers=2, params={"ms": 3000}
    )["id"]
    os.kill(runner_of(client, run_id), signal.SIGKILL)
    doc = client.wait_until_finished(run_id, timeout=5)
    assert doc["status"] == "failed"
    assert doc["error"] == "RuntimeError: the runner process ended early (exit code -9)"
    assert all(t["status"] != "running" for t in doc["tasks"])  # closed, not left in flight
