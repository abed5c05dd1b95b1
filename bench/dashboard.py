"""Runs as the dashboard executes them, against the bare executor: does the lab's own work slow
the tasks it shows?

The engine benchmark (``bench.engine_overhead``) calls ``Run.execute`` alone. The dashboard also
records frames and serves pages while a run goes, and for sequential, thread and asyncio runs that
work would share the tasks' GIL if the tasks ran in the lab's process; the dashboard runs them in
a runner process instead (``server.lab.runner``). This starts runs through the API of a real
dashboard, with its runner and without it (``CLAB_RUNNER_PROCESS=false``), and compares their
``wall_s`` with the same work done bare. Nobody watches: ``bench.observer`` covers a watching tab.
"""

from __future__ import annotations

import httpx

from bench.engine_overhead import IO_MS, IO_TASKS, bare_asyncio
from bench.liveserver import LiveServer, wait_finished
from bench.timing import Row, alternate

BODY = {"workload": "io", "executor": "asyncio", "tasks": IO_TASKS, "params": {"ms": IO_MS}}


def _wall(client: httpx.Client) -> tuple[float, float | None]:
    """One run to the end: its ``wall_s``, and the CPU the lab's loop took meanwhile, if it ran
    in the lab's process."""
    doc = wait_finished(client, client.post("/api/runs", json=BODY).json()["id"])
    if doc["status"] != "done":
        raise RuntimeError(f"dashboard run ended {doc['status']}: {doc['error']}")
    return doc["wall_s"], doc["metrics"].get("lab_loop_cpu_s")


def dashboard(reps: int) -> list[Row]:
    rows = []
    for runner in (True, False):
        what = f"io {IO_TASKS}x{IO_MS}ms asyncio via the dashboard, " + (
            "runner" if runner else "no runner"
        )
        wall = Row(
            f"{what} wall_s",
            "s",
            goal=1.05 if runner else None,
            note="API run's wall_s vs bare thread start to last task end",
        )
        env = {} if runner else {"CLAB_RUNNER_PROCESS": "false"}
        with LiveServer(env=env) as server, httpx.Client(base_url=server.url, timeout=30) as c:
            _wall(c)  # the first run of a fresh lab also imports and warms up

            def bare(wall: Row = wall) -> None:
                wall.bare.append(bare_asyncio(IO_TASKS, IO_MS)[0])

            def lab(wall: Row = wall, client: httpx.Client = c) -> None:
                seconds, loop_cpu = _wall(client)
                wall.lab.append(seconds)
                if loop_cpu is not None:
                    wall.add_extra("lab_loop_cpu_s", loop_cpu)

            wall.add_extra("reps", alternate(bare, lab, reps))
        rows.append(wall)
    return rows
