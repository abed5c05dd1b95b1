"""The executor registry: each executor describes itself, and every user reads it from there."""

from __future__ import annotations

from typing import Any

import pytest
from bs4 import BeautifulSoup

from server.executors import EXECUTORS, spoken, takes_options
from server.lab.executors import Asyncio, Processes, Threads
from server.render.prose import run_title
from server.serverlab.load import ServerLoad
from server.serverlab.options import ServerOptions
from server.settings import Settings
from server.spec import Limits, describe_executor, make_spec
from server.web.pages import TEMPLATES, stored_context


def test_every_executor_is_listed_under_its_own_id_with_what_describes_it() -> None:
    assert list(EXECUTORS) == ["sequential", "threads", "processes", "asyncio", "server"]
    for ex_id, ex in EXECUTORS.items():
        assert ex.id == ex_id
        assert ex.title and ex.lane_noun
        assert 1 <= ex.default_workers(8) <= ex.max_workers


def test_the_thread_limit_has_one_source() -> None:
    assert Limits().max_workers_of(Threads) == Threads.max_workers == 64
    assert Settings().max_thread_workers == Threads.max_workers
    assert Settings().max_process_workers == Processes.max_workers
    assert Settings(max_thread_workers=3).limits.max_workers_of(Threads) == 3


@pytest.mark.parametrize(
    ("ex", "extra"),
    [
        pytest.param(Threads, set(), id="threads"),
        pytest.param(Processes, {"start_methods"}, id="processes"),
        pytest.param(ServerLoad, {"server_options"}, id="server"),
    ],
)
def test_an_executor_describes_its_own_choices(ex: Any, extra: set[str]) -> None:
    described = describe_executor(ex, Limits())
    assert set(described) == {"id", "title", "default_workers", "max_workers", *extra}


def test_capabilities_come_from_the_executor_not_its_id() -> None:
    assert [e.id for e in EXECUTORS.values() if e.takes_options] == ["server"]
    assert takes_options("server") and not takes_options("threads") and not takes_options("nope")
    given = make_spec("io", "server", server={"setup": "hypercorn"}).options
    assert given == ServerOptions(setup="hypercorn")
    assert make_spec("io", "server").options == ServerOptions()
    assert make_spec("io", "threads").options is None
    assert spoken(["a"]) == "a" and spoken(["a", "b", "c"]) == "a, b or c"


def doc_for(executor: str, workers: int, tasks: int = 10) -> dict[str, Any]:
    return {
        "params": {"ms": 5},
        "workload": "io",
        "executor": executor,
        "workers": workers,
        "tasks_requested": tasks,
    }


@pytest.mark.parametrize(
    ("executor", "workers", "says"),
    [
        pytest.param("threads", 4, "io(ms=5) × 10 · threads · 4 workers", id="pool"),
        pytest.param("asyncio", 10, "io(ms=5) × 10 · asyncio · one event loop", id="one-loop"),
        pytest.param(
            "asyncio", 3, "io(ms=5) × 10 · asyncio · one event loop, ≤ 3 at once", id="capped-loop"
        ),
    ],
)
def test_the_run_title_says_what_workers_means_for_the_executor(
    executor: str, workers: int, says: str
) -> None:
    assert not Asyncio.workers_are_a_pool
    assert run_title(doc_for(executor, workers)) == says


@pytest.mark.parametrize(
    ("executor", "noun", "start_method"),
    [
        pytest.param("sequential", "thread", False, id="sequential"),
        pytest.param("threads", "thread", False, id="threads"),
        pytest.param("processes", "process", True, id="processes"),
        pytest.param("asyncio", "event loop", False, id="asyncio"),
    ],
)
def test_the_run_page_names_the_lanes_and_start_method_from_the_executor(
    execute: Any, executor: str, noun: str, start_method: bool
) -> None:
    doc = execute("io", executor, tasks=2, ms=10)
    html = TEMPLATES.get_template("partials/_run.html").render(current=stored_context(doc))
    page = BeautifulSoup(html, "html.parser")
    caption = page.select_one(".charts figure figcaption")
    assert caption is not None
    assert caption.get_text().startswith(f"By worker: what each {noun} was doing.")
    meta = page.select_one(".run-meta")
    assert meta is not None
    said = "start method" in meta.get_text()
    assert said is start_method
