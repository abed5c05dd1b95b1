"""The dashboard in headless Chromium against the real server."""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import Browser, Page, expect

from server.liveserver import LiveServer

#: The number of slices (rectangles) the paths given hold: each begins with a move, "M".
SLICES = "paths => paths.reduce((n, p) => n + p.getAttribute('d').split('M').length - 1, 0)"


def start(
    page: Page,
    server: LiveServer,
    workload: str,
    executor: str,
    tasks: int,
    workers: str,
    **params: str,
) -> str:
    page.goto(server.url + "/")
    # Choosing a workload fetches its form and swaps the whole form, values included; fill the
    # fields only once the new form is in. Choosing the workload already shown would still send
    # that request, and its late swap would undo what was filled in meanwhile.
    if page.input_value("#f-workload") != workload:
        page.evaluate("document.getElementById('run-form').dataset.stale = 'yes'")
        page.select_option("#f-workload", workload)
        page.wait_for_selector("#run-form:not([data-stale])", state="attached")
        assert page.input_value("#f-workload") == workload
    for name, value in params.items():
        page.fill(f"#f-param-{name}", value)
    page.select_option("#f-executor", executor)
    page.fill("#f-tasks", str(tasks))
    page.fill("#f-workers", workers)
    # The dashboard may show an earlier run (one still going, or the last one): the new run is
    # the view that replaces it.
    shown = page.evaluate("document.querySelector('#live article.run-view')?.dataset.run ?? null")
    page.click("#run-form button[type=submit]")
    page.wait_for_function(
        "shown => { const a = document.querySelector('#live article.run-view');"
        " return a !== null && a.dataset.run !== shown; }",
        arg=shown,
    )
    article = page.locator("#live article.run-view")
    expect(article).to_be_visible()
    run_id = article.get_attribute("data-run")
    assert run_id and run_id != shown
    return run_id


def test_bars_appear_while_the_run_goes_then_the_summary(page: Page, server: LiveServer) -> None:
    run_id = start(page, server, "cpu", "threads", 6, "2", ms="400")
    badge = page.locator(f"#head-{run_id} .badge")
    # A bar is on the chart while the run is still running...
    page.wait_for_selector(f"#lanes-{run_id} rect.flight", timeout=10_000)
    assert badge.get_attribute("data-status") in ("running", "pending")
    # ...and it is visibly wider than nothing: the clip follows "now".
    expect(badge).to_have_attribute("data-status", "done", timeout=20_000)
    expect(page.locator(f"#summary-{run_id}")).to_contain_text("took turns")
    expect(page.locator(f"#counters-{run_id} [data-counter=done]")).to_have_text("6 / 6")
    assert page.locator(f"#lanes-{run_id} .label").count() == 2
    assert page.locator(f"#lanes-{run_id} rect.flight.ok").count() == 6
    slices = page.locator(f"#tasks-{run_id} path.run").evaluate_all(SLICES)
    assert slices > 6  # taking turns: many slices
    doc = httpx.get(f"{server.url}/api/runs/{run_id}").json()
    shown = float(page.locator(f"#counters-{run_id} [data-counter=parallelism]").inner_text())
    assert shown == round(doc["metrics"]["avg_parallelism"], 2)


def test_processes_show_one_lane_per_worker_process(page: Page, server: LiveServer) -> None:
    # How parallel processes are is the engine tests' business; here: the page shows what was
    # measured, one lane per worker process, every bar finished.
    run_id = start(page, server, "cpu", "processes", 4, "2", ms="300")
    expect(page.locator(f"#head-{run_id} .badge")).to_have_attribute(
        "data-status", "done", timeout=20_000
    )
    doc = httpx.get(f"{server.url}/api/runs/{run_id}").json()
    labels = page.locator(f"#lanes-{run_id} .label")
    assert (
        labels.all_inner_texts()
        == [lane["label"] for lane in doc["lanes"]]
        == ["worker 1", "worker 2"]
    )
    assert page.locator(f"#lanes-{run_id} rect.flight.ok").count() == 4
    shown = float(page.locator(f"#counters-{run_id} [data-counter=parallelism]").inner_text())
    assert shown == round(doc["metrics"]["avg_parallelism"], 2)
    assert page.locator(f"#summary-{run_id}").inner_text().startswith("4 tasks in")


def test_cancel_stops_the_run_and_the_chart_shows_it(page: Page, server: LiveServer) -> None:
    run_id = start(page, server, "cpu", "processes", 8, "2", ms="5000")
    page.wait_for_selector(f"#lanes-{run_id} rect.flight", timeout=10_000)
    page.click(f"#head-{run_id} button.danger")
    expect(page.locator(f"#head-{run_id} .badge")).to_have_attribute(
        "data-status", "cancelled", timeout=5_000
    )
    expect(page.locator(f"#lanes-{run_id} rect.flight.cancelled").first).to_be_attached()
    expect(page.locator(f"#head-{run_id} button.danger")).to_have_count(0)


def test_a_focused_cancel_button_keeps_its_focus_while_frames_come_and_enter_cancels(
    page: Page, server: LiveServer
) -> None:
    # Focused as soon as the view is in, before its first frames: a frame that replaced the
    # button (the run's start used to) would leave a keyboard user's focus on the page's body.
    run_id = start(page, server, "cpu", "processes", 8, "2", ms="1500")
    page.focus(f"#head-{run_id} button.danger")
    # Two tasks done: frames have come (the start's, a busy period's, the tasks' ends).
    expect(page.locator(f"#cdone-{run_id}")).to_have_text(re.compile(r"^[2-7]\s*/"), timeout=15_000)
    assert page.evaluate("document.activeElement.closest('form')?.id") == f"cancel-{run_id}"
    page.keyboard.press("Enter")
    expect(page.locator(f"#head-{run_id} .badge")).to_have_attribute(
        "data-status", "cancelled", timeout=5_000
    )


def test_the_server_fields_show_only_while_the_server_executor_is_chosen(
    page: Page, server: LiveServer
) -> None:
    page.goto(server.url + "/")
    fields = page.locator("#f-server")
    expect(fields).to_be_hidden()
    page.select_option("#f-executor", "server")
    expect(fields).to_be_visible()
    page.select_option("#f-executor", "asyncio")
    expect(fields).to_be_hidden()


def test_bad_input_shows_beside_the_field_and_changes_nothing_else(
    page: Page, server: LiveServer
) -> None:
    page.goto(server.url + "/")
    live_before = page.locator("#live").inner_html()
    page.fill("#f-tasks", "0")
    page.click("#run-form button[type=submit]")
    error = page.locator("[data-error-for=tasks]")
    expect(error).to_contain_text("0 is out of range; allowed: an integer from 1 to 100000")
    assert page.locator("#live").inner_html() == live_before
    assert page.input_value("#f-tasks") == "0"  # what the user typed is kept
    page.fill("#f-tasks", "4")
    page.fill("#f-param-ms", "abc")
    page.click("#run-form button[type=submit]")
    expect(page.locator("[data-error-for=ms]")).to_contain_text("is not an integer")
    expect(page.locator("[data-error-for=tasks]")).to_have_count(0)
    page.fill("#f-param-ms", "5")  # fixed: the run starts, and the form shows no error any more
    page.click("#run-form button[type=submit]")
    expect(page.locator("#live article.run-view")).to_have_count(1)
    expect(page.locator("[data-error-for]")).to_have_count(0)
    assert page.input_value("#f-tasks") == "4"


def test_a_finished_run_reads_without_javascript(
    browser: Browser, page: Page, server: LiveServer
) -> None:
    run_id = start(page, server, "mixed", "threads", 4, "2", ms="200")
    page.close()  # leave mid-run, as a person closing the tab would
    context = browser.new_context(java_script_enabled=False)
    nojs = context.new_page()
    # Generous: on a busy machine the run may wait in the queue behind an earlier test's run.
    for _ in range(600):
        doc = httpx.get(f"{server.url}/api/runs/{run_id}").json()
        if doc["status"] not in ("pending", "running"):
            break
        nojs.wait_for_timeout(100)
    assert doc["status"] == "done", doc.get("error")
    nojs.goto(f"{server.url}/runs/{run_id}")
    assert nojs.locator(f"#lanes-{run_id} rect.flight.ok").count() == 4
    assert nojs.locator(f"#tasks-{run_id} path.run").evaluate_all(SLICES) >= 4
    assert re.search(r"4 tasks in", nojs.locator(f"#summary-{run_id}").inner_text())
    assert nojs.locator(f"#run-{run_id}[data-stream]").count() == 0  # finished: no stream
    context.close()


#: Where each chart of the page's run view is, with the view's run, recorded when the view opens
#: its stream (drawn, no frame applied yet) and after every frame while it is live. (The dashboard
#: may open on another run still going: the test keeps its own run's.)
WHERE_CHARTS_ARE = """
window.__tops = [];
(() => {
  const tops = () => {
    const view = document.querySelector('#live .run-view[data-stream]');
    return view && [view.dataset.run,
      [...view.querySelectorAll('figure.chart')].map(f => Math.round(f.getBoundingClientRect().top + scrollY))];
  };
  const ES = window.EventSource;
  window.EventSource = function (url, opts) { window.__tops.push(tops()); return new ES(url, opts); };
  document.addEventListener('lab:frame', () => { const t = tops(); if (t) window.__tops.push(t); });
})();
"""


def test_the_charts_stay_where_they_are_while_the_run_goes_and_when_it_ends(
    page: Page, server: LiveServer
) -> None:
    # Lanes appearing, or a legend gaining a key and wrapping, would push every chart below
    # down: the page would jump under the presenter's pointer, and a watching browser repaint
    # all of it. The view keeps room for the run's lanes and two lines for each legend.
    # The dashboard opens on another run, still going (4 tasks: a shorter task chart), and the
    # test's run replaces it.
    body = {"workload": "mixed", "executor": "threads", "tasks": 4, "workers": 2}
    other = httpx.post(f"{server.url}/api/runs", json={**body, "params": {"ms": 600}}).json()
    page.add_init_script(WHERE_CHARTS_ARE)
    run_id = start(page, server, "cpu", "threads", 6, "2", ms="300")
    expect(page.locator(f"#head-{run_id} .badge")).to_have_attribute(
        "data-status", "done", timeout=20_000
    )
    for _ in range(300):  # leave no run going for the next test
        if httpx.get(f"{server.url}/api/runs/{other['id']}").json()["status"] == "done":
            break
        page.wait_for_timeout(100)
    tops = [t for run, t in page.evaluate("window.__tops") if run == run_id]
    assert len(tops) >= 3 and len(tops[0]) == 3, tops  # the view drawn, then frames
    assert page.locator(f"#lanes-{run_id} .label").count() == 2
    assert [t for t in tops if t != tops[0]] == [], tops[0]
    # Nor when it has ended: the page that watched it keeps the legends' room.
    page.wait_for_function(f"!document.querySelector('#run-{run_id}[data-stream]')")
    ended = page.locator(f"#run-{run_id} figure.chart").evaluate_all(
        "fs => fs.map(f => Math.round(f.getBoundingClientRect().top + scrollY))"
    )
    assert ended == tops[0]


def test_runs_ticked_in_the_history_stay_ticked_when_a_run_starts(
    page: Page, server: LiveServer
) -> None:
    first = start(page, server, "io", "sequential", 2, "1", ms="20")
    expect(page.locator(f"#badge-{first}")).to_have_attribute("data-status", "done")
    page.check(f"input[name=run][value='{first}']")
    page.click("#run-form button[type=submit]")  # the same form again: a second run
    second = page.locator(f"#live article.run-view:not([data-run='{first}'])")
    expect(second).to_be_visible()
    new_id = second.get_attribute("data-run")
    assert new_id and new_id != first
    expect(page.locator(f"#hist-{new_id}")).to_be_visible()  # the history was drawn anew...
    expect(page.locator(f"input[name=run][value='{first}']")).to_be_checked()  # ...ticks kept
    expect(page.locator(f"input[name=run][value='{new_id}']")).not_to_be_checked()
