"""The edges: what the lab refuses before a route sees a request, and the headers every answer gets.

Three pure-ASGI middlewares (``BaseHTTPMiddleware`` would buffer the event streams), outermost
first as ``create_app`` lists them:

- ``SecurityHeaders``: ``X-Content-Type-Options: nosniff`` on every response, and a
  ``Content-Security-Policy`` on every HTML one (``policy(path)``); it is outermost so that the
  two refusals below carry them too.
- ``HostCheck``: ``400`` for a ``Host`` other than loopback or ``CLAB_ALLOWED_HOSTS``. A page on
  another site whose name was re-pointed at 127.0.0.1 (DNS rebinding) reaches the lab with its own
  name in ``Host``, so it cannot read the API or start runs.
- ``OriginCheck``: ``403`` for a state-changing request sent by a page of another origin (a form
  posted from anywhere, a ``fetch`` from another port of localhost). Requests without ``Origin``
  and ``Sec-Fetch-Site`` (curl, httpx, the CLI) are not a browser's, and pass.

Starlette's ``TrustedHostMiddleware`` is not used: it strips the port at the first ``:``, so it
cannot tell ``[::1]:8000`` apart.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from base64 import b64encode
from collections.abc import Iterable
from typing import Any

from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

LOOPBACK = ("127.0.0.1", "localhost", "[::1]")
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}

#: Every HTML page's policy; ``{ancestors}`` is who may frame it. Styles may be inline: the
#: templates draw with ``style`` attributes. No inline script and no ``eval``: htmx needs neither
#: unless ``hx-on`` or ``js:`` are used, and the templates use neither.
PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; frame-ancestors {ancestors}; "
    "base-uri 'self'; form-action 'self'"
)
#: FastAPI's /docs (Swagger UI) and /redoc load their code from jsDelivr and start it with an inline
#: script; that script is allowed by its hash (``docs_policy``), no other inline one.
DOCS_POLICY = (
    "default-src 'self'; script-src 'self' https://cdn.jsdelivr.net {hashes}; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com; "
    "img-src 'self' data: https://fastapi.tiangolo.com https://cdn.jsdelivr.net https://cdn.redoc.ly; "
    "font-src 'self' https://fonts.gstatic.com; worker-src 'self' blob:; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)
#: What ``HostCheck`` may answer to any request, added to every API operation's documentation
#: (``OriginCheck``'s 403 is documented on the routes that change something). FastAPI answers 400
#: too, for a body that is not JSON at all.
RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {
        "description": "the Host header names no host of this lab (see CLAB_ALLOWED_HOSTS),"
        " or the body is not JSON"
    }
}
INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.DOTALL)


def policy(path: str, embed_origins: Iterable[str]) -> str:
    """The Content-Security-Policy of an HTML page: only ``/embed/*`` may be framed, by the
    ``embed_origins``; every other page by no one."""
    embed = path.startswith("/embed/")
    return PAGE_POLICY.format(ancestors=" ".join(embed_origins) if embed else "'none'")


def docs_policy(body: bytes) -> str:
    """The policy of an API docs page: its CDN, and each of its inline scripts by hash."""
    hashes = [
        f"'sha256-{b64encode(hashlib.sha256(script).digest()).decode()}'"
        for script in INLINE_SCRIPT.findall(body)
    ]
    return DOCS_POLICY.format(hashes=" ".join(hashes)).replace("  ", " ")


def split_host(host: str) -> tuple[str, int | None]:
    """``Host`` as (name, port): ``[::1]:8000`` -> ``("[::1]", 8000)``; a malformed port is -1."""
    host = host.strip().lower()
    name, sep, port = host.rpartition(":") if not host.endswith("]") else ("", "", "")
    if not sep or (":" in name and not name.endswith("]")):
        return host, None  # no port, or a bare IPv6 address
    return name, int(port) if port.isascii() and port.isdigit() and len(port) <= 5 else -1


def host_allowed(host: str, allowed: Iterable[str]) -> bool:
    name, port = split_host(host)
    if not name or port == -1:
        return False
    for pattern in allowed:
        if pattern == "*" or name == pattern:
            return True
        if pattern.startswith("*.") and name.endswith(pattern[1:]):
            return True
    return False


def own_origin(scope: Scope) -> str:
    """The origin this request was sent to: its scheme and ``Host`` (checked by ``HostCheck``)."""
    host = Headers(scope=scope).get("host", "")
    return normal_origin(f"{scope.get('scheme', 'http')}://{host}")


def normal_origin(origin: str) -> str:
    """``scheme://host[:port]``, lower case, the scheme's default port left out (as browsers do)."""
    scheme, sep, rest = origin.strip().lower().partition("://")
    if not sep:
        return origin
    name, port = split_host(rest)
    if port is None or port == DEFAULT_PORTS.get(scheme):
        return f"{scheme}://{name}"
    return f"{scheme}://{name}:{port}"


def refusal(method: str, origin: str | None, fetch_site: str | None, own: str) -> str | None:
    """Why a browser's request from elsewhere may not change anything here; None if it may.

    With an ``Origin`` the origins are compared exactly: another port of localhost is the same
    *site* but another origin (another program), and it is refused. Browsers send ``Origin`` with
    every POST, so a ``same-site`` request without one is refused too.
    """
    if method not in UNSAFE_METHODS:
        return None
    if fetch_site == "cross-site":
        return "a page of another site may not change anything here (Sec-Fetch-Site: cross-site)"
    if origin is not None:
        if normal_origin(origin) == own:
            return None
        return f"a page of another origin ({origin[:100]}) may not change anything here ({own})"
    if fetch_site == "same-site":
        return "a page of another origin may not change anything here (Sec-Fetch-Site: same-site)"
    return None


async def refuse(scope: Scope, send: Send, status: int, reason: str) -> None:
    """A short answer: JSON under /api (``{"detail"}`` like FastAPI's own), text elsewhere."""
    if scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": 1008, "reason": reason[:120]})
        return
    if scope["path"] == "/api" or scope["path"].startswith("/api/"):
        body, kind = json.dumps({"detail": reason}).encode(), b"application/json"
    else:
        body, kind = f"{status}: {reason}\n".encode(), b"text/plain; charset=utf-8"
    headers = [(b"content-type", kind), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class HostCheck:
    def __init__(self, app: ASGIApp, allowed_hosts: Iterable[str] = ()) -> None:
        self.app = app
        self.allowed = (*LOOPBACK, *allowed_hosts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            host = Headers(scope=scope).get("host", "")
            if not host_allowed(host, self.allowed):
                shown = repr(host[:100]) if host else "none"
                reason = f"this lab does not answer for the host {shown}; see CLAB_ALLOWED_HOSTS"
                await refuse(scope, send, 400, reason)
                return
        await self.app(scope, receive, send)


class OriginCheck:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = Headers(scope=scope)
            reason = refusal(
                scope["method"],
                headers.get("origin"),
                headers.get("sec-fetch-site"),
                own_origin(scope),
            )
            if reason is not None:
                await refuse(scope, send, 403, reason)
                return
        await self.app(scope, receive, send)


class SecurityHeaders:
    def __init__(
        self, app: ASGIApp, embed_origins: Iterable[str] = ("'self'",), docs: Iterable[str] = ()
    ) -> None:
        self.app = app
        self.embed_origins = tuple(embed_origins)
        self.docs = frozenset(docs)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        held: Message | None = None  # a docs page's start, until its body gives the hashes

        async def send_with_headers(message: Message) -> None:
            nonlocal held
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("x-content-type-options", "nosniff")
                html = headers.get("content-type", "").startswith("text/html")
                if html and "content-security-policy" not in headers:
                    if path in self.docs:
                        held = message
                        return
                    headers["content-security-policy"] = policy(path, self.embed_origins)
            elif message["type"] == "http.response.body" and held is not None:
                # FastAPI's docs pages are one small body, sent in one message.
                start, held = held, None
                MutableHeaders(scope=start)["content-security-policy"] = docs_policy(
                    message.get("body", b"")
                )
                await send(start)
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def method_not_allowed(request: Request, exc: Exception) -> Response:
    """405 with ``Allow`` naming every method the path takes. Starlette's names only those of the
    first route with that path (``OPTIONS /api/runs`` said ``Allow: POST``, not ``GET, POST``)."""
    assert isinstance(exc, HTTPException)
    given = {m.strip() for m in (exc.headers or {}).get("Allow", "").split(",")}
    routes = request.app.router.routes
    allowed = [
        method
        for method in METHODS
        if method in given
        or any(r.matches({**request.scope, "method": method})[0] is Match.FULL for r in routes)
    ]
    return JSONResponse({"detail": exc.detail}, 405, headers={"Allow": ", ".join(allowed)})


async def unprocessable(request: Request, exc: Exception) -> Response:
    """FastAPI's 422, able to show any input. Python's JSON parser reads ``NaN``, ``Infinity``
    and ``1e400`` (as inf), which JSON cannot carry back: FastAPI's own handler failed with a 500."""
    assert isinstance(exc, RequestValidationError)
    return JSONResponse({"detail": finite(jsonable_encoder(exc.errors()))}, 422)


def finite(value: Any) -> Any:
    """``value`` with every float that JSON cannot write as its name (``"nan"``, ``"inf"``)."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite(v) for v in value]
    return value
