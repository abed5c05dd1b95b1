"""The JSON API and its event stream, against the real app served on a loopback port (the
``client`` and ``lab`` fixtures: see conftest.py for why a real server)."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup

from server.settings import Settings
from server.store import INTERRUPTED, Store
from server.types import RunStatus
from tests.support import Event, Lab, LabClient


@pytest.fixture(scope="module")
def lab_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(data_dir=tmp_path_factory.mktemp("lab"), max_concurrent_runs=4)


def ids(events: list[Event]) -> list[int]:
    return [e.id for e in events]


# --- plain JSON routes -------------------------------------------------------------------------


def test_health(client: LabClient) -> None:
    r = client.get("/api/health")
    assert (r.status_code, r.json()) == (200, {"status": "ok"})


def test_workloads_list_parameters_with_bounds_and_executors_with_pool_sizes(
    client: LabClient,
) -> None:
    body = client.get("/api/workloads").json()
    workloads = {w["id"]: w for w in body["workloads"]}
    assert {"cpu", "io", "hash", "mixed"} <= set(workloads)
    for w in workloads.values():
        for p in w["params"]:
            assert {"name", "type", "default", "min", "max"} <= set(p)
            assert p["min"] <= p["default"] <= p["max"]
    assert {p["name"] for p in workloads["mixed"]["params"]} == {"ms", "cpu_fraction"}
    executors = {e["id"]: e for e in body["executors"]}
    assert {"sequential", "threads", "processes", "asyncio"} <= set(executors)
    assert executors["threads"]["max_workers"] == Settings().max_thread_workers
    assert executors["sequential"] == executors["sequential"] | {
        "default_workers": 1,
        "max_workers": 1,
    }


def test_posted_run_is_accepted_then_found_done_with_metrics(client: LabClient) -> None:
    r = client.post(
        "/api/runs",
        json={
            "workload": "io",
            "executor": "threads",
            "tasks": 4,
            "workers": 2,
            "params": {"ms": 20},
        },
    )
    assert r.status_code == 202
    doc = r.json()
    assert r.headers["location"] == f"/api/runs/{doc['id']}"
    assert doc["status"] in {"pending", "running"}
    assert (doc["workload"], doc["executor"], doc["tasks_requested"], doc["workers"]) == (
        "io",
        "threads",
        4,
        2,
    )

    done = client.wait_until_finished(doc["id"])
    assert done["status"] == "done"
    assert len(done["tasks"]) == 4
    assert all(t["status"] == "ok" and t["end_s"] is not None for t in done["tasks"])
    assert done["metrics"]["max_in_flight"] == 2
    assert done["metrics"]["avg_concurrency"] > 1
    assert done["wall_s"] > 0

    listed = client.get("/api/runs").json()
    assert listed[0]["id"] == doc["id"]
    assert listed[0]["status"] == "done"
    assert listed[0]["metrics"] == done["metrics"]
    assert client.post(f"/api/runs/{doc['id']}/cancel").status_code == 409


BAD_RUNS = [
    pytest.param({"workload": "nope"}, ["body", "workload"], id="unknown-workload"),
    pytest.param({"workload": "io", "tasks": 0}, ["body", "tasks"], id="no-tasks"),
    pytest.param({"workload": "io", "tasks": 100_001}, ["body", "tasks"], id="too-many-tasks"),
    pytest.param({"workload": "io", "tasks": "many"}, ["body", "tasks"], id="tasks-not-a-number"),
    pytest.param(
        {"workload": "io", "executor": "threads", "workers": 65},
        ["body", "workers"],
        id="too-many-workers",
    ),
    pytest.param(
        {"workload": "io", "executor": "fibers"}, ["body", "executor"], id="unknown-executor"
    ),
    pytest.param(
        {"workload": "io", "params": {"bogus": 1}}, ["body", "params", "bogus"], id="unknown-param"
    ),
    pytest.param(
        {"workload": "io", "params": {"ms": -5}}, ["body", "params", "ms"], id="param-out-of-range"
    ),
    pytest.param(
        {"workload": "mixed", "params": {"cpu_fraction": "half"}},
        ["body", "params", "cpu_fraction"],
        id="param-not-a-number",
    ),
    pytest.param(
        {"workload": "io", "params": {"ms": True}}, ["body", "params", "ms"], id="param-a-boolean"
    ),
    pytest.param(
        {"workload": "io", "executor": "threads", "start_method": "fork"},
        ["body", "start_method"],
        id="start-method-without-processes",
    ),
    pytest.param({"workload": "io", "task": 3}, ["body", "task"], id="unknown-field"),
]


@pytest.mark.parametrize(("body", "loc"), BAD_RUNS)
def test_bad_input_is_422_naming_the_field(
    client: LabClient, body: dict[str, Any], loc: list[str]
) -> None:
    r = client.post("/api/runs", json=body)
    assert r.status_code == 422
    errors = r.json()["detail"]  # one per member of a union type, else exactly one
    assert errors and all(e["loc"][: len(loc)] == loc and e["msg"] for e in errors)


def test_malformed_json_body_is_422(client: LabClient) -> None:
    r = client.post(
        "/api/runs", content=b'{"workload": "io",', headers={"content-type": "application/json"}
    )
    assert r.status_code == 422
    (error,) = r.json()["detail"]
    assert error["loc"][0] == "body"
    assert error["type"] == "json_invalid"


@pytest.mark.parametrize("query", ["limit=0", "limit=501", "limit=ten", "offset=-1"])
def test_bad_list_query_is_422(client: LabClient, query: str) -> None:
    r = client.get(f"/api/runs?{query}")
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["query", query.partition("=")[0]]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/runs/nope"),
        ("POST", "/api/runs/nope/cancel"),
        ("GET", "/api/runs/nope/events"),
    ],
)
def test_unknown_run_is_404(client: LabClient, method: str, path: str) -> None:
    r = client.request(method, path)
    assert r.status_code == 404
    assert r.json() == {"detail": "no run with id 'nope'"}


def test_cancel_stops_a_run_within_a_second(client: LabClient) -> None:
    doc = client.start(workload="io", executor="threads", tasks=40, workers=2, params={"ms": 500})
    while client.get(f"/api/runs/{doc['id']}").json()["status"] == "pending":
        time.sleep(0.01)
    asked = time.monotonic()
    r = client.post(f"/api/runs/{doc['id']}/cancel")
    assert r.status_code == 202
    assert r.json()["id"] == doc["id"]
    ended = client.wait_until_finished(doc["id"], timeout=5)
    assert time.monotonic() - asked < 1.0
    assert ended["status"] == "cancelled"
    assert len(ended["tasks"]) < 40
    assert client.post(f"/api/runs/{doc['id']}/cancel").status_code == 409


def test_full_queue_is_429_and_queued_runs_can_be_cancelled(lab: Lab) -> None:
    with lab(max_concurrent_runs=1, queue_size=1) as client:
        long = {"workload": "io", "tasks": 1, "params": {"ms": 30_000}}
        running, queued = client.start(**long), client.start(**long)
        assert queued["status"] == "pending" and queued["queue_position"] == 1
        r = client.post("/api/runs", json=long)
        assert r.status_code == 429
        assert "queued" in r.json()["detail"]
        for doc in (queued, running):
            assert client.post(f"/api/runs/{doc['id']}/cancel").status_code == 202
        for doc in (queued, running):
            final = client.wait_until_finished(doc["id"], timeout=5)
            assert final["status"] == "cancelled"
            assert final["alongside"] == []  # the queued run never executed beside the other
        events, closed = client.events(queued["id"])
        assert closed and [(e.id, e.event, e.data["status"]) for e in events] == [
            (1, "status", "cancelled")
        ]
        client.start(workload="io", tasks=1, params={"ms": 1})  # room again


def test_read_only_lab_refuses_runs_with_403(lab: Lab) -> None:
    with lab(read_only=True) as client:
        r = client.post("/api/runs", json={"workload": "io"})
        assert r.status_code == 403
        assert "read-only" in r.json()["detail"]


# --- the event stream --------------------------------------------------------------------------


def test_events_arrive_while_the_run_goes_then_the_stream_ends(client: LabClient) -> None:
    doc = client.start(workload="io", executor="threads", tasks=4, workers=4, params={"ms": 400})
    events, closed = client.events(doc["id"])

    assert closed
    assert ids(events) == list(range(1, len(events) + 1))
    final = events[-1]
    assert final.event == "status" and final.data["status"] == "done"
    assert final.data["id"] == doc["id"] and final.data["metrics"]["max_in_flight"] == 4
    assert [e.event for e in events[:-1]].count("status") <= 1  # "running", once
    assert {e.event for e in events} >= {"lane", "task", "sample", "status"}
    started = next(e for e in events if e.event == "task" and e.data["end_s"] is None)
    # The start was sent when it happened, not with the end of the run (tasks take 0.4 s).
    assert final.at - started.at > 0.15
    ended = {e.data["id"]: e.data for e in events if e.event == "task"}
    assert all(t["status"] == "ok" for t in ended.values()) and len(ended) == 4


def test_a_page_watching_a_run_that_keeps_every_core_busy_is_told_it_is_drawn_less_often(
    client: LabClient,
) -> None:
    # One cpu-bound process per core leaves no core for a browser on this machine: the page's
    # frames slow down (server.web.broker), its head says why, and the note goes at the end.
    cores = os.cpu_count() or 1
    if cores > 16:
        pytest.skip("more cores than a test should keep busy")
    workers = max(cores, 2)
    # Long enough that three busy samples (0.1 s apart) and a frame come well before the end: a
    # 0.6 s run (2 tasks of 300 ms per worker) once ended in a fresh clone before its note showed.
    doc = client.start(
        workload="cpu", executor="processes", tasks=4 * workers, workers=workers, params={"ms": 400}
    )
    notes = []
    with client.stream("GET", f"/runs/{doc['id']}/stream") as stream:
        for line in stream.iter_lines():
            if line.startswith("event: end"):
                break
            for span in BeautifulSoup(line, "html.parser").select(f"#waiting-{doc['id']}"):
                notes.append(span.get_text())
    period = round(Settings().busy_frame_core_s / cores, 2)  # a second on 2 cores
    assert f"every core busy: drawn every {period:g} s" in notes
    assert notes[-1] == ""  # the finished run's head
    assert client.wait_until_finished(doc["id"])["status"] == "done"


def test_reconnecting_with_last_event_id_loses_and_repeats_nothing(
    client: LabClient,
) -> None:
    doc = client.start(workload="io", executor="sequential", tasks=12, params={"ms": 50})
    seen: list[Event] = []
    reconnects_mid_run = 0
    while True:
        last = seen[-1].id if seen else None
        part, closed = client.events(doc["id"], last_id=last, limit=3)
        assert ids(part) == list(range((last or 0) + 1, (last or 0) + 1 + len(part)))
        seen += part
        if seen and seen[-1].event == "status" and RunStatus(seen[-1].data["status"]).finished:
            break
        reconnects_mid_run += 1
    assert reconnects_mid_run >= 3

    full, closed = client.events(doc["id"])
    assert closed
    assert ids(seen) == ids(full) == list(range(1, len(full) + 1))
    assert [(e.event, e.data) for e in seen] == [(e.event, e.data) for e in full]
    rest, closed = client.events(doc["id"], last_id=len(full) - 2)
    assert closed and ids(rest) == [len(full) - 1, len(full)]
    nothing, closed = client.events(doc["id"], last_id=len(full))
    assert closed and nothing == []


def test_subscribing_after_the_run_finished_replays_it_all(client: LabClient) -> None:
    doc = client.start(workload="io", executor="asyncio", tasks=5, params={"ms": 30})
    done = client.wait_until_finished(doc["id"])

    events, closed = client.events(doc["id"])
    assert closed
    assert ids(events) == list(range(1, len(events) + 1))
    assert events[-1].event == "status" and events[-1].data["status"] == "done"
    assert events[-1].data["metrics"] == done["metrics"]
    last_state = {e.data["id"]: e.data for e in events if e.event == "task"}
    assert [last_state[i] for i in sorted(last_state)] == done["tasks"]
    malformed, _ = client.events(doc["id"], last_id="soon")
    assert ids(malformed) == ids(events)


def test_history_and_events_survive_a_restart(lab: Lab) -> None:
    with lab() as client:
        doc = client.start(workload="io", executor="threads", tasks=3, params={"ms": 20})
        before = client.wait_until_finished(doc["id"])

    with lab() as client:
        after = client.get(f"/api/runs/{doc['id']}").json()
        assert after == before
        assert [r["id"] for r in client.get("/api/runs").json()] == [doc["id"]]

        events, closed = client.events(doc["id"])
        assert closed
        assert ids(events) == list(range(1, len(events) + 1))
        kinds = [e.event for e in events]
        assert kinds == (
            ["lane"] * len(before["lanes"])
            + ["task"] * 3
            + ["sample"] * len(before["samples"])
            + ["status"]
        )
        assert [e.data for e in events if e.event == "task"] == before["tasks"]
        assert events[-1].data == {
            "id": doc["id"],
            "status": "done",
            "error": None,
            "wall_s": before["wall_s"],
            "metrics": before["metrics"],
        }
        rest, closed = client.events(doc["id"], last_id=2)
        assert closed and ids(rest) == ids(events)[2:]


def test_a_run_the_last_server_left_running_shows_as_failed(lab: Lab, tmp_path: Path) -> None:
    store = Store(Settings(data_dir=tmp_path).db_path)
    store.save(
        {
            "id": "orphan",
            "created_at": "2024-05-01T12:00:00.000Z",
            "workload": "io",
            "executor": "threads",
            "tasks_requested": 2,
            "workers": 2,
            "params": {"ms": 10},
            "status": "running",
            "error": None,
            "wall_s": None,
            "lanes": [],
            "tasks": [],
            "metrics": {},
            "samples": [],
        }
    )
    store.close()
    with lab() as client:
        doc = client.get("/api/runs/orphan").json()
        assert (doc["status"], doc["error"]) == ("failed", INTERRUPTED)
        assert client.get("/api/runs").json()[0]["status"] == "failed"
        events, closed = client.events("orphan")
        assert closed and [(e.event, e.data["status"]) for e in events] == [("status", "failed")]


def test_a_run_page_opened_just_after_the_end_is_not_live(lab: Lab) -> None:
    # Frames once a second: the page watching the run made a drive job that is now asleep. A page
    # opened the moment the API says "done" must show the finished run, not a stream to wait on.
    with lab(frame_interval_s=1.0) as c:
        run = c.start(workload="io", executor="sequential", tasks=2, params={"ms": 150})
        assert "data-stream=" in c.get(f"/runs/{run['id']}").text  # live while it runs
        c.wait_until_finished(run["id"])
        page = c.get(f"/runs/{run['id']}").text
        assert "data-stream=" not in page
        assert "2 tasks in" in page


def test_a_run_like_the_last_one_is_drawn_on_an_axis_planned_for_its_length(lab: Lab) -> None:
    # A chart whose axis grows redraws every bar each time; a run the lab has just run with the
    # same spec gets an axis as long as that run took (rounded up) from its first frame.
    with lab() as c:
        spec = {"workload": "io", "executor": "sequential", "tasks": 2, "params": {"ms": 150}}
        first = c.wait_until_finished(c.start(**spec)["id"])
        assert first["started_at"] >= first["created_at"]  # when its clock started
        second = c.start(**spec)["id"]
        other = c.start(**{**spec, "tasks": 3})["id"]  # another spec: nothing to plan from
        planned = re.search(
            r'id="lscale-\w+" transform="[^"]*" data-span="([\d.]+)"', c.get(f"/runs/{second}").text
        )
        grown = re.search(
            r'id="lscale-\w+" transform="[^"]*" data-span="([\d.]+)"', c.get(f"/runs/{other}").text
        )
        assert planned and grown
        # 0.3 s or more, times 1.1, rounded up (0.4 s or more); a growing axis starts at 0.1 s
        assert float(planned.group(1)) >= 0.4 and float(grown.group(1)) < 0.3
        c.wait_until_finished(second)
        c.wait_until_finished(other)


def test_runs_that_shared_the_machine_say_so(lab: Lab) -> None:
    with lab(max_concurrent_runs=2) as client:
        body = {"workload": "io", "executor": "sequential", "tasks": 2, "params": {"ms": 200}}
        a, b = client.start(**body), client.start(**body)
        docs = [client.wait_until_finished(r["id"]) for r in (a, b)]
        assert docs[0]["alongside"] == [b["id"]] and docs[1]["alongside"] == [a["id"]]
        assert all(d["metrics"]["alongside_runs"] == 1 for d in docs)
        page = client.get(f"/runs/{a['id']}").text
        assert "Another run of this lab executed at the same time" in page
        alone = client.wait_until_finished(client.start(**body)["id"])
        assert alone["alongside"] == [] and "alongside_runs" not in alone["metrics"]
        assert "Another run of this lab" not in client.get(f"/runs/{alone['id']}").text
