"""A run page's exports in Chromium. "Open in Perfetto" hands the trace to the UI by its postMessage
handshake, checked against a fake UI at https://ui.perfetto.dev (``fake_perfetto.html``, served
at that origin by Playwright's routing: this machine has no internet). Where the UI cannot be
reached the page says so, and the download works regardless."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, Route, expect

from server.liveserver import LiveServer

UI = "https://ui.perfetto.dev"
FAKE_UI = Path(__file__).with_name("fake_perfetto.html")


@pytest.fixture(scope="module")
def run_id(server: LiveServer) -> str:
    body = {"workload": "io", "executor": "threads", "tasks": 4, "workers": 2, "params": {"ms": 20}}
    run = httpx.post(f"{server.url}/api/runs", json=body).json()
    for _ in range(200):
        if httpx.get(f"{server.url}/api/runs/{run['id']}").json()["status"] == "done":
            return str(run["id"])
        time.sleep(0.05)
    raise AssertionError("the run did not finish")


def test_open_in_perfetto_pings_until_the_ui_answers_then_posts_the_trace(
    page: Page, server: LiveServer, run_id: str
) -> None:
    def fake_ui(route: Route) -> None:
        route.fulfill(path=FAKE_UI, content_type="text/html")

    page.context.route(f"{UI}/**", fake_ui)
    page.goto(f"{server.url}/runs/{run_id}")
    link = page.get_by_role("link", name="Open in Perfetto")
    with page.expect_popup() as opened:
        link.click()
    ui = opened.value
    ui.wait_for_function("window.received !== undefined", timeout=10_000)
    got = ui.evaluate("window.received")
    trace = httpx.get(f"{server.url}/api/runs/{run_id}/trace.json").json()
    assert got == {
        "title": link.get_attribute("data-title"),
        "fileName": f"run-{run_id}.trace.json",
        "url": f"{server.url}/api/runs/{run_id}/trace.json",
        "origin": server.url,  # the message came from the lab's page
        "bytes": got["bytes"],
        "events": len(trace["traceEvents"]),
    }
    assert ui.evaluate("window.pings") >= 1
    assert ui.locator("#state").text_content() == f"opened {got['title']}"
    expect(page.locator(".perfetto-status")).to_have_text("Sent to ui.perfetto.dev.")


def test_where_perfetto_cannot_be_reached_the_page_says_so_and_the_download_works(
    page: Page, server: LiveServer, run_id: str
) -> None:
    page.context.route(f"{UI}/**", lambda route: route.abort("internetdisconnected"))
    page.goto(f"{server.url}/runs/{run_id}")
    link = page.get_by_role("link", name="Open in Perfetto")
    link.evaluate("a => { a.dataset.timeoutMs = '1500'; }")  # rather than waiting 20 s
    with page.expect_popup():
        link.click()
    status = page.locator(".perfetto-status")
    expect(status).to_contain_text("Opening ui.perfetto.dev")
    expect(status).to_have_text(
        "ui.perfetto.dev could not be reached (no answer in 1.5 s): download the trace and open it"
        " there.",
        timeout=5_000,
    )
    with page.expect_download() as downloading:
        page.get_by_role("link", name="Download trace").click()
    download = downloading.value
    assert download.suggested_filename == f"run-{run_id}.trace.json"
    assert json.loads(Path(download.path()).read_text())["traceEvents"]
