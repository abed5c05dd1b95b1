"""Server lab S5: gunicorn's sync workers serve a WSGI app one request at a time per worker."""

from __future__ import annotations

import math
from collections.abc import Mapping

from experiments.lessons.base import Doc, Lesson, Reference, Step, Verdict, metric, wall
from experiments.lessons.serverlab import spread

REQUESTS, WORKERS, SLEEP_MS = 8, 4, 1000
LABEL = f"gunicorn -w {WORKERS}, sync workers (WSGI)"
CLOSE = 1.35


def judge(runs: Mapping[str, Doc]) -> Verdict:
    doc = runs[LABEL]
    one = SLEEP_MS / 1000
    expected = math.ceil(REQUESTS / WORKERS) * one
    facts = {
        "wall": round(wall(doc), 3),
        "expected": expected,
        "max_in_flight": metric(doc, "max_in_flight"),
        "workers_used": float(len(doc["lanes"])),
        "latency_max": round(metric(doc, "latency_max_s"), 3),
    }
    text = (
        f"{REQUESTS} requests of {one:g} s to {WORKERS} sync workers took {facts['wall']:.2f} s, "
        f"with at most {facts['max_in_flight']:.0f} in flight; requests per worker: "
        f"{spread(doc)}."
    )
    if facts["max_in_flight"] <= WORKERS and facts["wall"] <= CLOSE * expected:
        text += (
            f" One request at a time per worker: {WORKERS} workers, {REQUESTS // WORKERS} rounds, "
            f"about {expected:g} s. A sync worker is a process with one thread; while its "
            "request sleeps, nothing else runs in it."
        )
    else:
        text += f" Expected about {expected:g} s at {WORKERS} at a time; see the chart for what differed."
    return Verdict(text, facts)


LESSON = Lesson(
    id="server-gunicorn-sync",
    title="Server: gunicorn sync workers (WSGI)",
    summary="WSGI under gunicorn's sync workers: one request per worker at a time, 8 requests on 4 workers take 2 s.",
    explanation=(
        "WSGI is the older, synchronous interface between Python web apps and servers (Flask and "
        "Django were built on it). Gunicorn's default sync worker is a process that handles one "
        "request from start to finish before it accepts the next: concurrency equals the number "
        "of workers.",
        f"Here the lab's WSGI app runs under gunicorn with {WORKERS} sync workers, and "
        f"{REQUESTS} clients call an endpoint that sleeps one second. Each lane is a worker "
        "process: two requests each, one after the other.",
        "ASGI servers (uvicorn, hypercorn) can keep many requests in flight per worker, which "
        "matters when requests mostly wait.",
    ),
    steps=(
        Step(
            LABEL,
            "io",
            "server",
            tasks=REQUESTS,
            workers=WORKERS,
            params={"ms": SLEEP_MS},
            server={"setup": "gunicorn-sync", "endpoint": "sync"},
        ),
    ),
    judge=judge,
    facts={
        "wall": f"seconds for {REQUESTS} requests",
        "expected": f"ceil({REQUESTS}/{WORKERS}) × 1 s",
        "max_in_flight": "most requests handled at one instant",
        "workers_used": "worker processes that answered requests",
        "latency_max": "slowest client latency, seconds",
    },
    references=(
        Reference(
            "Gunicorn docs, “Design”: sync workers",
            "the default synchronous workers handle a single request at a time",
            "https://docs.gunicorn.org/en/stable/design.html",
        ),
    ),
)
