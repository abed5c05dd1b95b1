"""Lesson blocking-the-loop: its verdict on hand-made documents, and the lesson run end to end."""

from __future__ import annotations

from typing import Any

import pytest

from experiments.lessons import blocking_the_loop as btl
from tests.lessons.documents import doc
from tests.support import LabClient


def loop_doc(ticks_in_window: int, mode: str) -> dict[str, Any]:
    """A heartbeat that ticks every 10 ms except during the blocker's 0.3 s window, where it ticks
    ``ticks_in_window`` times, evenly spread."""
    window = (0.1, 0.4)
    ticks = [round(0.01 * k, 4) for k in range(1, 61) if not window[0] <= 0.01 * k <= window[1]]
    ticks += [
        round(window[0] + 0.3 * (k + 0.5) / ticks_in_window, 4) for k in range(ticks_in_window)
    ]
    tasks = [
        {
            "id": 0,
            "start_s": 0.001,
            "end_s": 0.6,
            "running": [],
            "result": {"ticks": sorted(ticks)},
        },
        {
            "id": 1,
            "start_s": 0.001,
            "end_s": 0.401,
            "running": [],
            "result": {"mode": mode, "window": list(window)},
        },
    ]
    return doc(wall=0.6, tasks=tasks)


def test_blocking_the_loop_verdict_when_only_the_blocking_call_stalls_the_heartbeat() -> None:
    v = btl.judge(
        {
            btl.BLOCKING: loop_doc(0, "time.sleep"),
            btl.AWAIT: loop_doc(29, "asyncio.sleep"),
            btl.THREAD: loop_doc(28, "asyncio.to_thread"),
        }
    )
    assert v.facts["ticks_time_sleep"] == 0
    assert v.facts["ticks_asyncio_sleep"] == 29 and v.facts["ticks_to_thread"] == 28
    assert v.facts["gap_ms_time_sleep"] == pytest.approx(320, abs=1)
    assert v.facts["gap_ms_asyncio_sleep"] < 20
    assert "ticked 0 times beside time.sleep" in v.text and "stops the whole event loop" in v.text


def test_blocking_the_loop_verdict_when_the_heartbeat_is_not_stalled() -> None:
    v = btl.judge(
        {
            btl.BLOCKING: loop_doc(25, "time.sleep"),
            btl.AWAIT: loop_doc(29, "asyncio.sleep"),
            btl.THREAD: loop_doc(12, "asyncio.to_thread"),
        }
    )
    assert v.facts["ticks_time_sleep"] == 25 and v.facts["ticks_to_thread"] == 12
    assert (
        "ticked 25 times beside time.sleep" in v.text
        and "12 times beside asyncio.to_thread" in v.text
    )
    assert "did not stall" in v.text and "fewer than 20" in v.text
    assert "stops the whole event loop" not in v.text


def test_blocking_the_loop_end_to_end(client: LabClient) -> None:
    c = client.run_lesson("blocking-the-loop", timeout=30)
    facts = c["verdict"]["facts"]
    assert facts["ticks_time_sleep"] <= 3
    assert facts["gap_ms_time_sleep"] >= 250
    assert facts["ticks_asyncio_sleep"] >= 15 and facts["ticks_to_thread"] >= 15
    # The Gantt: the heartbeat has no running step inside the blocking call, which is one long step.
    run_id = next(r["id"] for r in c["runs"] if r["label"] == btl.BLOCKING)
    d = client.get(f"/api/runs/{run_id}").json()
    beat, blocker = d["tasks"][0], d["tasks"][1]
    begin, end = (blocker["start_s"] + t for t in blocker["result"]["window"])
    assert not [iv for iv in beat["running"] if begin + 0.001 < iv[0] < end - 0.001]
    assert any(e - s >= 0.25 for s, e in blocker["running"])


def test_blocking_the_loop_verdict_states_the_heartbeats_loop_waits() -> None:
    blocked = loop_doc(0, "time.sleep")
    beat = blocked["tasks"][0]
    beat["waits"] = [[0.11, 0.4, "loop"], [0.4, 0.41, "await"]]  # ready, the loop held
    v = btl.judge(
        {
            btl.BLOCKING: blocked,
            btl.AWAIT: loop_doc(29, "asyncio.sleep"),
            btl.THREAD: loop_doc(28, "t"),
        }
    )
    assert v.facts["heartbeat_loop_wait_s"] == 0.29
    assert "the heartbeat spent 0.29 s ready to run" in v.text
