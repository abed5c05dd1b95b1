"""The run document's shapes (CONTRACT.md, "The run document"): what the engine writes, what
lessons read.

They live here, at the bottom of the layers, because both sides need them: the engine
(``server.lab``) builds run documents and lessons' verdicts (``experiments.lessons``) read them,
and ``experiments`` imports nothing from ``server``. Statuses and lane kinds are the string values
of ``server.types``' enums: what the JSON carries.

Documents read back from the store may come from an older lab, so fields added since the first
version are ``NotRequired``, and readers of those use ``.get``.
"""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict

#: A running interval, ``[start_s, end_s]`` (a JSON array, not a tuple).
Interval = list[float]
#: A wait, ``[start_s, end_s, reason]`` with a reason of ``server.types.WaitReason``. A JSON array
#: too (a list at run time), typed as a tuple so that ``for s, e, reason in task["waits"]`` is.
Wait = tuple[float, float, str]


class Speed(TypedDict):
    """The machine's speed around a run, in ``experiments.cpu.spin`` loops per millisecond of CPU
    (the fastest of a few short trials): before the run's clock starts, and after it ends."""

    start: int
    end: int | None  # None until the run has ended


class Host(TypedDict):
    """The interpreter that ran the tasks."""

    cpus: int
    python: str
    implementation: str
    gil_enabled: bool
    switch_interval_s: float
    start_method: str
    platform: str
    speed: NotRequired[Speed]


class Lane(TypedDict):
    id: str
    kind: str  # a LaneKind
    pid: int
    tid: int | None
    label: str


class Task(TypedDict):
    id: int
    lane: str
    #: When it was handed to the executor: ``[submitted_s, start_s]`` it was queued for a worker.
    submitted_s: NotRequired[float | None]
    start_s: float
    end_s: float | None  # None while in flight
    cpu_s: float | None
    status: str  # a TaskStatus
    error: str | None
    running: list[Interval]
    #: Its not-running time inside ``[start_s, end_s]``, named; none overlaps ``running``.
    waits: NotRequired[list[Wait]]
    #: What the workload returned (its own JSON: a server-lab request's is the client's view of
    #: it); None until the task has ended.
    result: Any


class Kill(TypedDict):
    """A worker killed on purpose (the server lab's fault demo), on the run's clock."""

    pid: int
    t_s: float


class Sample(TypedDict):
    t_s: float
    cpu_percent: list[float]  # one per core
    rss_bytes: dict[str, int]  # by pid (a string: a JSON key)
    kills: NotRequired[list[Kill]]  # the kills since the previous sample


class Metrics(TypedDict, total=False):
    """The lab writes the first eight for every run; the others only where they apply. Not one is
    required: a reader must not be promised a key that a stored document may lack (runs recorded
    before waits were have no ``wait_s`` and ``queued_s``)."""

    avg_concurrency: float
    avg_parallelism: float
    max_in_flight: int
    max_running: int
    cpu_busy_fraction: float | None
    peak_rss_bytes: int | None
    # why tasks waited: seconds per reason (every WaitReason, 0.0 if none), and queued for a worker
    wait_s: dict[str, float]
    queued_s: float
    # measured by the engine around the run
    outside_cpu_cores: float
    alongside_runs: int
    lab_loop_cpu_s: float
    # the server executor's, measured by its load generator
    requests_ok: int
    requests_failed: int
    latency_p50_s: float
    latency_p90_s: float
    latency_p99_s: float
    latency_max_s: float
    latency_mean_s: float
    throughput_rps: float


class WorkerReady(TypedDict):
    pid: int
    t_s: float  # on the run's clock: <= 0 for a worker ready before the load started


class ExecutorInfo(TypedDict, total=False):
    """What an executor says about itself (``Executor.describe``); each fills in its own keys."""

    start_method: str  # processes
    awaitable: bool  # asyncio: the workload was awaited, not called on the loop
    runner_pid: int | None  # a run isolated in a runner process
    # the server executor: its options (``ServerOptions``)...
    setup: str
    endpoint: str
    concurrency: int
    threads: int
    kill_at_ms: int
    http2: bool
    # ...and what it saw
    interface: str
    command: str
    path: str
    in_flight: int
    http_versions: list[str]
    workers_ready: list[WorkerReady]
    kills: list[Kill]


class StatusMessage(TypedDict):
    """A run log's ``status`` message; once the run has ended, with its wall time and metrics."""

    id: str
    status: str  # a RunStatus
    error: str | None
    wall_s: NotRequired[float | None]
    metrics: NotRequired[Metrics]


class RunHead(TypedDict):
    """The run document without what grows with the run (lanes, tasks, metrics, samples)."""

    id: str
    workload: str
    executor: str
    tasks_requested: int
    workers: int
    params: dict[str, int | float]
    status: str  # a RunStatus
    error: str | None
    created_at: str  # ISO 8601, UTC
    started_at: NotRequired[str | None]  # when the run's clock started, ISO 8601 UTC
    wall_s: float | None
    host: Host
    label: NotRequired[str | None]
    executor_info: NotRequired[ExecutorInfo]
    # while the run is queued (the API adds them)
    queue_position: NotRequired[int]
    queue_reason: NotRequired[str | None]


class RunDocument(RunHead):
    lanes: list[Lane]
    tasks: list[Task]
    metrics: Metrics
    samples: list[Sample]
    tasks_started: NotRequired[int]
    lab_pid: NotRequired[int]
    alongside: NotRequired[list[str]]  # ids of the lab's other runs that executed meanwhile
