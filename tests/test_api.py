"""The JSON API and its event stream, against the real app served by uvicorn on a loopback port.

A real server, not ``httpx.ASGITransport``: the transport collects a whole response before handing
it over, so it could not show that events arrive while a run goes.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from server.settings import Settings
from server.store import INTERRUPTED, Store
from server.web.app import create_app

FINAL = {"done", "failed", "cancelled"}


@contextmanager
def serve(settings: Settings) -> Iterator[str]:
    """The app on a free loopback port, in a thread of its own; yields its base URL."""
    config = uvicorn.Config(
        create_app(settings),
        host="127.0.0.1",
        port=0,
        http="h11",
        ws="none",
        lifespan="on",
        log_level="warning",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="test-uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(20)
        assert not thread.is_alive(), "the test server did not stop"


@contextmanager
def client_for(settings: Settings) -> Iterator[httpx.Client]:
    with serve(settings) as url, httpx.Client(base_url=url, timeout=10) as client:
        yield client


@pytest.fixture(scope="module")
def lab_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("lab"), max_concurrent_runs=4)
    with serve(settings) as url:
        yield url


@pytest.fixture
def client(lab_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=lab_url, timeout=10) as c:
        yield c


def start(client: httpx.Client, **body: Any) -> dict[str, Any]:
    r = client.post("/api/runs", json=body)
    assert r.status_code == 202, r.text
    doc: dict[str, Any] = r.json()
    return doc


def wait_until_finished(client: httpx.Client, run_id: str, timeout: float = 15) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        doc: dict[str, Any] = client.get(f"/api/runs/{run_id}").json()
        if doc["status"] in FINAL:
            return doc
        assert time.monotonic() < deadline, f"run {run_id} still {doc['status']}"
        time.sleep(0.02)


@dataclass
class Event:
    id: int
    event: str
    data: dict[str, Any]
    at: float  # when it reached the client (monotonic seconds)


def read_events(
    client: httpx.Client, run_id: str, last_id: str | int | None = None, limit: int | None = None
) -> tuple[list[Event], bool]:
    """The stream's messages (at most ``limit``), and whether the server ended the stream."""
    headers = {} if last_id is None else {"Last-Event-ID": str(last_id)}
    events: list[Event] = []
    fields: dict[str, str] = {}
    with client.stream("GET", f"/api/runs/{run_id}/events", headers=headers) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        for line in r.iter_lines():
            if line.startswith(":"):  # a keep-alive comment
                continue
            if line:
                name, _, value = line.partition(":")
                fields[name] = value.removeprefix(" ")
                continue
            if fields:
                events.append(
                    Event(
                        int(fields["id"]),
                        fields["event"],
                        json.loads(fields["data"]),
                        time.monotonic(),
                    )
                )
                fields = {}
                if limit is not None and len(events) >= limit:
                    return events, False
    return events, True


def ids(events: list[Event]) -> list[int]:
    return [e.id for e in events]


# --- plain JSON routes -------------------------------------------------------------------------


def test_health(client: httpx.Client) -> None:
    r = client.get("/api/health")
    assert (r.status_code, r.json()) == (200, {"status": "ok"})


def test_workloads_list_parameters_with_bounds_and_executors_with_pool_sizes(
    client: httpx.Client,
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


def test_posted_run_is_accepted_then_found_done_with_metrics(client: httpx.Client) -> None:
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

    done = wait_until_finished(client, doc["id"])
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
    client: httpx.Client, body: dict[str, Any], loc: list[str]
) -> None:
    r = client.post("/api/runs", json=body)
    assert r.status_code == 422
    errors = r.json()["detail"]  # one per member of a union type, else exactly one
    assert errors and all(e["loc"][: len(loc)] == loc and e["msg"] for e in errors)


def test_malformed_json_body_is_422(client: httpx.Client) -> None:
    r = client.post(
        "/api/runs", content=b'{"workload": "io",', headers={"content-type": "application/json"}
    )
    assert r.status_code == 422
    (error,) = r.json()["detail"]
    assert error["loc"][0] == "body"
    assert error["type"] == "json_invalid"


@pytest.mark.parametrize("query", ["limit=0", "limit=501", "limit=ten", "offset=-1"])
def test_bad_list_query_is_422(client: httpx.Client, query: str) -> None:
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
def test_unknown_run_is_404(client: httpx.Client, method: str, path: str) -> None:
    r = client.request(method, path)
    assert r.status_code == 404
    assert r.json() == {"detail": "no run with id 'nope'"}


def test_cancel_stops_a_run_within_a_second(client: httpx.Client) -> None:
    doc = start(client, workload="io", executor="threads", tasks=40, workers=2, params={"ms": 500})
    while client.get(f"/api/runs/{doc['id']}").json()["status"] == "pending":
        time.sleep(0.01)
    asked = time.monotonic()
    r = client.post(f"/api/runs/{doc['id']}/cancel")
    assert r.status_code == 202
    assert r.json()["id"] == doc["id"]
    ended = wait_until_finished(client, doc["id"], timeout=5)
    assert time.monotonic() - asked < 1.0
    assert ended["status"] == "cancelled"
    assert len(ended["tasks"]) < 40
    assert client.post(f"/api/runs/{doc['id']}/cancel").status_code == 409


def test_full_queue_is_429_and_queued_runs_can_be_cancelled(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, max_concurrent_runs=1, queue_size=1)
    with client_for(settings) as client:
        long = {"workload": "io", "tasks": 1, "params": {"ms": 30_000}}
        running, queued = start(client, **long), start(client, **long)
        assert queued["status"] == "pending" and queued["queue_position"] == 1
        r = client.post("/api/runs", json=long)
        assert r.status_code == 429
        assert "queued" in r.json()["detail"]
        for doc in (queued, running):
            assert client.post(f"/api/runs/{doc['id']}/cancel").status_code == 202
        for doc in (queued, running):
            final = wait_until_finished(client, doc["id"], timeout=5)
            assert final["status"] == "cancelled"
            assert final["alongside"] == []  # the queued run never executed beside the other
        events, closed = read_events(client, queued["id"])
        assert closed and [(e.id, e.event, e.data["status"]) for e in events] == [
            (1, "status", "cancelled")
        ]
        start(client, workload="io", tasks=1, params={"ms": 1})  # room again


def test_read_only_lab_refuses_runs_with_403(tmp_path: Path) -> None:
    with client_for(Settings(data_dir=tmp_path, read_only=True)) as client:
        r = client.post("/api/runs", json={"workload": "io"})
        assert r.status_code == 403
        assert "read-only" in r.json()["detail"]


# --- the event stream --------------------------------------------------------------------------


def test_events_arrive_while_the_run_goes_then_the_stream_ends(client: httpx.Client) -> None:
    doc = start(client, workload="io", executor="threads", tasks=4, workers=4, params={"ms": 400})
    events, closed = read_events(client, doc["id"])

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


def test_reconnecting_with_last_event_id_loses_and_repeats_nothing(
    client: httpx.Client,
) -> None:
    doc = start(client, workload="io", executor="sequential", tasks=12, params={"ms": 50})
    seen: list[Event] = []
    reconnects_mid_run = 0
    while True:
        last = seen[-1].id if seen else None
        part, closed = read_events(client, doc["id"], last_id=last, limit=3)
        assert ids(part) == list(range((last or 0) + 1, (last or 0) + 1 + len(part)))
        seen += part
        if seen and seen[-1].event == "status" and seen[-1].data["status"] in FINAL:
            break
        reconnects_mid_run += 1
    assert reconnects_mid_run >= 3

    full, closed = read_events(client, doc["id"])
    assert closed
    assert ids(seen) == ids(full) == list(range(1, len(full) + 1))
    assert [(e.event, e.data) for e in seen] == [(e.event, e.data) for e in full]
    rest, closed = read_events(client, doc["id"], last_id=len(full) - 2)
    assert closed and ids(rest) == [len(full) - 1, len(full)]
    nothing, closed = read_events(client, doc["id"], last_id=len(full))
    assert closed and nothing == []


def test_subscribing_after_the_run_finished_replays_it_all(client: httpx.Client) -> None:
    doc = start(client, workload="io", executor="asyncio", tasks=5, params={"ms": 30})
    done = wait_until_finished(client, doc["id"])

    events, closed = read_events(client, doc["id"])
    assert closed
    assert ids(events) == list(range(1, len(events) + 1))
    assert events[-1].event == "status" and events[-1].data["status"] == "done"
    assert events[-1].data["metrics"] == done["metrics"]
    last_state = {e.data["id"]: e.data for e in events if e.event == "task"}
    assert [last_state[i] for i in sorted(last_state)] == done["tasks"]
    malformed, _ = read_events(client, doc["id"], last_id="soon")
    assert ids(malformed) == ids(events)


def test_history_and_events_survive_a_restart(tmp_path: Path) -> None:
    with client_for(Settings(data_dir=tmp_path)) as client:
        doc = start(client, workload="io", executor="threads", tasks=3, params={"ms": 20})
        before = wait_until_finished(client, doc["id"])

    with client_for(Settings(data_dir=tmp_path)) as client:
        after = client.get(f"/api/runs/{doc['id']}").json()
        assert after == before
        assert [r["id"] for r in client.get("/api/runs").json()] == [doc["id"]]

        events, closed = read_events(client, doc["id"])
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
        rest, closed = read_events(client, doc["id"], last_id=2)
        assert closed and ids(rest) == ids(events)[2:]


def test_a_run_the_last_server_left_running_shows_as_failed(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    store = Store(settings.db_path)
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
    with client_for(settings) as client:
        doc = client.get("/api/runs/orphan").json()
        assert (doc["status"], doc["error"]) == ("failed", INTERRUPTED)
        assert client.get("/api/runs").json()[0]["status"] == "failed"
        events, closed = read_events(client, "orphan")
        assert closed and [(e.event, e.data["status"]) for e in events] == [("status", "failed")]


def test_a_run_page_opened_just_after_the_end_is_not_live(tmp_path: Path) -> None:
    # Frames once a second: the page watching the run made a drive job that is now asleep. A page
    # opened the moment the API says "done" must show the finished run, not a stream to wait on.
    with (
        serve(Settings(data_dir=tmp_path, frame_interval_s=1.0)) as url,
        httpx.Client(base_url=url, timeout=10) as c,
    ):
        run = start(c, workload="io", executor="sequential", tasks=2, params={"ms": 150})
        assert "data-stream=" in c.get(f"/runs/{run['id']}").text  # live while it runs
        wait_until_finished(c, run["id"])
        page = c.get(f"/runs/{run['id']}").text
        assert "data-stream=" not in page
        assert "2 tasks in" in page


def test_runs_that_shared_the_machine_say_so(tmp_path: Path) -> None:
    with client_for(Settings(data_dir=tmp_path, max_concurrent_runs=2)) as client:
        body = {"workload": "io", "executor": "sequential", "tasks": 2, "params": {"ms": 200}}
        a, b = start(client, **body), start(client, **body)
        docs = [wait_until_finished(client, r["id"]) for r in (a, b)]
        assert docs[0]["alongside"] == [b["id"]] and docs[1]["alongside"] == [a["id"]]
        assert all(d["metrics"]["alongside_runs"] == 1 for d in docs)
        page = client.get(f"/runs/{a['id']}").text
        assert "Another run of this lab executed at the same time" in page
        alone = wait_until_finished(client, start(client, **body)["id"])
        assert alone["alongside"] == [] and "alongside_runs" not in alone["metrics"]
        assert "Another run of this lab" not in client.get(f"/runs/{alone['id']}").text
