"""The app's state as FastAPI dependencies: a route names what it needs in its signature."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Annotated, ParamSpec, TypeVar

from fastapi import Depends, Request

from server.comparisons import Comparisons
from server.manager import RunManager
from server.settings import Settings
from server.store import Store
from server.web.broker import Brokers

P = ParamSpec("P")
R = TypeVar("R")


def _manager(request: Request) -> RunManager:
    manager: RunManager = request.app.state.manager
    return manager


def _store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _brokers(request: Request) -> Brokers:
    brokers: Brokers = request.app.state.brokers
    return brokers


def _comparisons(request: Request) -> Comparisons:
    comparisons: Comparisons = request.app.state.comparisons
    return comparisons


ManagerDep = Annotated[RunManager, Depends(_manager)]
StoreDep = Annotated[Store, Depends(_store)]
SettingsDep = Annotated[Settings, Depends(_settings)]
BrokersDep = Annotated[Brokers, Depends(_brokers)]
ComparisonsDep = Annotated[Comparisons, Depends(_comparisons)]


async def off_loop(fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """Run a blocking call (an SQLite read, decompressing a stored run) in a worker thread, so
    that the event loop goes on driving live runs meanwhile."""
    return await asyncio.to_thread(fn, *args, **kwargs)
