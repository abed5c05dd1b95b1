"""The helpers server-lab lessons read their documents with (experiments/lessons/serverlab.py)."""

from __future__ import annotations

from experiments.lessons.serverlab import served, spread, workers_rss_peak
from tests.lessons.documents import LAB_PID, MIB, SUPERVISOR_PID, server_doc


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
