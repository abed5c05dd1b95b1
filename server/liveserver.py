"""The dashboard as a real child process on a free loopback port.

For whatever needs the lab exactly as a user starts it (``concurrency-lab serve``): the browser
tests, the tests that kill the lab and look for orphans, and the benchmarks that go over HTTP.
"""

from __future__ import annotations

import contextlib
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Self

import httpx
import psutil

from server.serverlab.setups import free_port

ROOT = Path(__file__).resolve().parent.parent


class LiveServer:
    """``python -m server.cli serve`` with its own data dir (a fresh temporary one if none is
    given, removed again by ``stop``). The environment's ``CLAB_*`` settings are not passed on:
    the server runs with its defaults plus ``env``.

    ``own_group`` starts it in a process group of its own, and ``stop`` then also kills whatever
    of that group is left: right for benchmarks, wrong for a test that checks the lab's own
    clean-up (the sweep would hide an orphan)."""

    def __init__(
        self,
        data_dir: Path | None = None,
        env: Mapping[str, str] | None = None,
        *,
        own_group: bool = False,
        start_timeout_s: float = 30,
    ) -> None:
        self._own_data_dir = data_dir is None
        self.data_dir = Path(tempfile.mkdtemp(prefix="clab-")) if data_dir is None else data_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.own_group = own_group
        self.log_path = self.data_dir / "server.log"
        self._log = self.log_path.open("w")
        environ = {k: v for k, v in os.environ.items() if not k.startswith("CLAB_")}
        serve = ["serve", "--port", str(self.port), "--data-dir", str(self.data_dir)]
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "server.cli", *serve],
            cwd=ROOT,
            env={**environ, **(env or {})},
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=own_group,
        )
        self.ps = psutil.Process(self.proc.pid)
        self._wait_ready(start_timeout_s)

    def _wait_ready(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/api/health", timeout=1).status_code == 200:
                    return
            if self.proc.poll() is not None or time.monotonic() > deadline:
                log = self.log_path.read_text()
                self.stop()
                raise RuntimeError(f"the server did not start:\n{log}")
            time.sleep(0.1)

    def cpu_s(self) -> float:
        """CPU seconds (user + system) the server process has used so far, its children included."""
        try:
            t = self.ps.cpu_times()
            total = float(t.user + t.system)
            for child in self.ps.children(recursive=True):
                with contextlib.suppress(psutil.Error):
                    c = child.cpu_times()
                    total += c.user + c.system
            return total
        except psutil.Error:
            return math.nan

    def stop(self) -> None:
        """SIGTERM, as a user's Ctrl-C or a service manager would; SIGKILL if it is still there
        10 s later. Safe to call twice."""
        if self.proc.poll() is None:
            self.proc.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(10)
        if self.own_group:
            with contextlib.suppress(ProcessLookupError):  # stragglers of the group
                os.killpg(self.proc.pid, signal.SIGKILL)
        elif self.proc.poll() is None:
            self.proc.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(5)
        if not self._log.closed:
            self._log.close()
        if self._own_data_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
