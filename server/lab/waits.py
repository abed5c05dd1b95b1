"""Why a task waited: the rules that name each stretch of a task's not-running time.

Probes keep waits as a flat list of integers ``[s0, e0, code0, s1, e1, code1, ...]`` (nanoseconds
on the shared clock, and a reason's index in ``server.types.WAIT_REASONS``), filled at the same
moments as the running intervals, so recording a wait costs no more than recording a run.

A thread's chunk that ran less than its wall time (``server.lab.probe``) was not running for a gap;
:func:`blocked` names its parts. The run-queue wait that Linux counts for the thread since the last
reading (``server.lab.schedstat``) is ``core``, placed at the gap's end: a thread that stops being
blocked becomes runnable, then gets a core. The rest was blocked: ``io`` while the workload said it
was sleeping or reading (up to the moment that I/O completed, where the workload knows it); after
that, or when the workload said nothing, ``gil`` if other Python threads shared the process, since
a thread that computes blocks on nothing else, and ``other`` in a thread alone in its process (a
process-pool worker). Without the run-queue figure a core cannot be told from the GIL: then what is
not I/O is ``other``.

An asyncio task's suspension (:func:`suspended`; :func:`stepped` for all of a task's) is ``await``
until what it awaited was ready, then ``loop`` until its next step began: its event loop was busy
with something else. A suspension whose ready time is unknown is all ``await`` (only the lab's own
helper, ``experiments.probe.asleep``, reports one; a bare ``yield``, as in ``asyncio.sleep(0)``, is
ready at once).
"""

from __future__ import annotations

from server.types import WAIT_REASONS, WaitReason

#: A reason's name by its code.
NAMES: tuple[str, ...] = tuple(r.value for r in WAIT_REASONS)

GIL = WaitReason.GIL.code
CORE = WaitReason.CORE.code
IO = WaitReason.IO.code
AWAIT = WaitReason.AWAIT.code
LOOP = WaitReason.LOOP.code
OTHER = WaitReason.OTHER.code

#: What a probe resolves: a gap between running intervals shorter than this is noise (it merges
#: them, ``server.lab.probe.MERGE_NS``), and so is a part of a gap: it joins its neighbour.
RESOLUTION_NS = 50_000
#: A wait that ends less than this after its due time ended on time: timers wake a little late
#: (here time.sleep overshoots by about 0.1 ms, an asyncio sleep by 0.15 ms) and that latency is
#: part of sleeping, not a wait for the GIL or the loop.
WAKE_SLACK_NS = 500_000


def blocked(start: int, end: int, runq: int | None, ready: int | None, threads: bool) -> list[int]:
    """The named parts of a thread's gap ``[start, end]``, flat.

    ``runq``: run-queue nanoseconds since the last reading (``None`` where the system does not
    say); ``ready``: ``None`` outside a declared I/O wait, else when that I/O completed (0, or a
    time before the gap, if not known); ``threads``: other Python threads could hold the GIL."""
    out: list[int] = []
    core = 0 if runq is None else min(max(runq, 0), end - start)
    if core <= RESOLUTION_NS:
        core = 0
    elif end - start - core <= RESOLUTION_NS:
        core = end - start
    cut = end - core  # the blocked part is [start, cut], the run-queue part [cut, end]
    if cut > start:
        rest = GIL if threads and runq is not None else OTHER
        if ready is None:
            out += (start, cut, rest)
        else:
            known = ready > 0 and ready >= start  # one before the gap is a previous chunk's
            io_end = ready if known and cut - ready > WAKE_SLACK_NS else cut
            if io_end - start <= RESOLUTION_NS:
                io_end = start
            else:
                out += (start, io_end, IO)
            if cut > io_end:
                out += (io_end, cut, rest)
    if core:
        out += (cut, end, CORE)
    return out


def suspended(start: int, end: int, ready: int, slack: int = WAKE_SLACK_NS) -> tuple[int, ...]:
    """The named parts of an asyncio task's suspension ``[start, end]``, flat. ``ready``: when
    what it awaited was done (0 if not known); ``slack``: how late a timer may wake."""
    if ready <= 0 or end - ready <= slack:
        return (start, end, AWAIT)
    if ready <= start:
        return (start, end, LOOP)
    return (start, ready, AWAIT, ready, end, LOOP)


def stepped(intervals: list[int], dues: list[int]) -> list[int]:
    """The waits of an asyncio task stepped by ``server.lab.stepping``, flat: its suspensions are
    the gaps between its steps (``intervals``), and ``dues`` says when each was ready (-1: at
    once, 0: not known)."""
    out: list[int] = []
    for k, ready in enumerate(dues):
        start, end = intervals[2 * k + 1], intervals[2 * k + 2]
        if ready < 0:
            out += suspended(start, end, start, 0)
        else:
            out += suspended(start, end, ready)
    return out
