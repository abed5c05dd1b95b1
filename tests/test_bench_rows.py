"""The bench's report rows: how a lab/bare ratio is estimated and judged against its goal."""

from __future__ import annotations

import pytest

from bench.timing import Row


def test_a_paired_row_takes_the_median_of_its_pairs_ratios_not_the_ratio_of_medians() -> None:
    # The machine slows between pairs: each watched run is 2% below the unwatched run beside it.
    bare = [2.0, 1.6, 1.9, 1.7, 1.8]
    lab = [b * 0.98 for b in bare]
    lab[0] = 1.0  # one pair disturbed: the median ignores it
    row = Row("par", "x", bare=bare, lab=lab, goal=0.95, at_least=True, paired=True)
    assert row.ratio == pytest.approx(0.98)
    assert row.pair_ratios[0] == pytest.approx(0.5)
    assert row.verdict == "PASS"
    unpaired = Row("par", "x", bare=bare, lab=lab, goal=0.95, at_least=True)
    assert unpaired.ratio == pytest.approx(1.7 * 0.98 / 1.8)
    assert unpaired.verdict == "MISS"
    assert row.as_dict()["ratio_of"] == "the median pair"
    assert len(row.as_dict()["pair_ratios"]) == 5


def test_a_paired_row_needs_one_lab_figure_per_bare_one() -> None:
    row = Row("par", "x", bare=[1.0, 2.0], lab=[1.0], paired=True)
    with pytest.raises(ValueError):
        _ = row.ratio
