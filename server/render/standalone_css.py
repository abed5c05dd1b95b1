"""The lab's style sheet for a standalone SVG (``server.render.standalone``): the page's rules for
what the plots draw, taken from ``static/lab.css`` so that they cannot drift, with every ``var()``
resolved to its value, and the rules for the text the page draws in HTML.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

from server.render import patterns

STYLESHEET = Path(__file__).resolve().parents[2] / "static" / "lab.css"
#: The page's rules kept: those whose every selector starts like this (what plots draw).
PLOT_SELECTOR = re.compile(r"(rect|path|polyline|line|g\.bar)\b|\.pat-|\.line-")
VAR = re.compile(r"var\(--([\w-]+)\s*(?:,\s*((?:[^()]|\([^()]*\))*))?\)")
#: A plot's frame, as the page draws it (the left and bottom borders of ``.gantt-svg``).
FRAME = "#aab"
KILL = "#a33a00"


@functools.cache
def page_css() -> str:
    return STYLESHEET.read_text()


def css_values(css: str, run_id: str) -> dict[str, str]:
    """The custom properties of the page (``:root``) and of the run's view (its patterns)."""
    root = re.search(r":root\s*\{([^}]*)\}", _uncommented(css))
    values = dict(re.findall(r"--([\w-]+)\s*:\s*([^;]+?)\s*(?:;|$)", root.group(1) if root else ""))
    for item in patterns.style(run_id).split(";"):
        name, _, value = item.partition(":")
        values[name.strip().removeprefix("--")] = value.strip()
    return values


def resolve(text: str, values: dict[str, str]) -> str:
    """``text`` with every ``var(--name, fallback)`` replaced by its value (values may name
    others in turn)."""
    for _ in range(8):
        done = VAR.sub(lambda m: values.get(m[1], (m[2] or "").strip()), text)
        if done == text:
            break
        text = done
    return text


def plot_css(css: str, values: dict[str, str]) -> str:
    """The page's rules for what plots draw, resolved."""
    css = _uncommented(css)
    # At-rules (@media ...) hold rules for the page's layout: none for plots.
    css = re.sub(r"@[^{;]*\{(?:[^{}]*\{[^{}]*\})*[^{}]*\}", "", css)
    rules = []
    for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", css):
        names = [n.strip() for n in selectors.split(",")]
        if all(PLOT_SELECTOR.match(n) for n in names):
            rules.append(f"{', '.join(names)} {{ {resolve(body.strip(), values)} }}")
    return "\n".join(rules)


def _uncommented(css: str) -> str:
    return re.sub(r"/\*.*?\*/", "", css, flags=re.S)


def text_css(css: str, values: dict[str, str]) -> str:
    font = re.search(r"\bbody\s*\{[^}]*font-family:\s*([^;]+);", _uncommented(css))
    family = font.group(1).strip() if font else "sans-serif"
    ink, muted = values.get("ink", "#1a1a1a"), values.get("muted", "#5b5b5b")
    return (
        f"text {{ font-family: {family}; font-size: 12px; fill: {ink}; }}\n"
        ".title { font-size: 18px; font-weight: 700; }\n"
        ".caption { font-size: 13px; }\n"
        f".muted, .caption {{ fill: {muted}; }}\n"
        ".caption .name { font-weight: 700; }\n"
        f".kill-mark {{ font-size: 11px; font-weight: 700; fill: {KILL}; }}\n"
        f".frame {{ stroke: {FRAME}; stroke-width: 1px; }}"
    )
