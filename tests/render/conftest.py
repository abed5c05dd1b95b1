"""Fixtures of the render layer's tests: hand-made run logs and documents, run infos and pages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from server.render.model import RunInfo
from tests.render.handmade import HandDoc, HandLog, Page


@pytest.fixture
def hand() -> HandLog:
    return HandLog()


@pytest.fixture
def handdoc() -> HandDoc:
    return HandDoc()


@pytest.fixture
def info() -> Callable[..., RunInfo]:
    def make(**kw: Any) -> RunInfo:
        fields: dict[str, Any] = {
            "id": "r1",
            "title": "cpu(ms=100) × 4 · threads · 2 workers",
            "workload": "cpu",
            "executor": "threads",
            "tasks_requested": 4,
            "workers": 2,
            "cpus": 2,
            "lane_noun": "thread",
        }
        return RunInfo(**{**fields, **kw})

    return make


@pytest.fixture
def page() -> Callable[[str], Page]:
    return Page
