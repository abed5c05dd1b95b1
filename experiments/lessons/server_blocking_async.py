"""Server lab S1: a blocking call inside ``async def`` serialises every request on the worker."""

from __future__ import annotations

from collections.abc import Mapping

from experiments.lessons.base import Doc, Lesson, Ratio, Reference, Step, Verdict, metric, wall

REQUESTS, SLEEP_MS = 10, 1000
BLOCKING, AWAITING = "async def + time.sleep(1)", "async def + await asyncio.sleep(1)"
#: "Serialised" when the blocking run took at least this share of REQUESTS x 1 s.
SERIAL = 0.8


def judge(runs: Mapping[str, Doc]) -> Verdict:
    blocking, awaiting = runs[BLOCKING], runs[AWAITING]
    one = SLEEP_MS / 1000
    facts = {
        "wall_blocking": round(wall(blocking), 3),
        "wall_awaiting": round(wall(awaiting), 3),
        "max_in_flight_blocking": metric(blocking, "max_in_flight"),
        "max_in_flight_awaiting": metric(awaiting, "max_in_flight"),
        "latency_p50_blocking": round(metric(blocking, "latency_p50_s"), 3),
        "latency_max_blocking": round(metric(blocking, "latency_max_s"), 3),
        "latency_max_awaiting": round(metric(awaiting, "latency_max_s"), 3),
        "slowdown": round(wall(blocking) / wall(awaiting), 2) if wall(awaiting) else 0.0,
    }
    text = (
        f"{REQUESTS} requests sent at once to one uvicorn worker. With time.sleep(1) inside "
        f"async def they took {facts['wall_blocking']:.1f} s, with at most "
        f"{facts['max_in_flight_blocking']:.0f} being handled at a time; the last client waited "
        f"{facts['latency_max_blocking']:.1f} s for an answer that needs {one:g} s."
    )
    if facts["wall_blocking"] >= SERIAL * REQUESTS * one and facts["max_in_flight_blocking"] <= 1:
        text += (
            " Fully serialised: the sleeping handler held the event loop, so the worker could not "
            "even accept the next request until it returned."
        )
    else:
        text += (
            f" That is less serial than expected (about {REQUESTS * one:g} s, one at a time): "
            "check the chart for requests that overlapped."
        )
    text += (
        f" Awaiting asyncio.sleep(1) instead, the same requests took "
        f"{facts['wall_awaiting']:.2f} s with up to {facts['max_in_flight_awaiting']:.0f} in flight"
    )
    if facts["slowdown"] > 1:
        text += f": {facts['slowdown']:.1f}× faster, from changing one line."
    else:
        text += ": no faster than the blocking version this time."
    return Verdict(text, facts)


def _step(label: str, endpoint: str) -> Step:
    return Step(
        label,
        "io",
        "server",
        tasks=REQUESTS,
        workers=1,
        params={"ms": SLEEP_MS},
        server={"setup": "uvicorn", "endpoint": endpoint},
    )


LESSON = Lesson(
    id="server-blocking-async",
    title="Server: a blocking call in async def",
    summary="time.sleep inside async def makes ten requests wait for each other: about 10 s.",
    explanation=(
        "FastAPI runs an async def endpoint on the worker's event loop, trusting it to give the loop "
        "back at every await. A blocking call such as time.sleep, requests.get or a synchronous "
        "database driver never does: while it runs, the loop can neither start other requests nor "
        "finish them, not even accept a connection.",
        f"Here {REQUESTS} clients call such an endpoint at the same moment, on uvicorn with one "
        "worker. Each bar is one request, drawn where the server handled it: watch them line up "
        "one after another on the event loop. Then the same endpoint awaits asyncio.sleep(1) "
        "instead, and all of them wait together.",
        "The fix is either to await a non-blocking version of the call, or to declare the endpoint "
        "with plain def, so that FastAPI runs it in its thread pool (the next lesson).",
    ),
    steps=(_step(BLOCKING, "async-blocking"), _step(AWAITING, "async")),
    judge=judge,
    ratios=(Ratio("slowdown", BLOCKING, AWAITING, "the blocking call"),),
    facts={
        "wall_blocking": f"seconds for {REQUESTS} requests, async def calling time.sleep(1)",
        "wall_awaiting": f"seconds for {REQUESTS} requests, async def awaiting asyncio.sleep(1)",
        "max_in_flight_blocking": "most requests being handled at one instant, blocking",
        "max_in_flight_awaiting": "most requests being handled at one instant, awaiting",
        "latency_p50_blocking": "median client latency, blocking, seconds",
        "latency_max_blocking": "slowest client latency, blocking, seconds",
        "latency_max_awaiting": "slowest client latency, awaiting, seconds",
        "slowdown": "blocking wall time / awaiting wall time",
    },
    references=(
        Reference(
            "FastAPI docs, “Concurrency and async / await”",
            "use async def only with libraries you can await; a blocking call in it stops the "
            "whole event loop, plain def endpoints run in a thread pool",
            "https://fastapi.tiangolo.com/async/",
        ),
    ),
)
