"""Rebuild a closed run log from a stored run document, for runs no longer held in memory.

The replay carries each lane, each task and each sample once, as the document has them in the end
(the live log also carried every intermediate state of a task), then the final ``status`` message
in the shape :meth:`server.lab.run.Run._set_status` gives it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from experiments.document import RunDocument, StatusMessage
from server.lab.runlog import RunLog
from server.types import EventName

T = TypeVar("T")


def replay_log(document: RunDocument) -> RunLog:
    log = RunLog()
    for lane in document.get("lanes") or ():
        log.append(EventName.LANE, _const(lane))
    for task in document.get("tasks") or ():
        log.append(EventName.TASK, _const(task))
    for sample in document.get("samples") or ():
        log.append(EventName.SAMPLE, _const(sample))
    status: StatusMessage = {
        "id": document["id"],
        "status": document["status"],
        "error": document.get("error"),
        "wall_s": document.get("wall_s"),
        "metrics": document.get("metrics") or {},
    }
    log.append(EventName.STATUS, _const(status))
    log.close()
    return log


def _const(data: T) -> Callable[[], T]:
    return lambda: data
