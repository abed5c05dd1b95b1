"""Server lab S4: CPU-bound endpoints need worker processes; each worker costs its own memory."""

from __future__ import annotations

from collections.abc import Mapping

from experiments.lessons.base import Doc, Lesson, Ratio, Reference, Step, Verdict
from experiments.lessons.serverlab import MIB, spread, throughput, workers_rss_peak

REQUESTS, CPU_MS, IN_FLIGHT = 32, 100, 8
ONE, UVICORN_2, GUNICORN_2 = (
    "uvicorn, 1 worker",
    "uvicorn --workers 2",
    "gunicorn -w 2 (Uvicorn workers)",
)
#: Two workers "doubled" throughput when at least this much higher than one (2 cores, shared
#: with the lab and its load generator).
DOUBLED = 1.5


def judge(runs: Mapping[str, Doc]) -> Verdict:
    base = throughput(runs[ONE])
    base_rss = workers_rss_peak(runs[ONE])
    facts: dict[str, float] = {}
    for label, key in ((ONE, "1"), (UVICORN_2, "uvicorn_2"), (GUNICORN_2, "gunicorn_2")):
        doc = runs[label]
        facts[f"throughput_{key}"] = round(throughput(doc), 2)
        facts[f"rss_mib_{key}"] = round(workers_rss_peak(doc) / MIB, 1)
        if key != "1":
            facts[f"speedup_{key}"] = round(throughput(doc) / base, 2) if base else 0.0
            facts[f"rss_ratio_{key}"] = (
                round(workers_rss_peak(doc) / base_rss, 2) if base_rss else 0.0
            )
    text = (
        f"{REQUESTS} requests of {CPU_MS} ms of computing, {IN_FLIGHT} in flight: one worker "
        f"answered {facts['throughput_1']:.1f} requests/s; uvicorn --workers 2 "
        f"{facts['throughput_uvicorn_2']:.1f}/s ({facts['speedup_uvicorn_2']:.2f}×, requests per "
        f"worker {spread(runs[UVICORN_2])}); gunicorn with two Uvicorn workers "
        f"{facts['throughput_gunicorn_2']:.1f}/s ({facts['speedup_gunicorn_2']:.2f}×, "
        f"{spread(runs[GUNICORN_2])})."
    )
    doubled = [k for k in ("uvicorn_2", "gunicorn_2") if facts[f"speedup_{k}"] >= DOUBLED]
    if len(doubled) == 2:
        gains = sorted((facts["speedup_uvicorn_2"], facts["speedup_gunicorn_2"]))
        text += (
            f" Two workers raised CPU throughput {gains[0]:.2f}–{gains[1]:.2f}×: each is a process "
            "with its own interpreter and GIL, so two requests really computed at once on the two "
            "cores (which they share with the lab and its load generator, hence short of 2×)."
        )
    else:
        text += (
            f" Two workers did not reach {DOUBLED}× every time. An asyncio worker accepts every "
            "connection waiting when it wakes up, so one worker can take more than its share "
            "while the other idles: look at the requests per worker."
        )
    text += (
        f" Memory of the app's processes: {facts['rss_mib_1']:.0f} MiB with one worker, "
        f"{facts['rss_mib_uvicorn_2']:.0f} and {facts['rss_mib_gunicorn_2']:.0f} MiB with two "
        f"({facts['rss_ratio_uvicorn_2']:.2f}× and {facts['rss_ratio_gunicorn_2']:.2f}×)"
    )
    if min(facts["rss_ratio_uvicorn_2"], facts["rss_ratio_gunicorn_2"]) >= DOUBLED:
        text += ": every worker loads its own copy of the app."
    else:
        text += (
            f": below {DOUBLED}× at least once, so this run did not show the cost of a copy per "
            "worker clearly; see the memory line."
        )
    return Verdict(text, facts)


def _step(label: str, setup: str, workers: int) -> Step:
    return Step(
        label,
        "cpu",
        "server",
        tasks=REQUESTS,
        workers=workers,
        params={"ms": CPU_MS},
        server={"setup": setup, "endpoint": "async", "concurrency": IN_FLIGHT},
    )


LESSON = Lesson(
    id="server-workers",
    title="Server: workers for CPU-bound endpoints",
    summary="Two worker processes double CPU throughput on two cores, and double the memory.",
    explanation=(
        "An endpoint that computes holds its worker's GIL (and, as async def, its event loop) for "
        "as long as it computes. No number of threads or awaits helps: one worker process "
        "computes one request at a time. The way to use more cores is more worker processes, "
        "which uvicorn --workers N or gunicorn with Uvicorn workers start and supervise.",
        f"Here {REQUESTS} requests, each computing for {CPU_MS} ms, are sent {IN_FLIGHT} at a "
        "time to one worker, then to two uvicorn workers, then to two gunicorn-managed Uvicorn "
        "workers. Each lane is a worker's event loop; watch the second lane fill. The memory figures "
        "show the price: each worker is a whole copy of the application.",
        "The usual starting point is one worker per core. More workers than cores only add "
        "memory and switching for CPU-bound work.",
    ),
    steps=(
        _step(ONE, "uvicorn", 1),
        _step(UVICORN_2, "uvicorn", 2),
        _step(GUNICORN_2, "gunicorn", 2),
    ),
    judge=judge,
    ratios=(
        Ratio("speedup_uvicorn_2", ONE, UVICORN_2, "a second worker"),
        Ratio("speedup_gunicorn_2", ONE, GUNICORN_2, "a second worker"),
    ),
    facts={
        "throughput_1": "requests per second, one uvicorn worker",
        "throughput_uvicorn_2": "requests per second, uvicorn --workers 2",
        "throughput_gunicorn_2": "requests per second, gunicorn -w 2 with Uvicorn workers",
        "speedup_uvicorn_2": "throughput with uvicorn --workers 2 / with one worker",
        "speedup_gunicorn_2": "throughput with gunicorn -w 2 / with one worker",
        "rss_mib_1": "peak RSS of the app's worker processes, one worker, MiB",
        "rss_mib_uvicorn_2": "peak RSS of the app's worker processes, uvicorn --workers 2, MiB",
        "rss_mib_gunicorn_2": "peak RSS of the app's worker processes, gunicorn -w 2, MiB",
        "rss_ratio_uvicorn_2": "worker RSS with uvicorn --workers 2 / with one worker",
        "rss_ratio_gunicorn_2": "worker RSS with gunicorn -w 2 / with one worker",
    },
    references=(
        Reference(
            "The seeds on Uvicorn and Gunicorn workers",
            "one worker process per core for CPU-bound work; each worker holds its own copy of "
            "the application in memory",
        ),
        Reference(
            "Uvicorn docs, “Deployment”",
            "--workers N runs several worker processes; uvicorn_worker.UvicornWorker runs them "
            "under gunicorn",
            "https://www.uvicorn.org/deployment/",
        ),
    ),
)
