"""The live view in Chromium: what a page watching a run ends with is what the server renders for
the finished run, element for element; charts are one tab stop each; the status is announced."""

from __future__ import annotations

import httpx
import pytest
from bs4 import BeautifulSoup
from playwright.sync_api import Browser, Page, expect

from server.liveserver import LiveServer

#: The panels compared, by id prefix: every chart, the axis, the numbers and the words.
PANELS = (
    "lanes",
    "tasks",
    "axis",
    "counters",
    "summary",
    "tablebody",
    "badge",
    "nowclip",
    "wgil",
    "wawait",
    "legendL",
    "legendT",
    "lines",
)


def panels(page: Page, run_id: str) -> dict[str, str]:
    return {
        name: page.locator(f"#{name}-{run_id}").evaluate("el => el.outerHTML") for name in PANELS
    }


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(
            {
                "workload": "cpu",
                "executor": "processes",
                "tasks": 6,
                "workers": 2,
                "params": {"ms": 200},
            },
            id="processes",
        ),
        pytest.param(
            {
                "workload": "mixed",
                "executor": "threads",
                "tasks": 6,
                "workers": 2,
                "params": {"ms": 200},
            },
            id="threads",
        ),
        pytest.param(
            {"workload": "io", "executor": "asyncio", "tasks": 3000, "params": {"ms": 300}},
            id="asyncio-density",
        ),
    ],
)
def test_a_watched_page_ends_with_what_the_finished_page_shows(
    browser: Browser, page: Page, server: LiveServer, body: dict[str, object]
) -> None:
    run_id = httpx.post(f"{server.url}/api/runs", json=body).json()["id"]
    served = page.goto(f"{server.url}/runs/{run_id}")
    # Live as served (the page itself may have seen a short run end by the time it is asked).
    assert served is not None
    assert BeautifulSoup(served.text(), "html.parser").select_one(f"#run-{run_id}[data-stream]")
    expect(page.locator(f"#badge-{run_id}")).to_have_attribute(
        "data-status", "done", timeout=60_000
    )
    expect(page.locator(f"#run-{run_id}[data-stream]")).to_have_count(0)  # the stream ended
    watched = panels(page, run_id)
    fresh = browser.new_page()
    fresh.goto(f"{server.url}/runs/{run_id}")
    rendered = panels(fresh, run_id)
    fresh.close()
    for name in PANELS:
        assert watched[name] == rendered[name], f"#{name}-{run_id} differs"


def test_each_chart_is_one_tab_stop_and_the_status_is_announced(
    page: Page, server: LiveServer
) -> None:
    body = {
        "workload": "io",
        "executor": "threads",
        "tasks": 40,
        "workers": 8,
        "params": {"ms": 50},
    }
    run_id = httpx.post(f"{server.url}/api/runs", json=body).json()["id"]
    page.goto(f"{server.url}/runs/{run_id}")
    expect(page.locator(f"#badge-{run_id}")).to_have_attribute(
        "data-status", "done", timeout=30_000
    )
    assert page.locator(f"#lanes-{run_id} g.bar").count() == 40
    stops = []
    page.keyboard.press("Tab")
    for _ in range(12):  # the header's links, then the run's own stops
        stops.append(page.evaluate("document.activeElement.id || document.activeElement.tagName"))
        page.keyboard.press("Tab")
    assert stops.count(f"lanes-{run_id}") == 1 and stops.count(f"tasks-{run_id}") == 1
    region = page.locator(f"#status-{run_id}")
    assert region.get_attribute("aria-live") == "polite"
    assert region.inner_text() == "Done"
    rows = page.locator(f"#tablebody-{run_id} tbody tr")
    assert rows.count() == 40  # the charts' accessible twin
