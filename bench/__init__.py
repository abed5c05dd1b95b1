"""Benchmarks for the lab's engine: what recording costs, measured against the bare executors.

Run with ``make bench`` (or ``python -m bench``). Every figure compares a bare executor with the lab
running the same workload in the same process, alternating repetitions and taking medians; the
results are printed as a table and written to ``bench/results/latest.json``. Missing a goal is
reported, never fatal: timings belong here, not in tests that can fail on a busy machine.
"""
