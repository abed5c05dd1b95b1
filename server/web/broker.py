"""Frame brokers: one per watched run, folding its log into frames at the frame rate.

A broker follows the run's log (``server.web.sse.follow``), folds each batch into the run's model
and turns what changed into one frame (``server.render.frames``), SSE-encoded once and shared by
every page watching: a viewer costs the server a write, not a render. A page that joins late, or
falls too far behind, gets a snapshot instead of the backlog.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections import OrderedDict, deque
from collections.abc import Sequence
from dataclasses import dataclass, replace
from time import perf_counter, perf_counter_ns

from server.lab.run import Run
from server.lab.runlog import Log, Message
from server.manager import RunManager
from server.render import frames
from server.render.model import RunModel
from server.render.prose import run_info
from server.render.scene import Queue, Scene, scene
from server.types import EventName, RunStatus
from server.web import sse

#: Brokers of finished runs kept for pages that open them soon after.
KEEP = 32
#: A run's machine is busy (:func:`free_cores`) when its last ``RECENT_SAMPLES`` CPU samples
#: (0.1 s apart) left less than ``BUSY_BELOW`` cores idle between them, and stays busy until
#: they leave more than ``IDLE_ABOVE``: a browser's frame then takes its time from the run.
RECENT_SAMPLES = 3
BUSY_BELOW = 0.5
IDLE_ABOVE = 0.75


@dataclass(frozen=True, slots=True)
class Pacing:
    """How often a run's pages get frames (the settings of the same names, in seconds)."""

    interval_s: float  # frame_interval_s: at most one frame this often
    still_s: float  # still_frame_s: one frame this often while only time passes
    gather_s: float  # frame_gather_s: how long an event waits for what comes with it
    #: busy_frame_core_s: while every core is busy, at most one frame per this many seconds of
    #: the run's cores (a frame every 1 s on 2 cores, every 0.25 s on 8).
    busy_core_s: float


def free_cores(samples: Sequence[Sequence[float]]) -> float:
    """How many cores were idle, on average over ``samples`` (each the busy percent per core)."""
    return sum(100.0 * len(cores) - sum(cores) for cores in samples) / (100.0 * len(samples))


def elapsed(run: Run) -> float:
    """Seconds since the run's clock started (its wall time once it has ended)."""
    if run.t0_ns is None:
        return 0.0
    end = run.end_ns if run.end_ns is not None else perf_counter_ns()
    return (end - run.t0_ns) / 1e9


class Broker:
    """A run's frames. A frame follows as soon as something happened (a task started or ended,
    a lane appeared, the status changed), at most one per ``interval_s``; while only time passes
    (bars growing, counters counting), one per ``still_s``. Every frame costs a watching browser
    the same few milliseconds of work whatever it holds, on the machine whose cores the run
    needs, so frames that only move the clock are the ones to spare.

    The broker paces its frames itself (:meth:`drive`): what happens soon after a frame waits
    for the rest of ``interval_s``, and nothing else waits long, so that a task's end is drawn as
    soon as the frame rate allows, not a frame period after whatever batch came before it. An
    event does wait ``gather_s`` for what happens with it: tasks that end together (a pool's
    workers given equal work, a gather's awaits) are drawn in one frame rather than in one and
    then another a period later. The run loop hands over records every 50 ms, so the default
    60 ms gathers across one hand-over.

    While the run keeps every core of its machine busy, a browser on that machine can draw a
    frame only with time taken from the run, and so can the lab: frames then come at most one
    per ``busy_core_s`` seconds of the machine's cores (:attr:`paced_s`, which the view
    states), so that a frame takes the same share of the run whatever the number of cores: one
    a second on 2 cores, four on 8. The run's end is drawn at once: its cores are free again.
    On this 2-core machine that cut what a watching tab took from the cpu-bound lesson's run
    by more than half (``bench/OBSERVER.md``)."""

    def __init__(self, run: Run, manager: RunManager, pacing: Pacing) -> None:
        self.run = run
        self._manager = manager
        self.still_s = pacing.still_s
        self.interval_s = pacing.interval_s
        self.gather_s = pacing.gather_s
        self.busy_core_s = pacing.busy_core_s
        #: The run's latest CPU samples (busy percent per core), and whether they say that
        #: its machine has no core to spare.
        self._cpu: deque[Sequence[float]] = deque(maxlen=RECENT_SAMPLES)
        self.busy = False
        #: Messages received and not yet drawn (the model holds exactly what frames have drawn).
        self._waiting: list[Message] = []
        #: Whether those hold an event that pages should see at once (:meth:`_eventful`), and
        #: since when (``perf_counter``).
        self._urgent = False
        self._urgent_at = -math.inf
        self._received = 0
        #: When the latest frame was drawn (``perf_counter``); none yet: long ago.
        self._drawn_at = -math.inf
        # A run like one the lab has just run is drawn on an axis planned for its length.
        info = replace(run_info(run.head()), expected_s=manager.expected_wall_s(run))
        self.model = RunModel(info)
        #: Frames as SSE messages; frame n has the id n.
        self.frames: Log[bytes] = Log()
        #: The run as the latest frame left it: a page rendered now starts from here.
        self.scene: Scene = self._scene(0.0, self._queue())
        self._shown = frames.shown(self.scene)
        self._snapshot: tuple[int, bytes] | None = None

    @property
    def position(self) -> int:
        return len(self.frames.items)

    def _queue(self) -> Queue:
        run_id = self.run.id
        return Queue(self._manager.queue_position(run_id), self._manager.waiting_for(run_id))

    @property
    def paced_s(self) -> float | None:
        """The longer frame period while every core is busy (None: the usual one)."""
        if not self.busy:
            return None
        period = round(self.busy_core_s / len(self._cpu[-1]), 2)
        return period if period > self.interval_s else None

    def _scene(self, t: float, queue: Queue) -> Scene:
        return scene(self.model, t, queue=queue, paced_s=self.paced_s)

    def _sampled(self, messages: Sequence[Message]) -> None:
        """Follow the machine's CPU in the run's samples, as they arrive. A run that has ended
        no longer keeps any core busy."""
        for m in messages:
            if m.event == EventName.SAMPLE:
                self._cpu.append(m.data["cpu_percent"])
            elif m.event == EventName.STATUS and RunStatus(m.data["status"]).finished:
                self._cpu.clear()
                self.busy = False
        if len(self._cpu) == RECENT_SAMPLES:
            free = free_cores(self._cpu)
            self.busy = free < BUSY_BELOW if not self.busy else free <= IDLE_ABOVE

    def step(self, messages: Sequence[Message], *, now: bool = False) -> None:
        """Take ``messages`` in; if a frame is due (or ``now``), fold what waits and add the
        frame that draws it, with the time that passed."""
        fresh = [m for m in messages if m.id > self._received]
        if fresh:
            self._received = fresh[-1].id
            self._waiting.extend(fresh)
            self._sampled(fresh)
            if not self._urgent and self._eventful(fresh):
                self._urgent, self._urgent_at = True, perf_counter()
        t = elapsed(self.run)
        queue = self._queue()
        key = (queue.position, queue.reason, self.paced_s)
        still = not self._urgent and self._shown.status[1:] == key
        still_s = max(self.still_s, self.paced_s or 0.0)
        if not now and ((still and t - self._shown.now < still_s) or self.due_in() > 0):
            return
        batch, self._waiting, self._urgent = self._waiting, [], False
        changes = self.model.fold(batch)
        if not changes and self.model.finished:
            return
        s = self._scene(t, queue)
        html, self._shown = frames.delta(s, changes, self._shown)
        self.scene = s
        self.frames.add(sse.encode(html, id=self.position + 1))
        self.frames.notify()
        self._drawn_at = perf_counter()

    def due_in(self) -> float:
        """Seconds until the frame rate allows the next frame, and an event waiting has waited
        ``gather_s`` for what comes with it (0: now)."""
        due = self._drawn_at + (self.paced_s or self.interval_s)
        if self._urgent:
            due = max(due, self._urgent_at + self.gather_s)
        return max(0.0, due - perf_counter())

    def _eventful(self, messages: Sequence[Message]) -> bool:
        """Whether ``messages`` hold an event that pages should see at once. A run's start is not
        one: its first tasks start within ms, and drawn apart they would cost a watching
        browser two frames' work instead of one. (The model changes only when a frame draws
        what waits, so a message's answer holds until then.)"""
        tasks = self.model.tasks
        for m in messages:
            if m.event == EventName.TASK:
                d = m.data
                if d["end_s"] is not None or d["id"] not in tasks:
                    return True
            elif m.event == EventName.STATUS and m.data["status"] == RunStatus.RUNNING:
                continue  # its tasks start within the next frame: one frame draws both
            elif m.event != EventName.SAMPLE or m.data.get("kills"):
                return True
        return False

    def catch_up(self) -> None:
        """Draw what the run logged since the last frame, so that a page rendered now is current
        (the catch-up is a frame too, which every watching page receives)."""
        log = self.run.log
        if self.frames.closed:
            return
        if len(log.items) > self.model.log_pos:
            self.step(log.after(self._received), now=True)
        if log.closed and len(log.items) == self.model.log_pos:
            self.frames.close()  # every message is in: the run is over for its pages

    def snapshot(self) -> bytes:
        """Every panel as the latest frame left them, as a message with that frame's id."""
        if self._snapshot is None or self._snapshot[0] != self.position:
            html, _ = frames.snapshot(self.scene)
            self._snapshot = (self.position, sse.encode(html, id=self.position))
        return self._snapshot[1]

    async def drive(self) -> None:
        """Follow the run's log to its end. A batch with an event is drawn at once if the frame
        rate allows, or as soon as it does (with what came meanwhile); without one, it waits
        for the next frame or for ``still_s`` (a tick comes every ``interval_s`` when nothing
        does)."""
        try:
            log = self.run.log
            async for batch in sse.follow(log, self._received, idle_s=self.interval_s):
                self.step(batch)  # the final status is an event too
                while self._urgent:  # held back by the frame rate, or by the cores being busy
                    await self._until_due(log)
                    self.step(log.after(self._received))
        finally:
            self.frames.close()

    async def _until_due(self, log: Log[Message]) -> None:
        """Wait until a frame is due, or until the run logs more: what comes may make it due
        sooner (the run's end frees its cores, and its end is drawn at once)."""
        wait = self.due_in()
        if log.closed or wait <= 0:
            await asyncio.sleep(wait)
        else:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(log.wait(self._received), wait)


class Brokers:
    """The brokers of the runs that pages watch, each driven by a job of its own."""

    def __init__(self, manager: RunManager, pacing: Pacing) -> None:
        self.manager = manager
        self.pacing = pacing
        self._brokers: OrderedDict[str, Broker] = OrderedDict()
        self._jobs: set[asyncio.Task[None]] = set()

    def for_run(self, run: Run) -> Broker:
        """The run's broker, caught up with its log."""
        broker = self._brokers.get(run.id)
        if broker is None:
            broker = Broker(run, self.manager, self.pacing)
            self._brokers[run.id] = broker
            self._forget_old()
            job = asyncio.get_running_loop().create_task(broker.drive())
            self._jobs.add(job)
            job.add_done_callback(self._jobs.discard)
        broker.catch_up()
        return broker

    def _forget_old(self) -> None:
        while len(self._brokers) > KEEP:
            old_id, old = next(iter(self._brokers.items()))
            if not old.frames.closed:
                break
            del self._brokers[old_id]

    async def close(self) -> None:
        for job in list(self._jobs):
            job.cancel()
