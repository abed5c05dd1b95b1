"""The export routes against the real app (the ``client`` fixture): a finished run's trace, tasks
and chart as downloads, a run still going as far as it has got, 404 for runs that never were."""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET

import pytest

from server.types import RunStatus
from tests.support import LabClient, RunDoc, assert_csv_is_the_tasks, trace_problems

EXPORTS = [
    pytest.param("/api/runs/{}/trace.json", "application/json", "trace.json", id="trace"),
    pytest.param("/api/runs/{}/tasks.csv", "text/csv; charset=utf-8", "tasks.csv", id="csv"),
    pytest.param("/runs/{}/chart.svg", "image/svg+xml", "chart.svg", id="svg"),
]


@pytest.fixture(scope="module")
def finished(client: LabClient) -> RunDoc:
    run = client.start(workload="io", executor="threads", tasks=4, workers=2, params={"ms": 20})
    return client.wait_until_finished(run["id"])


@pytest.mark.parametrize(("path", "media", "suffix"), EXPORTS)
def test_a_finished_run_downloads_as_a_file_named_after_it(
    client: LabClient, finished: RunDoc, path: str, media: str, suffix: str
) -> None:
    r = client.get(path.format(finished["id"]))
    assert r.status_code == 200
    assert r.headers["content-type"] == media
    name = f"run-{finished['id']}.{suffix}"
    assert r.headers["content-disposition"] == f'attachment; filename="{name}"'
    assert "cache-control" not in r.headers  # a finished run's exports do not change


def test_the_trace_holds_the_runs_lanes_and_intervals(client: LabClient, finished: RunDoc) -> None:
    trace = client.get(f"/api/runs/{finished['id']}/trace.json").json()
    assert trace_problems(trace) == []
    threads = {e["args"]["name"] for e in trace["traceEvents"] if e["name"] == "thread_name"}
    assert threads == {lane["label"] for lane in finished["lanes"]}
    running = [e for e in trace["traceEvents"] if e.get("cat") == "running"]
    assert len(running) == sum(len(t["running"]) for t in finished["tasks"])


def test_the_csv_rows_are_the_runs_tasks(client: LabClient, finished: RunDoc) -> None:
    assert_csv_is_the_tasks(client.get(f"/api/runs/{finished['id']}/tasks.csv").text, finished)


def test_the_chart_is_standalone_svg_that_may_style_itself_and_nothing_else(
    client: LabClient, finished: RunDoc
) -> None:
    r = client.get(f"/runs/{finished['id']}/chart.svg")
    root = ET.fromstring(r.content)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert r.headers["content-security-policy"] == "default-src 'none'; style-src 'unsafe-inline'"


@pytest.mark.parametrize(("path", "media", "suffix"), EXPORTS)
def test_an_unknown_run_is_404(client: LabClient, path: str, media: str, suffix: str) -> None:
    r = client.get(path.format("nope"))
    assert r.status_code == 404 and "nope" in r.json()["detail"]


def test_a_run_still_going_exports_what_it_has_so_far_uncached(client: LabClient) -> None:
    run = client.start(workload="io", executor="threads", tasks=4, workers=1, params={"ms": 300})
    deadline = time.monotonic() + 10
    while not client.get(f"/api/runs/{run['id']}").json()["tasks"]:  # the first task started
        assert time.monotonic() < deadline
        time.sleep(0.02)
    trace = client.get(f"/api/runs/{run['id']}/trace.json")
    csv = client.get(f"/api/runs/{run['id']}/tasks.csv")
    svg = client.get(f"/runs/{run['id']}/chart.svg")
    assert [r.status_code for r in (trace, csv, svg)] == [200, 200, 200]
    assert all(r.headers["cache-control"] == "no-store" for r in (trace, csv, svg))
    assert trace.json()["otherData"]["status"] == RunStatus.RUNNING
    assert trace_problems(trace.json()) == []
    ET.fromstring(svg.content)
    client.post(f"/api/runs/{run['id']}/cancel")
    client.wait_until_finished(run["id"])


def test_the_exports_are_documented_with_their_media_types_and_404(client: LabClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path, media in [
        ("/api/runs/{run_id}/trace.json", "application/json"),
        ("/api/runs/{run_id}/tasks.csv", "text/csv"),
        ("/runs/{run_id}/chart.svg", "image/svg+xml"),
    ]:
        responses = paths[path]["get"]["responses"]
        assert media in responses["200"]["content"], path
        assert "as far as it has got" in responses["200"]["description"]
        assert "404" in responses
