"""Lesson server-workers: its verdict on hand-made documents."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from experiments.lessons import LESSONS
from experiments.lessons import server_workers as s4
from tests.lessons.documents import LAB_PID, MIB, SUPERVISOR_PID, server_doc


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
    assert set(f) == set(LESSONS["server-workers"].facts)


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
