"""The edges (server/web/edges.py): foreign hosts, requests from other origins, the headers every
answer carries, and out-of-range query values. Against the real app served on a loopback port,
except where a tiny app of the test's own shows what the lab has no route for yet (``/embed``)."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import httpx
import pytest
from bs4 import BeautifulSoup
from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.responses import HTMLResponse, JSONResponse
from starlette.routing import Route

from server.settings import Settings
from server.web import edges
from tests.support import LabClient

ALLOWED = "lab.example.org"
EMBEDDERS = ("'self'", "https://slides.example.org")


@pytest.fixture(scope="module")
def lab_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(
        data_dir=tmp_path_factory.mktemp("lab"), allowed_hosts=(ALLOWED,), embed_origins=EMBEDDERS
    )


def port(client: LabClient) -> int:
    p = client.base_url.port
    assert p is not None
    return p


def run_ids(client: LabClient) -> set[str]:
    return {r["id"] for r in client.get("/api/runs").json()}


def directives(csp: str) -> dict[str, str]:
    """``Content-Security-Policy`` as {directive: its sources}."""
    parts = (d.strip().partition(" ") for d in csp.split(";") if d.strip())
    return {name: sources for name, _, sources in parts}


FORM = {"workload": "io", "executor": "threads", "tasks": "2", "workers": "2", "param.ms": "10"}
RUN = {"workload": "io", "executor": "threads", "tasks": 2, "params": {"ms": 10}}


# --- Host --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "host",
    [
        pytest.param("evil.example", id="another-name"),
        pytest.param("evil.example:{port}", id="another-name-our-port"),
        pytest.param("127.0.0.1.evil.example", id="loopback-as-a-prefix"),
        pytest.param("sub.lab.example.org", id="subdomain-of-an-allowed-host"),
        pytest.param("localhost:abc", id="malformed-port"),
        pytest.param("", id="empty"),
    ],
)
def test_a_foreign_host_gets_400(client: LabClient, host: str) -> None:
    r = client.get("/api/health", headers={"Host": host.format(port=port(client))})
    assert r.status_code == 400
    assert "CLAB_ALLOWED_HOSTS" in r.json()["detail"]
    page = client.get("/", headers={"Host": host.format(port=port(client))})
    assert page.status_code == 400
    assert page.headers["content-type"].startswith("text/plain")


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1",
        "127.0.0.1:{port}",
        "localhost",
        "LocalHost:{port}",
        "[::1]",
        "[::1]:{port}",
        ALLOWED,
        f"{ALLOWED}:8443",
    ],
)
def test_loopback_and_allowed_hosts_are_answered_on_any_port(client: LabClient, host: str) -> None:
    r = client.get("/api/health", headers={"Host": host.format(port=port(client))})
    assert (r.status_code, r.json()) == (200, {"status": "ok"})


@pytest.mark.parametrize(
    ("host", "allowed", "ok"),
    [
        ("a.example.org", ("*.example.org",), True),
        ("example.org", ("*.example.org",), False),
        ("anything:1", ("*",), True),
        ("[fd00::5]:80", ("[fd00::5]",), True),
        ("[::1", ("[::1]",), False),
        ("::1", ("[::1]",), False),  # an IPv6 Host is bracketed
    ],
)
def test_host_patterns(host: str, allowed: tuple[str, ...], ok: bool) -> None:
    assert edges.host_allowed(host, allowed) is ok


# --- Origin and Sec-Fetch-Site -------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({"Origin": "http://evil.example"}, id="another-site"),
        pytest.param({"Origin": "http://localhost:1"}, id="another-port-of-localhost"),
        pytest.param({"Origin": "https://127.0.0.1:{port}"}, id="another-scheme"),
        pytest.param({"Origin": "null"}, id="opaque-origin"),
        pytest.param({"Sec-Fetch-Site": "cross-site"}, id="cross-site"),
        pytest.param({"Sec-Fetch-Site": "same-site"}, id="same-site-without-origin"),
        pytest.param(
            {"Origin": "http://127.0.0.1:{port}", "Sec-Fetch-Site": "cross-site"},
            id="cross-site-whatever-the-origin",
        ),
    ],
)
def test_a_request_from_another_origin_changes_nothing(
    client: LabClient, headers: dict[str, str]
) -> None:
    headers = {k: v.format(port=port(client)) for k, v in headers.items()}
    before = run_ids(client)
    form = client.post("/runs", data=FORM, headers=headers)
    assert form.status_code == 403
    assert form.headers["content-type"].startswith("text/plain")
    api = client.post("/api/runs", json=RUN, headers=headers)
    assert api.status_code == 403
    assert "may not change anything here" in api.json()["detail"]
    lesson = client.post("/api/lessons/cpu-bound/runs", headers=headers)
    assert lesson.status_code == 403
    assert run_ids(client) == before


def test_a_cancel_from_another_origin_leaves_the_run_going(client: LabClient) -> None:
    run = client.start(workload="io", executor="threads", tasks=2, params={"ms": 300})
    evil = {"Origin": "http://evil.example"}
    assert client.post(f"/api/runs/{run['id']}/cancel", headers=evil).status_code == 403
    assert client.post(f"/runs/{run['id']}/cancel", headers=evil).status_code == 403
    assert client.wait_until_finished(run["id"])["status"] == "done"


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="no-origin-no-fetch-metadata"),  # curl, httpx, the CLI
        pytest.param({"Origin": "http://127.0.0.1:{port}"}, id="same-origin"),
        pytest.param(
            {"Origin": "http://127.0.0.1:{port}", "Sec-Fetch-Site": "same-origin"},
            id="same-origin-fetch-metadata",
        ),
        pytest.param({"Sec-Fetch-Site": "none"}, id="user-initiated"),
    ],
)
def test_a_same_origin_post_starts_a_run(client: LabClient, headers: dict[str, str]) -> None:
    headers = {k: v.format(port=port(client)) for k, v in headers.items()}
    form = client.post("/runs", data=FORM, headers=headers)
    assert form.status_code == 303
    run_id = form.headers["location"].removeprefix("/runs/")
    api = client.post("/api/runs", json=RUN, headers=headers)
    assert api.status_code == 202
    for i in (run_id, api.json()["id"]):
        assert client.wait_until_finished(i)["status"] == "done"


def test_an_allowed_host_posts_from_its_own_origin(client: LabClient) -> None:
    headers = {"Host": f"{ALLOWED}:8443", "Origin": f"http://{ALLOWED}:8443"}
    r = client.post("/api/runs", json=RUN, headers=headers)
    assert r.status_code == 202
    client.wait_until_finished(r.json()["id"])


@pytest.mark.parametrize(
    ("origin", "own", "same"),
    [
        ("http://localhost", "http://localhost:80", True),  # the default port, left out
        ("HTTP://LOCALHOST:8000", "http://localhost:8000", True),
        ("http://[::1]:8000", "http://[::1]:8000", True),
        ("http://localhost:8001", "http://localhost:8000", False),
        ("http://localhost:8000.evil.example", "http://localhost:8000", False),
    ],
)
def test_origins_compare_exactly(origin: str, own: str, same: bool) -> None:
    refused = edges.refusal("POST", origin, None, edges.normal_origin(own))
    assert (refused is None) is same


def test_safe_methods_pass_whatever_their_origin() -> None:
    for method in ("GET", "HEAD", "OPTIONS"):
        assert edges.refusal(method, "http://evil.example", "cross-site", "http://x") is None


# --- headers -------------------------------------------------------------------------------------


def test_html_pages_set_a_policy_that_frames_nowhere(client: LabClient) -> None:
    run = client.start(workload="io", executor="threads", tasks=2, params={"ms": 10})
    client.wait_until_finished(run["id"])
    for path in ["/", "/lessons", "/lessons/cpu-bound", f"/runs/{run['id']}", "/compare"]:
        r = client.get(path)
        assert r.headers["content-type"].startswith("text/html"), path
        assert r.headers["x-content-type-options"] == "nosniff", path
        csp = directives(r.headers["content-security-policy"])
        assert csp["frame-ancestors"] == "'none'", path
        assert csp["script-src"] == "'self'", path
        assert csp["default-src"] == "'self'", path


def test_every_other_answer_is_nosniff(client: LabClient) -> None:
    run = client.start(workload="io", executor="threads", tasks=1, params={"ms": 10})
    client.wait_until_finished(run["id"])
    for path in ["/api/health", "/static/lab.css", f"/api/runs/{run['id']}/events", "/nowhere"]:
        r = client.get(path)
        assert r.headers["x-content-type-options"] == "nosniff", path
        assert "content-security-policy" not in r.headers, path


def test_the_page_policy_frames_embeds_only_for_the_embed_origins() -> None:
    assert directives(edges.policy("/", EMBEDDERS))["frame-ancestors"] == "'none'"
    assert directives(edges.policy("/embedded", EMBEDDERS))["frame-ancestors"] == "'none'"
    embed = directives(edges.policy("/embed/runs/abc", EMBEDDERS))
    assert embed["frame-ancestors"] == "'self' https://slides.example.org"
    assert embed["script-src"] == "'self'"


async def test_the_middleware_sends_the_embed_policy_on_embed_pages_only() -> None:
    async def page(request: Any) -> HTMLResponse:
        return HTMLResponse("<p>hi</p>")

    async def data(request: Any) -> JSONResponse:
        return JSONResponse({})

    app = Starlette(
        routes=[Route("/embed/runs/x", page), Route("/runs/x", page), Route("/j", data)]
    )
    wrapped = edges.SecurityHeaders(app, embed_origins=EMBEDDERS)
    transport = httpx.ASGITransport(app=wrapped)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
        embed, plain, json = [await c.get(p) for p in ("/embed/runs/x", "/runs/x", "/j")]
    assert directives(embed.headers["content-security-policy"])["frame-ancestors"] == (
        "'self' https://slides.example.org"
    )
    assert directives(plain.headers["content-security-policy"])["frame-ancestors"] == "'none'"
    assert "content-security-policy" not in json.headers
    assert {r.headers["x-content-type-options"] for r in (embed, plain, json)} == {"nosniff"}


def test_the_api_docs_allow_their_cdn_and_their_own_inline_script_only(client: LabClient) -> None:
    r = client.get("/docs")
    csp = directives(r.headers["content-security-policy"])
    inline = [s.string for s in BeautifulSoup(r.text, "html.parser").find_all("script") if s.string]
    assert inline
    for script in inline:
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in csp["script-src"]
    assert "'unsafe-inline'" not in csp["script-src"]
    assert "https://cdn.jsdelivr.net" in csp["script-src"]
    assert csp["frame-ancestors"] == "'none'"


def test_405_names_every_method_of_the_path(client: LabClient) -> None:
    r = client.request("DELETE", "/api/runs")
    assert (r.status_code, r.headers["allow"]) == (405, "GET, POST")


# --- query values --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/api/runs?offset=15588348193390415872", "offset"),
        ("/api/runs?offset=-1", "offset"),
        ("/api/runs?limit=0", "limit"),
        ("/api/runs?limit=100000000000000000000", "limit"),
        ("/runs/x/stream?after=15588348193390415872", "after"),
    ],
)
def test_an_out_of_range_query_value_is_422_naming_it(
    client: LabClient, path: str, field: str
) -> None:
    r = client.get(path)
    assert r.status_code == 422
    assert [e["loc"] for e in r.json()["detail"]] == [["query", field]]


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        pytest.param(
            b'{"workload": "io", "tasks": 1e400}', ["body", "tasks"], id="overflows-to-inf"
        ),
        pytest.param(
            b'{"workload": "io", "params": {"ms": NaN}}', ["body", "params", "ms"], id="nan"
        ),
        pytest.param(
            b'{"workload": "mixed", "params": {"cpu_fraction": -Infinity}}',
            ["body", "params", "cpu_fraction"],
            id="infinity",
        ),
    ],
)
def test_a_number_json_cannot_write_back_is_422_naming_it(
    client: LabClient, body: bytes, loc: list[str]
) -> None:
    """Python's parser reads these; FastAPI's own 422 then failed to encode its ``input``."""
    r = client.post("/api/runs", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 422
    assert [e["loc"] for e in r.json()["detail"]] == [loc]


# --- settings ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "hosts"),
    [
        ("lab.example.org", ("lab.example.org",)),
        (
            "Lab.example.org, 10.0.0.5,*.example.net",
            ("lab.example.org", "10.0.0.5", "*.example.net"),
        ),
        ('["a.example", "b.example"]', ("a.example", "b.example")),
        ("fd00::5", ("[fd00::5]",)),
        ("", ()),
    ],
)
def test_allowed_hosts_read_a_comma_separated_list(
    monkeypatch: pytest.MonkeyPatch, value: str, hosts: tuple[str, ...]
) -> None:
    monkeypatch.setenv("CLAB_ALLOWED_HOSTS", value)
    assert Settings().allowed_hosts == hosts


@pytest.mark.parametrize(
    ("value", "origins"),
    [
        ("'self'", ("'self'",)),
        (
            "'self' https://a.example:8443, https://*.b.example",
            ("'self'", "https://a.example:8443", "https://*.b.example"),
        ),
        ("'none'", ("'none'",)),
    ],
)
def test_embed_origins_read_a_space_or_comma_separated_list(
    monkeypatch: pytest.MonkeyPatch, value: str, origins: tuple[str, ...]
) -> None:
    monkeypatch.setenv("CLAB_EMBED_ORIGINS", value)
    assert Settings().embed_origins == origins


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("CLAB_ALLOWED_HOSTS", "https://lab.example.org"),
        ("CLAB_ALLOWED_HOSTS", "lab.example.org:8000"),
        ("CLAB_EMBED_ORIGINS", "https://a.example; script-src *"),
        ("CLAB_EMBED_ORIGINS", "self"),
    ],
)
def test_a_malformed_host_or_origin_is_refused_at_start(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError, match=name.removeprefix("CLAB_").lower()):
        Settings()
