"""The server executor's options in the dashboard's pages: read from a posted form, shown in it,
and summed up in a server run's header.

Checking and describing them stays in ``server.serverlab.options`` (one place says what is allowed).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from server.serverlab.load import ServerLoad
from server.serverlab.options import BOUNDS, DEFAULTS, ServerOptions
from server.serverlab.setups import SETUPS


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


def header(doc: Mapping[str, Any], options: object = None) -> dict[str, Any] | None:
    """The run page's server line: command, endpoint path and protocol; ``None`` for other runs.

    A run that has not started its server yet has no ``executor_info``: then its checked options
    (``options``, a run spec's) say what it will run."""
    if doc.get("executor") != ServerLoad.id:
        return None
    info = dict(doc.get("executor_info") or {})
    if not info.get("command") and isinstance(options, ServerOptions):
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
