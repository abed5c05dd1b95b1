"""The server setups the lab can start, and a running server as a child process.

A setup is a command line: which server, which app (ASGI ``target`` or WSGI ``target_wsgi``), how
many worker processes. :class:`ServerProcess` starts it through ``guard`` on a free loopback port,
waits until every worker has said it is ready, and stops it with every process it started.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass

import psutil

ASGI_APP = "server.serverlab.target:app"
WSGI_APP = "server.serverlab.target_wsgi:app"
#: How long a server may take to start all its workers.
START_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class Setup:
    id: str
    title: str
    interface: str  # "asgi" or "wsgi"
    #: Whether a supervisor restarts a worker that dies (with more than one worker).
    supervised: bool
    #: The command after ``python -m``; ``{port}``, ``{workers}`` and ``{app}`` are filled in.
    args: str
    http2: bool = False

    def command(self, port: int, workers: int) -> list[str]:
        app = WSGI_APP if self.interface == "wsgi" else ASGI_APP
        words = self.args.format(port=port, workers=workers, app=app).split()
        return [sys.executable, "-m", *words]

    def shown(self, workers: int) -> str:
        """The command as a person would type it (without the interpreter and the address)."""
        words = self.command(0, workers)[2:]
        hidden = {"-b", "--host", "--port"}
        kept = [w for k, w in enumerate(words) if w not in hidden and words[k - 1] not in hidden]
        return " ".join(kept)


_QUIET = "--log-level warning"
SETUPS: dict[str, Setup] = {
    s.id: s
    for s in (
        Setup(
            "uvicorn",
            "uvicorn --workers N (one process when N = 1, else a supervisor and N workers)",
            "asgi",
            supervised=True,
            args="uvicorn {app} --host 127.0.0.1 --port {port} --workers {workers} "
            f"--no-access-log --timeout-graceful-shutdown 2 {_QUIET}",
        ),
        Setup(
            "gunicorn",
            "gunicorn -k uvicorn_worker.UvicornWorker -w N",
            "asgi",
            supervised=True,
            args="gunicorn -k uvicorn_worker.UvicornWorker -w {workers} -b 127.0.0.1:{port} "
            f"--graceful-timeout 2 {_QUIET} {{app}}",
        ),
        Setup(
            "gunicorn-sync",
            "gunicorn sync workers serving the WSGI app",
            "wsgi",
            supervised=True,
            args=f"gunicorn -w {{workers}} -b 127.0.0.1:{{port}} --graceful-timeout 2 {_QUIET} {{app}}",
        ),
        Setup(
            "hypercorn",
            "hypercorn -w N (HTTP/1.1 and HTTP/2)",
            "asgi",
            supervised=False,
            args=f"hypercorn -w {{workers}} -b 127.0.0.1:{{port}} --graceful-timeout 2 {_QUIET} {{app}}",
            http2=True,
        ),
        Setup(
            "granian",
            "granian --workers N (a server written in Rust; HTTP/1.1 and HTTP/2)",
            "asgi",
            supervised=True,
            args="granian --interface asgi --host 127.0.0.1 --port {port} --workers {workers} "
            f"--http auto --respawn-failed-workers --workers-kill-timeout 2 {_QUIET} {{app}}",
            http2=True,
        ),
    )
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServerFailed(RuntimeError):
    pass


class ServerProcess:
    """One server, started through the guard in a process group of its own."""

    def __init__(self, setup: Setup, workers: int, env: dict[str, str]) -> None:
        self.setup, self.workers = setup, workers
        self.port = free_port()
        self.command = setup.command(self.port, workers)
        self._env = {**os.environ, **env}
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in close()
        self._guard: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._guard = subprocess.Popen(
            [sys.executable, "-m", "server.serverlab.guard", *self.command],
            env=self._env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, ready: Callable[[], int], cancelled: Callable[[], bool]) -> None:
        """Block until ``ready()`` (workers that said so) reaches the worker count and the port
        answers; raise ServerFailed if the server exits, or takes too long."""
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if cancelled():
                return
            if self._guard is None or self._guard.poll() is not None:
                raise ServerFailed(f"{self.setup.id} exited while starting: {self.log_tail()}")
            if ready() >= self.workers and self._answers():
                return
            if time.monotonic() > deadline:
                raise ServerFailed(
                    f"{self.setup.id} did not start {self.workers} worker(s) within "
                    f"{START_TIMEOUT_S:g} s: {self.log_tail()}"
                )
            time.sleep(0.05)

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                return True
        except OSError:
            return False

    def pids(self) -> list[int]:
        """The server's processes (master and workers), not the guard."""
        if self._guard is None:
            return []
        try:
            children = psutil.Process(self._guard.pid).children(recursive=True)
        except psutil.Error:
            return []
        return [c.pid for c in children]

    def alive(self) -> bool:
        return self._guard is not None and self._guard.poll() is None

    def stop(self) -> None:
        """Stop the server and every process in its group; returns once they are gone."""
        guard = self._guard
        if guard is None:
            return
        if guard.poll() is None:
            guard.terminate()  # the guard stops the server gracefully, then kills the group
            with contextlib.suppress(subprocess.TimeoutExpired):
                guard.wait(8.0)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(guard.pid, signal.SIGKILL)  # the group is named after its leader, the guard
        with contextlib.suppress(subprocess.TimeoutExpired):
            guard.wait(2.0)

    def log_tail(self, lines: int = 6) -> str:
        self._log.seek(0)
        text = self._log.read().decode(errors="replace").strip().splitlines()
        return " | ".join(text[-lines:]) or "(no output)"

    def close(self) -> None:
        self.stop()
        self._log.close()
