"""The one Jinja2 environment: pages (``server.web``) and panels (``server.render.panels``) render
with it, so a page's first render and a live frame's swaps come from the same macros."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from server.render.patterns import PATTERNS
from server.types import EventName, LaneKind, RunStatus, TaskStatus, WaitReason

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "templates"

ENV = Environment(
    loader=FileSystemLoader(TEMPLATES_DIR),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
# The shared vocabulary, so that templates compare with the enums, not with string literals.
ENV.globals.update(
    RunStatus=RunStatus,
    TaskStatus=TaskStatus,
    LaneKind=LaneKind,
    EventName=EventName,
    WaitReason=WaitReason,
    PATTERNS=PATTERNS,
)


@functools.cache
def macros(name: str = "partials/_panels.html") -> Any:
    """A template's macros, callable from Python (each returns ``Markup``)."""
    return ENV.get_template(name).module


def macro(name: str, *args: object) -> Markup:
    """Call one macro of the panels' template."""
    return Markup(getattr(macros(), name)(*args))
