"""Renderers: turn a run document into something to look at (terminal text, SVG, HTML)."""
