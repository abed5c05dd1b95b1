"""The server executor's options as the API, the form and the CLI show them.

Checking stays in ``server.serverlab.options.server_options`` (one place says what is allowed);
this module describes the options for people and clients, and reads them from a posted form.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from typing import Any

from server.serverlab.options import BOUNDS, ENDPOINTS, MAX_CONCURRENCY, ServerOptions
from server.serverlab.setups import SETUPS

#: The option names, in the order forms and listings show them.
NAMES = tuple(f.name for f in fields(ServerOptions))
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


def bounds(name: str) -> tuple[int, int]:
    return BOUNDS[name]


def from_form(form: Mapping[str, Any]) -> dict[str, str]:
    """The ``server.NAME`` fields of a posted form, as raw strings; empty fields are left out (the
    option's default applies) and an unticked ``server.http2`` box is ``false``."""
    raw = {
        k.removeprefix("server."): str(v)
        for k, v in form.items()
        if k.startswith("server.") and str(v).strip() != ""
    }
    raw.setdefault("http2", "false")
    return raw


def form_values(raw: Mapping[str, str] | None) -> dict[str, Any]:
    """What the form's server fields show: what was typed, else the defaults."""
    raw = raw or {}
    out: dict[str, Any] = {
        "setup": raw.get("setup", DEFAULTS.setup),
        "endpoint": raw.get("endpoint", ""),
        "http2": raw.get("http2", "false") in ("true", "1", "on"),
    }
    for name in BOUNDS:
        out[name] = raw.get(name, str(getattr(DEFAULTS, name)))
    return out


def header(doc: Mapping[str, Any], options: ServerOptions | None = None) -> dict[str, Any] | None:
    """The run page's server line: command, endpoint path and protocol; ``None`` for other runs.

    A run that has not started its server yet has no ``executor_info``: then its checked options
    (``options``) say what it will run."""
    if doc.get("executor") != "server":
        return None
    info = dict(doc.get("executor_info") or {})
    if not info.get("command") and options is not None:
        setup = SETUPS[options.setup]
        info.update(
            options.describe(),
            command=setup.shown(int(doc.get("workers") or 1)),
            path=f"/{options.endpoint}/{doc['workload']}",
        )
    if not info.get("command"):
        return None
    versions = info.get("http_versions") or []
    protocol = ", ".join(versions) if versions else ("HTTP/2" if info.get("http2") else "HTTP/1.1")
    if info.get("http2") and "cleartext" not in protocol:
        protocol += " (cleartext, prior knowledge)"
    return {
        "command": info["command"],
        "path": info.get("path", ""),
        "protocol": protocol,
        "setup": info.get("setup", ""),
        "endpoint": info.get("endpoint", ""),
        "in_flight": info.get("in_flight"),
        "threads": info.get("threads"),
        "kills": info.get("kills") or [],
    }
