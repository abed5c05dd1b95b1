"""The convoy effect: an I/O thread's round trips beside CPU-bound threads (a lesson-only workload).

Run it in the threads executor with as many workers as tasks. Task 0 starts a tiny echo server in a
thread of its own, connects to it over loopback (127.0.0.1 only) and times round trips for ``ms``
milliseconds. Every other task keeps a core busy until task 0 is done: in a thread of this process
(competing for the GIL), or, with ``cpu_in_process=1``, in a child process it starts and stops itself
(competing for a core only). ``switch_us`` sets ``sys.setswitchinterval`` while task 0 measures.
Task 0 starts measuring once ``cpu_tasks`` CPU tasks are busy (0: those that began within
``GRACE_S``): on a loaded machine a pool thread can start late, and a measurement begun without it
would show no convoy at all.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import signal
import socket
import statistics
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from experiments import probe
from experiments.cpu import compute, spin
from experiments.registry import Param, workload

PAYLOAD = b"x" * 64
#: How long task 0 lets the CPU tasks register before it waits for them to be busy.
GRACE_S = 0.15
#: The longest task 0 waits for registered CPU tasks to be busy (a child process must start).
READY_TIMEOUT_S = 10.0
#: CPU work stops by itself after this long past the measurement, whatever happens to task 0.
SAFETY_S = 15.0
PR_SET_PDEATHSIG = 1


# --- state shared by one run's tasks ---------------------------------------------------------------


@dataclass
class _Shared:
    users: int = 0
    started: int = 0  # CPU tasks that have begun
    ready: int = 0  # CPU tasks whose work is really running
    failed: bool = False  # a CPU task could not start its work
    done: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)


_runs: dict[str, _Shared] = {}
_runs_lock = threading.Lock()


@contextlib.contextmanager
def _shared(run_id: str) -> Iterator[_Shared]:
    with _runs_lock:
        state = _runs.setdefault(run_id, _Shared())
        state.users += 1
    try:
        yield state
    finally:
        with _runs_lock:
            state.users -= 1
            if state.users == 0:
                _runs.pop(run_id, None)


# --- the switch interval: process-global, so nested users share one saved value -----------------

_switch_lock = threading.Lock()
_switch_users = 0
_switch_saved: float | None = None


@contextlib.contextmanager
def switch_interval(seconds: float | None) -> Iterator[None]:
    """Set ``sys.setswitchinterval`` for the block and restore the original when the last user
    leaves (two runs may overlap; neither may leave the other's value behind)."""
    global _switch_users, _switch_saved
    if seconds is None:
        yield
        return
    with _switch_lock:
        if _switch_users == 0:
            _switch_saved = sys.getswitchinterval()
        _switch_users += 1
        sys.setswitchinterval(seconds)
    try:
        yield
    finally:
        with _switch_lock:
            _switch_users -= 1
            if _switch_users == 0 and _switch_saved is not None:
                sys.setswitchinterval(_switch_saved)
                _switch_saved = None


# --- task 0: echo round trips over loopback ------------------------------------------------------


def _echo_server(listener: socket.socket, echoed_at: list[int]) -> None:
    try:
        conn, _ = listener.accept()
    except OSError:
        return
    with conn:
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        while True:
            try:
                data = conn.recv(4096)
            except OSError:
                return
            if not data:
                return
            echoed_at[0] = time.perf_counter_ns()  # the reply is on its way from here on
            conn.sendall(data)


def _round_trips(duration_s: float) -> list[float]:
    """Round-trip times in seconds for ``duration_s`` seconds of echoing.

    The client's waits are I/O until the echo server sent the reply (however long the server took
    to get the GIL for it) and, blocked after that, waits for the GIL to come back: the convoy."""
    listener = socket.create_server(("127.0.0.1", 0))
    echoed_at = [0]
    server = threading.Thread(
        target=_echo_server, args=(listener, echoed_at), name="convoy-echo", daemon=True
    )
    server.start()
    times: list[float] = []
    try:
        with socket.create_connection(listener.getsockname(), timeout=2.0) as client, probe.io():
            client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            deadline = time.perf_counter() + duration_s
            now = time.perf_counter()
            while now < deadline:
                client.sendall(PAYLOAD)
                got = 0
                while got < len(PAYLOAD):
                    chunk = client.recv(4096)
                    if not chunk:
                        raise ConnectionError("the echo server closed the connection")
                    got += len(chunk)
                end = time.perf_counter()
                times.append(end - now)
                now = end
                probe.ready(echoed_at[0])
                probe.checkpoint()
    finally:
        listener.close()
        server.join(timeout=2.0)
    return times


def _stats(times: list[float]) -> dict[str, Any]:
    ms = sorted(t * 1000 for t in times)
    if not ms:
        return {"count": 0, "median_ms": None, "mean_ms": None, "p90_ms": None, "max_ms": None}
    return {
        "count": len(ms),
        "mean_ms": round(statistics.fmean(ms), 4),
        "median_ms": round(statistics.median(ms), 4),
        "p90_ms": round(ms[min(len(ms) - 1, int(0.9 * len(ms)))], 4),
        "max_ms": round(ms[-1], 4),
    }


def _measure(state: _Shared, ms: int, switch_us: int, cpu_tasks: int) -> dict[str, Any]:
    try:
        probe.sleep(GRACE_S)  # the CPU tasks start meanwhile
        deadline = time.monotonic() + READY_TIMEOUT_S
        while True:
            with state.lock:
                busy, wanted = state.ready, max(state.started, cpu_tasks)
            if busy >= wanted:
                break
            if state.failed:
                raise RuntimeError("a CPU task could not start its work")
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"the CPU work did not start in time: {busy} of {wanted} CPU tasks busy "
                    f"after {READY_TIMEOUT_S:g} s "
                    "(run this workload with as many workers as tasks)"
                )
            probe.sleep(0.01)
        with switch_interval(switch_us / 1e6 if switch_us else None):
            interval = sys.getswitchinterval()
            times = _round_trips(ms / 1000)
    finally:
        state.done.set()
    return {**_stats(times), "cpu_workers": busy, "switch_interval_s": interval}


# --- the other tasks: keep a core busy -----------------------------------------------------------


def _die_with_parent(parent_pid: int) -> None:
    """The child must not outlive the lab if the lab is killed: on Linux, ask the kernel to kill
    it when the thread that started it ends (the task's thread), and check that it has not yet."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent_pid:
        os._exit(1)


def _spin_until_stopped(ready: Any, limit_s: float, parent_pid: int) -> None:
    """A child process's CPU work: spin until terminated (or ``limit_s`` at most)."""
    _die_with_parent(parent_pid)
    ready.set()
    end = time.monotonic() + limit_s
    while time.monotonic() < end:
        spin(20_000)


def _cpu_thread(state: _Shared, limit_s: float) -> dict[str, Any]:
    with state.lock:
        state.ready += 1
    end = time.monotonic() + limit_s
    while not state.done.is_set() and time.monotonic() < end:
        compute(1)
    return {"where": "thread"}


def _cpu_process(state: _Shared, limit_s: float) -> dict[str, Any]:
    # spawn: a fresh interpreter, safe to start from a process with many threads (the lab's).
    ctx = multiprocessing.get_context("spawn")
    ready = ctx.Event()
    proc = ctx.Process(
        target=_spin_until_stopped,
        args=(ready, limit_s, os.getpid()),
        name="convoy-cpu",
        daemon=True,
    )
    proc.start()
    pid = proc.pid
    try:
        end = time.monotonic() + READY_TIMEOUT_S
        while not ready.wait(0.02):
            probe.checkpoint()
            if not proc.is_alive() or time.monotonic() > end:
                state.failed = True
                raise RuntimeError("the CPU process did not start")
        with state.lock:
            state.ready += 1
        while not state.done.wait(0.02):
            probe.checkpoint()
            if not proc.is_alive():
                break
    finally:
        if proc.is_alive():
            proc.terminate()
        proc.join(2.0)
        if proc.is_alive():  # pragma: no cover - terminate is enough for a spinning loop
            proc.kill()
            proc.join(2.0)
        proc.close()
    return {"where": "process", "pid": pid}


@workload(
    "convoy",
    title="Convoy: I/O round trips beside CPU work",
    summary="Task 0 times echo round trips over loopback; the other tasks keep a core busy.",
    params=[
        Param("ms", int, 1000, 50, 10_000, "how long task 0 measures round trips", "ms"),
        Param(
            "switch_us",
            int,
            0,
            0,
            100_000,
            "sys.setswitchinterval while measuring; 0 leaves it as it is",
            "µs",
        ),
        Param("cpu_in_process", int, 0, 0, 1, "1: the CPU work runs in a child process"),
        Param(
            "cpu_tasks",
            int,
            0,
            0,
            64,
            "CPU tasks task 0 waits for before it measures; 0: those begun within 0.15 s",
        ),
    ],
    hidden=True,
)
def convoy(
    task: int,
    run_id: str,
    ms: int = 1000,
    switch_us: int = 0,
    cpu_in_process: int = 0,
    cpu_tasks: int = 0,
) -> dict[str, Any]:
    with _shared(run_id) as state:
        if task == 0:
            return _measure(state, ms, switch_us, cpu_tasks)
        with state.lock:
            state.started += 1
        limit_s = GRACE_S + READY_TIMEOUT_S + ms / 1000 + SAFETY_S
        if cpu_in_process:
            return _cpu_process(state, limit_s)
        return _cpu_thread(state, limit_s)
