"""The run document: built once per position of the run's log, whoever asks how often."""

from __future__ import annotations

import asyncio

from server.lab.run import Run
from server.spec import make_spec


def test_the_document_is_rebuilt_only_when_the_log_has_grown() -> None:
    run = Run(make_spec("io", "threads", 3, 3, {"ms": 10}))
    asyncio.run(run.execute())
    first, again = run.document(), run.document()
    assert first["tasks"] is again["tasks"] and first["metrics"] is again["metrics"]
    assert first is not again  # each caller gets its own top level (queue fields are added)
    run.log.append(run.log.items[-1].event, lambda: {})  # the log grows: the tasks are read anew
    assert run.document()["tasks"] is not first["tasks"]
    assert run.document()["tasks"] == first["tasks"]
