"""Headless Chromium driven over a bare DevTools Protocol connection: no automation domains on.

A presenter's browser has no automation attached. Playwright, to serve its API, enables the
Network, Page and Runtime domains, so the browser reports every request and every chunk of an
event stream to it: measured here, that is about 0.03 s of CPU per second of a watched run, on
top of what the page itself costs. To measure what watching costs, ``bench.observer`` talks to
Chromium through this small client, which sends ``Page.navigate`` and ``Runtime.evaluate`` and
enables nothing.
"""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from wsproto import ConnectionType, WSConnection
from wsproto.events import AcceptConnection, Event, Message, Request, TextMessage

from bench.latency import CHROMIUM, CHROMIUM_ARGS


class Tab:
    """One page of a Chromium, over its DevTools websocket."""

    def __init__(self, ws_url: str) -> None:
        match = re.match(r"ws://([^:/]+):(\d+)(/.*)", ws_url)
        assert match, ws_url
        host, port, path = match.group(1), int(match.group(2)), match.group(3)
        self._sock = socket.create_connection((host, port))
        self._ws = WSConnection(ConnectionType.CLIENT)
        self._sock.sendall(self._ws.send(Request(host=f"{host}:{port}", target=path)))
        self._text = ""
        self._id = 0
        #: Called with every event the browser sends (a message with a "method" and no "id").
        self.on_event: Callable[[dict[str, Any]], object] | None = None
        self._until(lambda e: isinstance(e, AcceptConnection))

    def _until(self, done: Callable[[Event | dict[str, Any]], bool]) -> Any:
        while True:
            for event in self._ws.events():
                if isinstance(event, TextMessage):
                    self._text += event.data
                    if event.message_finished:
                        message, self._text = json.loads(self._text), ""
                        if self.on_event is not None and "method" in message:
                            self.on_event(message)
                        if done(message):
                            return message
                elif done(event):
                    return event
            self._ws.receive_data(self._sock.recv(1 << 20))

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        self._id += 1
        call_id = self._id
        data = json.dumps({"id": call_id, "method": method, "params": params})
        self._sock.sendall(self._ws.send(Message(data=data)))
        reply = self._until(lambda m: isinstance(m, dict) and m.get("id") == call_id)
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        result: dict[str, Any] = reply.get("result", {})
        return result

    def wait_event(self, method: str) -> dict[str, Any]:
        """The next event named ``method``."""
        event: dict[str, Any] = self._until(
            lambda m: isinstance(m, dict) and m.get("method") == method
        )
        return event

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (promises awaited)."""
        result = self.call(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression[:60]}...: {result['exceptionDetails']}")
        return result.get("result", {}).get("value")

    def goto(self, url: str, ready: str = "document.readyState === 'complete'") -> None:
        self.call("Page.navigate", url=url)
        self.wait_for(ready)

    def wait_for(self, condition: str, timeout_s: float = 10.0) -> None:
        deadline = time.monotonic() + timeout_s
        while not self.evaluate(f"!!({condition})"):
            if time.monotonic() > deadline:
                raise TimeoutError(condition)
            time.sleep(0.05)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._sock.close()


@contextlib.contextmanager
def chromium(
    width: int = 1400, height: int = 1000
) -> Iterator[tuple[subprocess.Popen[bytes], Tab]]:
    """A headless Chromium and its first tab; both gone afterwards."""
    profile = Path(tempfile.mkdtemp(prefix="clab-chromium-"))
    proc = subprocess.Popen(
        [
            CHROMIUM,
            "--headless",
            *CHROMIUM_ARGS,
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
            f"--window-size={width},{height}",
            f"--user-data-dir={profile}",
            "--remote-debugging-port=0",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 20
        while not (port_file.exists() and port_file.read_text().strip()):
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError("Chromium did not open its DevTools port")
            time.sleep(0.05)
        port = int(port_file.read_text().split()[0])
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json") as r:
            page = next(t for t in json.load(r) if t["type"] == "page")
        tab = Tab(page["webSocketDebuggerUrl"])
        try:
            yield proc, tab
        finally:
            tab.close()
    finally:
        proc.kill()
        proc.wait(10)
        shutil.rmtree(profile, ignore_errors=True)
