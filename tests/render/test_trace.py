"""The trace export: hand-made documents for its layout and numbers, real runs for what the lab
records (a 2-process run, a threads run, an event loop)."""

from __future__ import annotations

from typing import Any

import pytest

from server.render.trace import steps, trace
from tests.render.handmade import HandDoc
from tests.support import Execute, trace_problems

Events = list[dict[str, Any]]


def of(tr: dict[str, Any], ph: str, cat: str | None = None) -> Events:
    return [e for e in tr["traceEvents"] if e["ph"] == ph and (cat is None or e.get("cat") == cat)]


def names(tr: dict[str, Any], kind: str) -> dict[tuple[int, int], str]:
    return {(e["pid"], e["tid"]): e["args"]["name"] for e in of(tr, "M") if e["name"] == kind}


def counter(tr: dict[str, Any], name: str, key: str) -> list[tuple[int, float]]:
    return [(e["ts"], e["args"][key]) for e in of(tr, "C") if e["name"] == name]


def inside(part: dict[str, Any], task: dict[str, Any]) -> bool:
    return task["ts"] <= part["ts"] and part["ts"] + part["dur"] <= task["ts"] + task["dur"]


# --- hand-made documents ----------------------------------------------------------------------


def test_worker_processes_are_processes_and_threads_named_after_their_lanes(
    handdoc: HandDoc,
) -> None:
    a, b = handdoc.lane("p101", "process", pid=101), handdoc.lane("p102", "process", pid=102)
    handdoc.task(a, 0.0, 0.1, [(0.0, 0.1)])
    handdoc.task(b, 0.0, 0.1, [(0.0, 0.1)])
    tr = trace(handdoc.doc())
    assert names(tr, "thread_name") == {(101, 101): "worker 1", (102, 102): "worker 2"}
    processes = names(tr, "process_name")
    assert processes[(101, 101)] == "worker 1" and processes[(102, 102)] == "worker 2"
    assert processes[(10, 10)].startswith("run r1: cpu(ms=100)")  # the lab, with the counters
    assert {e["pid"] for e in of(tr, "C")} == {10}
    assert tr["displayTimeUnit"] == "ms" and tr["otherData"]["run"] == "r1"
    assert trace_problems(tr) == []


def test_a_lane_that_runs_one_task_after_another_nests_them_as_x_slices(
    handdoc: HandDoc,
) -> None:
    t = handdoc.lane("t11", tid=11)
    handdoc.task(t, 0.0001, 0.0301, [(0.0001, 0.01), (0.02, 0.0301)], [(0.01, 0.02, "gil")])
    handdoc.task(t, 0.0301, 0.05, [(0.0301, 0.05)], [])
    tr = trace(handdoc.doc())
    tasks, runs, waits = of(tr, "X", "task"), of(tr, "X", "running"), of(tr, "X", "wait")
    assert [(e["name"], e["ts"], e["dur"]) for e in tasks] == [
        ("task 0", 100, 30_000),
        ("task 1", 30_100, 19_900),
    ]
    assert [(e["ts"], e["dur"]) for e in runs] == [(100, 9_900), (20_000, 10_100), (30_100, 19_900)]
    assert [(e["name"], e["ts"], e["dur"]) for e in waits] == [("gil", 10_000, 10_000)]
    assert all(inside(p, tasks[p["args"]["task"]]) for p in runs + waits)
    assert {(e["pid"], e["tid"]) for e in tasks + runs + waits} == {(10, 11)}
    assert of(tr, "b") == []
    assert trace_problems(tr) == []


def test_an_event_loops_tasks_are_async_slices_and_its_thread_holds_only_what_ran(
    handdoc: HandDoc,
) -> None:
    loop = handdoc.lane("l12", "loop", tid=12)
    for i in range(3):  # all in flight at once, each running twice and awaiting in between
        a, b = 0.001 * i, 0.001 * i + 0.0005
        handdoc.task(
            loop, a, 0.1, [(a, b), (0.09 + 0.001 * i, 0.0905 + 0.001 * i)], [(b, 0.09, "io")]
        )
    tr = trace(handdoc.doc())
    lifetimes = of(tr, "b", "task")
    assert [(e["name"], e["id2"], e["ts"]) for e in lifetimes] == [
        ("task 0", {"local": "0x0"}, 0),
        ("task 1", {"local": "0x1"}, 1_000),
        ("task 2", {"local": "0x2"}, 2_000),
    ]
    assert [e["ts"] for e in of(tr, "e", "task")] == [100_000] * 3
    assert len(of(tr, "b", "wait")) == 3 and {e["name"] for e in of(tr, "b", "wait")} == {"io"}
    running = of(tr, "X", "running")
    assert len(running) == 6 and of(tr, "X", "task") == []
    assert trace_problems(tr) == []  # no X slice overlaps another on the loop's thread


def test_tasks_that_overlap_on_a_thread_lane_become_async_rather_than_overflow(
    handdoc: HandDoc,
) -> None:
    t = handdoc.lane("t11", tid=11)  # a server's worker, say, with requests in flight together
    handdoc.task(t, 0.0, 0.05, [(0.0, 0.01)])
    handdoc.task(t, 0.02, 0.08, [(0.03, 0.04)])
    tr = trace(handdoc.doc())
    assert len(of(tr, "b", "task")) == 2 and of(tr, "X", "task") == []
    assert len(of(tr, "X", "running")) == 2
    assert trace_problems(tr) == []


def test_documents_without_waits_have_no_wait_slices_and_no_waiting_counter(
    handdoc: HandDoc,
) -> None:
    t = handdoc.lane("t11", tid=11)
    handdoc.task(t, 0.0, 0.05, [(0.0, 0.02), (0.03, 0.05)])  # recorded before waits were
    tr = trace(handdoc.doc())
    assert of(tr, "X", "wait") == [] and counter(tr, "waiting", "gil") == []
    assert len(of(tr, "X", "running")) == 2


def test_counters_count_tasks_in_flight_running_and_waiting_per_reason(handdoc: HandDoc) -> None:
    a, b = handdoc.lane("t11", tid=11), handdoc.lane("t12", tid=12)
    handdoc.task(a, 0.0, 0.004, [(0.0, 0.001), (0.003, 0.004)], [(0.001, 0.003, "gil")])
    handdoc.task(b, 0.001, 0.004, [(0.001, 0.003)], [(0.003, 0.004, "core")])
    tr = trace(handdoc.doc())
    assert counter(tr, "in flight", "tasks") == [(0, 1), (1_000, 2), (4_000, 0)]
    # At 1 and 3 ms one task stops and the other starts running: the count does not change.
    assert counter(tr, "running", "tasks") == [(0, 1), (4_000, 0)]
    waiting = [(e["ts"], e["args"]) for e in of(tr, "C") if e["name"] == "waiting"]
    assert waiting == [
        (0, {"gil": 0, "core": 0}),
        (1_000, {"gil": 1, "core": 0}),
        (3_000, {"gil": 0, "core": 1}),
        (4_000, {"gil": 0, "core": 0}),
    ]


def test_cpu_per_core_holds_from_the_sample_before_the_one_that_measured_it(
    handdoc: HandDoc,
) -> None:
    handdoc.lane("t11", tid=11)
    handdoc.sample(0.1, [90.0, 10.0])
    handdoc.sample(0.2, [50.0, 60.0])
    tr = trace(handdoc.doc(wall=0.2))
    assert counter(tr, "CPU core 0", "%") == [(0, 90.0), (100_000, 50.0)]
    assert counter(tr, "CPU core 1", "%") == [(0, 10.0), (100_000, 60.0)]


def test_a_sample_taken_after_the_last_task_ended_adds_no_counter_past_the_run(
    handdoc: HandDoc,
) -> None:
    # The run ends with its last task (0.15 s); the sampler may still take one at 0.16 s and the
    # final one after it, which measured only time past the end.
    handdoc.lane("t11", tid=11)
    handdoc.sample(0.1, [90.0, 10.0])
    handdoc.sample(0.16, [50.0, 60.0])
    handdoc.sample(0.2, [5.0, 5.0])
    tr = trace(handdoc.doc(wall=0.15))
    assert counter(tr, "CPU core 0", "%") == [(0, 90.0), (100_000, 50.0)]
    assert max(e["ts"] + e.get("dur", 0) for e in tr["traceEvents"]) <= 150_000


def test_a_run_still_going_ends_its_tasks_in_flight_where_it_has_got(handdoc: HandDoc) -> None:
    t = handdoc.lane("t11", tid=11)
    handdoc.task(t, 0.0, 0.01, [(0.0, 0.01)])
    handdoc.task(t, 0.01, None, [(0.01, 0.03)])
    handdoc.sample(0.035, [50.0, 50.0])
    tr = trace(handdoc.doc(status="running"))
    last = of(tr, "X", "task")[-1]
    assert (last["ts"], last["dur"], last["args"]["in_flight"]) == (10_000, 25_000, True)
    assert tr["otherData"]["status"] == "running" and trace_problems(tr) == []


def test_two_lanes_on_one_thread_get_a_thread_each(handdoc: HandDoc) -> None:
    handdoc.lane("a", tid=11)
    handdoc.lane("b", tid=11)  # the same OS thread, reused: still two lanes
    tr = trace(handdoc.doc())
    threads = names(tr, "thread_name")
    assert sorted(threads.values()) == ["thread 1", "thread 2"] and len(threads) == 2


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        pytest.param([], [(0, {"n": 0})], id="nothing"),
        pytest.param([(0, "n", 1), (5, "n", -1)], [(0, {"n": 1}), (5, {"n": 0})], id="from-0"),
        pytest.param(
            [(3, "n", 1), (3, "n", -1), (3, "n", 1)], [(0, {"n": 0}), (3, {"n": 1})], id="same-ts"
        ),
        pytest.param(
            [(2, "n", 1), (4, "n", -1), (4, "n", 1), (6, "n", -1)],
            [(0, {"n": 0}), (2, {"n": 1}), (6, {"n": 0})],
            id="hand-over",
        ),
    ],
)
def test_steps_apply_the_changes_at_one_time_together(
    changes: list[tuple[int, str, int]], expected: list[tuple[int, dict[str, int]]]
) -> None:
    assert steps(changes, ["n"]) == expected


# --- real runs --------------------------------------------------------------------------------


def test_a_2_process_cpu_run_has_two_named_threads_and_a_slice_per_running_interval(
    execute: Execute,
) -> None:
    doc = execute("cpu", "processes", tasks=4, workers=2, ms=40)
    tr = trace(doc)
    assert trace_problems(tr) == []
    workers = {(lane["pid"], lane["pid"]): lane["label"] for lane in doc["lanes"]}
    assert len(workers) == 2
    assert names(tr, "thread_name") == workers
    tasks = {e["args"]["task"]: e for e in of(tr, "X", "task")}
    runs = of(tr, "X", "running")
    assert len(runs) == sum(len(t["running"]) for t in doc["tasks"])
    for t in doc["tasks"]:
        span = tasks[t["id"]]
        # Microseconds since the run's start, on the task's own lane.
        assert (span["ts"], span["ts"] + span["dur"]) == (
            round(t["start_s"] * 1e6),
            round(t["end_s"] * 1e6),
        )
        lane = next(lane for lane in doc["lanes"] if lane["id"] == t["lane"])
        assert (span["pid"], span["tid"]) == (lane["pid"], lane["pid"])
        mine = [r for r in runs if r["args"]["task"] == t["id"]]
        assert [(r["ts"], r["ts"] + r["dur"]) for r in mine] == [
            (round(s * 1e6), round(e * 1e6)) for s, e in t["running"]
        ]
        assert all(
            inside(r, span) and (r["pid"], r["tid"]) == (span["pid"], span["tid"]) for r in mine
        )
    assert max(e["ts"] + e.get("dur", 0) for e in tr["traceEvents"]) <= round(doc["wall_s"] * 1e6)


def test_an_asyncio_runs_tasks_do_not_overlap_on_the_loops_thread(execute: Execute) -> None:
    doc = execute("io", "asyncio", tasks=20, ms=30)
    tr = trace(doc)
    assert trace_problems(tr) == []
    (loop,) = doc["lanes"]
    on_thread = [e for e in tr["traceEvents"] if e["ph"] == "X"]
    assert {(e["pid"], e["tid"]) for e in on_thread} == {(loop["pid"], loop["tid"])}
    assert {e["cat"] for e in on_thread} == {"running"}
    assert len(of(tr, "b", "task")) == len(of(tr, "e", "task")) == 20
    in_flight = max(v for _, v in counter(tr, "in flight", "tasks"))
    assert in_flight == doc["metrics"]["max_in_flight"] == 20
