"""Lesson server-async-await: its verdict on hand-made documents, and the lesson run end to end."""

from __future__ import annotations

from typing import Any

from experiments.lessons import LESSONS
from experiments.lessons import server_async_await as s3
from tests.lessons.documents import lanes, server_doc
from tests.support import LabClient


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
    assert set(f) == set(LESSONS["server-async-await"].facts)


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


def test_s3_async_def_that_awaits_serves_a_hundred_requests_in_about_a_second(
    client: LabClient,
) -> None:
    c = client.run_lesson("server-async-await", timeout=60)
    f = c["verdict"]["facts"]
    assert f["max_in_flight"] >= 90 and f["lanes"] == 1
    assert f["wall"] <= 3.0  # ideal 1 s
    assert "About one wait" in c["verdict"]["text"] or f["wall"] > 1.6
