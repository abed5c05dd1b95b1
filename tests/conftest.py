"""Shared fixtures. Engine tests run real pools on this machine, with small sizes."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from server.lab.run import Run
from server.lab.spec import make_spec


def run_document(
    workload: str, executor: str, tasks: int = 8, workers: int | None = None, **params: Any
) -> dict[str, Any]:
    """Execute one run to the end in a fresh event loop and return its run document."""
    run = Run(make_spec(workload, executor, tasks, workers, params))
    asyncio.run(run.execute())
    return run.document()


@pytest.fixture
def execute() -> Any:
    return run_document


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests last: Playwright's sync API keeps an event loop running in this thread while a
    browser is open, and asyncio tests cannot start their own loop meanwhile."""
    items.sort(key=lambda item: "tests/browser/" in str(item.path).replace("\\", "/"))
