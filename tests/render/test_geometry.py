"""Chart geometry: round axes, rows that fit, columns."""

from __future__ import annotations

import pytest

from server.render import geometry


@pytest.mark.parametrize(
    ("v", "expected"),
    [(0.03, 0.05), (0.1, 0.1), (0.11, 0.2), (0.26, 0.5), (0.9, 1.0), (1.2, 2.0), (7.0, 10.0)],
)
def test_nice_ceiling_is_a_1_2_5_number_at_least_v(v: float, expected: float) -> None:
    assert geometry.nice_ceiling(v) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("span", "labels"),
    [
        # The cpu-bound lesson's axis read 0 s, 0.2 s, 0.5 s, 0.8 s, 1.0 s (a 0.25 s step).
        (1.03, ["0.0 s", "0.2 s", "0.4 s", "0.6 s", "0.8 s", "1.0 s"]),
        (0.5, ["0 ms", "100 ms", "200 ms", "300 ms", "400 ms", "500 ms"]),
        (8.2, ["0 s", "2 s", "4 s", "6 s", "8 s"]),
        (0.012, ["0 ms", "2 ms", "4 ms", "6 ms", "8 ms", "10 ms", "12 ms"]),
    ],
)
def test_axis_ticks_sit_at_round_values(span: float, labels: list[str]) -> None:
    ticks = geometry.axis_ticks(span)
    assert [t.label for t in ticks] == labels
    assert ticks[0].at == 0 and all(0 < t.at <= 1 for t in ticks[1:])


def test_a_live_axis_grows_in_few_steps() -> None:
    spans = {geometry.live_span(t / 100) for t in range(1, 1000)}  # 10 ms to 10 s
    assert spans == {0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0}


def test_a_planned_axis_holds_until_the_run_outlasts_it() -> None:
    # The last run of the spec took 1.3 s: its axis is 1.5 s from the start (not 2 s, which a
    # 1-2-5 ceiling would give, leaving a quarter of the chart empty), and grows past it only
    # once "now" nears its end.
    spans = [geometry.live_span(t / 100, expected=1.3) for t in range(0, 300)]
    assert set(spans[:131]) == {1.5}
    assert spans == sorted(spans) and spans[-1] == 5.0
    assert geometry.live_span(0.0, expected=3.1) == 4.0  # 3.41 s rounds up to 4 s, not 5 s
    assert geometry.live_span(0.0, expected=0.02) == 0.1  # never under the floor
    assert geometry.live_span(0.5, expected=None) == geometry.live_span(0.5)


@pytest.mark.parametrize(
    ("lanes", "row_h", "labelled"), [(2, 30, True), (20, 15, True), (64, 10, False)]
)
def test_lane_rows_share_the_chart_within_their_bounds(
    lanes: int, row_h: float, labelled: bool
) -> None:
    rows = geometry.lane_rows(lanes)
    assert rows.row_h == row_h and rows.labelled is labelled
    assert 0 < rows.bar_h < rows.row_h


def test_compared_runs_have_lower_rows_so_that_a_stack_fits_a_screen() -> None:
    assert geometry.lane_rows(200, compare=True).height <= 200
    assert geometry.lane_rows(2, compare=True).row_h == 24


def test_task_rows_group_tasks_past_the_row_limit() -> None:
    assert geometry.task_rows(8).n == 8
    assert geometry.task_rows(10_000).n == geometry.MAX_TASK_ROWS
    assert geometry.tasks_per_row(10_000) == 84


def test_x_maps_the_span_onto_the_chart_width() -> None:
    assert geometry.fmt_x(0.5, 2.0) == "250"
    assert geometry.fmt_x(0.0000004, 1.0) == "0"
    assert geometry.columns_until(0.5, 1.0) == geometry.COLUMNS // 2
