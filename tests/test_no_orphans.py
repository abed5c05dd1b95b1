"""A lab that dies must not leave its pool workers or runner processes behind."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import httpx
import psutil
import pytest

from server.liveserver import LiveServer
from tests.support import alive


@pytest.mark.parametrize(
    ("executor", "processes"),
    [("processes", 2), ("threads", 1)],  # pool workers; the runner of a threads run
)
def test_workers_die_with_a_killed_server(tmp_path: Path, executor: str, processes: int) -> None:
    server = LiveServer(tmp_path)
    try:
        run = httpx.post(
            f"{server.url}/api/runs",
            json={
                "workload": "cpu",
                "executor": executor,
                "tasks": 4,
                "workers": 2,
                "params": {"ms": 20_000},
            },
        ).json()
        deadline = time.monotonic() + 10
        pids: set[int] = set()
        while len(pids) < processes:
            assert time.monotonic() < deadline, "the workers never started"
            doc = httpx.get(f"{server.url}/api/runs/{run['id']}").json()
            pids = {lane["pid"] for lane in doc["lanes"]}
            time.sleep(0.05)
        assert server.proc.pid not in pids and all(alive(p) for p in pids)
        os.kill(server.proc.pid, signal.SIGKILL)  # no graceful shutdown, no cancel
        server.proc.wait(5)
        deadline = time.monotonic() + 3
        while any(alive(p) for p in pids):
            assert time.monotonic() < deadline, f"workers outlived the lab: {pids}"
            time.sleep(0.05)
    finally:
        server.stop()


def test_web_servers_under_test_stop_when_the_dashboard_exits(tmp_path: Path) -> None:
    """A server-lab run in progress when the dashboard is shut down: the server under test, its
    supervisor, its workers and its guard all go too."""
    server = LiveServer(tmp_path)
    try:
        run = httpx.post(
            f"{server.url}/api/runs",
            json={
                "workload": "io",
                "executor": "server",
                "tasks": 20,
                "workers": 2,
                "params": {"ms": 10_000},
                "server": {"setup": "gunicorn"},
            },
        ).json()
        assert "id" in run, run
        deadline = time.monotonic() + 20
        while httpx.get(f"{server.url}/api/runs/{run['id']}").json()["status"] != "running":
            assert time.monotonic() < deadline, "the server run never started"
            time.sleep(0.05)
        pids = [p.pid for p in psutil.Process(server.proc.pid).children(recursive=True)]
        assert len(pids) >= 4, pids  # guard, gunicorn master, two workers
    finally:
        server.stop()
    deadline = time.monotonic() + 8
    while any(alive(p) for p in pids):
        assert time.monotonic() < deadline, (
            f"outlived the dashboard: {[p for p in pids if alive(p)]}"
        )
        time.sleep(0.05)
