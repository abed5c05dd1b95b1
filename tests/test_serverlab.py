"""The server lab: the target app, every server setup started and stopped for real, the load
generator's run documents, the fault demo, no process left behind. (Its lessons, S1 to S7, are
tested in tests/lessons/.)

Every server here is a real child process on a loopback port; the load is real HTTP.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
import time
from typing import Any

import httpx
import psutil
import pytest

from experiments.lessons import server_threadpool
from experiments.registry import InvalidParameter
from server.lab.run import Run
from server.serverlab import setups, target, target_wsgi
from server.serverlab.options import ServerOptions, server_options
from server.serverlab.report import Listener
from server.serverlab.setups import SETUPS, ServerProcess
from server.spec import make_spec
from tests.support import alive


def wait_gone(pids: list[int], within_s: float = 5.0) -> None:
    deadline = time.monotonic() + within_s
    while any(alive(p) for p in pids):
        left = [p for p in pids if alive(p)]
        assert time.monotonic() < deadline, f"processes outlived their server: {left}"
        time.sleep(0.05)


def run_server(
    workload: str, tasks: int, workers: int, params: dict[str, Any], **server: Any
) -> dict[str, Any]:
    return executed_server_run(workload, tasks, workers, params, **server).document()


def executed_server_run(
    workload: str, tasks: int, workers: int, params: dict[str, Any], **server: Any
) -> Run:
    """A run of the server executor, executed to its end (within a minute)."""
    spec = make_spec(workload, "server", tasks, workers, params, server=server)
    run = Run(spec)
    asyncio.run(run.execute(time_limit_s=60))
    return run


# --- the target app, in process ------------------------------------------------------------------


async def test_the_asgi_target_runs_a_workload_three_ways_and_reports_where() -> None:
    async with (
        target.app.router.lifespan_context(target.app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=target.app), base_url="http://t") as c,
    ):
        for path in ("/async/io", "/async-blocking/io", "/sync/io", "/async/cpu", "/sync/cpu"):
            r = await c.get(path, params={"task": "3", "ms": "20"})
            assert r.status_code == 200, (path, r.text)
            body = r.json()
            kind, task, pid, _, start, end, _cpu, intervals, status, *_ = body["record"]
            assert (kind, task, pid, status) == ("end", 3, os.getpid(), "ok")
            # ns: the work happened in the handler (a 20 ms sleep, or 20 ms of CPU as calibrated
            # at some moment on a machine whose speed drifts by a third: at least 5 ms).
            assert end - start >= (15e6 if path.endswith("io") else 5e6), path
            assert body["lane_kind"] == ("thread" if path.startswith("/sync") else "loop")
            if path.endswith("cpu"):
                assert (
                    sum(intervals[k + 1] - intervals[k] for k in range(0, len(intervals), 2)) > 10e6
                )
        assert (await c.get("/async/nope")).status_code == 404
        bad = await c.get("/sync/io", params={"ms": "-5"})
        assert bad.status_code == 422 and "ms" in bad.json()["detail"]


def test_the_wsgi_twin_serves_sync_endpoints_only() -> None:
    with httpx.Client(transport=httpx.WSGITransport(app=target_wsgi.app), base_url="http://t") as c:
        r = c.get("/sync/io", params={"task": "1", "ms": "10"})
        assert r.status_code == 200 and r.json()["lane_kind"] == "process"
        assert r.json()["record"][1] == 1
        assert c.get("/async/io").status_code == 404
        assert c.get("/sync/io", params={"ms": "x"}).status_code == 422


def test_server_options_name_what_is_wrong_and_what_is_allowed() -> None:
    assert server_options(None) == ServerOptions()
    assert server_options({"setup": "gunicorn-sync"}).endpoint == "sync"
    cases = {
        "server.setup": {"setup": "nginx"},
        "server.endpoint": {"setup": "gunicorn-sync", "endpoint": "async"},
        "server.threads": {"threads": 0},
        "server.concurrency": {"concurrency": "many"},
        "server.http2": {"setup": "uvicorn", "http2": True},
        "server.colour": {"colour": "red"},
    }
    for name, raw in cases.items():
        with pytest.raises(InvalidParameter) as err:
            server_options(raw)
        assert err.value.name == name, (raw, err.value)
    with pytest.raises(InvalidParameter) as err:
        make_spec("io", "threads", server={"setup": "uvicorn"})
    assert err.value.name == "server"


# --- each setup starts, serves and stops cleanly ---------------------------------------------------


@pytest.mark.parametrize("setup", list(SETUPS))
def test_each_setup_starts_serves_and_stops_with_every_process(setup: str) -> None:
    ready: list[list[Any]] = []
    listener = Listener(ready.append)
    workers = 2
    server = ServerProcess(SETUPS[setup], workers, {"CLAB_REPORT_PORT": str(listener.port)})
    try:
        server.start()
        server.wait_ready(lambda: len({r[1] for r in ready if r[0] == "ready"}), lambda: False)
        pids = server.pids()
        assert len(pids) >= workers  # workers (and a master, where there is one)
        endpoint = "sync" if SETUPS[setup].interface == "wsgi" else "async"
        r = httpx.get(f"{server.url}/{endpoint}/io", params={"task": "0", "ms": "10"}, timeout=10)
        assert r.status_code == 200
        assert r.json()["pid"] in pids
    finally:
        server.close()
        listener.close()
    wait_gone(pids)


def test_a_killed_lab_takes_its_servers_with_it(tmp_path: Any) -> None:
    """The lab dies without cleaning up (SIGKILL): the guard notices and stops the server."""
    script = textwrap.dedent(
        """
        import sys, time
        from server.serverlab.report import Listener
        from server.serverlab.setups import SETUPS, ServerProcess
        ready = []
        listener = Listener(ready.append)
        server = ServerProcess(SETUPS["uvicorn"], 2, {"CLAB_REPORT_PORT": str(listener.port)})
        server.start()
        server.wait_ready(lambda: len({r[1] for r in ready if r[0] == "ready"}), lambda: False)
        print(" ".join(map(str, server.pids())), flush=True)
        time.sleep(60)
        """
    )
    lab = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        line = lab.stdout.readline() if lab.stdout else ""
        pids = [int(p) for p in line.split()]
        assert len(pids) >= 3, line  # uvicorn's supervisor and two workers
        guard = psutil.Process(pids[0]).parent()
        assert guard is not None
        lab.send_signal(signal.SIGKILL)
        lab.wait(5)
        wait_gone([*pids, guard.pid], within_s=8.0)
    finally:
        if lab.poll() is None:
            lab.kill()
        if lab.stdout:
            lab.stdout.close()


# --- the load generator's runs --------------------------------------------------------------------


def test_a_run_is_an_ordinary_document_with_the_servers_lanes_and_client_metrics() -> None:
    d = run_server("io", 30, 1, {"ms": 200}, setup="uvicorn", endpoint="sync", threads=10)
    assert d["status"] == "done", d["error"]
    assert d["executor"] == "server" and d["workers"] == 1
    # S2 with a small pool: 30 requests, 10 threads, three waves of 200 ms.
    thread_lanes = [lane for lane in d["lanes"] if lane["kind"] == "thread"]
    assert len(thread_lanes) == 10
    assert all(lane["label"].startswith("worker 1 · thread") for lane in thread_lanes)
    m = d["metrics"]
    assert m["max_in_flight"] == 10
    assert m["requests_ok"] == 30 and m["requests_failed"] == 0
    assert 0.55 <= d["wall_s"] <= 1.5, d["wall_s"]  # ideal 0.6 s
    assert m["latency_max_s"] >= 0.55 and m["throughput_rps"] > 0
    server_pid = d["executor_info"]["workers_ready"][0]["pid"]
    assert {t["result"]["pid"] for t in d["tasks"]} == {server_pid}
    assert any(str(server_pid) in s["rss_bytes"] for s in d["samples"])
    for t in d["tasks"]:
        assert t["status"] == "ok" and t["start_s"] <= t["end_s"]
        assert (
            t["result"]["sent_s"] <= t["start_s"] + 0.005
        )  # the client sent it before the server began
    assert server_threadpool.waves(10, 30) == 3
    wait_gone([server_pid])


def test_a_killed_worker_fails_its_requests_and_the_supervisor_replaces_it() -> None:
    run = executed_server_run(
        "io", 40, 2, {"ms": 300}, setup="uvicorn", endpoint="async", concurrency=8, kill_at_ms=700
    )
    d = run.document()
    assert d["status"] == "done", d["error"]
    info = d["executor_info"]
    assert len(info["kills"]) == 1
    # The kill travels with the next sample, while the load goes on (so the chart marks it live).
    events = [(m.event, m.data) for m in run.log.messages]
    at = next(i for i, (e, data) in enumerate(events) if e == "sample" and data.get("kills"))
    assert events[at][1]["kills"] == info["kills"]
    assert any(e == "task" for e, _ in events[at + 1 :]), "the kill was only logged at the end"
    assert sum(len(s.get("kills", [])) for s in d["samples"]) == 1
    killed = info["kills"][0]["pid"]
    new = [w["pid"] for w in info["workers_ready"] if w["t_s"] > info["kills"][0]["t_s"]]
    assert new, "uvicorn did not replace the killed worker"
    failed = [t for t in d["tasks"] if t["status"] == "error"]
    assert failed and d["metrics"]["requests_failed"] == len(failed)
    lanes = {lane["id"]: lane for lane in d["lanes"]}
    assert all(lanes[t["lane"]]["pid"] in (killed, 0) for t in failed)
    assert not alive(killed)


def test_a_cancelled_server_run_stops_within_seconds_and_leaves_nothing() -> None:
    spec = make_spec(
        "io",
        "server",
        20,
        2,
        {"ms": 1000},
        server={"setup": "gunicorn", "endpoint": "async-blocking"},
    )
    run = Run(spec)

    async def go() -> list[int]:
        task = asyncio.create_task(run.execute(time_limit_s=60))
        while not run.lanes:
            await asyncio.sleep(0.05)
        pids = run._executor.pids() if run._executor else []
        started = time.monotonic()
        run.cancel()
        await task
        assert time.monotonic() - started < 5
        return pids

    pids = asyncio.run(go())
    assert run.status.value == "cancelled"
    assert len(pids) >= 3
    wait_gone(pids)
    statuses = {t["status"] for t in run.document()["tasks"]}
    assert "cancelled" in statuses


def test_a_server_that_cannot_start_fails_the_run_with_its_output(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # An app module that does not exist: uvicorn exits at once, and the run says why.
    monkeypatch.setattr(setups, "ASGI_APP", "server.serverlab.no_such_module:app")
    run = Run(make_spec("io", "server", 2, 1, {"ms": 10}, server={"setup": "uvicorn"}))
    asyncio.run(run.execute(time_limit_s=30))
    assert run.status.value == "failed"
    assert run.error and "could not start" in run.error and "no_such_module" in run.error
