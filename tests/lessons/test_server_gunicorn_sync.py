"""Lesson server-gunicorn-sync: its verdict on hand-made documents."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from experiments.lessons import LESSONS
from experiments.lessons import server_gunicorn_sync as s5
from tests.lessons.documents import lanes, server_doc


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
    assert set(f) == set(LESSONS["server-gunicorn-sync"].facts)


def test_s5_says_what_was_measured_when_a_worker_idled_or_workers_overlapped() -> None:
    v = s5.judge({s5.LABEL: s5_doc(3.04, 3, {401: 3, 402: 3, 403: 2, 404: 0})})
    assert v.facts["workers_used"] == 3 and v.facts["wall"] == 3.04
    assert "One request at a time per worker" not in v.text
    assert "requests per worker: 3 + 3 + 2 + 0." in v.text
    assert "Expected about 2 s at 4 at a time" in v.text
    # Eight at once (threads, say): fast, but not one request per worker.
    v = s5.judge({s5.LABEL: s5_doc(1.02, 8, {401: 2, 402: 2, 403: 2, 404: 2})})
    assert "with at most 8 in flight" in v.text and "One request at a time" not in v.text
