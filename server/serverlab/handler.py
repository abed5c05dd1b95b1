"""Inside a target server: run one workload as one request, and measure it as the lab's pool
workers do. The ASGI app and its WSGI twin share this; they only decide how a request is awaited.

A request's query string names the task and the run (``task``, ``run``) and the workload's own
parameters. The response is the probe's end record (start, end, CPU time and running intervals on
the shared clock) with where it ran: worker pid, thread id and name, and what kind of lane that is.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from typing import Any

import experiments
from experiments.cpu import set_loops_per_ms
from experiments.registry import InvalidParameter, Workload
from server.lab.executors import run_probed, run_stepped
from server.serverlab.report import Reporter

#: The lab passes its CPU calibration, so that ``cpu ms=100`` means the same work in the server.
LOOPS_ENV = "CLAB_LOOPS_PER_MS"

report = Reporter.from_env()


def setup_worker(interface: str) -> None:
    """Call once when a worker process has started its app (on its event loop, for ASGI): tell
    the lab this worker is ready, and which thread runs its loop."""
    loops = os.environ.get(LOOPS_ENV, "")
    if loops.isdigit():
        set_loops_per_ms(int(loops))
    report(["ready", os.getpid(), interface, threading.get_native_id()])


class BadRequest(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def parse(workload_id: str, query: Mapping[str, str]) -> tuple[Workload, int, str, dict[str, Any]]:
    """The workload, task index, run id and checked parameters of a request (or BadRequest)."""
    try:
        w = experiments.get(workload_id)
    except InvalidParameter as exc:
        raise BadRequest(404, str(exc)) from None
    raw = {k: v for k, v in query.items() if k not in ("task", "run")}
    task = query.get("task", "0")
    if not task.isdigit():
        raise BadRequest(422, f"task: {task!r} is not a task index (an integer from 0)")
    try:
        params = w.resolve(raw)
    except InvalidParameter as exc:
        raise BadRequest(422, str(exc)) from None
    return w, int(task), query.get("run", ""), params


def _answer(record: tuple[object, ...], lane_kind: str) -> dict[str, Any]:
    return {
        "record": list(record),
        "pid": os.getpid(),
        "tid": threading.get_native_id(),
        "thread": threading.current_thread().name,
        "lane_kind": lane_kind,
    }


def run_in_thread(
    w: Workload, task: int, run_id: str, params: dict[str, Any], lane_kind: str
) -> dict[str, Any]:
    """A ``def`` endpoint: the workload runs in this thread under a probe (GIL waits show)."""
    return _answer(run_probed(w, params, task, report, None, run_id=run_id), lane_kind)


async def run_on_loop(
    w: Workload, task: int, run_id: str, params: dict[str, Any], blocking: bool
) -> dict[str, Any]:
    """An ``async def`` endpoint: each step of the coroutine is timed, as the asyncio executor does.
    With ``blocking`` (or a workload that has no awaitable form) the plain function is called right
    here, on the event loop, and holds it for as long as it runs."""
    record = await run_stepped(w, params, task, report, run_id, blocking)
    return _answer(record, "loop")
