"""The lab's own GIL time: measured for runs whose tasks share the lab's process, only."""

from __future__ import annotations

from tests.support import Execute


def test_the_labs_own_gil_time_is_measured_for_runs_in_its_process_only(execute: Execute) -> None:
    threads = execute("cpu", "threads", tasks=4, workers=2, ms=50)
    assert 0 <= threads["metrics"]["lab_loop_cpu_s"] < threads["wall_s"]
    procs = execute("cpu", "processes", tasks=2, workers=2, ms=50)
    assert "lab_loop_cpu_s" not in procs["metrics"]  # its tasks have GILs of their own
