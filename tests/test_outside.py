"""Other programs' load: reading every process's CPU time, and leaving the lab's own tree out."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from server.lab import outside


def test_proc_reading_agrees_with_psutil() -> None:
    fast, slow = outside._processes(), outside._processes_psutil()
    both = set(fast) & set(slow)
    assert len(both) >= 0.9 * len(slow)  # a few may come and go between the two readings
    for pid in both:
        assert fast[pid][0] == slow[pid][0]  # the parent
        assert fast[pid][2] == pytest.approx(slow[pid][2], abs=0.05)  # CPU seconds


def test_the_labs_own_descendants_are_not_outside() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        pids = {pid for pid, _ in outside.snapshot()}
        assert os.getpid() not in pids and child.pid not in pids
        assert os.getppid() in pids  # whoever started the tests is outside
    finally:
        child.kill()
        child.wait()


def test_a_note_only_when_the_load_took_room_from_the_run() -> None:
    busy = {"outside_cpu_cores": 0.5, "cpu_busy_fraction": 0.95}
    assert "used 0.5 of its 2" in (outside.note(busy, 2) or "")
    assert outside.note({**busy, "cpu_busy_fraction": 0.6}, 2) is None  # a core was free
    assert outside.note({**busy, "outside_cpu_cores": 0.1}, 2) is None  # too little to matter
    assert outside.note({"cpu_busy_fraction": 1.0}, 2) is None  # not measured (older runs)
