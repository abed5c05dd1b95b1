"""The server executor through the JSON API, the dashboard form, the run page and the CLI.

One real server run (uvicorn, 5 requests of ``io`` 100 ms) through the API; everything else is
validation and rendering, so this file stays fast.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from typing import Any

import httpx
import pytest
from bs4 import BeautifulSoup

from server.cli import main as cli_main
from server.render import charts
from server.render.model import from_document
from server.render.prose import run_info
from server.render.scene import scene
from server.settings import Settings
from tests.support import LabClient


@pytest.fixture(scope="module")
def lab_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(data_dir=tmp_path_factory.mktemp("serverlab"), max_concurrent_runs=2)


@pytest.fixture(scope="module")
def server_run(client: LabClient) -> dict[str, Any]:
    """One real server run, finished: uvicorn, one worker, 5 requests of io(ms=100)."""
    doc = client.start(
        workload="io",
        executor="server",
        tasks=5,
        workers=1,
        params={"ms": 100},
        server={"setup": "uvicorn", "endpoint": "async", "concurrency": 5},
    )
    return client.wait_until_finished(doc["id"], timeout=30)


# --- the JSON API ------------------------------------------------------------------------------


def _post(client: httpx.Client, server: Any, executor: str = "server") -> httpx.Response:
    body = {"workload": "io", "executor": executor, "tasks": 2, "params": {"ms": 10}}
    return client.post("/api/runs", json={**body, "server": server})


@pytest.mark.parametrize(
    ("server", "loc", "allowed"),
    [
        ({"setup": "nginx"}, ["body", "server", "setup"], "uvicorn, gunicorn, gunicorn-sync"),
        ({"endpoint": "fast"}, ["body", "server", "endpoint"], "async, async-blocking, sync"),
        ({"setup": "gunicorn-sync", "endpoint": "async"}, ["body", "server", "endpoint"], "sync"),
        ({"concurrency": 501}, ["body", "server", "concurrency"], "from 0 to 500"),
        ({"threads": 0}, ["body", "server", "threads"], "from 1 to 1000"),
        ({"kill_at_ms": -5}, ["body", "server", "kill_at_ms"], "from 0 to 60000"),
        ({"http2": True}, ["body", "server", "http2"], "hypercorn, granian"),
        ({"turbo": 1}, ["body", "server", "turbo"], "concurrency, endpoint, http2"),
        ({"concurrency": "many"}, ["body", "server", "concurrency"], "integer"),
        ({"http2": "yes"}, ["body", "server", "http2"], "boolean"),
    ],
)
def test_bad_server_options_are_422_naming_the_option(
    client: httpx.Client, server: dict[str, Any], loc: list[str], allowed: str
) -> None:
    r = _post(client, server)
    assert r.status_code == 422, r.text
    (error,) = r.json()["detail"]
    assert error["loc"] == loc
    assert allowed in error["msg"]


def test_server_options_with_another_executor_are_422(client: httpx.Client) -> None:
    r = _post(client, {"setup": "uvicorn"}, executor="threads")
    assert r.status_code == 422
    (error,) = r.json()["detail"]
    assert error["loc"] == ["body", "server"]
    assert "server executor only" in error["msg"]


def test_run_fields_are_still_checked_before_server_options(client: httpx.Client) -> None:
    r = client.post(
        "/api/runs",
        json={"workload": "io", "executor": "server", "workers": 0, "server": {"setup": "x"}},
    )
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "workers"]


def test_workloads_describe_the_server_options(client: httpx.Client) -> None:
    executors = {e["id"]: e for e in client.get("/api/workloads").json()["executors"]}
    assert "server_options" not in executors["threads"]
    described = executors["server"]["server_options"]
    setups = {s["id"]: s for s in described["setups"]}
    assert set(setups) == {"uvicorn", "gunicorn", "gunicorn-sync", "hypercorn", "granian"}
    assert all(s["title"] for s in setups.values())
    assert setups["gunicorn-sync"]["endpoints"] == ["sync"]
    assert [e["id"] for e in described["endpoints"]] == ["async", "async-blocking", "sync"]
    options = {o["name"]: o for o in described["options"]}
    assert options["concurrency"] | {"help": ""} == {
        "name": "concurrency",
        "type": "int",
        "default": 0,
        "min": 0,
        "max": 500,
        "unit": "",
        "help": "",
    }
    assert (options["kill_at_ms"]["min"], options["kill_at_ms"]["unit"]) == (0, "ms")
    assert options["http2"]["allowed_with"] == ["hypercorn", "granian"]


def test_a_real_server_run_ends_done_with_lanes_of_the_servers_workers(
    server_run: dict[str, Any],
) -> None:
    d = server_run
    assert d["status"] == "done", d["error"]
    assert d["executor"] == "server" and d["workers"] == 1
    assert d["lanes"] and all(lane["label"].startswith("worker") for lane in d["lanes"])
    assert [t["status"] for t in d["tasks"]] == ["ok"] * 5
    m = d["metrics"]
    assert (m["requests_ok"], m["requests_failed"]) == (5, 0)
    assert 0.1 <= m["latency_p50_s"] <= m["latency_p99_s"] < 5
    info = d["executor_info"]
    assert info["setup"] == "uvicorn" and info["path"] == "/async/io"
    assert info["command"].startswith("uvicorn ")


# --- the run page ------------------------------------------------------------------------------


def test_the_run_page_shows_the_command_endpoint_protocol_and_client_figures(
    client: httpx.Client, server_run: dict[str, Any]
) -> None:
    page = client.get(f"/runs/{server_run['id']}").text
    assert server_run["executor_info"]["command"] in page
    assert "GET /async/io" in page and "HTTP/1.1" in page
    assert "server worker / thread" in page
    shown = {
        dd["data-counter"]: dd.get_text()
        for dd in BeautifulSoup(page, "html.parser").select(f"#counters-{server_run['id']} dd")
    }
    assert shown["requests"] == "5 / 0"
    m = server_run["metrics"]
    p50, p99 = 1000 * m["latency_p50_s"], 1000 * m["latency_p99_s"]
    assert shown["latency"] == f"{p50:,.0f} / {p99:,.0f} ms"
    assert shown["rps"] == f"{m['throughput_rps']:,.1f} req/s"
    assert "kill -9" not in page  # no fault demo in this run


def test_a_killed_worker_is_marked_on_the_lane_chart(server_run: dict[str, Any]) -> None:
    t_kill = round(server_run["wall_s"] / 2, 6)
    kill = {"pid": 4242, "t_s": t_kill}
    samples = [dict(s) for s in server_run["samples"]]
    samples[len(samples) // 2]["kills"] = [kill]  # as the run logs it: with the next sample
    doc = {**server_run, "samples": samples}
    model = from_document(run_info(doc), doc)
    assert model.kills == [kill]
    chart = BeautifulSoup(charts.lane_chart(scene(model, doc["wall_s"])), "html.parser")
    line = chart.select_one(".timescale line.kill")  # in ms, like the bars
    assert line is not None and float(line["x1"]) == pytest.approx(1000 * t_kill, abs=0.001)
    label = chart.select_one(".kill-marks .kill")
    assert label is not None and label.get_text() == "kill -9 pid 4242"
    assert label["style"] == "left:50.000%"
    plain = from_document(run_info(server_run), server_run)
    assert not BeautifulSoup(charts.lane_chart(scene(plain, 1.0)), "html.parser").select(".kill")


def test_a_run_stored_before_kills_travelled_with_samples_still_shows_them(
    server_run: dict[str, Any],
) -> None:
    kill = {"pid": 4242, "t_s": 0.01}
    doc = {**server_run, "executor_info": {**server_run["executor_info"], "kills": [kill]}}
    assert from_document(run_info(doc), doc).kills == [kill]


# --- the dashboard form ------------------------------------------------------------------------


def test_the_form_has_the_server_fields_with_defaults(client: httpx.Client) -> None:
    page = client.get("/").text
    form = page[page.index('id="run-form"') : page.index("</form>")]
    assert 'class="server-fields"' in form
    assert re.search(r'<option value="uvicorn" selected>uvicorn: ', form)
    for setup in ("gunicorn", "gunicorn-sync", "hypercorn"):
        assert f'<option value="{setup}" >' in form
    for name, default in (("concurrency", "0"), ("threads", "40"), ("kill_at_ms", "0")):
        assert re.search(rf'name="server\.{name}" inputmode="numeric" value="{default}"', form)
    assert 'name="server.endpoint"' in form and 'name="server.http2"' in form
    # Only an executor that takes server options shows them (lab.css picks it by the attribute).
    executors = BeautifulSoup(page, "html.parser").select("#f-executor option")
    shown = [o["value"] for o in executors if o.has_attr("data-server-options")]
    assert shown == ["server"]
    assert not any(o.has_attr("selected") for o in executors if o["value"] == "server")


def test_the_form_keeps_the_server_choices_when_the_workload_changes(
    client: httpx.Client,
) -> None:
    q = {
        "workload": "cpu",
        "executor": "server",
        "server.setup": "hypercorn",
        "server.endpoint": "sync",
        "server.threads": "7",
        "server.http2": "true",
    }
    form = client.get("/form", params=q).text
    chosen = BeautifulSoup(form, "html.parser").select("#f-executor option[selected]")
    assert [o["value"] for o in chosen] == ["server"]
    assert '<option value="hypercorn" selected>' in form
    assert '<option value="sync" selected>' in form
    assert 'name="server.threads" inputmode="numeric" value="7"' in form
    assert re.search(r'name="server\.http2" value="true" checked', form)


@pytest.mark.parametrize(
    ("fields", "name", "says"),
    [
        ({"server.setup": "nginx"}, "server.setup", "is not one of: uvicorn"),
        ({"server.concurrency": "lots"}, "server.concurrency", "an integer from 0 to 500"),
        ({"server.http2": "true"}, "server.http2", "use hypercorn, granian"),
        ({"server.setup": "gunicorn-sync", "server.endpoint": "async"}, "server.endpoint", "sync"),
    ],
)
def test_a_bad_server_field_is_shown_beside_it(
    client: httpx.Client, fields: dict[str, str], name: str, says: str
) -> None:
    form = {"workload": "io", "executor": "server", "tasks": "2", "workers": "1", **fields}
    r = client.post("/runs", data=form, headers={"HX-Request": "true"})
    assert r.status_code == 422
    error = re.search(rf'data-error-for="{re.escape(name)}">([^<]*)<', r.text)
    assert error and says in error.group(1)
    for field, value in fields.items():  # what was chosen or typed is kept
        if field in ("server.concurrency", "server.threads", "server.kill_at_ms"):
            assert f'name="{field}" inputmode="numeric" value="{value}"' in r.text
        elif field == "server.http2":
            assert re.search(r'name="server\.http2" value="true" checked', r.text)
        elif value != "nginx":  # a select shows only its own options
            assert f'<option value="{value}" selected>' in r.text


def test_a_run_started_from_the_form_starts_once_its_page_watches(client: LabClient) -> None:
    # The page draws the new run's view, then opens its stream: the run's clock waits for that
    # (half a second at most), so that the page's first drawing is not taken from the run.
    form = {"workload": "io", "executor": "sequential", "tasks": "1", "param.ms": "1"}
    r = client.post("/runs", data=form, headers={"HX-Request": "true"})
    assert r.status_code == 201
    run_id = BeautifulSoup(r.text, "html.parser").select_one("article.run-view")["data-run"]
    time.sleep(0.1)
    assert client.get(f"/api/runs/{run_id}").json()["status"] == "pending"
    with client.stream("GET", f"/runs/{run_id}/stream") as stream:
        for line in stream.iter_lines():
            if line.startswith("event: end"):
                break
    assert client.wait_until_finished(run_id)["status"] == "done"


def test_a_run_started_from_the_form_starts_anyway_if_no_page_watches(client: LabClient) -> None:
    form = {"workload": "io", "executor": "sequential", "tasks": "1", "param.ms": "1"}
    r = client.post("/runs", data=form, headers={"HX-Request": "true"})
    run_id = BeautifulSoup(r.text, "html.parser").select_one("article.run-view")["data-run"]
    assert client.wait_until_finished(run_id)["status"] == "done"


def test_a_started_run_redraws_the_form_only_if_it_showed_errors(client: LabClient) -> None:
    # An answer of out-of-band parts only leaves the form as the user has it (htmx swaps nothing
    # in its place); a form that showed errors is drawn again, without them.
    form = {"workload": "io", "executor": "sequential", "tasks": "0", "param.ms": "1"}
    bad = client.post("/runs", data=form, headers={"HX-Request": "true"})
    assert bad.status_code == 422 and 'name="shown_errors"' in bad.text
    fixed = client.post(
        "/runs", data={**form, "tasks": "1", "shown_errors": "1"}, headers={"HX-Request": "true"}
    )
    again = client.post("/runs", data={**form, "tasks": "1"}, headers={"HX-Request": "true"})
    for r, redrawn in ((fixed, True), (again, False)):
        assert r.status_code == 201
        page = BeautifulSoup(r.text, "html.parser")
        assert (page.select_one("#run-form") is not None) is redrawn
        assert not page.select("[data-error-for]") and not page.select('[name="shown_errors"]')
        assert page.select_one('#live[hx-swap-oob="true"] article.run-view')
        client.wait_until_finished(page.select_one("article.run-view")["data-run"])


def test_server_fields_are_ignored_for_other_executors(client: LabClient) -> None:
    form = {"workload": "io", "executor": "sequential", "tasks": "1", "param.ms": "1"}
    form["server.setup"] = "nginx"  # hidden (not the server executor): not read
    r = client.post("/runs", data=form, follow_redirects=False)
    assert r.status_code == 303
    client.wait_until_finished(r.headers["location"].rsplit("/", 1)[1])


# --- the CLI -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "names"),
    [
        (["--server", "setup=nginx"], ("server.setup", "uvicorn, gunicorn")),
        (["--server", "threads=0"], ("server.threads", "from 1 to 1000")),
        (["--server", "kill_at_ms"], ("--server", "NAME=VALUE")),
        (["--server", "http2=maybe"], ("server.http2", "true or false")),
        (["--server", "turbo=1"], ("server.turbo", "allowed: concurrency")),
    ],
)
def test_cli_bad_server_option_is_one_line_and_exit_2(
    argv: list[str], names: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli_main(["run", "io", "--executor", "server", *argv]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1
    assert all(n in err for n in names), err


def test_cli_server_options_with_another_executor_exit_2_without_a_traceback() -> None:
    argv = ["run", "io", "--executor", "threads", "--server", "setup=uvicorn"]
    p = subprocess.run(
        [sys.executable, "-m", "server.cli", *argv],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert p.returncode == 2
    assert p.stdout == ""
    assert p.stderr.strip().splitlines() == [
        "concurrency-lab: error: server: server options are for the server executor only"
    ]
