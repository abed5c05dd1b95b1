"""Server lab S7: the same app under other servers (hypercorn, and granian where it is installed),
over HTTP/1.1 and HTTP/2."""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping

from experiments.lessons.base import Doc, Lesson, Reference, Step, Verdict, metric, wall
from experiments.lessons.serverlab import info

REQUESTS, SLEEP_MS = 50, 500
PROTOCOLS = {"http1": "HTTP/1.1", "http2": "HTTP/2"}
#: Granian is a compiled (Rust) server: the lesson uses it only where its wheel installed.
SERVERS = tuple(s for s in ("hypercorn", "granian") if importlib.util.find_spec(s) is not None)


def label(server: str, protocol: str) -> str:
    return f"{server}, {PROTOCOLS[protocol]}"


def judge(runs: Mapping[str, Doc]) -> Verdict:
    facts: dict[str, float] = {}
    parts, not_spoken = [], []
    for server in SERVERS:
        spoken = {}
        for key in PROTOCOLS:
            doc = runs[label(server, key)]
            facts[f"wall_{server}_{key}"] = round(wall(doc), 3)
            facts[f"max_in_flight_{server}_{key}"] = metric(doc, "max_in_flight")
            facts[f"latency_p50_{server}_{key}"] = round(metric(doc, "latency_p50_s"), 3)
            facts[f"failed_{server}_{key}"] = metric(doc, "requests_failed")
            spoken[key] = ", ".join(info(doc).get("http_versions") or ["nothing"])
        facts[f"http2_spoken_{server}"] = 1.0 if "HTTP/2" in spoken["http2"] else 0.0
        w, most = (
            {p: facts[f"{name}_{server}_{p}"] for p in PROTOCOLS}
            for name in ("wall", "max_in_flight")
        )
        parts.append(
            f"{server}: over HTTP/1.1 (the server said {spoken['http1']}) {w['http1']:.2f} s, up "
            f"to {most['http1']:.0f} in flight, a connection per request; over HTTP/2 (the "
            f"server said {spoken['http2']}) {w['http2']:.2f} s, up to {most['http2']:.0f} in "
            "flight, every request a stream of one shared connection."
        )
        if not facts[f"http2_spoken_{server}"]:
            failed = facts[f"failed_{server}_http2"]
            not_spoken.append(
                f"{server} did not speak HTTP/2"
                + (f" ({failed:.0f} of its requests failed)" if failed else "")
            )
    text = (
        f"{REQUESTS} requests awaiting a {SLEEP_MS} ms sleep, all at once, to one worker of "
        "each server.\n" + "\n".join(parts)
    )
    if not_spoken:
        which = "; ".join(not_spoken)
        text += f"\n{which[0].upper()}{which[1:]}, so those runs do not compare the two protocols."
    else:
        text += (
            "\nSame lanes, same overlap: HTTP/2 changes how requests travel (multiplexed on one "
            "connection, headers compressed), not how the app runs them. Every request ran on the "
            "worker's event loop, whichever server accepted it."
        )
    if "granian" not in SERVERS:
        text += " Granian is not installed here (pip install granian), so only hypercorn ran."
    return Verdict(text, facts)


def _step(server: str, protocol: str) -> Step:
    return Step(
        label(server, protocol),
        "io",
        "server",
        tasks=REQUESTS,
        workers=1,
        params={"ms": SLEEP_MS},
        server={"setup": server, "endpoint": "async", "http2": protocol == "http2"},
    )


_GRANIAN = (
    "Granian, a server written in Rust that runs the Python app on its own event loop, goes next "
    "in the same two ways."
    if "granian" in SERVERS
    else "Granian, a server written in Rust, would go next; it is not installed here."
)

LESSON = Lesson(
    id="server-http2",
    title="Server: HTTP/2 and other servers",
    summary=f"The same ASGI app under {' and '.join(SERVERS)}, over HTTP/1.1 and over HTTP/2.",
    explanation=(
        "Uvicorn is not the only ASGI server. Hypercorn, for one, also speaks HTTP/2 (and HTTP/3), "
        "where many requests share one connection as parallel streams. Any ASGI app runs "
        "unchanged on any ASGI server; what differs is the protocol work and the process model.",
        f"Here {REQUESTS} requests awaiting a {SLEEP_MS} ms sleep go to hypercorn, first over "
        "HTTP/1.1 with a connection each, then over HTTP/2 (cleartext, with prior knowledge) on "
        f"one connection. Each response says which protocol the server saw. {_GRANIAN}",
    ),
    steps=tuple(_step(s, p) for s in SERVERS for p in PROTOCOLS),
    judge=judge,
    facts={
        **{
            f"{name}_{s}_{p}": f"{s} over {PROTOCOLS[p]}: {what}"
            for s in SERVERS
            for p in PROTOCOLS
            for name, what in (
                ("wall", f"seconds for the {REQUESTS} requests"),
                ("max_in_flight", "most requests handled at once"),
                ("latency_p50", "median client latency, seconds"),
                ("failed", "requests that failed"),
            )
        },
        **{f"http2_spoken_{s}": f"1 if {s} reported HTTP/2 for the HTTP/2 run" for s in SERVERS},
    },
    references=(
        Reference(
            "Hypercorn docs",
            "an ASGI and WSGI server supporting HTTP/1, HTTP/2, WebSockets and HTTP/3",
            "https://hypercorn.readthedocs.io/",
        ),
        Reference(
            "Granian docs",
            "a Rust HTTP server for Python applications: ASGI, RSGI and WSGI, HTTP/1 and HTTP/2",
            "https://github.com/emmett-framework/granian",
        ),
        Reference("Seed 002's list of servers", "uvicorn, hypercorn, daphne, granian"),
    ),
)
