"""What a server-lab run needs besides the usual workload, tasks and workers: checked, and
described for clients (the API, the form, the CLI's ``list``).

``workers`` is the number of server worker processes; ``tasks`` the number of requests. These
options say which server, which kind of endpoint, and how the load is applied.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from experiments.document import ExecutorInfo
from experiments.registry import InvalidParameter, Param
from server.serverlab.setups import SETUPS

#: The endpoint kinds of the target app (see ``target``), by the path prefix that serves them.
ENDPOINTS = {
    "async": "async def, awaiting the workload's awaitable form",
    "async-blocking": "async def, calling the blocking function on the event loop",
    "sync": "plain def, run in the server's thread pool",
}
MAX_CONCURRENCY = 500


@dataclass(frozen=True)
class ServerOptions:
    setup: str = "uvicorn"
    endpoint: str = "async"
    #: Requests in flight at once from the load generator; 0 sends every request at once (up to
    #: MAX_CONCURRENCY).
    concurrency: int = 0
    #: The ASGI app's thread-pool size for ``def`` endpoints (AnyIO's default is 40).
    threads: int = 40
    #: Kill -9 one worker this many milliseconds into the load; 0 never.
    kill_at_ms: int = 0
    #: Speak HTTP/2 (cleartext, prior knowledge) instead of HTTP/1.1: hypercorn and granian.
    http2: bool = False

    def in_flight(self, tasks: int) -> int:
        return min(tasks, self.concurrency or MAX_CONCURRENCY)

    def describe(self) -> ExecutorInfo:
        return {
            "setup": self.setup,
            "endpoint": self.endpoint,
            "concurrency": self.concurrency,
            "threads": self.threads,
            "kill_at_ms": self.kill_at_ms,
            "http2": self.http2,
        }


#: The integer options and their inclusive bounds.
BOUNDS = {"concurrency": (0, MAX_CONCURRENCY), "threads": (1, 1000), "kill_at_ms": (0, 60_000)}
DEFAULTS = ServerOptions()

HELP = {
    "setup": "which server serves the target app",
    "endpoint": "the kind of endpoint that runs the workload; default: async (sync for a WSGI setup)",
    "concurrency": f"requests in flight at once; 0 sends them all at once (up to {MAX_CONCURRENCY})",
    "threads": "the ASGI app's thread pool for plain def endpoints (AnyIO's default is 40)",
    "kill_at_ms": "kill -9 the worker with the most requests in flight this many ms into the load; "
    "0 never",
    "http2": "speak HTTP/2 (cleartext) instead of HTTP/1.1",
}
UNITS = {"kill_at_ms": "ms"}


def describe() -> dict[str, Any]:
    """Setups, endpoint kinds and every option with its type, default and bounds (JSON-ready)."""
    options: list[dict[str, Any]] = [
        {
            "name": "setup",
            "type": "str",
            "default": DEFAULTS.setup,
            "allowed": list(SETUPS),
            "help": HELP["setup"],
        },
        {
            "name": "endpoint",
            "type": "str",
            "default": None,
            "allowed": list(ENDPOINTS),
            "help": HELP["endpoint"],
        },
    ]
    for name, (lo, hi) in BOUNDS.items():
        options.append(
            {
                "name": name,
                "type": "int",
                "default": getattr(DEFAULTS, name),
                "min": lo,
                "max": hi,
                "unit": UNITS.get(name, ""),
                "help": HELP[name],
            }
        )
    options.append(
        {
            "name": "http2",
            "type": "bool",
            "default": DEFAULTS.http2,
            "allowed_with": [s.id for s in SETUPS.values() if s.http2],
            "help": HELP["http2"],
        }
    )
    return {
        "setups": [
            {
                "id": s.id,
                "title": s.title,
                "interface": s.interface,
                "endpoints": ["sync"] if s.interface == "wsgi" else list(ENDPOINTS),
                "http2": s.http2,
                "supervised": s.supervised,
            }
            for s in SETUPS.values()
        ],
        "endpoints": [
            {"id": k, "title": v, "path": f"/{k}/{{workload}}"} for k, v in ENDPOINTS.items()
        ],
        "options": options,
        "workers": "the server's worker processes",
        "tasks": "the HTTP requests sent",
    }


def server_options(raw: Mapping[str, object] | ServerOptions | None) -> ServerOptions:
    """Check raw options (from JSON, a form or a lesson); raise InvalidParameter naming the first
    thing that is wrong and what is allowed."""
    if isinstance(raw, ServerOptions):
        return raw
    raw = dict(raw or {})
    known = {f.name for f in fields(ServerOptions)}
    for name in raw:
        if name not in known:
            raise InvalidParameter(
                f"server.{name}", f"unknown server option; allowed: {', '.join(sorted(known))}"
            )
    values: dict[str, Any] = {}
    setup = raw.get("setup", "uvicorn")
    if setup not in SETUPS:
        raise InvalidParameter("server.setup", f"{setup!r} is not one of: {', '.join(SETUPS)}")
    values["setup"] = setup
    endpoint = raw.get("endpoint", "sync" if SETUPS[str(setup)].interface == "wsgi" else "async")
    if endpoint not in ENDPOINTS:
        raise InvalidParameter(
            "server.endpoint", f"{endpoint!r} is not one of: {', '.join(ENDPOINTS)}"
        )
    if SETUPS[str(setup)].interface == "wsgi" and endpoint != "sync":
        raise InvalidParameter(
            "server.endpoint", f"{setup} serves the WSGI app, which has only sync endpoints"
        )
    values["endpoint"] = endpoint
    for name, (lo, hi) in BOUNDS.items():
        if name in raw:
            values[name] = Param(f"server.{name}", int, lo, lo, hi, "").parse(raw[name])
    http2 = raw.get("http2", False)
    if http2 not in (True, False, 0, 1, "true", "false", "1", "0", "on", ""):
        raise InvalidParameter("server.http2", f"{http2!r} is not true or false")
    values["http2"] = http2 in (True, 1, "true", "1", "on")
    if values["http2"] and not SETUPS[str(setup)].http2:
        allowed = ", ".join(s.id for s in SETUPS.values() if s.http2)
        raise InvalidParameter("server.http2", f"{setup} does not speak HTTP/2 here; use {allowed}")
    return ServerOptions(**values)
