"""Browser tests: the real server (uvicorn, in a child process) and Debian's Chromium via Playwright.

A failing test leaves a screenshot in ``test-artifacts/``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from server.liveserver import LiveServer

CHROMIUM = os.environ.get("CLAB_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser" in str(item.path):
            item.add_marker(pytest.mark.browser)


SUBRESOURCES = {"script", "stylesheet", "image", "font"}


def missing(kind: str, url: str, status: int) -> list[str]:
    return [f"{kind} {url} answered {status}"] if kind in SUBRESOURCES and status >= 400 else []


def refused(kind: str, text: str) -> list[str]:
    csp = "Content Security Policy" in text and "frame-ancestors" not in text
    return [text] if kind == "error" and csp else []


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    srv = LiveServer(tmp_path_factory.mktemp("lab-data"))
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: install Debian's 'chromium' (make test does, as root)"
        )
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if report.when == "call":
        item.stash[FAILED] = report.failed


FAILED = pytest.StashKey[bool]()


@pytest.fixture
def artifacts() -> Path:
    """Where screenshots go (kept, not committed: test-artifacts/ is ignored)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    # And what a page needs but did not get: a script, style sheet or image that failed to load,
    # or one the Content-Security-Policy refused (refusals to be framed are some tests' point).
    pg.on("response", lambda r: errors.extend(missing(r.request.resource_type, r.url, r.status)))
    pg.on("console", lambda msg: errors.extend(refused(msg.type, msg.text)))
    yield pg
    if request.node.stash.get(FAILED, False) and not pg.is_closed():
        ARTIFACTS.mkdir(exist_ok=True)
        pg.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()
    assert not errors, f"errors on the page: {errors}"
