"""The server lab's executor: start a real server, send it the requests, record where each ran.

Each request is one task of an ordinary run. The server's workers measure each request themselves
(see ``handler``) and announce its start over the report channel, so lanes are the server's worker
processes and threads, and the same Gantt shows which worker served what and when. The client's own
view (latency, throughput, failed requests) is added to the task results and the run's metrics.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import statistics
import threading
from collections.abc import Mapping
from time import perf_counter_ns
from typing import Any, ClassVar

import httpx

from experiments.cpu import loops_per_ms
from experiments.document import ExecutorInfo, Kill, Metrics
from server.lab.executors import CPUS, Batch, Executor
from server.lab.recorder import LaneNamer
from server.serverlab.handler import LOOPS_ENV
from server.serverlab.options import ServerOptions, server_options
from server.serverlab.options import describe as describe_options
from server.serverlab.report import PORT_ENV, Listener
from server.serverlab.setups import SETUPS, ServerProcess
from server.serverlab.target import THREADS_ENV
from server.types import LaneKind, TaskStatus

#: A request that has not been answered after this long fails (the run's own time limit is longer).
REQUEST_TIMEOUT_S = 90.0
KILL_POLL_S = 0.005  # how often the fault demo looks for a busy worker to kill


def _s(ns: int, t0: int) -> float:
    return round((ns - t0) / 1e9, 6)


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return 0.0
    k = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[k]


class ServerLoad(Executor):
    id = "server"
    title = "A real web server under HTTP load (uvicorn, gunicorn, hypercorn, granian)"
    lane_noun = "server worker / thread"
    max_workers = 4 * CPUS  # the server's worker processes
    takes_options = True
    in_lab_process = False  # the requests run in the server's processes
    NO_WORKER: ClassVar[tuple[int, int]] = (0, 0)

    @classmethod
    def lanes_expected(cls, workers: int, tasks: int) -> int:
        return 0  # a server's workers and threads: its setup decides

    def __init__(self, batch: Batch) -> None:
        super().__init__(batch)
        # Parsed by make_spec (``parse_options``); a batch without any gets the defaults.
        options = batch.options
        self.options = options if isinstance(options, ServerOptions) else ServerOptions()
        self.setup = SETUPS[self.options.setup]
        self._lock = threading.Lock()
        self._ready: dict[int, int] = {}  # worker pid -> when it said it was ready (ns)
        self._loop_tid: dict[int, int] = {}  # worker pid -> its event loop's thread id
        self._where: dict[int, tuple[int, int]] = {}  # task -> (pid, tid) from its start report
        self._serving: dict[int, int] = {}  # task -> pid, from its start report to its answer
        self._client: list[tuple[int, int, bool]] = []  # (sent ns, received ns, ok)
        self._sent: dict[int, int] = {}  # task -> when its request was sent (ns)
        self._kills: list[tuple[int, int]] = []  # (pid, ns)
        self._versions: set[str] = set()
        self._server: ServerProcess | None = None
        self._listener: Listener | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: list[asyncio.Task[None]] = []

    @staticmethod
    def default_workers(tasks: int) -> int:
        return 1

    @classmethod
    def parse_options(cls, raw: Mapping[str, object] | None) -> ServerOptions:
        return server_options(raw)

    @classmethod
    def capabilities(cls) -> dict[str, Any]:
        return {**super().capabilities(), "server_options": describe_options()}

    # --- lanes: the server's workers and their threads -------------------------------------------

    def lane_namer(self) -> LaneNamer:
        numbers: dict[int, int] = {}
        threads: dict[int, int] = {}

        def name(pid: int, tid: int) -> tuple[str, LaneKind, int | None, str]:
            if (pid, tid) == self.NO_WORKER:
                return "none", LaneKind.PROCESS, None, "no worker (the request failed)"
            # Numbered in the order their lanes appear, so that "worker 1" is the top lane.
            n = numbers.setdefault(pid, len(numbers) + 1)
            if self.setup.interface == "wsgi":
                return f"p{pid}", LaneKind.PROCESS, None, f"worker {n}"
            if self._loop_tid.get(pid) == tid:
                return f"l{pid}", LaneKind.LOOP, tid, f"worker {n} · event loop"
            k = threads[pid] = threads.get(pid, 0) + 1
            return f"t{tid}", LaneKind.THREAD, tid, f"worker {n} · thread {k}"

        return name

    def _on_report(self, record: list[Any]) -> None:
        kind = record[0]
        if kind == "ready" and len(record) >= 4:
            pid, tid = int(record[1]), int(record[3])
            with self._lock:
                self._ready.setdefault(pid, perf_counter_ns())
                self._loop_tid[pid] = tid
        elif kind == "start" and len(record) in (5, 6):
            task = int(record[1])
            self._where[task] = (int(record[2]), int(record[3]))
            self._serving[task] = int(record[2])
            # The server cannot know when the request was sent (its submission): the load can.
            self.batch.send((*record[:5], self._sent.get(task)))
        elif kind == "progress" and len(record) in (3, 4):
            self.batch.send(tuple(record))

    # --- the server's life -----------------------------------------------------------------------

    def prepare(self) -> None:
        """Start the server and wait until every worker is ready (before the run's clock starts)."""
        self._listener = Listener(self._on_report)
        env = {
            PORT_ENV: str(self._listener.port),
            THREADS_ENV: str(self.options.threads),
            LOOPS_ENV: str(loops_per_ms()),
        }
        server = self._server = ServerProcess(self.setup, self.batch.workers, env)
        server.start()
        server.wait_ready(lambda: len(self._ready), self.batch.cancel.is_set)

    def close(self) -> None:
        if self._server is not None:
            self._server.close()
        if self._listener is not None:
            self._listener.close()
            self._listener = None

    def pids(self) -> list[int]:
        return self._server.pids() if self._server else []

    def run(self) -> None:
        asyncio.run(self._load())  # the run calls close() afterwards, however this ends

    def cancel(self) -> None:
        super().cancel()
        loop = self._loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._cancel_tasks)

    def _cancel_tasks(self) -> None:
        for t in self._tasks:
            t.cancel()

    # --- the load --------------------------------------------------------------------------------

    async def _load(self) -> None:
        b, o = self.batch, self.options
        assert self._server is not None
        self._loop = asyncio.get_running_loop()
        in_flight = o.in_flight(b.tasks)
        path = f"/{o.endpoint}/{b.workload.id}"
        # HTTP/1.1: a new connection per request, so that an idle worker accepts the next one (a
        # kept-alive connection would pin requests to whichever worker accepted it first).
        client = httpx.AsyncClient(
            base_url=self._server.url,
            http1=not o.http2,
            http2=o.http2,
            limits=httpx.Limits(
                max_connections=in_flight, max_keepalive_connections=in_flight if o.http2 else 0
            ),
            timeout=httpx.Timeout(REQUEST_TIMEOUT_S, connect=10.0),
            headers={} if o.http2 else {"Connection": "close"},
        )
        gate = asyncio.Semaphore(in_flight)
        params = {k: str(v) for k, v in b.params.items()}

        async def one(i: int) -> None:
            async with gate:
                await self._request(client, path, i, {"task": str(i), "run": b.run_id, **params})

        async with client:
            self._tasks = [asyncio.create_task(one(i)) for i in range(b.tasks)]
            killer = asyncio.create_task(self._kill_later()) if o.kill_at_ms else None
            if b.cancel.is_set():
                self._cancel_tasks()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            if killer is not None:
                killer.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await killer

    async def _request(
        self, client: httpx.AsyncClient, path: str, i: int, query: dict[str, str]
    ) -> None:
        send, t0 = self.batch.send, self.batch.t0_ns
        sent = self._sent[i] = perf_counter_ns()
        try:
            response = await client.get(path, params=query)
            received = perf_counter_ns()
            body = response.json() if response.status_code == 200 else None
            if body is None:
                detail = response.json().get("detail") if response.content else None
                raise RuntimeError(f"HTTP {response.status_code}: {detail or response.text[:200]}")
        except asyncio.CancelledError:
            self._failed(i, sent, perf_counter_ns(), TaskStatus.CANCELLED, "the run was cancelled")
            raise
        except Exception as exc:
            self._failed(i, sent, perf_counter_ns(), TaskStatus.ERROR, _describe(exc))
            return
        record = body["record"]
        self._serving.pop(i, None)
        pid, tid = int(body["pid"]), int(body["tid"])
        if body.get("lane_kind") == "loop":
            self._loop_tid.setdefault(pid, tid)
        version = _http_version(body.get("http_version"), response.http_version)
        self._versions.add(version)
        with self._lock:
            self._ready.setdefault(pid, received)  # its ready report was lost
            self._client.append((sent, received, True))
        result = {
            "status_code": response.status_code,
            "latency_s": round((received - sent) / 1e9, 6),
            "sent_s": _s(sent, t0),
            "received_s": _s(received, t0),
            "http_version": version,
            "pid": pid,
            "thread": body.get("thread"),
            "value": record[10],
        }
        waits, dues = (
            record[11] if len(record) > 11 else [],
            record[13] if len(record) > 13 else None,
        )
        send(("end", i, pid, tid, *record[4:10], result, waits, sent, dues))

    def _failed(self, i: int, sent: int, received: int, status: TaskStatus, error: str) -> None:
        t0 = self.batch.t0_ns
        self._serving.pop(i, None)
        pid, tid = self._where.get(i, self.NO_WORKER)
        with self._lock:
            self._client.append((sent, received, False))
        result = {
            "status_code": None,
            "latency_s": round((received - sent) / 1e9, 6),
            "sent_s": _s(sent, t0),
            "received_s": _s(received, t0),
            "pid": pid or None,
        }
        no_intervals: list[int] = []
        self.batch.send(
            ("end", i, pid, tid, sent, received, 0, no_intervals, status, error, result, [], sent)
        )

    async def _kill_later(self) -> None:
        """The fault demo: kill -9 the worker serving the most requests right now. If at that
        moment no worker is serving any (between two waves of requests), wait for one that is:
        the demo is about the requests a dead worker takes with it."""
        await asyncio.sleep(self.options.kill_at_ms / 1000)
        while True:
            busy: dict[int, int] = {}
            for pid in list(self._serving.values()):
                busy[pid] = busy.get(pid, 0) + 1
            with self._lock:
                candidates = [p for p in self._ready if busy.get(p) and _alive(p)]
            if candidates:
                break
            await asyncio.sleep(KILL_POLL_S)  # cancelled when the load ends
        victim = max(candidates, key=lambda p: busy[p])
        with contextlib.suppress(ProcessLookupError):
            os.kill(victim, signal.SIGKILL)
            self._kills.append((victim, perf_counter_ns()))

    # --- what the run document shows -------------------------------------------------------------

    def describe(self) -> ExecutorInfo:
        t0, o = self.batch.t0_ns, self.options
        with self._lock:
            ready = sorted(self._ready.items(), key=lambda kv: kv[1])
        info: ExecutorInfo = {
            **o.describe(),
            "interface": self.setup.interface,
            "command": self.setup.shown(self.batch.workers),
            "path": f"/{o.endpoint}/{self.batch.workload.id}",
            "in_flight": o.in_flight(self.batch.tasks),
            "http_versions": sorted(self._versions),
            # Times on the run's clock; workers ready before the load started have t_s <= 0.
            "workers_ready": [{"pid": p, "t_s": _s(ns, t0) if t0 else 0.0} for p, ns in ready],
            "kills": self.kills(),
        }
        if self.setup.interface == "wsgi":
            info.pop("threads")
        return info

    def kills(self) -> list[Kill]:
        t0 = self.batch.t0_ns
        return [{"pid": p, "t_s": _s(ns, t0)} for p, ns in list(self._kills)]

    def metrics(self) -> Metrics:
        with self._lock:
            client = list(self._client)
        ok = sorted((r - s) / 1e9 for s, r, good in client if good)
        out: Metrics = {
            "requests_ok": len(ok),
            "requests_failed": sum(1 for *_, good in client if not good),
            "latency_p50_s": round(percentile(ok, 0.5), 6),
            "latency_p90_s": round(percentile(ok, 0.9), 6),
            "latency_p99_s": round(percentile(ok, 0.99), 6),
            "latency_max_s": round(ok[-1], 6) if ok else 0.0,
            "latency_mean_s": round(statistics.fmean(ok), 6) if ok else 0.0,
        }
        if client:
            span = (max(r for _, r, _ in client) - min(s for s, _, _ in client)) / 1e9
            out["throughput_rps"] = round(len(ok) / span, 3) if span > 0 else 0.0
        return out


def _http_version(server_side: object, client_side: str) -> str:
    if isinstance(server_side, str) and server_side:
        return server_side if server_side.startswith("HTTP/") else f"HTTP/{server_side}"
    return client_side


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


def _describe(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {text}"[:300]
