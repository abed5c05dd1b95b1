"""Lesson 10: how many threads? Waiting work with 1 to 200 threads, then 10,000 coroutines."""

from __future__ import annotations

from collections.abc import Mapping

from experiments.lessons.base import Doc, Lesson, Reference, Step, Verdict, results, wall

TASKS, WAIT_MS = 400, 20
POOLS = (1, 5, 10, 50, 200)
COROUTINES, COROUTINE_WAIT_MS = 10_000, 200
#: Every Nth coroutine reads the RSS (each thread-pool task reads it).
COROUTINE_RSS_EVERY = 100

KIB, MIB = 1024, 1024 * 1024
LABELS = {w: f"{w} thread" if w == 1 else f"{w} threads" for w in POOLS}
AIO = f"{COROUTINES:,} coroutines"
#: More threads "still paid" past 50 when 200 threads were at least this much faster than 50.
STILL_PAYS = 1.2


def ideal(workers: int) -> float:
    """Seconds for TASKS waits of WAIT_MS with ``workers`` threads, if nothing else cost time."""
    return -(-TASKS // workers) * WAIT_MS / 1000


def peak_rss(doc: Doc) -> int:
    """Peak RSS of the process the tasks ran in (the lab's runner): the sampler's 10 Hz readings
    of it, and the readings the tasks took themselves at the end of their waits (a short run can
    fall between two samples)."""
    own = [int(r) for r in results(doc) if isinstance(r, int | float)]
    pids = {str(lane["pid"]) for lane in doc.get("lanes", ())}
    sampled = [
        int(v) for s in doc.get("samples", ()) for p, v in s["rss_bytes"].items() if p in pids
    ]
    return max([0, *sampled, *own])


def threads_used(doc: Doc) -> int:
    """Threads that ran at least one task (a pool reuses an idle thread rather than start one)."""
    return len(doc["lanes"]) or int(doc.get("workers") or 0)


def judge(runs: Mapping[str, Doc]) -> Verdict:
    walls = {w: wall(runs[LABELS[w]]) for w in POOLS}
    one = walls[1]
    facts: dict[str, float] = {}
    for w in POOLS:
        facts[f"wall_{w}"] = round(walls[w], 3)
    for w in POOLS[1:]:
        facts[f"speedup_{w}"] = round(one / walls[w], 2) if walls[w] else 0.0
    for w in (50, 200):
        facts[f"efficiency_{w}"] = round(ideal(w) / walls[w], 2) if walls[w] else 0.0
    many = runs[LABELS[200]]
    used = threads_used(many)
    facts["threads_used_200"] = float(used)

    base_rss = peak_rss(runs[LABELS[1]])
    extra_threads = max(1, used - threads_used(runs[LABELS[1]]))
    per_thread = (peak_rss(many) - base_rss) / extra_threads
    aio = runs[AIO]
    per_coroutine = (peak_rss(aio) - base_rss) / COROUTINES
    facts["rss_baseline_mib"] = round(base_rss / MIB, 1)
    facts["rss_per_thread_kib"] = round(per_thread / KIB, 1)
    facts["rss_per_coroutine_kib"] = round(per_coroutine / KIB, 2)
    aio_wall = wall(aio)
    facts["wall_coroutines"] = round(aio_wall, 3)
    facts["coroutines_in_waits"] = round(aio_wall / (COROUTINE_WAIT_MS / 1000), 2)

    times = ", ".join(f"{LABELS[w]} {walls[w]:.2f} s" for w in POOLS)
    ideals = " / ".join(f"{ideal(w):.2f}" for w in POOLS)
    parts = [f"{TASKS} waits of {WAIT_MS} ms: {times} (400/W × 20 ms would be {ideals} s)."]
    gain = walls[50] / walls[200] if walls[200] else 0.0
    if gain >= STILL_PAYS:
        spent = (walls[200] - ideal(200)) * 1000
        parts.append(
            f"The seeds' limit of 30–50 threads did not show: 200 threads ({used} of them "
            f"started) finished {gain:.1f}× sooner than 50, though at "
            f"{facts['efficiency_200']:.0%} of the ideal; with about {TASKS / max(used, 1):.0f} "
            f"waits per thread, {spent:.0f} ms went to starting threads and handling tasks "
            "rather than to waiting."
        )
    else:
        parts.append(
            f"Past 50 threads the time stopped improving ({walls[50]:.2f} s with 50, "
            f"{walls[200]:.2f} s with 200): here the cost of more threads ate the gain, as the "
            "seeds' 30–50 rule of thumb warns."
        )
    parts.append(
        f"{COROUTINES:,} coroutines each waiting {COROUTINE_WAIT_MS} ms took {aio_wall:.2f} s, "
        f"{facts['coroutines_in_waits']:.1f}× one wait; 200 threads would need "
        f"{COROUTINES // 200 * COROUTINE_WAIT_MS / 1000:.0f} s for them."
    )
    if per_thread > 0 and per_coroutine > 0:
        parts.append(
            f"Memory, roughly: {per_thread / KIB:.0f} KiB of RSS per extra thread and "
            f"{per_coroutine / KIB:.1f} KiB per coroutine (lab bookkeeping included), so a "
            f"thread cost about {per_thread / per_coroutine:.0f} coroutines."
        )
    else:
        parts.append(
            f"Memory: the peak RSS did not grow measurably ({per_thread / KIB:.0f} KiB per "
            f"thread, {per_coroutine / KIB:.1f} KiB per coroutine); the runs may have been too "
            "short for the sampler, or memory freed by earlier runs was reused."
        )
    # One line per finding (lesson pages keep the line breaks).
    return Verdict("\n".join(parts), facts)


def _step(w: int) -> Step:
    return Step(
        LABELS[w],
        "wait-rss",
        "threads",
        tasks=TASKS,
        workers=w,
        params={"ms": WAIT_MS, "rss_every": 1},
    )


LESSON = Lesson(
    id="how-many-threads",
    title="How many threads?",
    summary="Waiting work keeps speeding up with more threads, well past 50; coroutines go further.",
    explanation=(
        "While a thread waits it needs neither a core nor the GIL, so W threads can wait W times "
        "at once: 400 waits of 20 ms take about 400/W × 20 ms. The runs here go from 1 thread to "
        "200 to see where that stops being true. A rule of thumb in the seeds says overhead "
        "becomes significant after 30 to 50 threads; the verdict checks it against the clock.",
        "Each thread has a cost: the operating system reserves a stack for it (8 MiB of address "
        "space by default on Linux, of which only the touched pages use memory) and the pool "
        "takes time to start it. A coroutine is a small Python object waiting in the event loop's "
        "lists, so 10,000 of them can wait at once in one thread.",
        "Memory is estimated from the peak resident set size (RSS) of the process the tasks ran "
        "in, sampled ten "
        "times a second and also read by the tasks at the end of their waits: per thread, the "
        "peak with 200 threads minus the peak with one, divided by the extra threads the pool "
        "started; per coroutine, the peak with 10,000 coroutines minus that same baseline, divided "
        "by 10,000. These are approximations: the allocator keeps freed memory for reuse, and the "
        "coroutine figure includes the lab's own record of each task.",
    ),
    steps=(
        *(_step(w) for w in POOLS),
        Step(
            AIO,
            "wait-rss",
            "asyncio",
            tasks=COROUTINES,
            params={"ms": COROUTINE_WAIT_MS, "rss_every": COROUTINE_RSS_EVERY},
        ),
    ),
    judge=judge,
    facts={
        **{
            f"wall_{w}": f"seconds for {TASKS} waits of {WAIT_MS} ms with {LABELS[w]}"
            for w in POOLS
        },
        **{f"speedup_{w}": f"1 thread's wall time / {LABELS[w]}' wall time" for w in POOLS[1:]},
        "efficiency_50": "ideal time (400/50 × 20 ms) / measured time with 50 threads",
        "efficiency_200": "ideal time (400/200 × 20 ms) / measured time with 200 threads",
        "threads_used_200": "threads the 200-thread pool really started (it reuses idle ones)",
        "rss_baseline_mib": "peak RSS of the tasks' process with 1 thread, MiB",
        "rss_per_thread_kib": "(peak RSS with 200 threads - with 1) / extra threads used, KiB",
        "rss_per_coroutine_kib": "(peak RSS with 10,000 coroutines - with 1 thread) / 10,000, KiB",
        "wall_coroutines": "seconds for 10,000 coroutines each waiting 200 ms",
        "coroutines_in_waits": "the coroutines' wall time in units of one 200 ms wait",
    },
    references=(
        Reference(
            "The seeds, “Real-World Performance”",
            "threaded programs typically have at most 30–50 threads before overhead becomes "
            "significant; asyncio handles thousands of concurrent operations",
        ),
        Reference(
            "Python docs, concurrent.futures.ThreadPoolExecutor",
            "default max_workers is min(32, os.cpu_count() + 4); idle threads are reused before "
            "new ones are started",
            "https://docs.python.org/3/library/concurrent.futures.html#threadpoolexecutor",
        ),
    ),
)
