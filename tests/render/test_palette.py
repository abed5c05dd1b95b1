"""The chart's colours, measured: each state of a bar reads on a washed-out projector and for
colour-blind viewers (WCAG 1.4.11: 3:1 for the parts of a graphic that carry its meaning).

No four colours can all be 3:1 apart on a white chart (contrast ratios multiply: 3^4 is more
than white's 21:1 against black), so states that share a lightness differ in pattern as well:
executing is solid, waiting hatched with white gaps, failed solid, cancelled a dashed outline
around white. Every pair of states that can touch in a bar meets somewhere at 3:1 or more."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from server.render.patterns import PATTERNS

ROOT = Path(__file__).resolve().parents[2]
CSS = (ROOT / "static" / "lab.css").read_text()
WHITE = "#ffffff"


def var(name: str) -> str:
    match = re.search(rf"--{name}:\s*(#[0-9a-fA-F]{{6}})", CSS)
    assert match, f"--{name} is not a #rrggbb colour in lab.css"
    return match.group(1)


def luminance(hex_colour: str) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: str, b: str) -> float:
    la, lb = sorted((luminance(a), luminance(b)))
    return (lb + 0.05) / (la + 0.05)


REASONS = ["gil", "core", "io", "await", "loop", "other"]


@pytest.mark.parametrize("state", ["run", "error", "cancelled", "queued", *REASONS])
def test_every_state_is_3_to_1_against_the_chart(state: str) -> None:
    assert var("chart-bg") == WHITE
    assert contrast(var(state), WHITE) >= 3


@pytest.mark.parametrize(
    ("a", "b"),
    [
        *[("run", reason) for reason in REASONS],  # a running slice beside a wait, in every bar
        ("run", "error"),  # a failed task's slices on its vermillion
        ("run", "chart-bg"),  # a cancelled task's slices inside its white outline
        ("error", "chart-bg"),  # failed beside waiting's white gaps
        ("cancelled", "error"),  # an outline beside a failed bar
        *[("cancelled", reason) for reason in REASONS],  # an outline beside a wait's stripes
    ],
)
def test_states_that_touch_meet_at_3_to_1(a: str, b: str) -> None:
    assert contrast(var(a), var(b)) >= 3


def test_a_live_bar_beyond_its_last_report_is_pale_and_executing_reads_on_it() -> None:
    """Not a state: nothing is known there yet. It must not read as one (a pale tint, far lighter
    than any state), and a running slice drawn over it must stand out."""
    tail = var("unreported")
    assert 1.2 <= contrast(tail, WHITE) < 1.6
    assert all(contrast(tail, var(state)) >= 2.5 for state in ["run", "error", *REASONS])
    assert contrast(var("run"), tail) >= 3
    assert re.search(r"rect\.flight\.live \{ fill: var\(--unreported\); \}", CSS)


def test_each_reason_has_a_pattern_of_its_own_and_cancelled_is_an_outline() -> None:
    shapes = {(p.size, p.rotate, p.shape) for p in PATTERNS}
    assert len(shapes) == len(PATTERNS) == len(REASONS)  # no two reasons look alike
    assert [p.reason for p in PATTERNS] == REASONS
    for reason in REASONS:
        assert re.search(
            rf"path\.wait\.{reason} \{{ fill: var\(--w{reason}, url\(#w{reason}-page\)\); \}}", CSS
        )
        assert re.search(rf"\.pat-{reason} \{{ (fill|fill: none; stroke): var\(--{reason}\)", CSS)
    assert re.search(r"rect\.flight \{ fill: var\(--wother, url\(#wother-page\)\); \}", CSS)
    assert re.search(r"rect\.flight\.cancelled \{ fill: none; stroke: var\(--cancelled\);", CSS)
    assert re.search(r"rect\.flight\.error \{ fill: var\(--error\); \}", CSS)


def test_the_old_waiting_colour_would_fail() -> None:
    assert contrast("#C4E5F7", WHITE) < 1.5  # what the lane chart drew before: 1.3:1
