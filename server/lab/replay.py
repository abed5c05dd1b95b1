"""Rebuild a closed run log from a stored run document, for runs no longer held in memory.

The replay carries each lane, each task and each sample once, as the document has them in the end
(the live log also carried every intermediate state of a task), then the final ``status`` message
in the shape :meth:`server.lab.run.Run._set_status` gives it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from server.lab.runlog import RunLog
from server.types import EventName


def replay_log(document: dict[str, Any]) -> RunLog:
    log = RunLog()
    for lane in document.get("lanes") or ():
        log.append(EventName.LANE, _const(lane))
    for task in document.get("tasks") or ():
        log.append(EventName.TASK, _const(task))
    for sample in document.get("samples") or ():
        log.append(EventName.SAMPLE, _const(sample))
    log.append(
        EventName.STATUS,
        _const(
            {
                "id": document["id"],
                "status": document["status"],
                "error": document.get("error"),
                "wall_s": document.get("wall_s"),
                "metrics": document.get("metrics") or {},
            }
        ),
    )
    log.close()
    return log


def _const(data: dict[str, Any]) -> Callable[[], dict[str, Any]]:
    return lambda: data
