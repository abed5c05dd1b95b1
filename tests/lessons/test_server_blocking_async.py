"""Lesson server-blocking-async: its verdict on hand-made documents, and the lesson run end to
end."""

from __future__ import annotations

from typing import Any

from experiments.lessons import LESSONS
from experiments.lessons import server_blocking_async as s1
from tests.lessons.documents import server_doc
from tests.support import LabClient


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
    assert set(f) == set(LESSONS["server-blocking-async"].facts)


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


def test_s1_a_blocking_call_in_async_def_serialises_ten_requests(client: LabClient) -> None:
    f = client.run_lesson("server-blocking-async", timeout=60)["verdict"]["facts"]
    assert f["max_in_flight_blocking"] == 1
    assert 8.0 <= f["wall_blocking"] <= 14.0  # ideal 10 s
    assert f["wall_awaiting"] <= 3.0  # ideal 1 s
    assert f["slowdown"] >= 4
