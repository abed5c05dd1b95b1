"""The terminal view of a run: a waiting slice shows its main reason, and the legend names each."""

from __future__ import annotations

from typing import Any

from server.render.text import WAIT, gantt_rows, render


def document(tasks: list[dict[str, Any]], wall: float = 1.0, **metrics: Any) -> Any:
    return {
        "id": "r1",
        "workload": "cpu",
        "executor": "threads",
        "tasks_requested": len(tasks),
        "workers": 2,
        "params": {"ms": 100},
        "status": "done",
        "error": None,
        "wall_s": wall,
        "host": {"cpus": 2},
        "lanes": [{"id": "t1", "kind": "thread", "pid": 1, "tid": 1, "label": "thread 1"}],
        "tasks": tasks,
        "metrics": {
            "avg_concurrency": 1.0,
            "avg_parallelism": 0.5,
            "max_in_flight": 1,
            "max_running": 1,
            "cpu_busy_fraction": 0.5,
            "peak_rss_bytes": None,
            **metrics,
        },
        "samples": [],
    }


def task(running: list[list[float]], waits: list[Any] | None = None) -> dict[str, Any]:
    t: dict[str, Any] = {
        "id": 0,
        "lane": "t1",
        "submitted_s": 0.0,
        "start_s": 0.0,
        "end_s": 1.0,
        "cpu_s": 0.25,
        "status": "ok",
        "error": None,
        "running": running,
        "result": None,
    }
    if waits is not None:
        t["waits"] = waits
    return t


def test_a_waiting_slice_shows_the_reason_that_took_most_of_it() -> None:
    doc = document(
        [
            task(
                [[0.0, 0.25]],
                [[0.25, 0.5, "gil"], [0.5, 0.7, "core"], [0.7, 0.75, "gil"], [0.75, 1.0, "io"]],
            )
        ]
    )
    [(label, cells)] = gantt_rows(doc, width=4)
    assert (label, cells) == ("thread 1", "█gci")


def test_a_run_recorded_without_reasons_shows_plain_waiting() -> None:
    [(_, cells)] = gantt_rows(document([task([[0.0, 0.25]])]), width=4)
    assert cells == f"█{WAIT * 3}"


def test_the_summary_lists_the_seconds_per_reason_and_the_legend_every_character() -> None:
    wait_s = {"gil": 0.3, "core": 0.2, "io": 0.25, "await": 0.0, "loop": 0.0, "other": 0.0}
    text = render(document([task([[0.0, 0.25]])], wait_s=wait_s, queued_s=1.5))
    assert "waiting (task-seconds): GIL 0.300 s, core 0.200 s, I/O 0.250 s" in text
    assert "queued for a worker 1.500 s" in text
    legend = next(line for line in text.splitlines() if "waiting:" in line)
    for part in ("g GIL", "c core", "i I/O", "a await", "l loop busy", "? unknown"):
        assert part in legend
