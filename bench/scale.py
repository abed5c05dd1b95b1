"""At scale: 100,000 asyncio waits of 2 s, bare, from the engine as the CLI runs it, and through a
dashboard with a Chromium tab watching the run's page (as a presenter would show it).

The bare figure is the loop alone (``bench.engine_overhead.bare_asyncio``). The CLI figure is
``Run.execute`` in this process, the run's ``wall_s``. The dashboard figure is the ``wall_s`` of a
run started through the API of a real dashboard, whose page a Chromium tab opens at once and
watches to the end; it executes in the dashboard's runner process, while the dashboard folds its
records into frames for the tab. Goal: the watched dashboard within 1.15x of bare.
"""

from __future__ import annotations

import time
from typing import Any

import httpx

from bench.cdp import chromium
from bench.engine_overhead import bare_asyncio, run_lab
from bench.liveserver import FINAL, LiveServer
from bench.timing import Row
from server.spec import make_spec

TASKS, MS = 100_000, 2000
BODY = {"workload": "io", "executor": "asyncio", "tasks": TASKS, "params": {"ms": MS}}


def _finished(client: httpx.Client, run_id: str) -> dict[str, Any]:
    """Wait cheaply (the run list, not the 100,000-task document), then read the document."""
    while True:
        rows = client.get("/api/runs", params={"limit": 5}).json()
        if any(r["id"] == run_id and r["status"] in FINAL for r in rows):
            doc: dict[str, Any] = client.get(f"/api/runs/{run_id}").json()
            return doc
        time.sleep(0.5)


def scale(reps: int) -> list[Row]:
    what = f"io {TASKS:,}x{MS}ms asyncio"
    cli = Row(f"{what}, engine (as the CLI) wall_s", "s", note="Run.execute in this process")
    watched = Row(
        f"{what}, dashboard watched by Chromium wall_s",
        "s",
        goal=1.15,
        note="API run, its page open in a Chromium tab (bench.cdp)",
    )
    spec = make_spec("io", "asyncio", TASKS, None, {"ms": MS})
    with (
        LiveServer() as server,
        httpx.Client(base_url=server.url, timeout=60) as client,
        chromium() as (_, tab),
    ):
        for _ in range(max(1, min(reps, 3))):
            bare = bare_asyncio(TASKS, MS)[0]
            cli.bare.append(bare)
            watched.bare.append(bare)
            run, _ = run_lab(spec)
            assert run.wall_s is not None
            cli.lab.append(run.wall_s)
            run_id = client.post("/api/runs", json=BODY).json()["id"]
            tab.goto(f"{server.url}/runs/{run_id}")
            doc = _finished(client, run_id)
            if doc["status"] != "done":
                raise RuntimeError(f"dashboard run ended {doc['status']}: {doc['error']}")
            tab.wait_for(f"document.querySelector('#badge-{run_id}')?.dataset.status === 'done'")
            watched.lab.append(doc["wall_s"])
            watched.add_extra("outside_cpu_cores", doc["metrics"].get("outside_cpu_cores", 0))
            tab.goto("about:blank")
    return [cli, watched]
