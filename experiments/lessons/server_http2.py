"""Server lab S7: the same app under hypercorn, over HTTP/1.1 and HTTP/2."""

from __future__ import annotations

from collections.abc import Mapping

from experiments.lessons.base import Doc, Lesson, Reference, Step, Verdict, metric, wall
from experiments.lessons.serverlab import info

REQUESTS, SLEEP_MS = 50, 500
H1, H2 = "hypercorn, HTTP/1.1", "hypercorn, HTTP/2"


def judge(runs: Mapping[str, Doc]) -> Verdict:
    facts: dict[str, float] = {}
    spoken = {}
    for label, key in ((H1, "http1"), (H2, "http2")):
        doc = runs[label]
        facts[f"wall_{key}"] = round(wall(doc), 3)
        facts[f"max_in_flight_{key}"] = metric(doc, "max_in_flight")
        facts[f"latency_p50_{key}"] = round(metric(doc, "latency_p50_s"), 3)
        facts[f"failed_{key}"] = metric(doc, "requests_failed")
        spoken[key] = ", ".join(info(doc).get("http_versions") or ["nothing"])
    facts["http2_spoken"] = 1.0 if "HTTP/2" in spoken["http2"] else 0.0
    text = (
        f"{REQUESTS} requests awaiting a {SLEEP_MS} ms sleep, all at once, to hypercorn with one "
        f"worker. Over HTTP/1.1 (the server said {spoken['http1']}): {facts['wall_http1']:.2f} s, "
        f"up to {facts['max_in_flight_http1']:.0f} in flight, one connection per request. Over "
        f"HTTP/2 (the server said {spoken['http2']}): {facts['wall_http2']:.2f} s, up to "
        f"{facts['max_in_flight_http2']:.0f} in flight, every request a stream of one shared "
        "connection."
    )
    if facts["http2_spoken"]:
        text += (
            " Same lanes, same overlap: HTTP/2 changes how requests travel (multiplexed on one "
            "connection, headers compressed), not how the app runs them. Both ran on the worker's "
            "event loop."
        )
    else:
        text += " HTTP/2 was not negotiated, so these runs do not compare the two protocols"
        if facts["failed_http2"]:
            text += f"; {facts['failed_http2']:.0f} of the second run's requests failed"
        text += "."
    return Verdict(text, facts)


def _step(label: str, http2: bool) -> Step:
    return Step(
        label,
        "io",
        "server",
        tasks=REQUESTS,
        workers=1,
        params={"ms": SLEEP_MS},
        server={"setup": "hypercorn", "endpoint": "async", "http2": http2},
    )


LESSON = Lesson(
    id="server-http2",
    title="Server: HTTP/2 and other servers",
    summary="The same ASGI app under hypercorn, over HTTP/1.1 and over HTTP/2 on one connection.",
    explanation=(
        "Uvicorn is not the only ASGI server. Hypercorn, for one, also speaks HTTP/2 (and HTTP/3), "
        "where many requests share one connection as parallel streams. Any ASGI app runs "
        "unchanged on any ASGI server; what differs is the protocol work and the process model.",
        f"Here {REQUESTS} requests awaiting a {SLEEP_MS} ms sleep go to hypercorn, first over "
        "HTTP/1.1 with a connection each, then over HTTP/2 (cleartext, with prior knowledge) on "
        "one connection. Each response says which protocol the server saw.",
        "Granian, a server written in Rust, is another option; it is not installed here.",
    ),
    steps=(_step(H1, False), _step(H2, True)),
    judge=judge,
    facts={
        **{
            f"wall_{k}": f"seconds for {REQUESTS} requests over {v}"
            for k, v in (("http1", "HTTP/1.1"), ("http2", "HTTP/2"))
        },
        **{
            f"max_in_flight_{k}": f"most requests handled at once, {v}"
            for k, v in (("http1", "HTTP/1.1"), ("http2", "HTTP/2"))
        },
        **{
            f"latency_p50_{k}": f"median client latency over {v}, seconds"
            for k, v in (("http1", "HTTP/1.1"), ("http2", "HTTP/2"))
        },
        **{
            f"failed_{k}": f"requests that failed over {v}"
            for k, v in (("http1", "HTTP/1.1"), ("http2", "HTTP/2"))
        },
        "http2_spoken": "1 if the server reported HTTP/2 for the second run",
    },
    references=(
        Reference(
            "Hypercorn docs",
            "an ASGI and WSGI server supporting HTTP/1, HTTP/2, WebSockets and HTTP/3",
            "https://hypercorn.readthedocs.io/",
        ),
        Reference("Seed 002's list of servers", "uvicorn, hypercorn, daphne, granian"),
    ),
)
