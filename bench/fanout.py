"""SSE fan-out: N concurrent viewers of one live run's HTML frame stream, against the real server.

The server runs as a child process (``python -m server.cli serve``). For each N, one live run is
started (io tasks in threads: steady frames at the frame rate, little CPU, so that the figures are
about streaming and not about the workload), then N viewers open ``GET /runs/{id}/stream`` from
:data:`CLIENT_PROCS` separate client processes (``bench.fanout_client``, one ``httpx.AsyncClient``
each), plus one reference viewer and one JSON event stream in this process.

How a frame's delay is measured. Every frame carries the run's elapsed time at which the server
built it, in the width it gives the run's clip rectangle (``attrs:#nowclip-ID" width="MS"``:
the run's elapsed milliseconds plus one, to the microsecond). The run's start
``t0`` on the machine's monotonic clock comes from the JSON stream's ``sample`` events (see
:mod:`bench.liveserver`), so a frame's production time is ``t0 + now`` on the same clock the
clients stamp arrivals with (``time.perf_counter()``, CLOCK_MONOTONIC, shared across processes).
``delay = arrival at the viewer - production``; it includes building the frame, the wait for the
server's event loop, the socket, and the client's own event loop. The estimate of ``t0`` can only
be late, so delays can only be understated, by the smallest sample delivery delay (sub-ms; its
spread is reported as ``anchor_p50_ms``). Frames of a finished run (whose clock shows the whole
span instead of now) and frames sent before a viewer connected (its backlog) are left out of the
delays but not out of the delivery check. The cross-viewer spread (arrival minus the first
viewer's arrival of the same frame) is reported as well: it needs no clock at all.

Delivered means: the viewer's ids rise by one from its first frame to the run's last frame, and
it saw ``event: end``. A viewer that connects when the run already has more than 50 frames starts
with a snapshot frame (by design, not a loss); those are counted as ``snapshot_starts``.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import math
import re
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import psutil

from bench.liveserver import FINAL, ROOT, LiveServer, SSESplitter, pct, read_anchor
from bench.timing import Row

VIEWERS = (100, 500, 1000)
CLIENT_PROCS = 2
#: ~10 s of run: 100 io tasks of 400 ms on 4 threads, ending in groups of four every 400 ms.
RUN = {"workload": "io", "executor": "threads", "tasks": 100, "workers": 4, "params": {"ms": 400}}
CASE_BUDGET_S = 60.0  # one N, from the clients' start to the last stream's end
GOAL_P99_MS = 500.0

NOW_RE = re.compile(rb'attrs:#nowclip-[^"]+" width="([0-9.]+)"')
STATUS_RE = re.compile(rb'data-status="(\w+)"')


@dataclass
class Reference:
    """The reference viewer: one stream in the bench process, which also reads each frame's clock."""

    arrival: dict[int, float] = field(default_factory=dict)
    now_s: dict[int, float] = field(default_factory=dict)  # the run's elapsed time in frame k
    first_final: int | None = None  # the first frame showing a finished run
    last_id: int | None = None  # the id of ``event: end``
    bytes: int = 0  # of the frames, as sent
    err: str | None = None


async def read_reference(client: httpx.AsyncClient, run_id: str, timeout_s: float) -> Reference:
    ref = Reference()
    split = SSESplitter()

    async def go() -> None:
        async with client.stream("GET", f"/runs/{run_id}/stream") as r:
            r.raise_for_status()
            async for chunk in r.aiter_raw():
                now = time.perf_counter()
                for msg in split.feed(chunk):
                    if not msg.startswith(b"id: "):
                        continue
                    j = msg.index(b"\r\n")
                    k = int(msg[4:j])
                    if msg.startswith(b"event: end", j + 2):
                        ref.last_id = k
                        return
                    ref.arrival[k] = now
                    ref.bytes += len(msg) + len(b"\r\n\r\n")
                    m = NOW_RE.search(msg)
                    if m:
                        ref.now_s[k] = (float(m.group(1)) - 1) / 1e3  # the clip starts at -1 ms
                    s = STATUS_RE.search(msg)
                    if s and s.group(1).decode() in FINAL and ref.first_final is None:
                        ref.first_final = k

    try:
        await asyncio.wait_for(go(), timeout_s)
    except Exception as exc:
        ref.err = f"{type(exc).__name__}: {exc}"
    return ref


@dataclass
class Case:
    n: int
    delays_ms: list[float] = field(default_factory=list)
    steady_ms: list[float] = field(default_factory=list)
    spread_ms: list[float] = field(default_factory=list)
    ref_ms: list[float] = field(default_factory=list)
    gaps_ms: list[float] = field(default_factory=list)
    incomplete: int = 0
    missing_frames: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    snapshot_starts: int = 0
    frames: int = 0
    frame_bytes: float = math.nan  # the mean size of a frame message
    messages: int = 0  # frame messages received, all viewers together
    server_cpu_s: float = math.nan
    connect_span_s: float = math.nan
    client_cpu_pct: list[float] = field(default_factory=list)
    client_wait_pct: list[float] = field(default_factory=list)
    server_cpu_pct: float = math.nan
    loop_cpu_pct: float = math.nan  # the server's event-loop thread on a core
    loop_wait_pct: float = math.nan  # ... runnable, waiting for a core
    bench_cpu_pct: float = math.nan  # this process: the reference viewer and the JSON stream
    machine_busy_pct: float = math.nan  # all cores, everything on the machine
    others_cpu_pct: float = math.nan  # what the rest of the machine used, in % of one core
    anchor_p50_ms: float = math.nan
    window_s: float = math.nan


def _machine_busy(before: Any, after: Any) -> float:
    """Percent of all cores busy between two ``psutil.cpu_times()`` readings."""
    total = sum(after) - sum(before)
    idle = (after.idle + after.iowait) - (before.idle + before.iowait)
    return 100.0 * (1 - idle / total) if total > 0 else math.nan


async def _spawn_clients(url: str, n: int) -> list[asyncio.subprocess.Process]:
    counts = [n // CLIENT_PROCS + (1 if i < n % CLIENT_PROCS else 0) for i in range(CLIENT_PROCS)]
    procs = []
    for count in counts:
        if count:
            procs.append(
                await asyncio.create_subprocess_exec(
                    sys.executable,
                    "-m",
                    "bench.fanout_client",
                    url,
                    str(count),
                    str(CASE_BUDGET_S - 5),
                    cwd=ROOT,
                    stdin=asyncio.subprocess.PIPE,
                    stdout=asyncio.subprocess.PIPE,
                )
            )
    for p in procs:
        assert p.stdout is not None
        line = await asyncio.wait_for(p.stdout.readline(), 30)
        if line.strip() != b"ready":
            raise RuntimeError(f"fan-out client did not start: {line!r}")
    return procs


async def run_case(server: LiveServer, n: int) -> Case:
    case = Case(n)
    procs: list[asyncio.subprocess.Process] = []
    try:
        procs = await _spawn_clients(server.url, n)
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
            wall0, cpu0, machine0 = time.perf_counter(), server.cpu_s(), psutil.cpu_times()
            loop0, self0 = server.loop_sched(), time.process_time()
            r = await client.post("/api/runs", json=RUN)
            r.raise_for_status()
            run_id = r.json()["id"]
            ref_task = asyncio.create_task(read_reference(client, run_id, CASE_BUDGET_S))
            anchor_task = asyncio.create_task(read_anchor(client, run_id, CASE_BUDGET_S))
            for p in procs:
                assert p.stdin is not None
                p.stdin.write(run_id.encode() + b"\n")
                await p.stdin.drain()
            outs = await asyncio.wait_for(
                asyncio.gather(*(p.communicate() for p in procs)), CASE_BUDGET_S
            )
            ref, anchor = await asyncio.gather(ref_task, anchor_task)
            case.window_s = time.perf_counter() - wall0
            case.server_cpu_s = server.cpu_s() - cpu0
            case.server_cpu_pct = 100 * case.server_cpu_s / case.window_s
            case.machine_busy_pct = _machine_busy(machine0, psutil.cpu_times())
            loop1 = server.loop_sched()
            case.loop_cpu_pct = 100 * (loop1[0] - loop0[0]) / case.window_s
            case.loop_wait_pct = 100 * (loop1[1] - loop0[1]) / case.window_s
            case.bench_cpu_pct = 100 * (time.process_time() - self0) / case.window_s
    finally:
        for p in procs:
            if p.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    p.kill()
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(p.wait(), 5)
    reports = [json.loads(out) for out, _ in outs]
    case.client_cpu_pct = [100 * rep["cpu_s"] / rep["wall_s"] for rep in reports]
    case.client_wait_pct = [100 * rep["runq_wait_s"] / rep["wall_s"] for rep in reports]
    case.others_cpu_pct = (
        case.machine_busy_pct * (psutil.cpu_count() or 1)
        - case.server_cpu_pct
        - sum(case.client_cpu_pct)
        - case.bench_cpu_pct
    )
    viewers = [v for rep in reports for v in rep["viewers"]]
    analyse(case, ref, anchor.t0, viewers)
    case.anchor_p50_ms = anchor.spread_ms[0]
    return case


def analyse(case: Case, ref: Reference, t0: float | None, viewers: list[dict[str, Any]]) -> None:
    if ref.err or ref.last_id is None or t0 is None:
        raise RuntimeError(f"reference viewer failed: {ref.err or 'no end event'} (t0={t0})")
    last = ref.last_id
    case.frames = last
    case.frame_bytes = ref.bytes / max(len(ref.arrival), 1)
    case.messages = sum(len(v["ids"]) for v in viewers)
    final_from = ref.first_final or last + 1
    produced = {
        k: t0 + s for k, s in ref.now_s.items() if s > 0 and k < final_from
    }  # frame id -> production time on the monotonic clock
    ordered = sorted(produced.items())
    case.gaps_ms = [(b[1] - a[1]) * 1e3 for a, b in itertools.pairwise(ordered)]
    case.ref_ms = [(ref.arrival[k] - p) * 1e3 for k, p in produced.items() if k in ref.arrival]

    connects = [v["c"] for v in viewers if v["c"] is not None]
    all_connected = max(connects) if connects else math.inf
    if connects:
        case.connect_span_s = max(connects) - min(connects)
    first_arrival: dict[int, float] = {}
    for v in viewers:
        for k, t in zip(v["ids"], v["t"], strict=True):
            if t < first_arrival.get(k, math.inf):
                first_arrival[k] = t

    for v in viewers:
        ids, times = v["ids"], v["t"]
        missing = 0 if not ids else sum(b - a - 1 for a, b in itertools.pairwise(ids))
        if ids:
            missing += max(0, last - ids[-1])
            if ids[0] > 1:
                case.snapshot_starts += 1
        ok = v["end"] and v["err"] is None and ids and missing == 0
        if not ok:
            case.incomplete += 1
            case.missing_frames += missing if ids else last
            if v["err"]:
                kind = v["err"].split(":", 1)[0]
                case.errors[kind] = case.errors.get(kind, 0) + 1
        c = v["c"] if v["c"] is not None else math.inf
        for k, t in zip(ids, times, strict=True):
            p = produced.get(k)
            if p is None or p < c:
                continue  # the run's final frames, or the viewer's backlog
            d = (t - p) * 1e3
            case.delays_ms.append(d)
            case.spread_ms.append((t - first_arrival[k]) * 1e3)
            if p >= all_connected:
                case.steady_ms.append(d)


def case_rows(case: Case, base: Case | None = None) -> list[Row]:
    what = f"fanout {case.n} viewers"
    note = (
        "frame delay: viewer arrival - production (run t0 from sample events + frame's own clock)"
    )
    p50 = Row(f"{what} delay p50", "ms", absolute=True, note=note)
    p99 = Row(f"{what} delay p99", "ms", goal=GOAL_P99_MS, absolute=True, note=note)
    bad = Row(
        f"{what} not all delivered",
        "count",
        goal=0,
        absolute=True,
        note="viewers with a gap, an error or no end event",
    )
    p50.lab.append(pct(case.delays_ms, 50))
    p99.lab.append(pct(case.delays_ms, 99))
    bad.lab.append(case.incomplete)
    extras = {
        "delays_counted": len(case.delays_ms),
        "steady_p50_ms": pct(case.steady_ms, 50),
        "steady_p99_ms": pct(case.steady_ms, 99),
        "max_ms": max(case.delays_ms, default=math.nan),
        "spread_p50_ms": pct(case.spread_ms, 50),
        "spread_p99_ms": pct(case.spread_ms, 99),
        "reference_p50_ms": pct(case.ref_ms, 50),
        "reference_p99_ms": pct(case.ref_ms, 99),
        "reference_min_ms": min(case.ref_ms, default=math.nan),  # >= 0 if the t0 anchor is sound
        "frame_gap_p50_ms": pct(case.gaps_ms, 50),
        "frame_gap_p99_ms": pct(case.gaps_ms, 99),
        "frame_gap_max_ms": max(case.gaps_ms, default=math.nan),
        "frames": case.frames,
        "frame_bytes_mean": case.frame_bytes,
        "messages": case.messages,
        "server_cpu_us_per_message": case.server_cpu_s * 1e6 / max(case.messages, 1),
        "connect_span_s": case.connect_span_s,
        "window_s": case.window_s,
        "server_cpu_pct": case.server_cpu_pct,
        "server_loop_cpu_pct": case.loop_cpu_pct,
        "server_loop_runq_wait_pct": case.loop_wait_pct,
        "client_cpu_pct_total": sum(case.client_cpu_pct),
        "client_runq_wait_pct_max": max(case.client_wait_pct, default=math.nan),
        "bench_cpu_pct": case.bench_cpu_pct,
        "machine_busy_pct": case.machine_busy_pct,
        "others_cpu_pct": case.others_cpu_pct,
        "anchor_p50_ms": case.anchor_p50_ms,
    }
    for i, c in enumerate(case.client_cpu_pct):
        extras[f"client{i + 1}_cpu_pct"] = c
    if base is not None and case.messages:
        # What the viewers cost the server beyond the run itself (the same run with no viewers
        # but the reference), per frame message delivered.
        fixed = base.server_cpu_s / base.window_s * case.window_s
        extras["server_cpu_pct_without_viewers"] = base.server_cpu_pct
        extras["server_cpu_us_per_message_marginal"] = (
            (case.server_cpu_s - fixed) * 1e6 / case.messages
        )
    for k, v in extras.items():
        p99.add_extra(k, float(v))
    bad.add_extra("missing_frames", case.missing_frames)
    bad.add_extra("snapshot_starts", case.snapshot_starts)
    for kind, count in case.errors.items():
        bad.add_extra(f"error_{kind}", count)
    return [p50, p99, bad]


def print_case(case: Case) -> None:
    print(
        f"bench: fanout {case.n}: p50 {pct(case.delays_ms, 50):.1f} ms, "
        f"p99 {pct(case.delays_ms, 99):.1f} ms (steady p99 {pct(case.steady_ms, 99):.1f}, "
        f"reference p99 {pct(case.ref_ms, 99):.1f}, spread p99 {pct(case.spread_ms, 99):.1f}), "
        f"frame gaps p99 {pct(case.gaps_ms, 99):.0f} ms max {max(case.gaps_ms, default=0):.0f}, "
        f"{case.incomplete} incomplete ({case.missing_frames} frames missing, "
        f"{case.snapshot_starts} snapshot starts, errors {case.errors or 'none'}), "
        f"{case.frames} frames of {case.frame_bytes / 1024:.1f} KiB on average, "
        f"connected over {case.connect_span_s:.2f} s; CPU (% of a core): "
        f"server {case.server_cpu_pct:.0f} (event loop {case.loop_cpu_pct:.0f}, waiting for a core "
        f"{case.loop_wait_pct:.0f}), clients "
        + "+".join(f"{c:.0f}" for c in case.client_cpu_pct)
        + " (waiting "
        + "+".join(f"{c:.0f}" for c in case.client_wait_pct)
        + ")"
        + f", bench {case.bench_cpu_pct:.0f}, everything else on the machine "
        f"{case.others_cpu_pct:.0f}; machine {case.machine_busy_pct:.0f}% busy",
        file=sys.stderr,
        flush=True,
    )


def fanout(reps: int, viewers: tuple[int, ...] = VIEWERS) -> list[Row]:
    """One case per N (the reps are not used: each case takes ~10-20 s of a live run), after a
    case with no viewers but the reference: the server's cost of the run itself, and a warm-up."""
    rows: list[Row] = []
    with LiveServer() as server:
        base = asyncio.run(run_case(server, 0))
        print(
            f"bench: fanout baseline (reference viewer only): server CPU "
            f"{base.server_cpu_pct:.0f}% of a core, reference p99 {pct(base.ref_ms, 99):.1f} ms, "
            f"frame gaps p99 {pct(base.gaps_ms, 99):.0f} ms, {base.frames} frames of "
            f"{base.frame_bytes / 1024:.1f} KiB on average",
            file=sys.stderr,
            flush=True,
        )
        for n in viewers:
            case = asyncio.run(run_case(server, n))
            print_case(case)
            rows.extend(case_rows(case, base))
            marginal = rows[-2].extra.get("server_cpu_us_per_message_marginal", [math.nan])[0]
            print(
                f"bench: fanout {n}: {case.messages} frame messages delivered; the viewers cost "
                f"the server {marginal:.0f} us of CPU per message beyond the run itself",
                file=sys.stderr,
                flush=True,
            )
    return rows
