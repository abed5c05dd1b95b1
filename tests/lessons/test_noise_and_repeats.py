"""What every lesson's verdict gets from the judge wrapper (``server/lab/comparison.py``): a word on
the machine's speed changing across its runs, and repeats (interleaved runs, each step's median);
the API's ``repeat``, the page's control, and a repeated lesson end to end."""

from __future__ import annotations

from typing import Any

import pytest
from bs4 import BeautifulSoup

from experiments.lessons import LESSONS, Lesson, Ratio, Step, Verdict, cpu_bound
from server.lab.comparison import (
    FACTS,
    MAX_REPEAT,
    SPEED_NOTABLE,
    median_run,
    medians,
    plan,
    speeds_of,
)
from server.lab.comparison import judge as judged
from tests.lessons.documents import doc
from tests.support import LabClient

CPU = LESSONS["cpu-bound"]
#: cpu-bound's runs on a machine whose speed held: asyncio 1.20x, the same work as sequential.
WALLS = {cpu_bound.SEQ: 1.2, cpu_bound.THR: 1.25, cpu_bound.PRC: 0.65, cpu_bound.AIO: 1.0}


def cpu_docs(speeds: dict[str, tuple[float, float]] | None = None, scale: float = 1.0) -> Any:
    """cpu-bound's four runs (the same work each), with the speeds measured around them."""
    docs = {}
    for label, w in WALLS.items():
        d = doc(label, wall=round(w * scale, 3), speed=(speeds or {}).get(label))
        d.update(workload="cpu", tasks_requested=8, params={"ms": 150})
        docs[label] = d
    return docs


# --- the machine's speed ------------------------------------------------------------------------


def test_a_steady_machine_adds_its_speed_spread_and_says_nothing_more() -> None:
    speeds = dict.fromkeys(WALLS, (100.0, 104.0))
    speeds[cpu_bound.AIO] = (105.0, 98.0)  # (105 - 98) / 98: 7%, under SPEED_NOTABLE
    docs = cpu_docs(speeds)
    v = judged(CPU, docs)
    assert v["facts"]["speed_spread"] == pytest.approx(0.071)
    assert v["facts"]["speed_spread"] < SPEED_NOTABLE
    assert v["text"] == cpu_bound.judge(docs).text


def test_a_changing_machine_is_said_with_the_differences_it_can_explain() -> None:
    speeds = {
        cpu_bound.SEQ: (41.0, 43.0),
        cpu_bound.THR: (42.0, 44.0),
        cpu_bound.PRC: (45.0, 47.0),
        cpu_bound.AIO: (50.8, 49.0),
    }
    docs = cpu_docs(speeds)
    v = judged(CPU, docs)
    assert v["facts"]["speed_spread"] == pytest.approx(0.239)  # (50.8 - 41) / 41
    own, note = v["text"].split("\n")
    assert own == cpu_bound.judge(docs).text  # the lesson's verdict first, untouched
    assert note == (
        "This machine's speed changed by 24% across these runs (41.0 to 50.8 work units per ms "
        "of CPU). “sequential” and “threads (2)” did the same work; their 4% difference can be "
        "this machine's speed changing, not threads. “sequential” and “asyncio” did the same "
        "work; their 20% difference can be this machine's speed changing, not asyncio."
    )
    # processes' 1.85x is beyond the spread: not named.
    assert "processes" not in note


def test_a_ratio_below_one_counts_by_its_inverse() -> None:
    speeds = {label: (40.0, 40.0) for label in WALLS}
    speeds[cpu_bound.AIO] = (40.0, 47.0)  # 17.5%
    docs = cpu_docs(speeds)
    docs[cpu_bound.AIO]["wall_s"] = 1.4  # asyncio 0.86x: 1 / 0.86 - 1 = 16%, within
    docs[cpu_bound.THR]["wall_s"] = 1.44  # threads 0.83x: 20%, beyond
    note = judged(CPU, docs)["text"].split("\n")[1]
    assert "their 16% difference can be this machine's speed changing, not asyncio" in note
    assert "threads" not in note


def test_runs_of_different_work_are_not_said_to_have_done_the_same() -> None:
    speeds = {label: (40.0, 50.0) for label in WALLS}
    docs = cpu_docs(speeds)
    docs[cpu_bound.AIO]["params"] = {"ms": 100}
    note = judged(CPU, docs)["text"].split("\n")[1]
    assert "“sequential” and “asyncio”: their 20% difference can be" in note


def test_without_measured_speeds_nothing_is_said_and_nothing_breaks() -> None:
    docs = cpu_docs()  # documents from before the lab measured speeds
    v = judged(CPU, docs)
    assert "speed_spread" not in v["facts"]
    assert v["text"] == cpu_bound.judge(docs).text
    # Half-measured or malformed speeds: only numbers count, and one alone is no spread.
    docs[cpu_bound.SEQ]["host"]["speed"] = {"start": 40.0, "end": None}
    docs[cpu_bound.THR]["host"]["speed"] = {"start": True, "end": "fast"}
    docs[cpu_bound.PRC]["host"]["speed"] = None
    del docs[cpu_bound.AIO]["host"]
    assert speeds_of(docs.values()) == [40.0]
    assert "speed_spread" not in judged(CPU, docs)["facts"]


def lesson_with(facts: dict[str, float], ratios: tuple[Ratio, ...] | None = None) -> Lesson:
    return Lesson(
        id="made-up",
        title="t",
        summary="s",
        explanation=("e",),
        steps=(Step("a", "cpu", "sequential"), Step("b", "cpu", "threads")),
        judge=lambda runs: Verdict("Measured.", facts),
        ratios=ratios,
    )


NOISY = {"a": doc("a", speed=(40.0, 50.0)), "b": doc("b", speed=(45.0, 45.0))}


def test_facts_named_speedup_are_the_timing_comparisons_unless_a_lesson_says() -> None:
    note = judged(lesson_with({"speedup_b": 1.05, "lanes": 1.0}), NOISY)["text"].split("\n")[1]
    assert note == (
        "This machine's speed changed by 25% across these runs (40.0 to 50.0 work units per ms of "
        "CPU). speedup_b is 1.05×: its 5% difference can be this machine's speed changing."
    )
    declared = lesson_with({"speedup_b": 1.05, "ratio": 0.9}, (Ratio("ratio", "a", "b", "b"),))
    note = judged(declared, NOISY)["text"].split("\n")[1]
    assert note.endswith(
        "“a” and “b” did the same work; their 11% difference can be this machine's speed "
        "changing, not b."
    )


def test_a_changing_machine_is_said_also_when_no_difference_is_that_small() -> None:
    far = judged(lesson_with({"speedup_b": 1.9}), NOISY)["text"]
    assert far.endswith("per ms of CPU), less than any of the differences this verdict rests on.")
    # A lesson whose verdict compares no timings (counts of lost updates, say).
    none = judged(lesson_with({"lanes": 2.0}), NOISY)["text"]
    assert none.endswith(
        "work units per ms of CPU): a difference in timing smaller than that can be the machine "
        "alone."
    )


def test_every_declared_ratio_is_a_documented_fact_between_the_lessons_own_runs() -> None:
    for lesson in LESSONS.values():
        labels = {s.label for s in lesson.steps}
        for r in lesson.ratios or ():
            assert r.fact in lesson.facts, (lesson.id, r.fact)
            assert (r.base == r.other == "") or {r.base, r.other} <= labels, (lesson.id, r)
            assert r.tested, (lesson.id, r.fact)


# --- repeats ------------------------------------------------------------------------------------


def test_repeats_interleave_the_steps_and_label_each_repetition() -> None:
    slots = plan(CPU, 3)
    assert [s.label for s in slots[:5]] == [
        "sequential · 1 of 3",
        "threads (2) · 1 of 3",
        "processes (2) · 1 of 3",
        "asyncio · 1 of 3",
        "sequential · 2 of 3",
    ]
    assert [(s.step.label, s.repetition) for s in slots] == [
        (step.label, k) for k in (1, 2, 3) for step in CPU.steps
    ]
    assert [s.label for s in plan(CPU)] == [s.label for s in CPU.steps]  # once: as ever
    for wrong in (0, MAX_REPEAT + 1):
        with pytest.raises(ValueError, match="repeat"):
            plan(CPU, wrong)


def test_the_median_run_is_a_real_run_the_faster_middle_one_of_an_even_count() -> None:
    runs = [doc("x1", wall=1.3), doc("x2", wall=0.9), doc("x3", wall=1.1)]
    assert median_run(runs)["id"] == "x3"
    assert median_run(runs[:2])["id"] == "x2"
    assert median_run([*runs, doc("x4", wall=1.2)])["id"] == "x3"
    assert median_run(runs[:1])["id"] == "x1"
    rounds = [{"a": runs[0], "b": runs[1]}, {"a": runs[1], "b": runs[2]}]
    assert {k: d["id"] for k, d in medians(rounds).items()} == {"a": "x2", "b": "x2"}


def test_a_repeated_lesson_is_judged_on_each_steps_median_run() -> None:
    walls = {  # three repetitions of each step; the medians are WALLS, from rounds 1 and 2
        cpu_bound.SEQ: (1.3, 1.2, 1.1),
        cpu_bound.THR: (1.25, 1.2, 1.3),
        cpu_bound.PRC: (0.7, 0.65, 0.6),
        cpu_bound.AIO: (1.0, 1.4, 0.9),  # (1.4 - 0.9) / 0.9: the widest, 56%
    }
    rounds = [cpu_docs(), cpu_docs(), cpu_docs()]
    for k, docs in enumerate(rounds):
        for label, d in docs.items():
            d.update(id=f"{label} #{k + 1}", wall_s=walls[label][k])
    chosen = {label: d["id"] for label, d in medians(rounds).items()}
    assert chosen == {
        cpu_bound.SEQ: "sequential #2",
        cpu_bound.THR: "threads (2) #1",
        cpu_bound.PRC: "processes (2) #2",
        cpu_bound.AIO: "asyncio #1",
    }
    v = judged(CPU, *rounds)
    own = cpu_bound.judge(cpu_docs())  # the same figures as the medians
    assert v["facts"] == {**own.facts, "repeat": 3, "repeat_spread": pytest.approx(0.556)}
    assert v["text"].split("\n") == [
        own.text,
        "Repeated 3 times, interleaved; each figure is from the median run of its step; wall "
        "times varied by up to 56% between repetitions of one step (“asyncio”).",
    ]


def test_an_unfinished_repetition_is_named_with_its_number() -> None:
    rounds = [cpu_docs(), cpu_docs()]
    rounds[1][cpu_bound.PRC]["status"] = "cancelled"
    v = judged(CPU, *rounds)
    assert v["facts"] == {} and "processes (2) · 2 of 2 (cancelled)" in v["text"]


# --- the API, the page, end to end --------------------------------------------------------------


@pytest.mark.parametrize(
    "body", [{"repeat": True}, {"repeat": 0}, {"repeat": 6}, {"repeat": "3"}, {"repeat": 2.5}]
)
def test_repeat_must_be_a_whole_number_from_one_to_five(client: LabClient, body: Any) -> None:
    r = client.post("/api/lessons/concurrency-vs-parallelism/runs", json=body)
    assert r.status_code == 422, r.text
    assert [e["loc"] for e in r.json()["detail"]] == [["body", "repeat"]]


def test_the_lessons_api_documents_the_facts_every_verdict_may_add(client: LabClient) -> None:
    facts = client.get("/api/lessons/cpu-bound").json()["facts"]
    assert facts == {**cpu_bound.LESSON.facts, **FACTS}
    assert {"speed_spread", "repeat", "repeat_spread"} <= set(facts)


def test_the_lesson_page_offers_to_repeat_it(client: LabClient) -> None:
    page = BeautifulSoup(client.get("/lessons/cpu-bound").text, "html.parser")
    form = page.select_one("form[action='/lessons/cpu-bound/run']")
    assert form is not None and form["method"] == "post"
    assert form["hx-post"] == "/lessons/cpu-bound/run"
    buttons = {b.get_text(strip=True): b for b in form.select("button[type=submit]")}
    assert set(buttons) == {"Run this lesson", "Repeat ×3"}
    assert buttons["Repeat ×3"]["name"] == "repeat" and buttons["Repeat ×3"]["value"] == "3"
    # Out of range from the form: said, nothing started.
    r = client.post("/lessons/cpu-bound/run", data={"repeat": "9"}, headers={"HX-Request": "1"})
    assert r.status_code == 422 and "repeat must be a whole number from 1 to 5" in r.text


def test_a_repeated_lesson_end_to_end(client: LabClient) -> None:
    lesson = LESSONS["concurrency-vs-parallelism"]
    steps = [s.label for s in lesson.steps]
    c = client.run_lesson(lesson.id, timeout=60, repeat=2)
    runs = c["runs"]
    assert c["repeat"] == 2
    assert [(r["step"], r["repetition"]) for r in runs] == [(s, 1) for s in steps] + [
        (s, 2) for s in steps
    ]
    assert [r["label"] for r in runs] == [f"{s} · {k} of 2" for k in (1, 2) for s in steps]
    facts = c["verdict"]["facts"]
    assert facts["repeat"] == 2 and facts["repeat_spread"] >= 0
    assert "Repeated 2 times, interleaved" in c["verdict"]["text"]
    # One median per step, the faster of its two runs.
    for step in steps:
        mine = [r for r in runs if r["step"] == step]
        assert [r["median"] for r in mine].count(True) == 1
        assert next(r for r in mine if r["median"])["wall_s"] == min(r["wall_s"] for r in mine)
    # The page shows all four runs, the medians marked.
    page = BeautifulSoup(client.get(f"/lessons/{lesson.id}").text, "html.parser")
    assert page.select_one("[data-repeat='2']") is not None
    labels = [a.get_text(strip=True) for a in page.select("table.figures td:first-child a")]
    assert len(labels) == 4 and sum(label.endswith("· median") for label in labels) == 2
    assert FACTS["repeat"] in page.select_one("table.facts").get_text()  # type: ignore[union-attr]
