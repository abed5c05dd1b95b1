"""Server lab S6: kill -9 a worker mid-load; uvicorn's and gunicorn's supervisors both replace it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from experiments.lessons.base import Doc, Lesson, Reference, Step, Verdict
from experiments.lessons.serverlab import failed, info, served

# The load (144 requests, 8 at a time, 500 ms each: about 9 s) outlasts the slowest replacement
# uvicorn makes. Its manager notices a dead worker within 0.5 s, unless the kill lands while a
# health-check ping to that worker is unanswered: then it waits out the ping's timeout (5 s) first.
# Seconds of load then remain for the new worker to take its share of.
REQUESTS, SLEEP_MS, IN_FLIGHT, KILL_AT_MS = 144, 500, 8, 1000
#: uvicorn's default --timeout-worker-healthcheck, in seconds.
UVICORN_PING_TIMEOUT_S = 5
#: A uvicorn replacement slower than this waited for an unanswered ping (it is 0.3-1 s otherwise).
SLOW_UVICORN_S = 2.5
UVICORN, GUNICORN = "uvicorn --workers 2", "gunicorn -w 2 (Uvicorn workers)"
KEYS = {UVICORN: "uvicorn", GUNICORN: "gunicorn"}
#: A replacement "within seconds": its app was ready this soon after the kill.
SOON_S = 10.0


def restart(doc: Doc) -> dict[str, Any]:
    """The kill, the first worker that became ready after it, and what that worker served."""
    i = info(doc)
    kills = i.get("kills") or []
    if not kills:
        return {"killed": None, "new": None, "after_s": None, "served_by_new": 0}
    kill = kills[0]
    later = [w for w in i.get("workers_ready", []) if w["t_s"] > kill["t_s"]]
    new = later[0] if later else None
    return {
        "killed": kill["pid"],
        "kill_t_s": kill["t_s"],
        "new": new["pid"] if new else None,
        "after_s": round(new["t_s"] - kill["t_s"], 3) if new else None,
        "served_by_new": served(doc).get(new["pid"], 0) if new else 0,
    }


def judge(runs: Mapping[str, Doc]) -> Verdict:
    facts: dict[str, float] = {}
    parts, replaced = [], 0
    for label, key in KEYS.items():
        doc, r = runs[label], restart(runs[label])
        facts[f"failed_{key}"] = float(failed(doc))
        facts[f"served_by_new_{key}"] = float(r["served_by_new"])
        facts[f"restart_s_{key}"] = float(r["after_s"] if r["after_s"] is not None else -1)
        if r["killed"] is None:
            parts.append(f"{label}: no worker was killed (the load ended first?)")
        elif r["new"] is None:
            parts.append(
                f"{label}: worker pid {r['killed']} was killed at {r['kill_t_s']:.1f} s and no "
                f"new worker appeared before the load ended; {failed(doc)} requests failed"
            )
        else:
            ok = r["after_s"] <= SOON_S
            replaced += ok
            parts.append(
                f"{label}: worker pid {r['killed']} killed at {r['kill_t_s']:.1f} s, new worker "
                f"pid {r['new']} ready {r['after_s']:.2f} s later and serving "
                f"{r['served_by_new']} requests; {failed(doc)} requests failed"
            )
            if key == "uvicorn" and r["after_s"] > SLOW_UVICORN_S:
                parts[-1] += (
                    f". That replacement was slow: uvicorn's manager pings each worker over a "
                    f"pipe every 0.5 s and waits up to {UVICORN_PING_TIMEOUT_S} s for the answer "
                    "(--timeout-worker-healthcheck). This kill landed while a ping was "
                    "unanswered, so the dead worker was noticed only when that wait ran out"
                )
    text = ".\n".join(parts) + ".\n"
    if replaced == 2:
        text += (
            "Both supervisors replaced the dead worker within seconds. The requests that "
            "failed (red) were the ones the killed worker was handling: its open connections "
            "died with it. Uvicorn has restarted dead workers since version 0.30, so the claim "
            "that only gunicorn can supervise workers is out of date."
        )
    else:
        text += (
            f"Not every supervisor replaced its worker within {SOON_S:g} s in this run; see the "
            "lanes above."
        )
    return Verdict(text, facts)


def _step(label: str, setup: str) -> Step:
    return Step(
        label,
        "io",
        "server",
        tasks=REQUESTS,
        workers=2,
        params={"ms": SLEEP_MS},
        server={
            "setup": setup,
            "endpoint": "async",
            "concurrency": IN_FLIGHT,
            "kill_at_ms": KILL_AT_MS,
        },
    )


LESSON = Lesson(
    id="server-restart",
    title="Server: a worker dies, the supervisor replaces it",
    summary="kill -9 a worker mid-load: uvicorn --workers and gunicorn both start a new one.",
    explanation=(
        "A worker process can die: a segfault in a C extension, the kernel's out-of-memory "
        "killer, a bug. A process manager notices and starts a replacement. Gunicorn's master has "
        "always done this. Uvicorn's --workers mode got a new multiprocess manager in version "
        "0.30 that does the same, so older advice that uvicorn needs gunicorn for this no longer "
        "holds.",
        f"Here {REQUESTS} requests of {SLEEP_MS} ms go {IN_FLIGHT} at a time to two workers. "
        f"{KILL_AT_MS / 1000:g} s in, the lab sends SIGKILL to the worker with the most requests "
        "in flight. Watch its lane stop, its requests turn red, and a new lane appear when the "
        "replacement starts serving.",
        "Gunicorn's master hears of a death at once (the kernel sends it SIGCHLD). Uvicorn's "
        "manager looks every half second and pings each worker over a pipe; if the kill lands "
        "while a ping is unanswered, it waits for that ping to time out (5 s by default) before "
        "it starts the replacement.",
    ),
    steps=(_step(UVICORN, "uvicorn"), _step(GUNICORN, "gunicorn")),
    judge=judge,
    facts={
        **{f"failed_{k}": f"requests that failed, {label}" for label, k in KEYS.items()},
        **{
            f"restart_s_{k}": f"seconds from the kill to the new worker's app being ready, {label} (-1: none)"
            for label, k in KEYS.items()
        },
        **{
            f"served_by_new_{k}": f"requests the new worker answered, {label}"
            for label, k in KEYS.items()
        },
    },
    references=(
        Reference(
            "Uvicorn 0.30.0 release notes (2024)",
            "a new multiprocess manager: dead worker processes are restarted (SIGHUP restarts "
            "all, SIGTTIN/SIGTTOU add and remove workers)",
            "https://github.com/encode/uvicorn/releases/tag/0.30.0",
        ),
        Reference(
            "Gunicorn docs, “Design”",
            "the master process manages the workers, restarting them when they die",
            "https://docs.gunicorn.org/en/stable/design.html",
        ),
    ),
)
