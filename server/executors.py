"""Every executor a run may name, assembled in one place: the engine's four and the server lab's.

It sits above both: the engine (``server.lab``) knows nothing of the server lab, which builds on it.
"""

from __future__ import annotations

from server.lab.executors import Asyncio, Executor, Processes, Sequential, Threads
from server.serverlab.load import ServerLoad

EXECUTORS: dict[str, type[Executor]] = {
    e.id: e for e in (Sequential, Threads, Processes, Asyncio, ServerLoad)
}


def takes_options(executor: str) -> bool:
    """Whether the executor of that id takes options of its own (the API's ``server`` object)."""
    ex = EXECUTORS.get(executor)
    return ex is not None and ex.takes_options


def spoken(ids: list[str]) -> str:
    """``a, b or c``: ids as a sentence names them."""
    return f"{', '.join(ids[:-1])} or {ids[-1]}" if len(ids) > 1 else "".join(ids)
