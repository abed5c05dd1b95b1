from __future__ import annotations

import random

import pytest

from server.lab.metrics import occupancy
from server.render.series import MAX_BUCKETS, Series


def brute(
    closed: list[tuple[float, float]], opened: list[float], now: float, cols: int
) -> list[float]:
    return occupancy(closed + [(s, now) for s in opened], 0.0, now, cols)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("now", [0.04, 0.5, 2.0, 30.0])  # columns align with buckets
def test_series_matches_brute_force_occupancy(seed: int, now: float) -> None:
    rng = random.Random(seed)
    series = Series()
    closed, opened = [], []
    for _ in range(300):
        s = rng.uniform(0, now)
        if rng.random() < 0.3:
            series.open(s)
            opened.append(s)
        else:
            e = min(now, s + rng.expovariate(10 / now))
            series.add(s, e)
            closed.append((s, e))
    # Close some of the open ones, as tasks ending would.
    for s in opened[::2]:
        e = rng.uniform(s, now)
        series.close(s, e)
        closed.append((s, e))
    still_open = opened[1::2]
    cols = 4 if now < 0.1 else 50
    got = series.averages(now, cols)
    want = brute(closed, still_open, now, cols)
    assert got == pytest.approx(want, abs=1e-6)


def test_series_merges_buckets_when_the_run_grows_long() -> None:
    series = Series(width=0.005)
    series.open(0.001)
    series.add(1.0, 2.0)
    series.add(50.0, 60.0)  # far beyond MAX_BUCKETS * 5 ms
    assert len(series.steps) <= MAX_BUCKETS
    assert series.width > 0.005
    got = series.averages(60.0, 75)
    want = brute([(1.0, 2.0), (50.0, 60.0)], [0.001], 60.0, 75)
    assert got == pytest.approx(want, abs=1e-6)


def test_empty_series_reads_as_zero() -> None:
    assert Series().averages(1.0, 4) == [0.0] * 4
    assert Series().averages(0.0, 3) == [0.0] * 3
