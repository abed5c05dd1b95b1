"""What is common to every lesson: the registry, the order and the published ids, judging a
comparison, the lessons API and page, and how a lesson is scheduled (alone)."""

from __future__ import annotations

import importlib
import pkgutil
import re
import time
from pathlib import Path

import pytest

import experiments.lessons
from experiments.lessons import LESSONS, ORDER, cpu_bound
from server.lab.comparison import judge
from tests.lessons.documents import doc
from tests.support import Lab, LabClient

CONTRACT = Path(__file__).resolve().parents[2] / ".." / "shared" / "CONTRACT.md"


def test_lessons_use_published_ids_and_document_their_facts() -> None:
    assert set(LESSONS) <= set(ORDER) | {lid for lid in LESSONS if lid.startswith("server-")}
    for lesson in LESSONS.values():
        assert lesson.steps and lesson.explanation and lesson.summary
        assert len({s.label for s in lesson.steps}) == len(lesson.steps), lesson.id
        assert lesson.facts, f"{lesson.id} documents no facts"


def test_every_step_of_every_lesson_is_a_valid_run() -> None:
    from server.comparisons import lesson_specs
    from server.spec import Limits

    for lesson in LESSONS.values():
        assert len(lesson_specs(lesson, Limits())) == len(lesson.steps)


@pytest.mark.skipif(not CONTRACT.exists(), reason="shared/ is not beside the repository")
def test_order_lists_exactly_the_contract_lesson_ids() -> None:
    section = CONTRACT.read_text().split("## Lessons and comparisons")[1]
    ids = re.findall(r"`([a-z0-9-]+)`", section.split("\n|")[0])  # the paragraph before the table
    assert len(ids) == 19
    # The published ids, in their order; lessons added since (LESSONS.md) sit between them.
    assert [lid for lid in ORDER if lid in ids] == ids
    assert set(ORDER) - set(ids) == {"oversubscription"}
    assert ORDER.index("oversubscription") == ORDER.index("start-methods") + 1  # lesson 13
    assert set(ORDER) == set(LESSONS)


def test_every_lesson_has_references_and_two_or_three_paragraphs() -> None:
    for lesson in LESSONS.values():
        assert lesson.references and 2 <= len(lesson.explanation) <= 3, lesson.id


def test_each_lesson_module_has_a_test_file_of_its_own() -> None:
    here = Path(__file__).parent
    for info in pkgutil.iter_modules(experiments.lessons.__path__):
        if hasattr(importlib.import_module(f"experiments.lessons.{info.name}"), "LESSON"):
            assert (here / f"test_{info.name}.py").is_file(), info.name


def test_each_lesson_module_is_registered_under_its_id() -> None:
    for info in pkgutil.iter_modules(experiments.lessons.__path__):
        lesson = getattr(
            importlib.import_module(f"experiments.lessons.{info.name}"), "LESSON", None
        )
        if lesson is not None:
            assert LESSONS[lesson.id] is lesson, info.name


# --- judging a comparison ----------------------------------------------------------------------


def test_an_unfinished_run_gets_no_verdict_but_a_reason() -> None:
    lesson = LESSONS["cpu-bound"]
    docs = {s.label: doc(s.label) for s in lesson.steps}
    docs[cpu_bound.PRC]["status"] = "cancelled"
    v = judge(lesson, docs)
    assert v["facts"] == {} and "processes (2) (cancelled)" in v["text"]


def test_a_verdict_names_the_run_that_other_programs_slowed() -> None:
    lesson = LESSONS["cpu-bound"]
    docs = {
        s.label: doc(s.label, outside_cpu_cores=0.4, cpu_busy_fraction=0.65) for s in lesson.steps
    }
    docs[cpu_bound.PRC]["metrics"].update(outside_cpu_cores=0.62, cpu_busy_fraction=0.97)
    docs[cpu_bound.PRC]["wall_s"] = 0.8
    text = judge(lesson, docs)["text"]
    assert text.startswith(cpu_bound.judge(docs).text)  # the lesson's own verdict comes first
    assert (
        f"While “{cpu_bound.PRC}” went, every core was busy and other programs on this machine "
        f"used 0.6 of its 2 (a browser drawing live charts counts): “{cpu_bound.PRC}” had less "
        "room than on an idle machine." in text
    )
    assert text.count("other programs") == 1  # the others left a core free: not said
    docs[cpu_bound.PRC]["metrics"].update(outside_cpu_cores=0.2)  # below notable: not said
    assert "other programs" not in judge(lesson, docs)["text"]
    for d in docs.values():  # documents stored before the figure existed
        del d["metrics"]["outside_cpu_cores"]
    assert "other programs" not in judge(lesson, docs)["text"]


# --- the API, the page, the schedule ------------------------------------------------------------


def test_lessons_list_and_unknown_lesson(client: LabClient) -> None:
    listed = client.get("/api/lessons").json()
    assert [entry["id"] for entry in listed] == list(LESSONS)
    assert set(listed[0]) == {"id", "title", "summary"}
    assert client.post("/api/lessons/no-such-lesson/runs").status_code == 404
    assert client.get("/api/comparisons/nope").status_code == 404


def test_a_lesson_page_shows_its_latest_result(client: LabClient) -> None:
    c = client.run_lesson("concurrency-vs-parallelism")
    page = client.get("/lessons/concurrency-vs-parallelism").text
    assert "data-verdict" in page and "Published figures" in page
    # Each run's figures, the load of other programs meanwhile included.
    assert ">other programs</th>" in page
    for run in c["runs"]:
        assert f"{run['metrics']['outside_cpu_cores']:.2f} cores</td>" in page
    assert client.get("/lessons").status_code == 200
    assert client.get("/lessons/nope").status_code == 404


def test_a_lesson_runs_alone_and_other_runs_wait_for_it(lab: Lab) -> None:
    # Two runs may execute at once, but a lesson's verdict compares timings: none of its runs may
    # share the machine with another run, and runs submitted after it wait (first come, first
    # served). Checked on every status seen while they go, whatever the timing, and on the record
    # of which runs overlapped.
    with lab(max_concurrent_runs=2) as client:
        io = {"workload": "io", "executor": "sequential", "tasks": 1, "params": {"ms": 800}}
        before = client.post("/api/runs", json=io).json()["id"]
        lesson = client.post("/api/lessons/blocking-the-loop/runs").json()
        after = client.post("/api/runs", json=io).json()["id"]
        # Queued, with the reason said (the first run takes 0.8 s: it is still going).
        first = client.get(f"/api/runs/{lesson['runs'][0]}").json()
        assert first["queue_reason"] == (
            "a lesson runs alone: it starts when the runs already going have ended"
        )
        page = client.get(f"/comparisons/{lesson['id']}").text
        assert "Waiting: a lesson runs alone: it starts when the runs already going" in page
        later = client.get(f"/api/runs/{after}").json()
        assert later["queue_reason"] == "a lesson queued before it runs first, alone"
        # Statuses only move forward (pending, running, done), and one poll reads them one at a
        # time. Read in this order, a status read later cannot make an honest schedule look
        # wrong: the later run first, the lesson, then the earlier run.
        ids = [after, *lesson["runs"], before]
        seen: list[dict[str, str]] = []
        while True:
            status = {i: client.get(f"/api/runs/{i}").json()["status"] for i in ids}
            seen.append(status)
            if all(s in ("done", "failed", "cancelled") for s in status.values()):
                break
            time.sleep(0.02)
        docs = {i: client.get(f"/api/runs/{i}").json() for i in ids}
    assert all(s == "done" for s in seen[-1].values()), seen[-1]
    # No run shared the machine with another (the manager's own record of what overlapped) ...
    assert {i: d["alongside"] for i, d in docs.items()} == {i: [] for i in ids}
    for status in seen:
        lesson_going = [i for i in lesson["runs"] if status[i] == "running"]
        if status[before] == "running" or status[after] == "running":
            assert not lesson_going, status
    # ... the lesson did not start before the earlier run ended, nor the later run before the lesson.
    first_lesson = next(k for k, s in enumerate(seen) if s[lesson["runs"][0]] != "pending")
    assert all(s[before] == "done" for s in seen[first_lesson:])
    first_after = next(k for k, s in enumerate(seen) if s[after] != "pending")
    assert all(s[lesson["runs"][-1]] == "done" for s in seen[first_after:])
