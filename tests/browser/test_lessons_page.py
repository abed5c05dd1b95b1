"""Lessons and comparisons in headless Chromium against the real server."""

from __future__ import annotations

import httpx
from playwright.sync_api import Page, expect

from server.liveserver import LiveServer


def test_a_lesson_runs_from_its_page_and_states_its_verdict(page: Page, server: LiveServer) -> None:
    page.goto(server.url + "/lessons")
    page.click("text=Concurrency vs parallelism")
    page.click("button.run-lesson")
    comparison = page.locator("#comparison")
    expect(comparison).to_have_attribute("data-status", "running")
    expect(comparison).to_have_attribute("data-status", "done", timeout=30_000)
    verdict = page.locator("[data-verdict] p").inner_text()
    doc = httpx.get(
        f"{server.url}/api/comparisons/{comparison.get_attribute('data-comparison')}"
    ).json()
    assert verdict == doc["verdict"]["text"]
    assert f"{doc['verdict']['facts']['threads_parallelism']:.2f}" in verdict  # from this run
    # Both runs drawn on the shared axis, with their figures in the table.
    assert page.locator(".cmp-run").count() == 2
    assert page.locator("table.figures tbody tr").count() == 2
    assert page.locator(".references li").count() >= 1


def test_runs_ticked_in_the_history_open_side_by_side(page: Page, server: LiveServer) -> None:
    ids = []
    for executor in ("sequential", "threads"):
        r = httpx.post(
            f"{server.url}/api/runs",
            json={"workload": "io", "executor": executor, "tasks": 4, "params": {"ms": 50}},
        )
        ids.append(r.json()["id"])
    for run_id in ids:
        for _ in range(100):
            if httpx.get(f"{server.url}/api/runs/{run_id}").json()["status"] == "done":
                break
            page.wait_for_timeout(50)
    page.goto(server.url + "/")
    for run_id in ids:
        page.check(f"input[name=run][value='{run_id}']")
    page.click("text=Compare selected")
    expect(page.locator("table.figures tbody tr")).to_have_count(2)
    rows = page.locator("table.figures tbody tr")
    assert "1.00×" in rows.nth(0).inner_text()  # the first run is the baseline
    assert page.locator(".cmp-run rect.flight.ok").count() == 8
    page.goto(f"{server.url}/compare?runs=nope")
    expect(page.locator(".field-error")).to_contain_text("No run with id nope")


def test_a_lesson_pages_poll_leaves_the_focus_where_it_was(page: Page, server: LiveServer) -> None:
    page.goto(server.url + "/lessons/io-bound")
    page.click("button.run-lesson")
    comparison = page.locator("#comparison")
    expect(comparison).to_have_attribute("data-status", "running")
    chart = page.locator("#comparison .cmp-run .lanes-chart").first
    chart.focus()
    chart.evaluate("el => { el.sameNode = true; }")  # a property of this node, not of its markup
    polls = []
    page.on("response", lambda r: polls.append(r.url) if "/comparisons/" in r.url else None)
    while len(polls) < 3 and comparison.get_attribute("data-status") == "running":
        page.wait_for_timeout(200)
    assert len(polls) >= 2  # the fragment refreshed itself meanwhile...
    assert page.evaluate("document.activeElement.sameNode === true")  # ...around the same node
    expect(comparison).to_have_attribute("data-status", "done", timeout=60_000)
