"""Benchmarks for the lab's engine: what recording costs, measured against the bare executors.

Run with ``make bench`` (or ``python -m bench``). Every figure compares a bare executor with the lab
running the same workload in the same process, alternating repetitions and taking medians; the
results are printed as a table and written to ``bench/results/latest.json``. Missing a goal is
reported, never fatal: timings belong here, not in tests that can fail on a busy machine.

Two sections run the real server in a child process and have absolute goals instead of ratios
(the "lab" column holds the figure): ``fanout`` (N viewers of one run's SSE frame stream, from
separate client processes) and ``latency`` (task end to screen in headless Chromium). See
:mod:`bench.fanout` and :mod:`bench.latency` for how their clocks are lined up.
"""
