"""Server lab S2: plain ``def`` endpoints run in AnyIO's thread pool, 40 at a time by default."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from experiments.lessons.base import Doc, Lesson, Reference, Step, Verdict, metric, wall

REQUESTS, SLEEP_MS = 100, 1000
TOKENS = (40, 100)
LABELS = {n: f"def endpoint, {n} threads" for n in TOKENS}
#: The run matches "ceil(requests / threads) waves" when its time is within this factor of it.
CLOSE = 1.35


def waves(tokens: int, requests: int = REQUESTS) -> int:
    return math.ceil(requests / tokens)


def threads_used(doc: Doc) -> int:
    return sum(1 for lane in doc["lanes"] if lane["kind"] == "thread")


#: A request "queued" when it waited at least this long between being sent and being handled.
QUEUED_S = 0.1


def queue_times(doc: Doc) -> list[float]:
    """Per request, how long it waited between being sent and a worker thread taking it (the
    task's ``[submitted_s, start_s]``); empty for runs recorded before that was."""
    tasks: list[Mapping[str, Any]] = list(doc["tasks"])
    return [t["start_s"] - t["submitted_s"] for t in tasks if t.get("submitted_s") is not None]


def judge(runs: Mapping[str, Doc]) -> Verdict:
    one = SLEEP_MS / 1000
    facts: dict[str, float] = {}
    parts = []
    for n in TOKENS:
        doc = runs[LABELS[n]]
        facts[f"wall_{n}"] = round(wall(doc), 3)
        facts[f"max_in_flight_{n}"] = metric(doc, "max_in_flight")
        facts[f"threads_used_{n}"] = float(threads_used(doc))
        facts[f"expected_{n}"] = waves(n) * one
        queued = [q for q in queue_times(doc) if q >= QUEUED_S]
        if queue_times(doc):
            facts[f"queued_{n}"] = float(len(queued))
            facts[f"queued_max_s_{n}"] = round(max(queued, default=0.0), 3)
        parts.append(
            f"with {n} threads {facts[f'wall_{n}']:.2f} s, at most "
            f"{facts[f'max_in_flight_{n}']:.0f} at a time on {facts[f'threads_used_{n}']:.0f} "
            f"threads ({waves(n)} wave{'s' if waves(n) != 1 else ''} of {one:g} s expected)"
        )
    text = f"{REQUESTS} requests to a def endpoint that sleeps {one:g} s: " + "; ".join(parts) + "."
    small, big = TOKENS
    capped = facts[f"max_in_flight_{small}"] <= small
    if capped and facts[f"wall_{small}"] <= CLOSE * facts[f"expected_{small}"]:
        text += (
            f" The default pool of {small} threads is the limit: requests wait in line for a "
            f"free thread, {small} at a time, in {waves(small)} waves."
        )
    else:
        text += (
            f" The default pool did not show as a clean limit of {small} this time; the chart "
            "shows how the requests were actually spread."
        )
    if f"queued_{small}" in facts:
        text += (
            f" The chart by task shows the line: with {small} threads, "
            f"{facts[f'queued_{small}']:.0f} of the {REQUESTS} requests waited for a thread "
            f"before being handled (up to {facts[f'queued_max_s_{small}']:.2f} s), with {big}, "
            f"{facts[f'queued_{big}']:.0f}."
        )
    if capped and facts[f"wall_{big}"] < facts[f"wall_{small}"]:
        text += (
            f" With {big} tokens up to {facts[f'max_in_flight_{big}']:.0f} requests had a thread "
            f"at once and finished in "
            f"{facts[f'wall_{big}']:.2f} s: the pool size, not the sleep, set the time. More "
            "threads cost memory and GIL switches, so raise it for waiting work only."
        )
    return Verdict(text, facts)


LESSON = Lesson(
    id="server-threadpool",
    title="Server: def endpoints use a thread pool",
    summary="A plain def endpoint runs in a thread pool of 40: 100 one-second requests take 3 s.",
    explanation=(
        "When an endpoint is declared with plain def, FastAPI (through Starlette) does not run it "
        "on the event loop: it hands it to AnyIO's worker threads, so a blocking call only blocks "
        "that thread. The pool is limited by a capacity limiter of 40 tokens by default: the 41st "
        "request waits until one of the first 40 finishes.",
        f"Here {REQUESTS} clients call a def endpoint that sleeps one second, on one uvicorn "
        "worker. Each lane is one thread of the server: watch three waves of 40, 40 and 20. Then "
        "the same load runs with the limiter raised to 100 tokens (the app sets "
        "anyio.to_thread.current_default_thread_limiter().total_tokens at start-up).",
    ),
    steps=tuple(
        Step(
            LABELS[n],
            "io",
            "server",
            tasks=REQUESTS,
            workers=1,
            params={"ms": SLEEP_MS},
            server={"setup": "uvicorn", "endpoint": "sync", "threads": n},
        )
        for n in TOKENS
    ),
    judge=judge,
    facts={
        "queued_40": "requests that waited 0.1 s or more for one of 40 threads",
        "queued_max_s_40": "the longest such wait, 40 threads (s)",
        "queued_100": "requests that waited 0.1 s or more for one of 100 threads",
        "queued_max_s_100": "the longest such wait, 100 threads (s)",
        **{f"wall_{n}": f"seconds for {REQUESTS} requests with {n} threads" for n in TOKENS},
        **{f"max_in_flight_{n}": f"most requests handled at once with {n} threads" for n in TOKENS},
        **{
            f"threads_used_{n}": f"server threads that handled requests, {n} tokens" for n in TOKENS
        },
        **{f"expected_{n}": f"ceil({REQUESTS}/{n}) × 1 s, seconds" for n in TOKENS},
    },
    references=(
        Reference(
            "Starlette docs, “Thread Pool”",
            "sync endpoints and background tasks run in AnyIO's thread pool, limited to 40 "
            "threads by default; the limit can be changed on the default limiter",
            "https://www.starlette.io/threadpool/",
        ),
        Reference(
            "AnyIO docs, “Working with threads”",
            "the default capacity limiter of to_thread.run_sync has 40 tokens",
            "https://anyio.readthedocs.io/en/stable/threads.html",
        ),
    ),
)
