"""The seven server-lab lessons (S1 to S7): their verdicts on hand-made run documents, and the helpers
they read those documents with.

Each verdict is checked with the expected effect and without it: the verdict must then say what was
measured, not the textbook answer. A server-lab document is an ordinary run document whose tasks are
requests: ``executor_info`` names the workers (``workers_ready``), the kills and the HTTP versions,
each task's ``result`` carries the client's view (``pid``, ``latency_s``, ``status_code``), and the
metrics add ``requests_ok``, ``requests_failed``, latencies and ``throughput_rps``.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from experiments.lessons import LESSONS
from experiments.lessons import server_async_await as s3
from experiments.lessons import server_blocking_async as s1
from experiments.lessons import server_gunicorn_sync as s5
from experiments.lessons import server_http2 as s7
from experiments.lessons import server_restart as s6
from experiments.lessons import server_threadpool as s2
from experiments.lessons import server_workers as s4
from experiments.lessons.serverlab import served, spread, workers_rss_peak
from tests.lessons_util import doc

MIB = 1024 * 1024
LAB_PID, SUPERVISOR_PID = 1, 2


def requests(per_worker: Mapping[int, int], failed: int = 0, latency: float = 1.0) -> list[Any]:
    """Answered requests, ``per_worker[pid]`` of them by each worker, then ``failed`` ones."""
    tasks: list[dict[str, Any]] = []
    for pid, n in per_worker.items():
        for _ in range(n):
            result: dict[str, Any] = {"status_code": 200, "latency_s": latency, "pid": pid}
            tasks.append({"id": len(tasks), "status": "ok", "result": result})
    for _ in range(failed):
        result = {"status_code": None, "latency_s": 0.2, "pid": None}
        tasks.append({"id": len(tasks), "status": "error", "result": result})
    return tasks


def lanes(kind: str, n: int, pid: int = 100) -> list[dict[str, Any]]:
    return [{"id": f"{kind[0]}{pid}-{i}", "kind": kind, "pid": pid} for i in range(n)]


def server_doc(
    *,
    wall: float = 1.0,
    per_worker: Mapping[int, int] | None = None,
    failed: int = 0,
    ready: Mapping[int, float] | None = None,
    kills: Sequence[tuple[int, float]] = (),
    versions: Sequence[str] = ("HTTP/1.1",),
    lane_list: list[dict[str, Any]] | None = None,
    rss: Sequence[Mapping[int, int]] = (),
    **metrics: float,
) -> dict[str, Any]:
    """A server-lab run: workers ``ready`` (pid -> t_s; by default every worker of ``per_worker``,
    before the load), the requests each answered, and ``rss`` samples (pid -> bytes)."""
    per_worker = per_worker if per_worker is not None else {100: 10}
    ok = sum(per_worker.values())
    d = doc(
        wall=wall,
        tasks=requests(per_worker, failed),
        requests_ok=ok,
        requests_failed=failed,
    )
    d["metrics"].update(metrics)
    ready = ready if ready is not None else dict.fromkeys(per_worker, -0.4)
    d["executor"] = "server"
    d["executor_info"] = {
        "setup": "uvicorn",
        "workers_ready": [
            {"pid": p, "t_s": t} for p, t in sorted(ready.items(), key=lambda kv: kv[1])
        ],
        "kills": [{"pid": p, "t_s": t} for p, t in kills],
        "http_versions": sorted(versions),
    }
    d["lanes"] = lane_list if lane_list is not None else lanes("loop", len(per_worker))
    d["samples"] = [
        {"t_s": 0.1 * i, "cpu_percent": [50.0], "rss_bytes": {str(p): v for p, v in s.items()}}
        for i, s in enumerate(rss)
    ]
    return d


def facts_match_the_lesson(lesson_id: str, facts: Mapping[str, float]) -> None:
    assert set(facts) == set(LESSONS[lesson_id].facts)


# --- helpers ----------------------------------------------------------------------------------------


def test_served_counts_answered_requests_by_worker_pid_only() -> None:
    d = server_doc(per_worker={201: 3, 202: 2}, failed=2)
    d["tasks"].append({"id": 99, "status": "ok", "result": None})  # no result: not counted
    d["tasks"].append({"id": 98, "status": "ok", "result": {"pid": 0}})  # the 'none' lane
    d["tasks"].append({"id": 97, "status": "cancelled", "result": {"pid": 201}})
    assert served(d) == {201: 3, 202: 2}
    assert served(server_doc(per_worker={})) == {}


def test_workers_rss_peak_sums_the_app_workers_only_at_their_peak() -> None:
    d = server_doc(
        per_worker={201: 1, 202: 1},
        rss=[
            {LAB_PID: 500 * MIB, SUPERVISOR_PID: 30 * MIB, 201: 50 * MIB},  # 202 not sampled yet
            {LAB_PID: 500 * MIB, SUPERVISOR_PID: 30 * MIB, 201: 60 * MIB, 202: 55 * MIB},
            {LAB_PID: 900 * MIB, 201: 61 * MIB},  # the lab grew; 202 was gone
        ],
    )
    assert workers_rss_peak(d) == 115 * MIB  # not the lab, not the supervisor
    d["samples"].append({"t_s": 1.0, "cpu_percent": [1.0]})  # a sample without rss
    assert workers_rss_peak(d) == 115 * MIB
    assert workers_rss_peak(server_doc(per_worker={201: 1})) == 0  # no samples
    no_workers = server_doc(per_worker={201: 1}, ready={}, rss=[{201: 50 * MIB}])
    assert workers_rss_peak(no_workers) == 0  # nothing known to be the app


def test_spread_lists_requests_per_worker_in_order_of_start_and_shows_idle_workers() -> None:
    d = server_doc(per_worker={201: 9, 202: 7})
    assert spread(d) == "9 + 7"
    d = server_doc(per_worker={201: 9, 202: 7}, ready={202: -0.5, 201: -0.2})
    assert spread(d) == "7 + 9"  # 202 started first
    idle = server_doc(per_worker={201: 16}, ready={201: -0.5, 202: -0.4})
    assert spread(idle) == "16 + 0"  # the idle worker is shown, not hidden
    assert spread(server_doc(per_worker={}, ready={})) == "0"


def test_the_seven_server_lessons_are_registered() -> None:
    for lesson in (s1, s2, s3, s4, s5, s6, s7):
        assert LESSONS[lesson.LESSON.id] is lesson.LESSON
        assert lesson.LESSON.references and 2 <= len(lesson.LESSON.explanation) <= 3


# --- S1 server-blocking-async -----------------------------------------------------------------------


def s1_runs(
    blocking_wall: float, blocking_in_flight: float, awaiting_wall: float = 1.02
) -> dict[str, Any]:
    return {
        s1.BLOCKING: server_doc(
            wall=blocking_wall,
            max_in_flight=blocking_in_flight,
            latency_p50_s=blocking_wall / 2,
            latency_max_s=blocking_wall - 0.1,
        ),
        s1.AWAITING: server_doc(
            wall=awaiting_wall, max_in_flight=10, latency_max_s=awaiting_wall - 0.01
        ),
    }


def test_s1_blocking_call_serialises_the_requests() -> None:
    v = s1.judge(s1_runs(10.2, 1))
    f = v.facts
    assert f["wall_blocking"] == 10.2 and f["wall_awaiting"] == 1.02
    assert f["max_in_flight_blocking"] == 1 and f["max_in_flight_awaiting"] == 10
    assert f["latency_p50_blocking"] == 5.1 and f["latency_max_blocking"] == 10.1
    assert f["latency_max_awaiting"] == 1.01 and f["slowdown"] == 10.0
    assert "they took 10.2 s, with at most 1 being handled at a time" in v.text
    assert "the last client waited 10.1 s for an answer that needs 1 s" in v.text
    assert "Fully serialised" in v.text and "less serial" not in v.text
    assert "took 1.02 s with up to 10 in flight: 10.0× faster, from changing one line" in v.text
    facts_match_the_lesson("server-blocking-async", f)


def test_s1_says_what_was_measured_when_the_blocking_run_was_not_serialised() -> None:
    v = s1.judge(s1_runs(2.1, 5, awaiting_wall=1.05))  # the requests overlapped after all
    assert v.facts["max_in_flight_blocking"] == 5 and v.facts["slowdown"] == 2.0
    assert "Fully serialised" not in v.text
    assert "they took 2.1 s, with at most 5 being handled at a time" in v.text
    assert "less serial than expected (about 10 s, one at a time)" in v.text
    assert "2.0× faster" in v.text
    # Slow enough, but two at a time: not serialised either.
    v = s1.judge(s1_runs(9.0, 2))
    assert "Fully serialised" not in v.text and "less serial than expected" in v.text
    # Fast but one at a time (only a few requests ran): not serialised either.
    v = s1.judge(s1_runs(3.0, 1))
    assert "Fully serialised" not in v.text


def test_s1_does_not_call_the_awaiting_run_faster_when_it_was_not() -> None:
    v = s1.judge(s1_runs(1.0, 10, awaiting_wall=1.2))
    assert v.facts["slowdown"] == 0.83
    assert "× faster" not in v.text and "no faster than the blocking version" in v.text
    v = s1.judge(s1_runs(10.2, 1, awaiting_wall=0.0))  # no division by zero
    assert v.facts["slowdown"] == 0.0 and "× faster" not in v.text


# --- S2 server-threadpool ---------------------------------------------------------------------------


def s2_doc(wall: float, in_flight: float, threads: int) -> dict[str, Any]:
    return server_doc(
        per_worker={100: s2.REQUESTS},
        wall=wall,
        max_in_flight=in_flight,
        lane_list=lanes("loop", 1) + lanes("thread", threads),
    )


def test_s2_the_default_pool_caps_requests_at_40() -> None:
    v = s2.judge({s2.LABELS[40]: s2_doc(3.05, 40, 40), s2.LABELS[100]: s2_doc(1.04, 100, 100)})
    f = v.facts
    assert f["wall_40"] == 3.05 and f["max_in_flight_40"] == 40 and f["threads_used_40"] == 40
    assert f["expected_40"] == 3.0 and f["expected_100"] == 1.0
    assert f["threads_used_100"] == 100  # the loop lane is not a thread
    assert "with 40 threads 3.05 s, at most 40 at a time on 40 threads (3 waves of 1 s" in v.text
    assert "with 100 threads 1.04 s, at most 100 at a time on 100 threads (1 wave of 1 s" in v.text
    assert "The default pool of 40 threads is the limit" in v.text and "in 3 waves" in v.text
    assert "With 100 tokens up to 100 requests had a thread at once" in v.text
    assert "finished in 1.04 s: the pool size, not the sleep, set the time" in v.text
    assert "did not show as a clean limit" not in v.text
    facts_match_the_lesson("server-threadpool", f)


def test_s2_says_what_was_measured_when_40_threads_did_not_cap() -> None:
    # The limiter was not applied: all 100 ran at once with "40" tokens too.
    v = s2.judge({s2.LABELS[40]: s2_doc(1.10, 100, 100), s2.LABELS[100]: s2_doc(1.05, 100, 100)})
    assert v.facts["max_in_flight_40"] == 100 and v.facts["threads_used_40"] == 100
    assert "with 40 threads 1.10 s, at most 100 at a time on 100 threads" in v.text
    assert "did not show as a clean limit of 40 this time" in v.text
    assert "is the limit" not in v.text
    assert "the pool size, not the sleep, set the time" not in v.text  # it did not, here


def test_s2_capped_but_slow_and_more_tokens_no_faster() -> None:
    v = s2.judge({s2.LABELS[40]: s2_doc(5.0, 40, 40), s2.LABELS[100]: s2_doc(5.2, 100, 100)})
    assert "did not show as a clean limit of 40" in v.text  # 5 s is not 3 waves of 1 s
    assert "With 100 tokens" not in v.text  # 100 tokens were not faster


# --- S3 server-async-await --------------------------------------------------------------------------


def s3_doc(wall: float, in_flight: float, n_lanes: int = 1) -> dict[str, Any]:
    return server_doc(
        per_worker={100: s3.REQUESTS},
        wall=wall,
        max_in_flight=in_flight,
        lane_list=lanes("loop", n_lanes),
        latency_p50_s=wall - 0.06,
        latency_max_s=wall - 0.01,
        avg_parallelism=0.012,
    )


def test_s3_awaiting_requests_all_wait_together_on_one_thread() -> None:
    v = s3.judge({s3.LABEL: s3_doc(1.08, 100)})
    f = v.facts
    assert f["wall"] == 1.08 and f["max_in_flight"] == 100 and f["lanes"] == 1
    assert f["latency_p50"] == 1.02 and f["latency_max"] == 1.07 and f["avg_parallelism"] == 0.012
    assert "took 1.08 s on one uvicorn worker, with up to 100 in flight on 1 thread" in v.text
    assert "median latency 1.02 s" in v.text
    assert "About one wait for all of them" in v.text and "busy only 1.2% of the time" in v.text
    facts_match_the_lesson("server-async-await", f)


def test_s3_says_what_was_measured_when_it_took_more_than_one_wait() -> None:
    v = s3.judge({s3.LABEL: s3_doc(2.4, 100)})
    assert "About one wait" not in v.text
    assert "took 2.40 s" in v.text
    assert "More than one wait (1.6 s expected at most), though they all waited together" in v.text


def test_s3_says_the_requests_did_not_wait_together_when_they_did_not() -> None:
    # The endpoint blocked after all: one request at a time, and a lane for the failed ones.
    v = s3.judge({s3.LABEL: s3_doc(100.5, 1, n_lanes=2)})
    assert v.facts["max_in_flight"] == 1 and v.facts["lanes"] == 2
    assert "About one wait" not in v.text and "slower than the server" not in v.text
    assert "with up to 1 in flight on 2 lanes" in v.text
    assert "did not all wait together (at most 1 in flight at once, not 100)" in v.text


# --- S4 server-workers ------------------------------------------------------------------------------


def s4_doc(rps: float, per_worker: Mapping[int, int], rss_mib: int = 60) -> dict[str, Any]:
    lab = {LAB_PID: 400 * MIB, SUPERVISOR_PID: 25 * MIB}
    return server_doc(
        per_worker=per_worker,
        ready=dict.fromkeys(per_worker, -0.4),
        throughput_rps=rps,
        rss=[lab | dict.fromkeys(per_worker, rss_mib * MIB)],
    )


def s4_runs(uvicorn_2: dict[str, Any], gunicorn_2: dict[str, Any]) -> dict[str, Any]:
    return {s4.ONE: s4_doc(9.5, {101: 32}), s4.UVICORN_2: uvicorn_2, s4.GUNICORN_2: gunicorn_2}


def test_s4_two_workers_nearly_double_cpu_throughput_and_memory() -> None:
    v = s4.judge(s4_runs(s4_doc(17.8, {201: 16, 202: 16}), s4_doc(17.1, {301: 17, 302: 15})))
    f = v.facts
    assert f["throughput_1"] == 9.5 and f["throughput_uvicorn_2"] == 17.8
    assert f["speedup_uvicorn_2"] == 1.87 and f["speedup_gunicorn_2"] == 1.8
    assert f["rss_mib_1"] == 60.0 and f["rss_mib_uvicorn_2"] == 120.0  # lab and supervisor left out
    assert f["rss_ratio_uvicorn_2"] == 2.0 and f["rss_ratio_gunicorn_2"] == 2.0
    assert "one worker answered 9.5 requests/s" in v.text
    assert "uvicorn --workers 2 17.8/s (1.87×, requests per worker 16 + 16)" in v.text
    assert "17.1/s (1.80×, 17 + 15)" in v.text
    assert "Two workers raised CPU throughput 1.80–1.87×" in v.text
    assert "did not reach" not in v.text
    assert "60 MiB with one worker, 120 and 120 MiB with two (2.00× and 2.00×)" in v.text
    assert "every worker loads its own copy of the app" in v.text
    facts_match_the_lesson("server-workers", f)


def test_s4_says_what_was_measured_when_one_worker_took_all_the_requests() -> None:
    uvicorn_2 = s4_doc(10.0, {201: 32, 202: 0})
    v = s4.judge(s4_runs(uvicorn_2, s4_doc(17.1, {301: 17, 302: 15})))
    assert v.facts["speedup_uvicorn_2"] == 1.05 and v.facts["speedup_gunicorn_2"] == 1.8
    assert "raised CPU throughput" not in v.text
    assert "(1.05×, requests per worker 32 + 0)" in v.text  # the idle worker shows
    assert "Two workers did not reach 1.5× every time" in v.text


def test_s4_without_a_baseline_or_memory_samples_does_not_crash_or_claim_copies() -> None:
    runs = s4_runs(s4_doc(17.8, {201: 16, 202: 16}), s4_doc(17.1, {301: 17, 302: 15}))
    runs[s4.ONE] = server_doc(per_worker={101: 32}, throughput_rps=0.0)  # and no samples
    v = s4.judge(runs)
    assert v.facts["speedup_uvicorn_2"] == 0.0 and v.facts["rss_ratio_uvicorn_2"] == 0.0
    assert v.facts["rss_mib_1"] == 0.0
    assert "did not reach 1.5×" in v.text
    assert "every worker loads its own copy" not in v.text
    assert "did not show the cost of a copy per worker clearly" in v.text


# --- S5 server-gunicorn-sync ------------------------------------------------------------------------


def s5_doc(wall: float, in_flight: float, per_worker: Mapping[int, int]) -> dict[str, Any]:
    return server_doc(
        per_worker=per_worker,
        wall=wall,
        max_in_flight=in_flight,
        ready=dict.fromkeys(per_worker, -0.4),
        lane_list=[lane for p in per_worker if per_worker[p] for lane in lanes("process", 1, p)],
        latency_max_s=wall - 0.03,
    )


def test_s5_sync_workers_serve_one_request_at_a_time_each() -> None:
    v = s5.judge({s5.LABEL: s5_doc(2.05, 4, {401: 2, 402: 2, 403: 2, 404: 2})})
    f = v.facts
    assert f["wall"] == 2.05 and f["expected"] == 2.0 and f["max_in_flight"] == 4
    assert f["workers_used"] == 4 and f["latency_max"] == 2.02
    assert "8 requests of 1 s to 4 sync workers took 2.05 s, with at most 4 in flight" in v.text
    assert "requests per worker: 2 + 2 + 2 + 2." in v.text
    assert "One request at a time per worker: 4 workers, 2 rounds, about 2 s" in v.text
    facts_match_the_lesson("server-gunicorn-sync", f)


def test_s5_says_what_was_measured_when_a_worker_idled_or_workers_overlapped() -> None:
    v = s5.judge({s5.LABEL: s5_doc(3.04, 3, {401: 3, 402: 3, 403: 2, 404: 0})})
    assert v.facts["workers_used"] == 3 and v.facts["wall"] == 3.04
    assert "One request at a time per worker" not in v.text
    assert "requests per worker: 3 + 3 + 2 + 0." in v.text
    assert "Expected about 2 s at 4 at a time" in v.text
    # Eight at once (threads, say): fast, but not one request per worker.
    v = s5.judge({s5.LABEL: s5_doc(1.02, 8, {401: 2, 402: 2, 403: 2, 404: 2})})
    assert "with at most 8 in flight" in v.text and "One request at a time" not in v.text


# --- S6 server-restart ------------------------------------------------------------------------------


def s6_doc(
    killed: int | None,
    new: tuple[int, float] | None,
    failed: int,
    per_worker: Mapping[int, int],
    first: tuple[int, int],
    kill_t: float = 1.5,
) -> dict[str, Any]:
    ready = dict.fromkeys(first, -0.3)
    if new is not None:
        ready[new[0]] = new[1]
    return server_doc(
        per_worker=per_worker,
        failed=failed,
        ready=ready,
        kills=[(killed, kill_t)] if killed is not None else [],
    )


def test_s6_both_supervisors_replace_the_killed_worker() -> None:
    v = s6.judge(
        {
            s6.UVICORN: s6_doc(11, (13, 2.1), 8, {11: 10, 12: 30, 13: 12}, (11, 12)),
            s6.GUNICORN: s6_doc(22, (23, 2.5), 6, {21: 35, 22: 10, 23: 9}, (21, 22)),
        }
    )
    f = v.facts
    assert f["restart_s_uvicorn"] == 0.6 and f["restart_s_gunicorn"] == 1.0
    assert f["served_by_new_uvicorn"] == 12 and f["served_by_new_gunicorn"] == 9
    assert f["failed_uvicorn"] == 8 and f["failed_gunicorn"] == 6
    assert (
        "uvicorn --workers 2: worker pid 11 killed at 1.5 s, new worker pid 13 ready 0.60 s "
        "later and serving 12 requests; 8 requests failed" in v.text
    )
    assert "worker pid 22 killed at 1.5 s, new worker pid 23 ready 1.00 s later" in v.text
    assert "Both supervisors replaced the dead worker within seconds" in v.text
    assert "Not every supervisor" not in v.text
    assert "That replacement was slow" not in v.text
    facts_match_the_lesson("server-restart", f)


def test_s6_explains_a_uvicorn_replacement_that_waited_for_a_health_check() -> None:
    # Measured on CI: the kill landed while uvicorn's ping to that worker was unanswered.
    v = s6.judge(
        {
            s6.UVICORN: s6_doc(11, (13, 6.9), 5, {11: 10, 12: 110, 13: 19}, (11, 12)),
            s6.GUNICORN: s6_doc(22, (23, 4.5), 6, {21: 35, 22: 10, 23: 9}, (21, 22)),
        }
    )
    assert v.facts["restart_s_uvicorn"] == 5.4
    uvicorn_line = next(line for line in v.text.splitlines() if line.startswith(s6.UVICORN))
    assert "ready 5.40 s later" in uvicorn_line
    assert "waits up to 5 s for the answer (--timeout-worker-healthcheck)" in uvicorn_line
    # gunicorn's master is told of a death at once (SIGCHLD): a slow start is not explained so
    gunicorn_line = next(line for line in v.text.splitlines() if line.startswith(s6.GUNICORN))
    assert "ready 3.00 s later" in gunicorn_line and "ping" not in gunicorn_line
    assert "Both supervisors replaced the dead worker within seconds" in v.text


def test_s6_restart_finds_the_first_worker_ready_after_the_kill() -> None:
    d = s6_doc(11, (14, 3.0), 2, {11: 5, 12: 20, 13: 4, 14: 7}, (11, 12))
    d["executor_info"]["workers_ready"].insert(2, {"pid": 13, "t_s": 1.9})
    r = s6.restart(d)
    assert r == {"killed": 11, "kill_t_s": 1.5, "new": 13, "after_s": 0.4, "served_by_new": 4}
    assert s6.restart(s6_doc(None, None, 0, {11: 30, 12: 30}, (11, 12)))["killed"] is None


def test_s6_says_what_was_measured_when_no_new_worker_appeared() -> None:
    v = s6.judge(
        {
            s6.UVICORN: s6_doc(11, (13, 2.1), 8, {11: 10, 12: 30, 13: 12}, (11, 12)),
            s6.GUNICORN: s6_doc(22, None, 6, {21: 44, 22: 10}, (21, 22)),
        }
    )
    f = v.facts
    assert f["restart_s_gunicorn"] == -1 and f["served_by_new_gunicorn"] == 0
    assert f["restart_s_uvicorn"] == 0.6
    assert (
        "gunicorn -w 2 (Uvicorn workers): worker pid 22 was killed at 1.5 s and no new worker "
        "appeared before the load ended; 6 requests failed" in v.text
    )
    assert "Both supervisors" not in v.text
    assert "Not every supervisor replaced its worker within 10 s" in v.text


def test_s6_says_what_was_measured_when_no_worker_was_killed() -> None:
    v = s6.judge(
        {
            s6.UVICORN: s6_doc(None, None, 0, {11: 30, 12: 30}, (11, 12)),
            s6.GUNICORN: s6_doc(22, (23, 2.5), 6, {21: 35, 22: 10, 23: 9}, (21, 22)),
        }
    )
    f = v.facts
    assert f["restart_s_uvicorn"] == -1 and f["failed_uvicorn"] == 0
    assert f["served_by_new_uvicorn"] == 0
    assert "uvicorn --workers 2: no worker was killed (the load ended first?)" in v.text
    assert "Both supervisors" not in v.text and "Not every supervisor" in v.text


def test_s6_a_replacement_later_than_soon_is_said_as_measured() -> None:
    v = s6.judge(
        {
            s6.UVICORN: s6_doc(11, (13, 13.5), 8, {11: 10, 12: 40, 13: 2}, (11, 12)),
            s6.GUNICORN: s6_doc(22, (23, 2.5), 6, {21: 35, 22: 10, 23: 9}, (21, 22)),
        }
    )
    assert v.facts["restart_s_uvicorn"] == 12.0
    assert "new worker pid 13 ready 12.00 s later and serving 2 requests" in v.text
    assert "Both supervisors" not in v.text
    assert "within 10 s in this run" in v.text  # it was replaced, only not soon


# --- S7 server-http2 --------------------------------------------------------------------------------


def s7_doc(wall: float, versions: Sequence[str], failed: int = 0) -> dict[str, Any]:
    ok = s7.REQUESTS - failed
    return server_doc(
        per_worker={100: ok} if ok else {},
        ready={100: -0.4},
        failed=failed,
        wall=wall,
        versions=versions,
        max_in_flight=ok,
        latency_p50_s=wall - 0.03,
    )


def s7_runs(**overrides: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every run of S7 (for each installed server, HTTP/1.1 and HTTP/2) where both protocols
    were spoken; ``overrides`` replaces runs by label key, e.g. ``hypercorn_http2=...``."""
    runs = {}
    for server in s7.SERVERS:
        runs[s7.label(server, "http1")] = s7_doc(0.56, ["HTTP/1.1"])
        runs[s7.label(server, "http2")] = s7_doc(0.54, ["HTTP/2"])
    for key, d in overrides.items():
        server, protocol = key.rsplit("_", 1)
        runs[s7.label(server, protocol)] = d
    return runs


def test_s7_runs_hypercorn_and_granian_where_installed() -> None:
    steps = [(st.label, st.server["setup"], st.server["http2"]) for st in s7.LESSON.steps]
    assert steps[:2] == [
        ("hypercorn, HTTP/1.1", "hypercorn", False),
        ("hypercorn, HTTP/2", "hypercorn", True),
    ]
    installed = importlib.util.find_spec("granian") is not None
    assert ("granian" in s7.SERVERS) == installed
    assert len(steps) == 2 * len(s7.SERVERS)


def test_s7_http2_is_negotiated_and_changes_transport_not_execution() -> None:
    v = s7.judge(s7_runs())
    f = v.facts
    assert f["http2_spoken_hypercorn"] == 1.0
    assert f["wall_hypercorn_http1"] == 0.56 and f["wall_hypercorn_http2"] == 0.54
    assert f["max_in_flight_hypercorn_http1"] == 50 and f["max_in_flight_hypercorn_http2"] == 50
    assert f["latency_p50_hypercorn_http1"] == 0.53 and f["failed_hypercorn_http2"] == 0
    assert (
        "hypercorn: over HTTP/1.1 (the server said HTTP/1.1) 0.56 s, up to 50 in flight, a "
        "connection per request; over HTTP/2 (the server said HTTP/2) 0.54 s, up to 50 in flight"
    ) in v.text
    assert "Same lanes, same overlap" in v.text and "did not speak" not in v.text
    facts_match_the_lesson("server-http2", f)


@pytest.mark.skipif(importlib.util.find_spec("granian") is None, reason="granian not installed")
def test_s7_names_the_server_that_did_not_speak_http2() -> None:
    v = s7.judge(s7_runs(granian_http2=s7_doc(0.55, ["HTTP/1.1"])))
    assert v.facts["http2_spoken_granian"] == 0.0 and v.facts["http2_spoken_hypercorn"] == 1.0
    assert "granian: over HTTP/1.1" in v.text and "(the server said HTTP/1.1) 0.55 s" in v.text
    assert "Granian did not speak HTTP/2, so those runs do not compare" in v.text
    assert "Same lanes" not in v.text and "not installed" not in v.text


def test_s7_says_what_was_measured_when_http2_was_not_negotiated() -> None:
    v = s7.judge(s7_runs(hypercorn_http2=s7_doc(0.55, ["HTTP/1.1"])))
    assert v.facts["http2_spoken_hypercorn"] == 0.0
    assert "over HTTP/2 (the server said HTTP/1.1) 0.55 s" in v.text
    assert "Hypercorn did not speak HTTP/2" in v.text and "Same lanes" not in v.text
    assert "requests failed" not in v.text


def test_s7_when_every_http2_request_failed() -> None:
    v = s7.judge(s7_runs(hypercorn_http2=s7_doc(0.05, [], failed=50)))
    f = v.facts
    assert f["http2_spoken_hypercorn"] == 0.0 and f["failed_hypercorn_http2"] == 50
    assert f["max_in_flight_hypercorn_http2"] == 0
    assert "over HTTP/2 (the server said nothing) 0.05 s, up to 0 in flight" in v.text
    assert "Hypercorn did not speak HTTP/2 (50 of its requests failed)" in v.text
    assert "Same lanes" not in v.text
    # No executor_info at all (an older document): no crash, nothing claimed.
    bare = s7_doc(0.5, [])
    del bare["executor_info"]
    v = s7.judge({label: bare for label in s7_runs()})
    assert "(the server said nothing)" in v.text and v.facts["http2_spoken_hypercorn"] == 0.0


@pytest.mark.parametrize("versions", [["HTTP/1.1", "HTTP/2"], ["HTTP/2"]])
def test_s7_http2_spoken_reads_the_http2_run_only(versions: list[str]) -> None:
    v = s7.judge(
        s7_runs(hypercorn_http1=s7_doc(0.5, versions), hypercorn_http2=s7_doc(0.5, ["HTTP/1.1"]))
    )
    assert v.facts["http2_spoken_hypercorn"] == 0.0  # HTTP/2 in the HTTP/1.1 run does not count
