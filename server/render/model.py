"""A run's log folded into what its views draw, and what changed since the last fold.

:meth:`RunModel.fold` is the only way in: it takes the next run-log messages and returns
:class:`Changes`. Nothing else sets the model's fields, and nothing in the model renders; the
panels (``server.render.panels``) and frames (``server.render.frames``) read it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from experiments.document import Kill, RunDocument
from server.lab.replay import replay_log
from server.lab.runlog import Message
from server.render import geometry
from server.render.series import Series
from server.types import EventName, RunStatus

Doc = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class RunInfo:
    """What a run is, known before it has recorded anything (from its document's head)."""

    id: str
    title: str
    workload: str
    executor: str
    tasks_requested: int
    workers: int
    cpus: int
    server: bool = False
    #: What the chart's lanes are: "thread", "process", "event loop"...
    lane_noun: str = "worker"
    #: How long the run should take (the lab's last run of the same spec took that long): a live
    #: chart's time axis is planned that long (``geometry.live_span``). None: not known.
    expected_s: float | None = None
    #: How many lanes the run should have (its executor says; 0: not known). A live lane chart
    #: has room for that many from the start.
    lanes_expected: int = 0

    @property
    def lane_density(self) -> bool:
        return self.tasks_requested > geometry.LOD_TASKS

    @property
    def task_density(self) -> bool:
        return self.tasks_requested > geometry.MAX_TASK_ROWS


@dataclass(slots=True)
class Changes:
    """What one fold changed: the frame that follows draws exactly this."""

    new_lanes: list[str] = field(default_factory=list)
    #: Tasks seen for the first time, in order (dicts as ordered sets).
    new: dict[int, None] = field(default_factory=dict)
    #: Tasks whose running intervals or waits grew: task id -> how many of each (running,
    #: waits) it had drawn before this fold.
    grown: dict[int, tuple[int, int]] = field(default_factory=dict)
    ended: dict[int, None] = field(default_factory=dict)
    #: How many samples the model had before this fold (new ones follow).
    samples_from: int = 0
    samples: bool = False
    kills: bool = False
    status: bool = False

    def __bool__(self) -> bool:
        return bool(
            self.new_lanes or self.new or self.grown or self.ended or self.samples or self.status
        )


class RunModel:
    def __init__(self, info: RunInfo) -> None:
        self.info = info
        self.lanes: dict[str, dict[str, Any]] = {}
        self.tasks: dict[int, dict[str, Any]] = {}
        self.samples: list[dict[str, Any]] = []
        #: The server lab's fault demo: ``[{"pid", "t_s"}]``, from the samples that carry them.
        self.kills: list[dict[str, Any]] = []
        self.status = RunStatus.PENDING.value
        self.error: str | None = None
        #: The final status message (``wall_s``, ``metrics``), once the run has ended.
        self.final: dict[str, Any] | None = None
        self.log_pos = 0
        #: Tasks in flight and tasks running over time, for the whole run, per lane and (for the
        #: task chart's density strips) per row of tasks.
        self.flight, self.running = Series(), Series()
        self.lane_series: dict[str, tuple[Series, Series]] = {}
        rows = geometry.task_rows(info.tasks_requested).n if info.task_density else 0
        self.row_series = [(Series(), Series()) for _ in range(rows)]
        self.per_row = geometry.tasks_per_row(info.tasks_requested)
        #: Running intervals and waits folded into the series so far, per task.
        self._counted: dict[int, tuple[int, int]] = {}
        #: Tasks waiting for each reason over time (the "over time" panel's lines by reason).
        self.waiting: dict[str, Series] = {}
        #: What the legends name: the statuses tasks ended with, whether any task queued.
        self.statuses: set[str] = set()
        self.queued = False
        self.ended: set[int] = set()

    @property
    def finished(self) -> bool:
        return self.final is not None

    @property
    def wall_s(self) -> float | None:
        return float(self.final["wall_s"]) if self.final and self.final.get("wall_s") else None

    @property
    def metrics(self) -> dict[str, Any]:
        return dict((self.final or {}).get("metrics") or {})

    def fold(self, messages: Iterable[Message]) -> Changes:
        """Fold in the messages after :attr:`log_pos` (earlier ones are already in)."""
        ch = Changes(samples_from=len(self.samples))
        for m in messages:
            if m.id <= self.log_pos:
                continue
            self.log_pos = m.id
            d = m.data
            if m.event == EventName.TASK:
                self._fold_task(d, ch)
            elif m.event == EventName.LANE:
                self.lanes[d["id"]] = d
                self.lane_series.setdefault(d["id"], (Series(), Series()))
                ch.new_lanes.append(d["id"])
            elif m.event == EventName.SAMPLE:
                self.samples.append(d)
                ch.samples = True
                if d.get("kills"):
                    self.kills.extend(d["kills"])
                    ch.kills = True
            elif m.event == EventName.STATUS:
                self.status, self.error = d["status"], d.get("error")
                if RunStatus(self.status).finished:
                    self.final = d
                ch.status = True
        return ch

    def add_kills(self, kills: Iterable[Kill]) -> None:
        """Kills known from a stored document's ``executor_info`` (runs stored before kills
        travelled with the samples)."""
        if not self.kills:
            self.kills.extend(dict(k) for k in kills)

    def _fold_task(self, d: dict[str, Any], ch: Changes) -> None:
        tid = d["id"]
        first = tid not in self.tasks
        self.tasks[tid] = d
        lane = self.lane_series.setdefault(d["lane"], (Series(), Series()))
        row = self.row_series[tid // self.per_row] if self.row_series else None
        flights = (self.flight, lane[0]) + ((row[0],) if row else ())
        runs = (self.running, lane[1]) + ((row[1],) if row else ())
        if first:
            for s in flights:
                s.open(d["start_s"])
            ch.new[tid] = None
            submitted = d.get("submitted_s")
            if submitted is not None and d["start_s"] - submitted >= geometry.QUEUED_MIN_S:
                self.queued = True
        known_runs, known_waits = known = self._counted.get(tid, (0, 0))
        waits = d.get("waits") or ()
        if len(d["running"]) > known_runs or len(waits) > known_waits:
            for a, b in d["running"][known_runs:]:
                for s in runs:
                    s.add(a, b)
            for a, b, reason in waits[known_waits:]:
                self.waiting.setdefault(reason, Series()).add(a, b)
            self._counted[tid] = (len(d["running"]), len(waits))
            if tid not in ch.new:  # a task new in this fold is drawn whole
                ch.grown.setdefault(tid, known)
        if d["end_s"] is not None and tid not in self.ended:
            self.ended.add(tid)
            self.statuses.add(d["status"])
            for s in flights:
                s.close(d["start_s"], d["end_s"])
            ch.ended[tid] = None


def elapsed_s(doc: RunDocument) -> float:
    """How far a run has got: its wall time once it has one, else the latest time its document
    mentions (a task's start or end, a running interval, a sample). Exports of a run still going
    end there."""
    if doc.get("wall_s"):
        return float(doc["wall_s"] or 0.0)
    times = [0.0]
    tasks: Sequence[Mapping[str, Any]] = doc.get("tasks") or []
    for t in tasks:
        times += [t["start_s"], t["end_s"] or 0.0, *(e for _, e in t["running"])]
        times += [w[1] for w in t.get("waits") or ()]
    times += [x["t_s"] for x in doc.get("samples") or ()]
    return max(times)


def from_document(info: RunInfo, doc: RunDocument) -> RunModel:
    """The model of a run read back from the store: its log replayed and folded."""
    model = RunModel(info)
    model.fold(replay_log(doc).messages)
    model.add_kills((doc.get("executor_info") or {}).get("kills") or [])
    return model
