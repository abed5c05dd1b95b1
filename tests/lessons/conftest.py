"""One lab for every lesson test that runs a lesson end to end: started once for the package."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from server.settings import Settings
from tests.support import LabClient, Serve


@pytest.fixture(scope="package")
def client(serve: Serve, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabClient]:
    """A client of the lessons' lab. Lessons run alone, so sharing one lab costs them nothing,
    and each lesson's file says only what is its own."""
    with serve(Settings(data_dir=tmp_path_factory.mktemp("lessons"))) as c:
        yield c
