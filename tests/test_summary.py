"""The run's summary sentence: what it adds about the conditions the run was measured in."""

from __future__ import annotations

from typing import Any

from server.lab.replay import replay_log
from server.render.live import LiveView, summary_text
from tests.support import Execute


def summary(doc: dict[str, Any]) -> str:
    view = LiveView(doc["id"], doc["tasks_requested"], "t")
    view.apply(replay_log(doc).messages)
    return summary_text(view)


def test_the_labs_own_gil_time_is_measured_for_runs_in_its_process_only(execute: Execute) -> None:
    threads = execute("cpu", "threads", tasks=4, workers=2, ms=50)
    assert 0 <= threads["metrics"]["lab_loop_cpu_s"] < threads["wall_s"]
    procs = execute("cpu", "processes", tasks=2, workers=2, ms=50)
    assert "lab_loop_cpu_s" not in procs["metrics"]  # its tasks have GILs of their own


def test_the_summary_says_when_the_labs_own_work_took_the_gil(execute: Execute) -> None:
    doc = execute("cpu", "threads", tasks=4, workers=2, ms=50)
    doc["metrics"]["lab_loop_cpu_s"] = round(0.08 * doc["wall_s"], 3)
    said = summary(doc)
    assert f"took {doc['metrics']['lab_loop_cpu_s']:.2f} s of CPU during it" in said
    doc["metrics"]["lab_loop_cpu_s"] = round(0.01 * doc["wall_s"], 3)
    assert "The lab's own work" not in summary(doc)
    del doc["metrics"]["lab_loop_cpu_s"]  # stored before it was measured
    assert "The lab's own work" not in summary(doc)
