"""``python -m bench``: run every benchmark in one process, print a table, write the results."""

from __future__ import annotations

import argparse
import json
import sys
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from time import perf_counter, thread_time_ns
from typing import Any

import experiments
from bench.dashboard import dashboard
from bench.engine_overhead import cpu_processes, io_asyncio
from bench.event_cost import event_costs
from bench.fanout import fanout
from bench.frame_cost import frame_cost
from bench.latency import latency
from bench.lesson import cpu_bound_lesson
from bench.observer import observer
from bench.scale import scale
from bench.timing import Row
from experiments.cpu import loops_per_ms
from server.lab.run import host_info

RESULTS = Path(__file__).resolve().parent / "results" / "latest.json"

SECTIONS: dict[str, Callable[[int], list[Row]]] = {
    "processes": cpu_processes,
    "asyncio": io_asyncio,
    "dashboard": dashboard,
    "events": event_costs,
    "lesson": lambda reps: cpu_bound_lesson(min(reps, 3)),
    "fanout": fanout,
    "latency": latency,
    "observer": observer,
    "frames": frame_cost,
    "scale": scale,
}


def _fmt(x: float | None, unit: str = "") -> str:
    if x is None:
        return "-"
    if unit == "us":
        return f"{x:.3f}"
    return f"{x:.4f}" if unit == "s" else f"{x:.3f}"


def table(rows: list[Row]) -> str:
    head = ("benchmark", "unit", "bare", "lab", "lab/bare", "goal", "result")
    body = [
        (
            r.name,
            r.unit,
            _fmt(r.bare_median, r.unit),
            _fmt(r.lab_median, r.unit),
            _fmt(r.ratio, "x"),
            f"{'>=' if r.at_least else '<='} {r.goal:g}" if r.goal is not None else "-",
            r.verdict,
        )
        for r in rows
    ]
    widths = [max(len(line[i]) for line in (head, *body)) for i in range(len(head))]

    def fmt(line: tuple[str, ...]) -> str:
        pairs = enumerate(zip(line, widths, strict=True))
        cells = [c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in pairs]
        return "  ".join(cells).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([fmt(head), rule, *map(fmt, body)])


def cpu_check(ms: int = 100) -> float:
    """CPU milliseconds one ``cpu`` task of ``ms`` takes now: the calibration drifts when the
    machine's speed does (a shared VM), which shortens or lengthens every cpu task alike."""
    t0 = thread_time_ns()
    experiments.get("cpu").fn(ms=ms)
    return (thread_time_ns() - t0) / 1e6


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--reps", type=int, default=7, help="repetitions of each side (default 7)")
    parser.add_argument(
        "--only", action="append", choices=list(SECTIONS), help="run only these sections"
    )
    parser.add_argument(
        "--out", type=Path, default=RESULTS, help=f"JSON results (default {RESULTS})"
    )
    args = parser.parse_args(argv)

    started = perf_counter()
    created_at = datetime.now(UTC).isoformat(timespec="seconds")
    experiments.warm_up()  # the CPU calibration, before anything is timed
    calibration: dict[str, float] = {
        "loops_per_ms": loops_per_ms(),
        "cpu_100ms_at_start_ms": cpu_check(),
    }
    rows: list[Row] = []
    errors: dict[str, str] = {}
    for name, section in SECTIONS.items():
        if args.only and name not in args.only:
            continue
        print(f"bench: {name} ...", file=sys.stderr, flush=True)
        t0 = perf_counter()
        try:
            rows.extend(section(max(1, args.reps)))
        except Exception as exc:  # report and go on: one broken section must not hide the others
            traceback.print_exc()
            errors[name] = f"{type(exc).__name__}: {exc}"
        print(f"bench: {name} took {perf_counter() - t0:.1f} s", file=sys.stderr, flush=True)

    calibration["cpu_100ms_at_end_ms"] = cpu_check()
    host = host_info()
    print(
        f"\nConcurrency Lab bench: Python {host['python']}, {host['cpus']} cpus, "
        f"start method {host['start_method']}, medians of up to {args.reps} alternating reps; "
        f"a cpu task of 100 ms took {calibration['cpu_100ms_at_start_ms']:.0f} ms of CPU at the "
        f"start, {calibration['cpu_100ms_at_end_ms']:.0f} ms at the end\n"
    )
    print(table(rows))
    for name, error in errors.items():
        print(f"ERROR in {name}: {error}")
    duration = perf_counter() - started
    print(f"\n{sum(r.verdict == 'MISS' for r in rows)} goal(s) missed; took {duration:.1f} s")

    doc: dict[str, Any] = {
        "created_at": created_at,
        "duration_s": round(duration, 2),
        "reps": args.reps,
        "host": host,
        "calibration": calibration,
        "rows": [r.as_dict() for r in rows],
        "errors": errors,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, indent=2) + "\n")
    print(f"results written to {args.out}")
    return 1 if errors else 0  # a missed goal is reported, not a failure


if __name__ == "__main__":
    sys.exit(main())
