"""Shared fixtures. Engine tests run real pools on this machine, with small sizes."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

import pytest

from server.lab.run import Run
from server.spec import make_spec


def run_document(
    workload: str, executor: str, tasks: int = 8, workers: int | None = None, **params: Any
) -> dict[str, Any]:
    """Execute one run to the end in a fresh event loop and return its run document."""
    run = Run(make_spec(workload, executor, tasks, workers, params))
    asyncio.run(run.execute())
    return run.document()


T = TypeVar("T")


def measured_until(measure: Callable[[], T], shows: Callable[[T], bool], tries: int = 2) -> T:
    """Measure an effect that needs both cores free, again if a measurement does not show it.

    A moment of load from elsewhere (another process, the previous test's pool shutting down) can
    hide a parallel speed-up once; a real regression hides it every time. Returns the first
    measurement that shows the effect, or the last one, for the caller's asserts to report."""
    for _ in range(tries - 1):
        result = measure()
        if shows(result):
            return result
    return measure()


@pytest.fixture
def execute() -> Any:
    return run_document


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests last: Playwright's sync API keeps an event loop running in this thread while a
    browser is open, and asyncio tests cannot start their own loop meanwhile."""
    items.sort(key=lambda item: "tests/browser/" in str(item.path).replace("\\", "/"))
