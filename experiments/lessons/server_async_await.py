"""Server lab S3: ``async def`` endpoints that await let one thread wait for 100 requests at once."""

from __future__ import annotations

from collections.abc import Mapping

from experiments.lessons.base import Doc, Lesson, Reference, Step, Verdict, metric, wall

REQUESTS, SLEEP_MS = 100, 1000
LABEL = "async def + await asyncio.sleep(1)"
#: "About one wait" when the run took at most this many seconds per second of sleep.
ONE_WAIT = 1.6


def judge(runs: Mapping[str, Doc]) -> Verdict:
    doc = runs[LABEL]
    one = SLEEP_MS / 1000
    facts = {
        "wall": round(wall(doc), 3),
        "max_in_flight": metric(doc, "max_in_flight"),
        "lanes": float(len(doc["lanes"])),
        "latency_p50": round(metric(doc, "latency_p50_s"), 3),
        "latency_max": round(metric(doc, "latency_max_s"), 3),
        "avg_parallelism": round(metric(doc, "avg_parallelism"), 3),
    }
    lanes = "1 thread (its event loop)" if facts["lanes"] == 1 else f"{facts['lanes']:.0f} lanes"
    text = (
        f"{REQUESTS} requests awaiting asyncio.sleep({one:g}) took {facts['wall']:.2f} s on one "
        f"uvicorn worker, with up to {facts['max_in_flight']:.0f} in flight on {lanes}; "
        f"median latency {facts['latency_p50']:.2f} s."
    )
    if facts["wall"] <= ONE_WAIT * one and facts["max_in_flight"] >= REQUESTS * 0.9:
        text += (
            " About one wait for all of them: each request gave the loop back at its await, and "
            f"the loop was busy only {facts['avg_parallelism']:.1%} of the time."
        )
    elif facts["max_in_flight"] >= REQUESTS * 0.9:
        text += (
            f" More than one wait ({ONE_WAIT * one:g} s expected at most), though they all waited "
            "together: the client or the machine was slower than the server this time."
        )
    else:
        text += (
            f" Not one wait for all of them: the requests did not all wait together (at most "
            f"{facts['max_in_flight']:.0f} in flight at once, not {REQUESTS}); see the chart."
        )
    return Verdict(text, facts)


LESSON = Lesson(
    id="server-async-await",
    title="Server: async def that awaits",
    summary="100 requests awaiting asyncio.sleep(1) finish in about one second, on one thread.",
    explanation=(
        "An async def endpoint that awaits something, a sleep, a database query with an async "
        "driver, an HTTP call with httpx, gives the event loop back while it waits. One thread "
        "can then hold any number of waiting requests, with no pool and no limit of 40.",
        f"Here {REQUESTS} clients call an endpoint that awaits asyncio.sleep(1), on uvicorn with "
        "one worker. All bars sit on one lane, the worker's event loop, and overlap: they are in "
        "flight together, while almost none of the time is spent executing.",
    ),
    steps=(
        Step(
            LABEL,
            "io",
            "server",
            tasks=REQUESTS,
            workers=1,
            params={"ms": SLEEP_MS},
            server={"setup": "uvicorn", "endpoint": "async"},
        ),
    ),
    judge=judge,
    facts={
        "wall": f"seconds for {REQUESTS} requests",
        "max_in_flight": "most requests being handled at one instant",
        "lanes": "server threads that handled requests",
        "latency_p50": "median client latency, seconds",
        "latency_max": "slowest client latency, seconds",
        "avg_parallelism": "average number of requests executing (not waiting) at once",
    },
    references=(
        Reference(
            "FastAPI docs, “Concurrency and async / await”",
            "with async def and await, the server can handle other requests while one waits",
            "https://fastapi.tiangolo.com/async/",
        ),
    ),
)
