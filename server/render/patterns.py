"""The patterns of waiting: one per reason, so that a bar reads without its colours.

Every reason has a hue of the same lightness (3:1 against the white chart and against executing;
``tests/render/test_palette.py``) and a pattern of its own with white gaps between the strokes.
Bars are drawn in ms under a scaling transform (``server.render.svg``), so each run has its own
copy of the patterns, whose ``patternTransform`` undoes that scale (``geometry.pattern_transform``);
the page has one more copy in chart units, for density strips and legends.
"""

from __future__ import annotations

from dataclasses import dataclass

from server.types import WaitReason


@dataclass(frozen=True, slots=True)
class Pattern:
    reason: str
    label: str  # as legends and tooltips name it
    size: float  # the tile is size x size chart units
    rotate: int  # degrees
    shape: str  # SVG drawn in the tile, classed "pat-{reason}" for its colour


STRIPE = '<rect width="2.5" height="6"/>'
PATTERNS = (
    Pattern(WaitReason.GIL, "waiting for the GIL", 6, 45, STRIPE),
    Pattern(WaitReason.CORE, "waiting for a core", 6, -45, STRIPE),
    Pattern(WaitReason.IO, "in I/O or a sleep", 5, 0, '<circle cx="2.5" cy="2.5" r="1.5"/>'),
    Pattern(WaitReason.AWAIT, "suspended at an await", 6, 0, '<rect width="6" height="2.5"/>'),
    Pattern(WaitReason.LOOP, "ready, the event loop busy", 6, 0, STRIPE),
    Pattern(WaitReason.OTHER, "waiting (reason unknown)", 6, 0, '<path d="M0,0L6,6M6,0L0,6"/>'),
)
BY_REASON = {p.reason: p for p in PATTERNS}


def pattern_id(reason: str, run_id: str | None = None) -> str:
    """A run's copy of a reason's pattern, or (no run) the page's copy in chart units."""
    return f"w{reason}-{run_id or 'page'}"


def style(run_id: str) -> str:
    """The CSS variables that point a run's bars at its own patterns (``static/lab.css``)."""
    return ";".join(f"--w{p.reason}:url(#{pattern_id(p.reason, run_id)})" for p in PATTERNS)
