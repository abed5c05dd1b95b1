"""The channel from a target server's workers back to the lab: small JSON datagrams over loopback.

A worker sends ``["ready", pid, interface]`` when its app has started, and each request sends the
probe's ``start`` and ``progress`` records while it runs (see ``server.lab.probe``). UDP keeps the
server side non-blocking and free of connections; on loopback nothing is lost in practice, and
nothing depends on it: a request's complete record comes back in its HTTP response.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import threading
from collections.abc import Callable

#: The environment variable that tells a target server where the lab listens.
PORT_ENV = "CLAB_REPORT_PORT"


class Reporter:
    """Server side: send records to the lab (a no-op when no lab listens)."""

    def __init__(self, port: int | None) -> None:
        self._addr = ("127.0.0.1", port) if port else None
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM) if port else None

    @classmethod
    def from_env(cls) -> Reporter:
        raw = os.environ.get(PORT_ENV, "")
        return cls(int(raw) if raw.isdigit() else None)

    def __call__(self, record: tuple[object, ...] | list[object]) -> None:
        if self._sock is None or self._addr is None:
            return
        with contextlib.suppress(OSError):  # the lab has gone: the server is about to be stopped
            self._sock.sendto(json.dumps(record).encode(), self._addr)


class Listener:
    """Lab side: receive records on a free loopback port and hand each to ``on_record`` (from a
    thread of its own)."""

    def __init__(self, on_record: Callable[[list[object]], None]) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
        self._sock.bind(("127.0.0.1", 0))
        self.port: int = self._sock.getsockname()[1]
        self._on_record = on_record
        self._thread = threading.Thread(target=self._read, name="lab-report", daemon=True)
        self._thread.start()

    def _read(self) -> None:
        while True:
            try:
                data = self._sock.recv(65536)
            except OSError:
                return  # closed
            if data == b"":
                return
            try:
                record = json.loads(data)
            except ValueError:
                continue
            if isinstance(record, list) and record:
                self._on_record(record)

    def close(self) -> None:
        # A datagram to ourselves wakes the reader; then closing the socket ends it.
        with contextlib.suppress(OSError):
            self._sock.sendto(b"", ("127.0.0.1", self.port))
        self._thread.join(timeout=1.0)
        self._sock.close()
