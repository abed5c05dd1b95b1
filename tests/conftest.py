"""Shared fixtures: runs executed in the test's process, and the lab served on a loopback port.

Engine tests run real pools on this machine, with small sizes. API tests talk to the real app served
by uvicorn in a thread, not through ``httpx.ASGITransport``: the transport collects a whole response
before handing it over, so it could not show that events arrive while a run goes. The types of these
fixtures' values are in ``tests/support.py``.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from server.lab.run import Run
from server.settings import Settings
from server.spec import make_spec
from server.web.app import create_app
from tests.support import Execute, Lab, LabClient, RunDoc, Serve


def _run_document(
    workload: str, executor: str, tasks: int = 8, workers: int | None = None, **params: Any
) -> RunDoc:
    run = Run(make_spec(workload, executor, tasks, workers, params))
    asyncio.run(run.execute())
    return run.document()


@pytest.fixture(scope="session")
def execute() -> Execute:
    """``execute(workload, executor, tasks=8, workers=None, **params)``: one run executed to its
    end in a fresh event loop, in this process; its run document."""
    return _run_document


@contextmanager
def _served(settings: Settings) -> Iterator[LabClient]:
    config = uvicorn.Config(
        create_app(settings),
        host="127.0.0.1",
        port=0,
        http="h11",
        ws="none",
        lifespan="on",
        log_level="warning",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="test-uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        with LabClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            yield client
    finally:
        server.should_exit = True
        thread.join(20)
        assert not thread.is_alive(), "the test server did not stop"


@pytest.fixture(scope="session")
def serve() -> Serve:
    """``with serve(settings) as client:`` the app on a free loopback port, in a thread of its
    own, for the ``with`` block; ``client`` talks to it. For fixtures that share one lab."""
    return _served


@pytest.fixture
def lab(serve: Serve, tmp_path: Path) -> Lab:
    """``with lab(**settings) as client:`` a lab of the test's own, with these settings and its
    data in the test's ``tmp_path`` (so a second ``with lab()`` finds the first one's runs)."""
    return lambda **settings: serve(Settings(data_dir=tmp_path, **settings))


@pytest.fixture(scope="module")
def lab_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The settings of the lab that ``client`` talks to; a module overrides this fixture to change
    them."""
    return Settings(data_dir=tmp_path_factory.mktemp("lab"))


@pytest.fixture(scope="module")
def client(serve: Serve, lab_settings: Settings) -> Iterator[LabClient]:
    """A client of one lab shared by the module's tests (``lab_settings``)."""
    with serve(lab_settings) as c:
        yield c


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests last: Playwright's sync API keeps an event loop running in this thread while a
    browser is open, and asyncio tests cannot start their own loop meanwhile."""
    items.sort(key=lambda item: "tests/browser/" in str(item.path).replace("\\", "/"))
