"""The WSGI twin of ``target``: the ``def`` endpoint only (WSGI has no ``async def``).

``GET /sync/{workload}?task=…&ms=…`` runs the workload in the worker's own thread: under gunicorn's
default sync workers, one request at a time per worker process. Run it yourself with
``gunicorn -w 4 server.serverlab.target_wsgi:app``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qsl

from server.serverlab import handler

StartResponse = Callable[[str, list[tuple[str, str]]], object]

_REASONS = {200: "200 OK", 404: "404 Not Found", 422: "422 Unprocessable Content"}


def _json(start_response: StartResponse, status: int, body: dict[str, Any]) -> list[bytes]:
    data = json.dumps(body).encode()
    start_response(
        _REASONS[status],
        [("Content-Type", "application/json"), ("Content-Length", str(len(data)))],
    )
    return [data]


def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    path = environ.get("PATH_INFO", "")
    protocol = environ.get("SERVER_PROTOCOL", "")
    if path == "/health":
        return _json(
            start_response,
            200,
            {"status": "ok", "pid": os.getpid(), "interface": "wsgi", "http_version": protocol},
        )
    if not path.startswith("/sync/"):
        return _json(start_response, 404, {"detail": f"no route {path!r}; try /sync/io"})
    query = dict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
    try:
        w, task, run, params = handler.parse(path.removeprefix("/sync/"), query)
    except handler.BadRequest as exc:
        return _json(start_response, exc.status, {"detail": exc.detail})
    answer = handler.run_in_thread(w, task, run, params, "process")
    return _json(start_response, 200, {**answer, "http_version": protocol})


# Gunicorn imports the app in each worker after forking (no --preload), so this runs per worker.
handler.setup_worker("wsgi")
