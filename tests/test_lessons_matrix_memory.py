"""Lessons 4, 7, 10, 11 and 12: the decision matrix, the convoy effect, how many threads, memory per
worker process, start methods.

Each verdict is checked on hand-made documents, with the expected effect and without it (the verdict
must then say what was measured), the lesson-only workloads are checked on their own, and the
lessons run end to end against a real server.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from typing import Any

import psutil
import pytest

import experiments
from experiments import convoy as convoy_workload
from experiments import memory
from experiments.lessons import LESSONS, decision_matrix, how_many_threads, start_methods
from experiments.lessons import convoy as cv
from experiments.lessons import memory_per_process as mpp
from tests.lessons_util import doc
from tests.support import Lab, LabClient, alive, measured_until, our_children

MIB = 1024 * 1024
IDS = ("decision-matrix", "convoy", "how-many-threads", "memory-per-process", "start-methods")


def test_the_five_lessons_are_registered_with_explanations_and_references() -> None:
    for lid in IDS:
        lesson = LESSONS[lid]
        assert 2 <= len(lesson.explanation) <= 3 and lesson.references, lid
    visible = {w.id for w in experiments.visible()}
    for w in ("convoy", "hold-memory", "wait-rss"):
        assert experiments.get(w).hidden and w not in visible  # lesson-only helpers


# --- decision-matrix ----------------------------------------------------------------------------

DM_EXPECTED = {
    decision_matrix.CPU_SEQ: 0.82,
    decision_matrix.CPU_THR: 0.84,
    decision_matrix.CPU_PRC: 0.45,
    decision_matrix.CPU_AIO: 0.83,
    decision_matrix.FAST_SEQ: 0.21,
    decision_matrix.FAST_THR: 0.015,
    decision_matrix.FAST_AIO: 0.011,
    decision_matrix.SLOW_THR: 6.4,
    decision_matrix.SLOW_AIO: 0.22,
}


def test_decision_matrix_when_every_row_matches() -> None:
    v = decision_matrix.judge({k: doc(k, wall=w) for k, w in DM_EXPECTED.items()})
    f = v.facts
    assert f["cpu_margin"] == pytest.approx(1.82, abs=0.01)
    assert f["fast_io_threads_share_of_gain"] == pytest.approx(0.98, abs=0.01)
    assert f["slow_io_asyncio_advantage"] == pytest.approx(29.09, abs=0.01)
    assert f["rows_matching_matrix"] == 3
    assert "2 processes won, 1.82× faster than sequential" in v.text
    assert "asyncio won, 1.36× faster than 20 threads" in v.text  # the winner, even so
    assert "threads are enough" in v.text and "agree with the matrix in 3 of 3 rows" in v.text
    assert set(f) == set(LESSONS["decision-matrix"].facts)


def test_decision_matrix_says_what_was_measured_when_no_row_matches() -> None:
    walls = dict(DM_EXPECTED)
    walls[decision_matrix.CPU_PRC] = 0.95  # processes lost (a busy machine)
    walls[decision_matrix.FAST_THR] = 0.16  # threads slow to start
    walls[decision_matrix.SLOW_AIO] = 6.6  # something blocked the loop
    v = decision_matrix.judge({k: doc(k, wall=w) for k, w in walls.items()})
    assert v.facts["rows_matching_matrix"] == 0
    assert "sequential won, 1.01× faster than asyncio" in v.text
    assert "did not this time" in v.text
    assert "20 threads got 25% of the time" in v.text and "less than the 90%" in v.text
    assert "32 threads won, 1.03× faster than asyncio" in v.text and "it did not" in v.text
    assert "0 of 3 rows" in v.text


# --- how-many-threads ---------------------------------------------------------------------------


def hm_doc(wall: float, rss: int, threads: int, own: list[int] | None = None) -> dict[str, Any]:
    """A run whose sampler saw a peak of ``rss`` bytes in the tasks' process (besides the lab's
    own, which the lesson must leave out); ``own`` are the tasks' own readings."""
    lab = (500 + threads) * MIB  # the dashboard's process, busier during bigger runs
    d = doc(
        wall=wall,
        peak_rss_bytes=rss + lab,
        tasks=[{"id": i, "result": r} for i, r in enumerate(own or [])],
    )
    d["lanes"] = [{"id": f"t{i}", "pid": 4242} for i in range(threads)]
    d["samples"] = [{"t_s": 0.1, "rss_bytes": {"4242": rss, "1": lab}}]
    return d


def hm_runs(walls: dict[int, float], rss200: int, aio_rss: int, own200: int = 0) -> dict[str, Any]:
    base = 80 * MIB
    runs = {
        how_many_threads.LABELS[w]: hm_doc(walls[w], base + (0 if w < 200 else rss200), min(w, 400))
        for w in how_many_threads.POOLS
    }
    many = how_many_threads.LABELS[200]
    runs[many] = hm_doc(walls[200], base + rss200, 151, [base + own200, None])
    runs[how_many_threads.AIO] = hm_doc(0.37, base + aio_rss, 1)
    return runs


def test_how_many_threads_when_more_threads_still_pay() -> None:
    walls = {1: 8.2, 5: 1.65, 10: 0.83, 50: 0.18, 200: 0.12}
    # The sampler missed the 200 threads; the tasks' own readings did not.
    v = how_many_threads.judge(hm_runs(walls, rss200=0, aio_rss=40 * MIB, own200=3000 * 1024))
    f = v.facts
    assert f["wall_200"] == 0.12 and f["speedup_200"] == pytest.approx(68.33, abs=0.01)
    assert f["efficiency_200"] == pytest.approx(0.33, abs=0.01)
    assert f["threads_used_200"] == 151
    assert f["rss_per_thread_kib"] == pytest.approx(20.0, abs=0.1)  # 3000 KiB / 150 extra
    assert f["rss_per_coroutine_kib"] == pytest.approx(4.1, abs=0.01)
    assert f["coroutines_in_waits"] == pytest.approx(1.85, abs=0.01)
    assert "30–50 threads did not show" in v.text and "1.5× sooner than 50" in v.text
    assert "20 KiB of RSS per extra thread" in v.text
    assert set(f) == set(LESSONS["how-many-threads"].facts)


def test_how_many_threads_when_the_gain_stops_and_memory_does_not_grow() -> None:
    walls = {1: 8.2, 5: 1.65, 10: 0.83, 50: 0.18, 200: 0.17}
    v = how_many_threads.judge(hm_runs(walls, rss200=0, aio_rss=0))
    assert "stopped improving (0.18 s with 50, 0.17 s with 200)" in v.text
    assert "did not grow measurably" in v.text
    assert v.facts["rss_per_thread_kib"] == 0


# --- memory-per-process -------------------------------------------------------------------------


def mem_doc(
    n: int, obj_mib: int = 64, base_mib: int = 20, see_baseline: bool = True
) -> dict[str, Any]:
    """Samples of the lab (pid 1) and ``n`` workers (pids 100...): a baseline, then holding."""
    lab, pids = 1, [100 + i for i in range(n)]
    base, held = base_mib * MIB, (base_mib + obj_mib) * MIB

    def sample(t: float, rss: int) -> dict[str, Any]:
        return {
            "t_s": t,
            "cpu_percent": [50.0],
            "rss_bytes": {"1": 30 * MIB} | {str(p): rss for p in pids},
        }

    samples = ([sample(0.1, base), sample(0.2, base)] if see_baseline else []) + [
        sample(0.5, held),
        sample(0.6, held),
    ]
    samples.append({"t_s": 0.9, "cpu_percent": [1.0], "rss_bytes": {"1": 30 * MIB}})
    results = [
        {"pid": p, "rss_before": base, "rss_held": held, "object_bytes": obj_mib * MIB}
        for p in pids
    ]
    d = doc(tasks=[{"id": i, "result": r} for i, r in enumerate(results)])
    d["samples"], d["lab_pid"] = samples, lab
    return d


def test_memory_per_process_when_each_worker_holds_a_copy() -> None:
    v = mpp.judge({mpp.LABELS[n]: mem_doc(n) for n in mpp.WORKERS})
    f = v.facts
    assert f["children_peak_mib_4"] == 4 * 84 and f["growth_mib_4"] == 256
    assert f["growth_ratio_1"] == f["growth_ratio_2"] == f["growth_ratio_4"] == 1.0
    assert f["reported_growth_mib_2"] == 128 and f["worker_base_mib"] == 20
    assert "4 workers 336 MiB (256 MiB over their baseline, 1.00× N × 64 MiB)" in v.text
    assert "one copy of the object per process" in v.text and "4 GB" in v.text
    assert set(f) == set(LESSONS["memory-per-process"].facts)


def test_memory_per_process_uses_the_workers_own_baseline_when_the_sampler_missed_it() -> None:
    assert mpp.children_at_peak(mem_doc(2, see_baseline=False)) == (2 * 84 * MIB, 128 * MIB)


def test_memory_per_process_ignores_workers_caught_exiting_after_the_peak() -> None:
    # At the pool's shutdown a worker unmaps its memory and the sampler may read it nearly empty;
    # that is not the RSS it had before its object (a CI run once read growth as 1.37x N x 64).
    d = mem_doc(4)
    d["samples"].insert(-1, {"t_s": 0.8, "rss_bytes": {"100": 1 * MIB, "101": 84 * MIB}})
    assert mpp.children_at_peak(d) == (4 * 84 * MIB, 256 * MIB)


def test_memory_per_process_falls_back_on_samples_before_the_peak() -> None:
    d = mem_doc(2)
    for t in d["tasks"]:
        del t["result"]["rss_before"]
    d["samples"].insert(-1, {"t_s": 0.8, "rss_bytes": {"100": 1 * MIB}})
    assert mpp.children_at_peak(d) == (2 * 84 * MIB, 128 * MIB)


def test_memory_per_process_says_what_was_measured_when_memory_does_not_add_up() -> None:
    runs = {mpp.LABELS[n]: mem_doc(n) for n in mpp.WORKERS}
    shared = mem_doc(4, obj_mib=16)  # e.g. pages shared after all
    for r in shared["tasks"]:
        r["result"]["rss_held"] = r["result"]["rss_before"] + 16 * MIB
    runs[mpp.LABELS[4]] = shared
    v = mpp.judge(runs)
    assert v.facts["growth_ratio_4"] == 0.25
    assert "For 4 workers the sampled growth was not N × 64 MiB" in v.text
    assert "64 MiB for 4 workers" in v.text  # what the workers reported (4 x 16 MiB)


# --- start-methods ------------------------------------------------------------------------------


def starts_doc(first: float, wall: float) -> dict[str, Any]:
    tasks = [{"id": i, "start_s": first + 0.05 * (i // 2)} for i in range(4)]
    return doc(wall=wall, tasks=tasks)


def test_start_methods_when_fork_starts_first() -> None:
    v = start_methods.judge(
        {
            "fork": starts_doc(0.012, 0.12),
            "forkserver": starts_doc(0.118, 0.23),
            "spawn": starts_doc(0.135, 0.24),
        }
    )
    f = v.facts
    assert f["first_start_s_fork"] == 0.012 and f["first_start_s_spawn"] == 0.135
    assert f["forkserver_vs_fork"] == pytest.approx(9.8) and f["spawn_vs_fork"] == pytest.approx(
        11.2
    )
    assert "12 ms with fork, 118 ms with forkserver, 135 ms with spawn" in v.text
    assert "9.8× and 11.2× later than fork" in v.text
    assert set(f) == set(LESSONS["start-methods"].facts)


def test_start_methods_says_what_was_measured_when_the_gap_does_not_show() -> None:
    runs = {m: starts_doc(0.1, 0.2) for m in start_methods.METHODS}
    v = start_methods.judge(runs)
    assert "Neither forkserver nor spawn was clearly slower" in v.text
    runs["spawn"] = starts_doc(0.3, 0.4)
    v = start_methods.judge(runs)
    assert "Only spawn was clearly slower" in v.text and "forkserver was within" in v.text


# --- convoy -------------------------------------------------------------------------------------


def echo_doc(mean: float, median: float | None = None, p90: float | None = None) -> dict[str, Any]:
    stats = {
        "count": int(1000 / mean),
        "mean_ms": mean,
        "median_ms": median if median is not None else mean,
        "p90_ms": p90 if p90 is not None else mean * 1.5,
        "max_ms": mean * 5,
        "cpu_workers": 1,
        "switch_interval_s": 0.005,
    }
    return doc(tasks=[{"id": 1, "result": {"where": "thread"}}, {"id": 0, "result": stats}])


def test_convoy_when_the_effect_shows_and_both_remedies_work() -> None:
    v = cv.judge(
        {
            cv.ALONE: echo_doc(0.07, 0.08, 0.1),
            cv.ONE: echo_doc(3.1, 0.04, 10.4),  # bimodal: most quick, some wait whole intervals
            cv.TWO: echo_doc(27.0, 23.0, 57.0),
            cv.SWITCH: echo_doc(0.3, 0.014, 0.68),
            cv.PROCESS: echo_doc(0.0083, 0.008),
        }
    )
    f = v.facts
    assert f["slowdown_1_cpu_thread"] == pytest.approx(44.29, abs=0.01)
    assert f["median_ms_1_cpu_thread"] == 0.04 and f["round_trips_alone"] == 14285
    assert f["removed_by_switch_interval"] == pytest.approx(0.92, abs=0.01)
    assert f["removed_by_process"] == 1.0  # faster than alone counts as all of it
    assert "The convoy showed" in v.text and "44× longer, beside two 386×" in v.text
    assert "The median hides it" in v.text
    assert "removed 92% of the slowdown" in v.text and "removed 100% of it" in v.text
    assert set(f) == set(LESSONS["convoy"].facts)


def test_convoy_says_what_was_measured_when_there_is_no_convoy() -> None:
    v = cv.judge(
        {
            cv.ALONE: echo_doc(0.07),
            cv.ONE: echo_doc(0.1),  # a free-threaded Python, say
            cv.TWO: echo_doc(0.12),
            cv.SWITCH: echo_doc(0.1),
            cv.PROCESS: echo_doc(0.2),
        }
    )
    assert "did not show clearly" in v.text and "only 1.43× longer" in v.text
    assert "The median hides it" not in v.text
    assert "removed only 0% of the slowdown" in v.text and "removed only 0% of it" in v.text


# --- the lesson-only workloads ------------------------------------------------------------------


def test_switch_interval_is_restored_by_its_last_user_only() -> None:
    before = sys.getswitchinterval()
    with convoy_workload.switch_interval(0.0005):
        with convoy_workload.switch_interval(0.0005):
            assert sys.getswitchinterval() == pytest.approx(0.0005)
        assert sys.getswitchinterval() == pytest.approx(0.0005)  # the outer user still needs it
    assert sys.getswitchinterval() == before
    with pytest.raises(RuntimeError), convoy_workload.switch_interval(0.001):
        raise RuntimeError
    assert sys.getswitchinterval() == before


def test_convoy_workload_measures_round_trips_beside_a_cpu_thread() -> None:
    w = experiments.get("convoy")
    out: dict[int, Any] = {}

    def task(i: int) -> None:
        out[i] = w.call(i, {"ms": 200, "switch_us": 0, "cpu_in_process": 0}, "unit-convoy")

    threads = [threading.Thread(target=task, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert out[1] == {"where": "thread"}
    assert out[0]["cpu_workers"] == 1 and out[0]["count"] > 0
    assert out[0]["median_ms"] <= out[0]["p90_ms"] <= out[0]["max_ms"]
    assert convoy_workload._runs == {}  # the shared state went with the run


def test_hold_memory_grows_by_the_object_and_wait_rss_reads_the_rss() -> None:
    # 40 MiB: above glibc's largest mmap threshold, so the buffer is fresh memory, not reused heap.
    r = experiments.get("hold-memory").call(0, {"mib": 40, "hold_ms": 0, "settle_ms": 0})
    assert isinstance(r, dict)
    assert 39 * MIB <= r["rss_held"] - r["rss_before"] <= 42 * MIB
    w = experiments.get("wait-rss")
    assert w.call(0, {"ms": 0, "rss_every": 2}) == pytest.approx(memory.rss_bytes(), rel=0.2)
    assert w.call(1, {"ms": 0, "rss_every": 2}) is None


# --- end to end ---------------------------------------------------------------------------------


def parent(pid: int) -> int | None:
    try:
        return psutil.Process(pid).ppid()
    except psutil.Error:
        return None


def cmdline(pid: int) -> str:
    try:
        return " ".join(psutil.Process(pid).cmdline())
    except psutil.Error:
        return ""


def test_start_methods_end_to_end(client: LabClient) -> None:
    c = client.run_lesson("start-methods", timeout=30)
    f = c["verdict"]["facts"]
    assert 0 < f["first_start_s_fork"] < 0.5
    assert f["first_start_s_fork"] < f["first_start_s_forkserver"]
    assert f["first_start_s_fork"] < f["first_start_s_spawn"]
    assert "with fork" in c["verdict"]["text"]


def test_convoy_end_to_end_leaves_no_process_and_restores_the_switch_interval(
    client: LabClient,
) -> None:
    before = our_children()
    interval = sys.getswitchinterval()
    c = client.run_lesson("convoy", timeout=30)
    f = c["verdict"]["facts"]
    assert f["round_trips_alone"] > 1000
    assert f["slowdown_1_cpu_thread"] >= 3  # typically 30-80 on two cores
    assert f["slowdown_2_cpu_threads"] >= 3
    assert f["removed_by_process"] >= 0.5
    assert sys.getswitchinterval() == interval  # the server runs in this process
    process_run = next(r for r in c["runs"] if r["label"] == cv.PROCESS)
    tasks = client.get(f"/api/runs/{process_run['id']}").json()["tasks"]
    pid = next(t["result"]["pid"] for t in tasks if t["id"] == 1)
    assert isinstance(pid, int) and not alive(pid)
    assert our_children() <= before


CONVOY = {
    "workload": "convoy",
    "executor": "threads",
    "tasks": 2,
    "workers": 2,
    "params": {"ms": 10_000, "switch_us": 500, "cpu_in_process": 1},
}


def cancel_and_wait(client: LabClient, run_id: str) -> None:
    assert client.post(f"/api/runs/{run_id}/cancel").status_code in (200, 202)
    assert client.wait_until_finished(run_id, timeout=3)["status"] == "cancelled"


def test_a_cancelled_convoy_stops_its_cpu_process_and_its_runner(client: LabClient) -> None:
    # The dashboard runs a threads run in a runner process; the convoy starts a CPU process from
    # there. Cancelled, both go.
    before = our_children()
    run = client.post("/api/runs", json=CONVOY).json()
    deadline = time.monotonic() + 10
    while True:  # the runner is our child; the CPU process, spawned, is the runner's
        new = our_children() - before
        runners = {p for p in new if parent(p) == os.getpid()}
        spawned = {p for p in new - runners if "spawn_main" in cmdline(p)}
        if runners and spawned:
            break
        assert time.monotonic() < deadline, "no CPU process was started"
        time.sleep(0.02)
    spinning = runners | spawned
    assert len(runners) == 1 and len(spawned) == 1
    cancel_and_wait(client, run["id"])
    deadline = time.monotonic() + 3
    while any(alive(p) for p in spinning):
        assert time.monotonic() < deadline, "the CPU process or the runner outlived the run"
        time.sleep(0.05)


def test_a_cancelled_convoy_in_the_labs_process_restores_the_interval(lab: Lab) -> None:
    # Without a runner (the CLI runs this way), the convoy changes the lab's own switch interval,
    # and must put it back.
    before = our_children()
    interval = sys.getswitchinterval()
    with lab(runner_process=False) as client:
        run = client.post("/api/runs", json=CONVOY).json()
        deadline = time.monotonic() + 10
        while sys.getswitchinterval() == interval:  # measuring: the CPU process is up
            assert time.monotonic() < deadline, "the convoy never started measuring"
            time.sleep(0.02)
        spinning = our_children() - before
        assert spinning, "no CPU process was started"
        cancel_and_wait(client, run["id"])
        deadline = time.monotonic() + 3
        while any(alive(p) for p in spinning) or sys.getswitchinterval() != interval:
            assert time.monotonic() < deadline, (
                "the CPU process or the switch interval outlived the run"
            )
            time.sleep(0.05)


def test_memory_per_process_end_to_end(client: LabClient) -> None:
    f = client.run_lesson("memory-per-process", timeout=30)["verdict"]["facts"]
    for n in mpp.WORKERS:
        assert 0.8 <= f[f"growth_ratio_{n}"] <= 1.3, f
        assert f[f"reported_growth_mib_{n}"] == pytest.approx(n * 64, rel=0.1)


@pytest.mark.slow
def test_decision_matrix_end_to_end(client: LabClient) -> None:
    f = measured_until(
        lambda: client.run_lesson("decision-matrix", timeout=60)["verdict"]["facts"],
        lambda f: f["cpu_processes_speedup"] >= 1.3,
    )
    assert f["cpu_processes_speedup"] >= 1.3
    assert f["fast_io_threads_speedup"] >= 5
    assert f["slow_io_asyncio_advantage"] >= 10  # about 6.4 s vs 0.22 s


@pytest.mark.slow
def test_how_many_threads_end_to_end(client: LabClient) -> None:
    f = client.run_lesson("how-many-threads", timeout=60)["verdict"]["facts"]
    assert 7.9 <= f["wall_1"] <= 10
    assert f["speedup_10"] >= 7 and f["speedup_200"] >= f["speedup_10"]
    assert f["wall_coroutines"] < 1.5
    assert 0 < f["rss_per_coroutine_kib"] < f["rss_per_thread_kib"]
