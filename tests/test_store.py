"""The run history in SQLite: round trips, upserts, order, and runs a dead server left behind."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from server.store import INTERRUPTED, Store


def document(
    run_id: str, created_at: str = "2024-05-01T12:00:00.000Z", status: str = "done", **extra: Any
) -> dict[str, Any]:
    return {
        "id": run_id,
        "workload": "io",
        "executor": "threads",
        "tasks_requested": 2,
        "workers": 2,
        "params": {"ms": 10},
        "label": None,
        "status": status,
        "error": None,
        "created_at": created_at,
        "wall_s": 0.02,
        "lanes": [{"id": "t1", "kind": "thread", "pid": 1, "tid": 11, "label": "thread 1"}],
        "tasks": [
            {
                "id": 0,
                "lane": "t1",
                "start_s": 0.0,
                "end_s": 0.01,
                "cpu_s": 0.0,
                "status": "ok",
                "error": None,
                "running": [[0.0, 0.001]],
            }
        ],
        "metrics": {"avg_concurrency": 1.0, "avg_parallelism": 0.05},
        "samples": [{"t_s": 0.0, "cpu_percent": [1.0, 2.0], "rss_bytes": {"1": 1000}}],
        **extra,
    }


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(tmp_path / "nested" / "runs.sqlite3")
    yield s
    s.close()


def test_creates_its_folder_and_starts_empty(tmp_path: Path) -> None:
    store = Store(tmp_path / "a" / "b" / "runs.sqlite3")
    try:
        assert (tmp_path / "a" / "b" / "runs.sqlite3").exists()
        assert store.list() == []
        assert store.get("nope") is None
    finally:
        store.close()


def test_document_round_trips_exactly(store: Store) -> None:
    doc = document("r1", host={"cpus": 2, "python": "3.11.7"})
    store.save(doc)
    assert store.get("r1") == doc


def test_save_upserts_by_id(store: Store) -> None:
    store.save(document("r1", status="running", wall_s=None))
    store.save(document("r1", status="done"))
    assert store.count() == 1
    assert store.get("r1")["status"] == "done"  # type: ignore[index]
    assert [r["status"] for r in store.list()] == ["done"]


def test_list_is_newest_first_with_limit_and_offset(store: Store) -> None:
    for i in range(5):
        store.save(document(f"r{i}", created_at=f"2024-05-01T12:00:0{i}.000Z"))
    assert [r["id"] for r in store.list()] == ["r4", "r3", "r2", "r1", "r0"]
    assert [r["id"] for r in store.list(limit=2)] == ["r4", "r3"]
    assert [r["id"] for r in store.list(limit=2, offset=3)] == ["r1", "r0"]


def test_summaries_hold_the_figures_but_not_the_bulk(store: Store) -> None:
    store.save(document("r1", label="first"))
    (row,) = store.list()
    assert row == {
        "id": "r1",
        "created_at": "2024-05-01T12:00:00.000Z",
        "workload": "io",
        "executor": "threads",
        "tasks_requested": 2,
        "workers": 2,
        "status": "done",
        "wall_s": 0.02,
        "label": "first",
        "params": {"ms": 10},
        "metrics": {"avg_concurrency": 1.0, "avg_parallelism": 0.05},
    }


@pytest.mark.parametrize("status", ["pending", "running"])
def test_runs_left_unfinished_are_marked_failed_on_open(tmp_path: Path, status: str) -> None:
    path = tmp_path / "runs.sqlite3"
    store = Store(path)
    store.save(document("dead", status=status, wall_s=None))
    store.save(document("fine", status="done"))
    store.close()

    store = Store(path)
    try:
        dead = store.get("dead")
        assert dead is not None
        assert (dead["status"], dead["error"]) == ("failed", INTERRUPTED)
        assert dead["tasks"] == document("dead")["tasks"]  # the rest of the document is kept
        assert {r["id"]: r["status"] for r in store.list()} == {"dead": "failed", "fine": "done"}
        assert store.get("fine") == document("fine")
    finally:
        store.close()


def test_saves_from_many_threads_all_land(store: Store) -> None:
    docs = [document(f"r{i:02d}", created_at=f"2024-05-01T12:00:{i:02d}.000Z") for i in range(40)]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(store.save, docs))
    assert store.count() == 40
    assert [r["id"] for r in store.list(limit=3)] == ["r39", "r38", "r37"]


def test_another_connection_reads_what_was_saved(store: Store) -> None:
    store.save(document("r1"))
    other = Store(store.path)
    try:
        assert other.get("r1") == document("r1")
    finally:
        other.close()
