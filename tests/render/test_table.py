"""The tasks as CSV: a header, then one row per task, equal to the document's tasks."""

from __future__ import annotations

import csv
import io

from server.render.table import COLUMNS, tasks_csv
from tests.render.handmade import HandDoc
from tests.support import Execute, assert_csv_is_the_tasks


def read(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_the_header_starts_with_the_contracts_columns() -> None:
    assert COLUMNS[:6] == ("task", "lane", "start_s", "end_s", "cpu_s", "status")
    assert {"submitted_s", "queued_s", "running_s", "wait_gil_s", "wait_await_s"} <= set(COLUMNS)


def test_rows_hold_each_tasks_times_and_its_seconds_per_reason(handdoc: HandDoc) -> None:
    t = handdoc.lane("t11", tid=11)
    handdoc.task(
        t,
        0.25,
        0.75,
        [(0.25, 0.5)],
        [(0.5, 0.6, "gil"), (0.6, 0.7, "core"), (0.7, 0.75, "gil")],
        submitted=0.125,
    )
    (row,) = read(tasks_csv(handdoc.doc()))
    assert row == row | {
        "task": "0",
        "lane": "t11",
        "lane_label": "thread 1",
        "start_s": "0.250000",
        "end_s": "0.750000",
        "submitted_s": "0.125000",
        "queued_s": "0.125000",
        "running_s": "0.250000",
        "wait_gil_s": "0.150000",
        "wait_core_s": "0.100000",
        "wait_io_s": "0.000000",
        "status": "ok",
        "error": "",
    }


def test_a_document_without_waits_leaves_them_unknown_not_zero(handdoc: HandDoc) -> None:
    handdoc.task(handdoc.lane("t11", tid=11), 0.0, 0.5, [(0.0, 0.5)])
    (row,) = read(tasks_csv(handdoc.doc()))
    assert row["wait_gil_s"] == row["submitted_s"] == row["queued_s"] == ""


def test_an_error_with_commas_and_lines_survives_and_a_task_in_flight_has_no_end(
    handdoc: HandDoc,
) -> None:
    t = handdoc.lane("t11", tid=11)
    handdoc.task(t, 0.0, 0.1, [(0.0, 0.1)], status="error", error='ValueError: "a, b"\nline 2')
    handdoc.task(t, 0.1, None, [(0.1, 0.2)])
    text = tasks_csv(handdoc.doc(status="running"))
    assert text.startswith(",".join(COLUMNS) + "\r\n")
    failed, going = read(text)
    assert failed["error"] == 'ValueError: "a, b"\nline 2' and failed["status"] == "error"
    assert going["end_s"] == going["cpu_s"] == "" and going["status"] == "running"


def test_the_rows_of_a_real_run_are_its_tasks(execute: Execute) -> None:
    doc = execute("mixed", "threads", tasks=6, workers=3, ms=20)
    assert_csv_is_the_tasks(tasks_csv(doc), doc)
