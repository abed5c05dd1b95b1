"""A run as text for the terminal: a summary and a Gantt chart with one row per lane.

Each column is a slice of wall time. In a lane's row, ``█`` means a task was running for most of the
slice, ``·`` that the lane was idle; ``x`` marks a slice where a task failed or was cancelled. A
slice where a task was in flight but mostly waiting shows why, by the reason that took most of it:
``g`` the GIL, ``c`` a core, ``i`` I/O, ``a`` an await, ``l`` the event loop, ``?`` the lab cannot
tell; ``▒`` where the run recorded no reasons (a run stored by an older lab).
"""

from __future__ import annotations

from experiments.document import RunDocument, Task
from server.lab.metrics import occupancy
from server.types import WaitReason

RUN, WAIT, IDLE, BAD = "█", "▒", "·", "x"
#: One character per wait reason, and what the legend calls it.
WAIT_CHARS: dict[str, tuple[str, str]] = {
    WaitReason.GIL: ("g", "GIL"),
    WaitReason.CORE: ("c", "core"),
    WaitReason.IO: ("i", "I/O"),
    WaitReason.AWAIT: ("a", "await"),
    WaitReason.LOOP: ("l", "loop busy"),
    WaitReason.OTHER: ("?", "unknown"),
}


def _waiting(tasks: list[Task], wall: float, width: int) -> list[str]:
    """Per slice, the character of the reason that covers most of it (``WAIT`` if none does)."""
    by_reason = {
        reason: occupancy(
            [(s, e) for t in tasks for s, e, r in t.get("waits") or () if r == reason],
            0.0,
            wall,
            width,
        )
        for reason in WAIT_CHARS
    }
    out = []
    for k in range(width):
        amount, reason = max((cover[k], reason) for reason, cover in by_reason.items())
        out.append(WAIT_CHARS[reason][0] if amount > 0 else WAIT)
    return out


def gantt_rows(doc: RunDocument, width: int = 60) -> list[tuple[str, str]]:
    wall = doc.get("wall_s") or 0.0
    rows = []
    for lane in doc["lanes"]:
        tasks = [t for t in doc["tasks"] if t["lane"] == lane["id"]]
        spans = [(t["start_s"], t["end_s"] if t["end_s"] is not None else wall) for t in tasks]
        busy = occupancy(spans, 0.0, wall, width)
        ran = occupancy([(s, e) for t in tasks for s, e in t["running"]], 0.0, wall, width)
        bad = occupancy(
            [
                (s, e)
                for t, (s, e) in zip(tasks, spans, strict=True)
                if t["status"] in ("error", "cancelled")
            ],
            0.0,
            wall,
            width,
        )
        waiting = _waiting(tasks, wall, width)
        cells = []
        for b, r, x, w in zip(busy, ran, bad, waiting, strict=True):
            if x > 0.5:
                cells.append(BAD)
            elif b < 0.05:
                cells.append(IDLE)
            else:
                cells.append(RUN if r >= 0.5 * min(b, 1.0) else w)
        rows.append((lane["label"], "".join(cells)))
    return rows


def _mib(n: int | None) -> str:
    return f"{n / 2**20:.0f} MiB" if n else "n/a"


def _server_lines(doc: RunDocument) -> list[str]:
    """A server run's command, endpoint and client-side figures (requests, latency, throughput)."""
    info, m = doc.get("executor_info") or {}, doc["metrics"]
    if doc.get("executor") != "server" or "requests_ok" not in m:
        return []
    versions = ", ".join(info.get("http_versions") or []) or "no response"
    lines = [
        f"server: {info.get('command', '?')} · GET {info.get('path', '?')} · {versions}",
        f"requests ok {m['requests_ok']}, failed {m['requests_failed']}"
        f" · latency p50 {1000 * m['latency_p50_s']:.1f} ms, p99 {1000 * m['latency_p99_s']:.1f} ms"
        f" · throughput {m.get('throughput_rps', 0.0):.1f} req/s",
    ]
    lines += [f"kill -9 pid {k['pid']} at {k['t_s']:.3f} s" for k in info.get("kills") or []]
    return lines


def _wait_lines(doc: RunDocument) -> list[str]:
    """Where the tasks' time went besides running: the seconds per wait reason, and queued."""
    m = doc["metrics"]
    wait_s = m.get("wait_s")
    if wait_s is None:
        return []
    parts = [f"{name} {wait_s[r]:.3f} s" for r, (_, name) in WAIT_CHARS.items() if wait_s.get(r)]
    queued = f" · queued for a worker {m.get('queued_s', 0.0):.3f} s"
    return [f"waiting (task-seconds): {', '.join(parts) or 'none'}{queued}"]


def render(doc: RunDocument, width: int = 60) -> str:
    m = doc["metrics"]
    tasks = doc["tasks"]
    counts = {s: sum(t["status"] == s for t in tasks) for s in ("ok", "error", "cancelled")}
    params = " ".join(f"{k}={v}" for k, v in doc["params"].items())
    lines = [
        f"{doc['workload']} ({params}) × {doc['tasks_requested']} tasks · {doc['executor']}"
        f" · {doc['workers']} workers · run {doc['id']}",
        f"status {doc['status']}"
        + (f": {doc['error']}" if doc.get("error") else "")
        + f" · wall {doc['wall_s'] or 0:.3f} s · ok {counts['ok']}, error {counts['error']},"
        f" cancelled {counts['cancelled']}",
        f"concurrency (avg tasks in flight)   {m['avg_concurrency']:8.2f}   peak {m['max_in_flight']}",
        f"parallelism (avg tasks running)     {m['avg_parallelism']:8.2f}   peak {m['max_running']}",
        f"CPU busy {100 * (m['cpu_busy_fraction'] or 0):.0f}% of {doc['host']['cpus']} cores"
        + (
            f", other programs {m['outside_cpu_cores']:.2f} cores"
            if "outside_cpu_cores" in m
            else ""
        )
        + f" · peak RSS {_mib(m['peak_rss_bytes'])}",
        *_wait_lines(doc),
        *_server_lines(doc),
        "",
    ]
    rows = gantt_rows(doc, width)
    label_w = max((len(label) for label, _ in rows), default=4)
    for label, cells in rows:
        lines.append(f"{label:>{label_w}} │{cells}│")
    wall = doc.get("wall_s") or 0.0
    axis = f"0 s{'':{width - 3 - len(f'{wall:.2f} s')}}{wall:.2f} s"
    lines.append(f"{'':>{label_w}}  {axis}")
    lines.append(f"{'':>{label_w}}  {RUN} running  {IDLE} idle  {BAD} failed/cancelled")
    reasons = "  ".join(f"{char} {name}" for char, name in WAIT_CHARS.values())
    lines.append(f"{'':>{label_w}}  waiting: {reasons}  {WAIT} no reason recorded")
    for t in tasks:
        if t["status"] == "error":
            lines.append(f"task {t['id']} failed: {t['error']}")
            break
    return "\n".join(lines)
