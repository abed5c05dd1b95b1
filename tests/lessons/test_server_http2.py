"""Lesson server-http2: its verdict on hand-made documents."""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from typing import Any

import pytest

from experiments.lessons import LESSONS
from experiments.lessons import server_http2 as s7
from tests.lessons.documents import server_doc


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
    assert set(f) == set(LESSONS["server-http2"].facts)


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
