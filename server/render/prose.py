"""Words about a run: its title, its numbers at a sensible precision, and its summary sentence."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from server.executors import EXECUTORS
from server.lab import outside
from server.render.model import RunInfo, RunModel
from server.serverlab.load import ServerLoad

#: The lab's own CPU during an in-process run, as a share of its wall time, that the summary says.
LAB_NOTABLE = 0.05


def number(v: float) -> str:
    """A count or an average with the precision it deserves: 0.97, 12.3, 47,618."""
    a = abs(v)
    if a >= 100:
        return f"{v:,.0f}"
    if a >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


def duration(seconds: float) -> str:
    """A wall time as people read it: milliseconds below a second, seconds above."""
    if seconds < 1:
        ms = seconds * 1000
        return f"{ms:.1f} ms" if ms < 9.95 else f"{ms:.0f} ms"
    return f"{seconds:.2f} s" if seconds < 100 else f"{seconds:,.0f} s"


def pool(executor: str, workers: int, tasks: int) -> str:
    """How the run's tasks were spread: "2 workers", or "one event loop" (at most N at once)."""
    ex = EXECUTORS.get(executor)
    if ex is not None and not ex.workers_are_a_pool:
        return "one event loop" if workers >= tasks else f"one event loop, ≤ {workers:,} at once"
    return f"{workers:,} worker{'s' if workers != 1 else ''}"


def run_title(doc: Mapping[str, Any]) -> str:
    params = ", ".join(f"{k}={v}" for k, v in doc["params"].items())
    label = f"{doc['label']}: " if doc.get("label") else ""
    tasks = doc["tasks_requested"]
    return (
        f"{label}{doc['workload']}({params}) × {tasks:,} · {doc['executor']}"
        f" · {pool(doc['executor'], doc['workers'], tasks)}"
    )


def run_info(doc: Mapping[str, Any]) -> RunInfo:
    """A run's :class:`RunInfo` from its document (partial or finished)."""
    ex = EXECUTORS.get(doc["executor"])
    return RunInfo(
        id=doc["id"],
        title=run_title(doc),
        workload=doc["workload"],
        executor=doc["executor"],
        tasks_requested=doc["tasks_requested"],
        workers=doc["workers"],
        cpus=int((doc.get("host") or {}).get("cpus") or 1),
        server=ex is ServerLoad,  # its counters add the client's view: requests, latency
        lane_noun=ex.lane_noun if ex is not None else "worker",
        lanes_expected=ex.lanes_expected(doc["workers"], doc["tasks_requested"]) if ex else 0,
    )


def summary_text(model: RunModel) -> str:
    """The finished run's outcome in one sentence, from its own numbers (plain text)."""
    lead, rest = summary_parts(model)
    return lead + rest


def summary_parts(model: RunModel) -> tuple[str, str]:
    """:func:`summary_text` as its lead (what ran, how long) and the rest, for pages to set the
    lead in bold."""
    final = model.final or {}
    m = final.get("metrics") or {}
    wall = final.get("wall_s") or 0.0
    conc, par = m.get("avg_concurrency") or 0.0, m.get("avg_parallelism") or 0.0
    statuses = [t["status"] for t in model.tasks.values()]
    n_err, n_cancel = statuses.count("error"), statuses.count("cancelled")
    if par >= 1.5:
        verdict = f"about {par:.1f} tasks were executing at any instant: that is parallelism."
    elif conc >= 1.5 and par < min(0.5, conc / 10):
        verdict = (
            f"{number(conc)} tasks were in flight on average but almost none was executing: "
            "they were waiting, and waiting needs no core."
        )
    elif conc >= 1.5 and par >= 1.15:
        verdict = (
            f"{number(conc)} tasks were in flight on average and {par:.2f} were executing: partly "
            "parallel; the rest of the time they waited (for a core, the GIL or I/O)."
        )
    elif conc >= 1.5:
        verdict = (
            f"{number(conc)} tasks were in flight on average, but only {par:.2f} were executing: "
            "they took turns (concurrency without parallelism)."
        )
    else:
        verdict = "tasks ran one at a time."
    extra = [f"{n} {what}" for n, what in ((n_err, "failed"), (n_cancel, "cancelled")) if n]
    status = final.get("status", model.status)
    lead = (
        f"{len(statuses):,} tasks in {duration(wall)}"
        if status == "done"
        else f"Run {status} after {duration(wall)}"
    )
    notes = [outside.note(m, model.info.cpus)]
    if n := m.get("alongside_runs"):
        notes.append(
            ("Another run of this lab" if n == 1 else f"{n} other runs of this lab")
            + " executed at the same time and shared the cores with it."
        )
    lab_s = m.get("lab_loop_cpu_s") or 0.0
    if wall and lab_s >= LAB_NOTABLE * wall:
        notes.append(
            f"The lab's own work in this process (recording the run, drawing it for the pages "
            f"watching) took {lab_s:.2f} s of CPU during it, holding the GIL the run's tasks "
            "needed; from a terminal (concurrency-lab run) it takes far less."
        )
    said = "".join(f" {note}" for note in notes if note)
    return lead, f"{' (' + ', '.join(extra) + ')' if extra else ''}: {verdict}{said}"
