"""The CLI's exports: ``export RUN_ID --format ...`` from a store, and ``run ... --trace FILE``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from server.cli import main
from server.store import Store
from server.types import RunStatus
from tests.support import Execute, RunDoc, assert_csv_is_the_tasks, trace_problems


@pytest.fixture(scope="module")
def stored(execute: Execute, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, RunDoc]:
    """A data folder holding one finished run, as ``serve`` leaves it."""
    data = tmp_path_factory.mktemp("data")
    doc = execute("cpu", "threads", tasks=3, workers=2, ms=10)
    store = Store(data / "runs.sqlite3")
    store.save(doc)  # type: ignore[arg-type]
    store.close()
    return data, doc


def test_export_writes_each_format_of_a_stored_run(
    stored: tuple[Path, RunDoc], tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    data, doc = stored
    assert main(["export", doc["id"], "--format", "csv", "--data-dir", str(data)]) == 0
    assert_csv_is_the_tasks(capsysbinary.readouterr().out.decode(), doc)
    out = tmp_path / "t.json"
    assert (
        main(["export", doc["id"], "--format", "trace", "--data-dir", str(data), "-o", str(out)])
        == 0
    )
    assert trace_problems(json.loads(out.read_text())) == []
    assert main(["export", doc["id"], "--format", "svg", "--data-dir", str(data)]) == 0
    assert capsysbinary.readouterr().out.startswith(b'<?xml version="1.0"')


def test_export_reads_the_store_without_touching_a_live_dashboards_runs(
    stored: tuple[Path, RunDoc], capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    data, doc = stored
    store = Store(data / "runs.sqlite3")  # a dashboard that is running a run
    store.save({**doc, "id": "live", "status": RunStatus.RUNNING.value})  # type: ignore[typeddict-item]
    try:
        assert main(["export", "live", "--format", "csv", "--data-dir", str(data)]) == 0
        capsysbinary.readouterr()
        live = store.get("live")
        assert live is not None and live["status"] == RunStatus.RUNNING  # not marked failed
    finally:
        store.close()


@pytest.mark.parametrize(
    ("argv", "names"),
    [
        pytest.param(
            ["export", "nope", "--format", "csv"], "RUN_ID: no run 'nope'", id="unknown-run"
        ),
        pytest.param(["export", "x", "--format", "pdf"], "--format: invalid choice", id="format"),
        pytest.param(
            ["export", "x", "--format", "csv", "--data-dir", "{missing}"],
            "--data-dir: no run history",
            id="data-dir",
        ),
        pytest.param(
            ["export", "{id}", "--format", "csv", "-o", "{missing}/x.csv"],
            "-o: cannot write",
            id="output",
        ),
        pytest.param(
            ["run", "cpu", "--trace", "{missing}/x.json"], "--trace: cannot write", id="trace"
        ),
    ],
)
def test_bad_input_is_one_line_naming_the_parameter_and_exit_2(
    stored: tuple[Path, RunDoc],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    names: str,
) -> None:
    data, doc = stored
    argv = [a.format(missing=tmp_path / "missing", id=doc["id"]) for a in argv]
    if "--data-dir" not in argv and argv[0] == "export":
        argv += ["--data-dir", str(data)]
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's own errors
        code = int(exc.code or 0)
    err = capsys.readouterr().err
    assert code == 2 and names in err and err.count("\n") == 1, err
    assert not (tmp_path / "missing").exists()


def test_run_writes_the_finished_runs_trace(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run.trace.json"
    argv = ["run", "cpu", "--executor", "threads", "--tasks", "2", "--param", "ms=5", "--json"]
    assert main([*argv, "--trace", str(out)]) == 0
    doc = json.loads(capsys.readouterr().out)  # still exactly one run document on stdout
    trace = json.loads(out.read_text())
    assert trace["otherData"]["run"] == doc["id"] and trace_problems(trace) == []
    running = [e for e in trace["traceEvents"] if e.get("cat") == "running"]
    assert len(running) == sum(len(t["running"]) for t in doc["tasks"])
