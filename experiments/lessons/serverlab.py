"""What server-lab verdicts read from a run document (no lesson here: helpers only).

A server-lab run is an ordinary run whose tasks are requests: ``executor_info`` says which server
ran them, each task's ``result`` holds the client's view of its request, and the metrics add
latency and throughput.
"""

from __future__ import annotations

from collections import Counter

from experiments.document import ExecutorInfo
from experiments.lessons.base import Doc, metric

UVICORN = {"setup": "uvicorn"}
MIB = 1024 * 1024


def info(doc: Doc) -> ExecutorInfo:
    info: ExecutorInfo = doc.get("executor_info") or {}
    return info.copy()


def served(doc: Doc) -> Counter[int]:
    """Requests answered, by the pid of the worker that answered them."""
    return Counter(
        int(t["result"]["pid"])
        for t in doc["tasks"]
        if t.get("status") == "ok" and isinstance(t.get("result"), dict) and t["result"].get("pid")
    )


def failed(doc: Doc) -> int:
    return int(metric(doc, "requests_failed"))


def worker_pids(doc: Doc) -> list[int]:
    return [int(w["pid"]) for w in info(doc).get("workers_ready", [])]


def workers_rss_peak(doc: Doc) -> int:
    """The largest sampled sum of the RSS of the processes that ran the app (not the supervisor,
    not the lab): what N copies of the app cost."""
    pids = {str(p) for p in worker_pids(doc)}
    sums = [
        sum(int(v) for p, v in s.get("rss_bytes", {}).items() if p in pids) for s in doc["samples"]
    ]
    return max(sums, default=0)


def throughput(doc: Doc) -> float:
    return metric(doc, "throughput_rps")


def spread(doc: Doc) -> str:
    """'9 + 7' requests per worker, in order of worker start ('16 + 0': one worker idled)."""
    counts = served(doc)
    return " + ".join(str(counts.get(p, 0)) for p in worker_pids(doc)) or "0"
