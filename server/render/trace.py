"""A run as Chrome Trace Event JSON (CONTRACT.md, "Exports"), for Perfetto's UI and
chrome://tracing.

- Processes and threads are the lab's own: each lane is a thread track at its real pid and tid (a
  worker process's lane at tid = pid), named after the lane, so that a trace lines up with ``ps``,
  py-spy or perf. The run's home process (the one holding its thread or loop lanes, else the lab's)
  is named after the run and carries its counters.
- Slices, in categories ``task`` (a task's time in flight), ``running`` (one per running interval,
  named after its task) and ``wait`` (one per wait, named after its reason; absent from documents
  recorded before waits were).
- A lane whose tasks run one after another (a thread, a worker process) nests them as X slices:
  each task, and inside it its running intervals and waits, as the lane chart draws them. An event
  loop holds many tasks at once, and overlapping X slices on one thread are out of the format
  (Perfetto lays them on an overflow track): there the thread carries only the running intervals,
  which never overlap (the loop runs one thing at a time), and each task's lifetime and its waits
  are nestable async slices (``b``/``e``) keyed by the task (``id2.local``). An async tree holds
  one category, so a task's waits are a tree of their own beside its lifetime.
- Counters: tasks ``in flight`` and ``running``, tasks ``waiting`` per reason, ``CPU core N`` from
  the samples (each holds from the sample before it, which is when what it measured began).
- ``ts`` and ``dur`` are whole microseconds since the run's start, every time rounded on its own,
  so a slice inside another in seconds is inside it in microseconds too. A run still going is
  exported as far as it has got (:func:`~server.render.model.elapsed_s`): tasks in flight end
  there, with ``in_flight`` in their args.
"""

from __future__ import annotations

import itertools
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from experiments.document import Lane, RunDocument
from server.render.model import elapsed_s
from server.render.prose import run_title
from server.types import LaneKind, WaitReason

Event = dict[str, Any]
TaskDoc = Mapping[str, Any]

TASK, RUNNING, WAIT = "task", "running", "wait"
CATEGORIES = (TASK, RUNNING, WAIT)


def us(seconds: float) -> int:
    """Seconds since the run's start as whole microseconds (the format's unit)."""
    return round(seconds * 1_000_000)


@dataclass(frozen=True, slots=True)
class Track:
    pid: int
    tid: int


@dataclass(frozen=True, slots=True)
class Layout:
    home: int  # the pid that carries the run's name and counters
    tracks: dict[str, Track]  # lane id -> its thread
    lanes: list[Lane]


def layout(doc: RunDocument) -> Layout:
    """Where each lane goes: its own (pid, tid); a lane that would share another's gets a tid of
    its own, and the home process is the one pid holding every thread or loop lane, else the
    lab's, else a pid no lane uses."""
    lanes = list(doc.get("lanes") or [])
    known = {lane["id"] for lane in lanes}
    for t in doc.get("tasks") or ():  # a task whose lane the document lacks (a partial run)
        if t["lane"] not in known:
            known.add(t["lane"])
            lanes.append(
                {
                    "id": t["lane"],
                    "kind": LaneKind.THREAD,
                    "pid": 0,
                    "tid": None,
                    "label": t["lane"],
                }
            )
    used = {n for lane in lanes for n in (lane["pid"], lane["tid"]) if n}
    fresh = iter(range(max(used | {doc.get("lab_pid") or 0}) + 1, 2**31))
    tracks: dict[str, Track] = {}
    taken: set[Track] = set()
    for lane in lanes:
        pid = lane["pid"] or next(fresh)
        track = Track(pid, lane["tid"] or pid)
        if track in taken:
            track = Track(pid, next(fresh))
        taken.add(track)
        tracks[lane["id"]] = track
    threaded = {tracks[lane["id"]].pid for lane in lanes if lane["kind"] != LaneKind.PROCESS}
    workers = {tracks[lane["id"]].pid for lane in lanes if lane["kind"] == LaneKind.PROCESS}
    lab = doc.get("lab_pid")
    if len(threaded) == 1:
        home = next(iter(threaded))
    elif lab and lab not in workers:
        home = lab
    else:
        home = next(fresh)
    return Layout(home, tracks, lanes)


def trace(doc: RunDocument) -> dict[str, Any]:
    """The trace document: ``{"traceEvents": [...], "displayTimeUnit": "ms", "otherData"}``."""
    at = layout(doc)
    end = elapsed_s(doc)
    by_lane: dict[str, list[TaskDoc]] = defaultdict(list)
    for t in sorted(doc.get("tasks") or [], key=lambda t: (t["start_s"], t["id"])):
        by_lane[t["lane"]].append(t)
    timed: list[Event] = []
    for lane in at.lanes:
        track, tasks = at.tracks[lane["id"]], by_lane.get(lane["id"], [])
        if lane["kind"] != LaneKind.LOOP and _one_at_a_time(tasks, end):
            timed += _nested(track, tasks, end)
        else:
            timed += _async(track, tasks, end)
    timed += _counters(doc, at.home, end)
    # Stable: each track's events were made in an order that nests, and ties keep it.
    timed.sort(key=lambda e: e["ts"])
    return {
        "traceEvents": _metadata(doc, at) + timed,
        "displayTimeUnit": "ms",
        "otherData": {
            "run": doc["id"],
            "title": run_title(doc),
            "status": doc["status"],
            "wall_s": doc.get("wall_s"),
            "created_at": doc.get("created_at"),
            "python": (doc.get("host") or {}).get("python"),
            "cpus": (doc.get("host") or {}).get("cpus"),
        },
    }


def trace_json(doc: RunDocument) -> bytes:
    return json.dumps(trace(doc), separators=(",", ":"), ensure_ascii=False).encode()


# --- names ------------------------------------------------------------------------------------


def _metadata(doc: RunDocument, at: Layout) -> list[Event]:
    names = {at.home: f"run {doc['id']}: {run_title(doc)}"}
    for lane in at.lanes:
        pid = at.tracks[lane["id"]].pid
        if lane["kind"] == LaneKind.PROCESS:
            names.setdefault(pid, lane["label"])
    for lane in at.lanes:
        names.setdefault(at.tracks[lane["id"]].pid, f"process {at.tracks[lane['id']].pid}")
    events = [_meta("process_name", pid, pid, {"name": name}) for pid, name in names.items()]
    events += [_meta("process_sort_index", p, p, {"sort_index": i}) for i, p in enumerate(names)]
    for i, lane in enumerate(at.lanes):
        track = at.tracks[lane["id"]]
        events.append(_meta("thread_name", track.pid, track.tid, {"name": lane["label"]}))
        events.append(_meta("thread_sort_index", track.pid, track.tid, {"sort_index": i}))
    return events


def _meta(name: str, pid: int, tid: int, args: dict[str, Any]) -> Event:
    return {"ph": "M", "name": name, "pid": pid, "tid": tid, "ts": 0, "args": args}


# --- slices -----------------------------------------------------------------------------------


def _span(t: TaskDoc, end: float) -> tuple[int, int]:
    return us(t["start_s"]), us(t["end_s"] if t["end_s"] is not None else max(end, t["start_s"]))


def _one_at_a_time(tasks: Sequence[TaskDoc], end: float) -> bool:
    """Whether the lane's tasks (in start order) follow one another, so that X slices nest."""
    return _in_turn([_span(t, end) for t in tasks])


def _in_turn(spans: Sequence[tuple[int, int]]) -> bool:
    """Whether each of ``spans`` (in start order) begins once the one before it has ended."""
    return all(b[0] >= a[1] for a, b in itertools.pairwise(spans))


def _task_args(t: TaskDoc) -> dict[str, Any]:
    args: dict[str, Any] = {"task": t["id"], "status": t["status"]}
    for key in ("cpu_s", "submitted_s", "error"):
        if t.get(key) is not None:
            args[key] = t[key]
    if t["end_s"] is None:
        args["in_flight"] = True
    return args


def _parts(t: TaskDoc, lo: int, hi: int) -> list[tuple[int, int, str, str]]:
    """The task's running intervals and waits in µs, kept inside its span, in time order:
    ``(start, end, category, name)``."""
    parts = [(us(s), us(e), RUNNING, f"task {t['id']}") for s, e in t["running"]]
    parts += [(us(s), us(e), WAIT, str(reason)) for s, e, reason in t.get("waits") or ()]
    clamped = [(min(max(a, lo), hi), min(max(b, lo), hi), c, n) for a, b, c, n in parts]
    return sorted(clamped)


def _x(track: Track, cat: str, name: str, a: int, b: int, args: dict[str, Any]) -> Event:
    return {
        "ph": "X",
        "cat": cat,
        "name": name,
        "pid": track.pid,
        "tid": track.tid,
        "ts": a,
        "dur": b - a,
        "args": args,
    }


def _nested(track: Track, tasks: Iterable[TaskDoc], end: float) -> Iterator[Event]:
    for t in tasks:
        lo, hi = _span(t, end)
        yield _x(track, TASK, f"task {t['id']}", lo, hi, _task_args(t))
        for a, b, cat, name in _parts(t, lo, hi):
            yield _x(track, cat, name, a, b, {"task": t["id"]})


def _async(track: Track, tasks: Sequence[TaskDoc], end: float) -> Iterator[Event]:
    parts = {t["id"]: _parts(t, *_span(t, end)) for t in tasks}
    runs = sorted((a, b) for p in parts.values() for a, b, cat, _ in p if cat == RUNNING)
    # The loop runs one thing at a time; should a lane's running intervals overlap all the same,
    # they become async slices too rather than break the thread's nesting.
    runs_on_thread = _in_turn(runs)
    for t in tasks:
        lo, hi = _span(t, end)
        key = {"local": f"0x{t['id']:x}"}
        yield from _pair(track, TASK, f"task {t['id']}", key, lo, hi, _task_args(t))
        for a, b, cat, name in parts[t["id"]]:
            if cat == RUNNING and runs_on_thread:
                yield _x(track, cat, name, a, b, {"task": t["id"]})
            else:
                yield from _pair(track, cat, name, key, a, b, {"task": t["id"]})


def _pair(
    track: Track, cat: str, name: str, key: dict[str, str], a: int, b: int, args: dict[str, Any]
) -> Iterator[Event]:
    common = {"cat": cat, "name": name, "id2": key, "pid": track.pid, "tid": track.tid}
    yield {"ph": "b", **common, "ts": a, "args": args}
    yield {"ph": "e", **common, "ts": b}


# --- counters ---------------------------------------------------------------------------------


def steps(
    changes: Iterable[tuple[int, str, int]], series: Sequence[str]
) -> list[tuple[int, dict[str, int]]]:
    """Counts over time from ``(ts, series, +n or -n)`` changes: the values of every series at
    each time one of them changes (all changes at one time applied together), from 0 at ts 0."""
    index = {name: i for i, name in enumerate(series)}
    ordered = sorted(changes, key=lambda c: c[0])
    values = [0] * len(series)
    points = [(0, tuple(values))]
    i = 0
    while i < len(ordered):
        ts = ordered[i][0]
        while i < len(ordered) and ordered[i][0] == ts:
            values[index[ordered[i][1]]] += ordered[i][2]
            i += 1
        now = tuple(values)
        if ts <= 0:
            points[0] = (0, now)
        elif now != points[-1][1]:
            points.append((ts, now))
    return [(ts, dict(zip(series, v, strict=True))) for ts, v in points]


def _counters(doc: RunDocument, pid: int, end: float) -> list[Event]:
    tasks: Sequence[TaskDoc] = doc.get("tasks") or []
    flight, running, waiting = [], [], []
    for t in tasks:
        lo, hi = _span(t, end)
        flight += [(lo, "tasks", 1), (hi, "tasks", -1)]
        for s, e in t["running"]:
            running += [(us(s), "tasks", 1), (us(e), "tasks", -1)]
        for s, e, reason in t.get("waits") or ():
            waiting += [(us(s), str(reason), 1), (us(e), str(reason), -1)]
    events = [_counter("in flight", pid, ts, v) for ts, v in steps(flight, ["tasks"])]
    events += [_counter("running", pid, ts, v) for ts, v in steps(running, ["tasks"])]
    if waiting:
        seen = {name for _, name, _ in waiting}
        reasons = [r.value for r in WaitReason if r in seen] + sorted(seen - set(WaitReason))
        events += [_counter("waiting", pid, ts, v) for ts, v in steps(waiting, reasons)]
    before = 0.0
    for sample in doc.get("samples") or ():
        if before >= end:  # the last sample can be taken after the last task ended
            break
        for core, percent in enumerate(sample["cpu_percent"]):
            events.append(_counter(f"CPU core {core}", pid, us(max(before, 0.0)), {"%": percent}))
        before = sample["t_s"]
    return events


def _counter(name: str, pid: int, ts: int, values: Mapping[str, float]) -> Event:
    return {"ph": "C", "name": name, "pid": pid, "tid": pid, "ts": ts, "args": dict(values)}
